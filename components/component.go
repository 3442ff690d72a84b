package components

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// NewVeleroIRSA creates the IAM role (trusting only Velero's ServiceAccount),
// its least-privilege inline policy, the Velero Helm release wired to use
// it, and Velero's backup locations, each of which the deploy waits on until
// Velero reports it Available (plus, with VerifyBackup, a verification
// backup that must complete and, with VerifyRestore, a restore drill that
// must read it back). Children are named "<name>-role", "<name>-policy",
// "<name>-release", "<name>-location-<location>", "<name>-verify",
// "<name>-drill-canary", "<name>-drill-namespace" and "<name>-drill" and
// are parented to the component, so providers passed with
// pulumi.Providers reach all of them.
//
// Plain fields of args are validated before anything is registered; Input
// fields are validated as soon as they are known, and an invalid one
// registers no child resource.
func NewVeleroIRSA(ctx *pulumi.Context, name string, args *VeleroIRSAArgs, opts ...pulumi.ResourceOption) (*VeleroIRSA, error) {
	if args == nil {
		return nil, fmt.Errorf("VeleroIRSA %q: args are nil: set ClusterName, BucketName and Region (and OidcProviderArn, OidcIssuerUrl in irsa mode)", name)
	}
	if missing := missingRequired(args, cmp.Or(args.IdentityMode, IdentityModeIRSA)); len(missing) > 0 {
		return nil, fmt.Errorf("VeleroIRSA %q: %s not set: these inputs are required", name, strings.Join(missing, ", "))
	}
	s, err := newSettings(args)
	if err != nil {
		return nil, fmt.Errorf("VeleroIRSA %q: %w", name, err)
	}
	if err := checkVerificationName(name, s); err != nil {
		return nil, fmt.Errorf("VeleroIRSA %q: %w", name, err)
	}

	c := &VeleroIRSA{}
	if err := ctx.RegisterComponentResource(VeleroIRSAType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering VeleroIRSA %q: %w", name, err)
	}
	parent := pulumi.Parent(c)
	if w := nodeAgentWarning(s); w != "" {
		_ = ctx.Log.Warn(w, &pulumi.LogArgs{Resource: c})
	}
	plan, field := newPlan(ctx, name, s, args, parent)

	role, err := iam.NewRole(ctx, name+"-role", roleArgs(s, field), parent)
	if err != nil {
		return nil, fmt.Errorf("creating role: %w", err)
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Name:   pulumi.String(policyName),
		Policy: field(func(r resolved) string { return r.permissionPolicy }),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating role policy: %w", err)
	}

	// Velero starts only once everything it needs exists.
	dependsOn := []pulumi.Resource{policy}
	if s.bucket != nil {
		bucketResources, err := newManagedBucket(ctx, name, s, field, parent)
		if err != nil {
			return nil, err
		}
		dependsOn = append(dependsOn, bucketResources...)
	}
	if s.mode == IdentityModePodIdentity {
		association, err := eks.NewPodIdentityAssociation(ctx, name+"-pod-identity", &eks.PodIdentityAssociationArgs{
			ClusterName:    field(func(r resolved) string { return r.cluster }),
			Namespace:      pulumi.String(s.namespace),
			ServiceAccount: pulumi.String(s.serviceAccount),
			RoleArn:        role.Arn,
			Tags:           toStringMap(s.tags),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating pod identity association: %w", err)
		}
		dependsOn = append(dependsOn, association)
	}

	releaseOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(dependsOn)}
	if s.adoptRelease && !ctx.DryRun() {
		// Imported and upgraded in one deployment (the engine diffs the
		// imported inputs against these and updates); a preview shows a
		// create instead, so it never reads the release's old values.
		releaseOpts = append(releaseOpts, pulumi.Import(pulumi.ID(s.namespace+"/"+s.releaseName)))
	}
	release, err := newVeleroRelease(ctx, name, s, plan, role.Arn, releaseOpts...)
	if err != nil {
		return nil, err
	}
	proofs, err := newBackupPath(ctx, name, s, plan, role.Arn, release, parent)
	if err != nil {
		return nil, err
	}
	if err := c.setOutputs(ctx, s, role, release, field, proofs); err != nil {
		return nil, fmt.Errorf("registering VeleroIRSA %q outputs: %w", name, err)
	}
	return c, nil
}

// newBackupPath registers the backup locations once the release (which
// brings Velero's CRDs and server) is deployed, the verification backup
// once every location is Available and, with VerifyRestore, the restore
// drill: its canary before the backup, its Restore once the backup is
// Completed. It returns the objects whose Completed phase the deploy rests
// on (see proof.go).
//
// A location is replaced, not patched, when its spec or the role's wiring
// changes (the old object is deleted first, as its name stays): a fresh
// object has no status, so the deploy waits for Velero to validate the new
// spec or role instead of passing on the phase the old one had. Deleting a
// BackupStorageLocation object deletes nothing in the bucket.
func newBackupPath(ctx *pulumi.Context, name string, s settings, plan pulumi.Output, roleARN pulumi.StringOutput, release pulumi.Resource, parent pulumi.ResourceOption) ([]proof, error) {
	bsls, err := newBackupLocations(ctx, name, s, plan, roleARN, parent, pulumi.DependsOn([]pulumi.Resource{release}))
	if err != nil {
		return nil, err
	}
	var proofs []proof
	locations := make([]pulumi.Resource, len(bsls))
	for i, bsl := range bsls {
		locations[i] = bsl
		proofs = append(proofs, proof{what: "backup location", kind: backupStorageLocationKind, phase: phaseAvailable, object: bsl})
	}
	if s.readBackBackup != "" {
		readBack, err := newReadBack(ctx, name, s, locations, parent)
		if err != nil {
			return nil, err
		}
		proofs = append(proofs, proof{what: "read-back", kind: restoreKind, phase: phaseCompleted, object: readBack})
	}
	if s.drDrill != nil {
		drill, err := newDRDrill(ctx, name, s, locations, parent)
		if err != nil {
			return nil, err
		}
		proofs = append(proofs, proof{what: "disaster-recovery drill", kind: restoreKind, phase: phaseCompleted, items: 1, object: drill})
	}
	if !s.verifyBackup {
		return proofs, nil
	}
	wiring := pulumi.All(plan, roleARN).ApplyT(func(v []interface{}) (string, error) {
		return verificationWiring(v[0].(resolved), v[1].(string), s)
	}).(pulumi.StringOutput)
	backupAfter := locations
	var drill restoreDrill
	if s.verifyRestore {
		// The canary must exist before the backup that captures it.
		if drill, err = newDrillCanary(ctx, name, s, wiring, parent, pulumi.DependsOn([]pulumi.Resource{release})); err != nil {
			return nil, err
		}
		backupAfter = append(backupAfter, drill.canary)
	}
	backup, err := newVerificationBackup(ctx, name, s, plan, wiring, parent, pulumi.DependsOn(backupAfter))
	if err != nil {
		return nil, err
	}
	verification := proof{what: "verification backup", kind: backupKind, phase: phaseCompleted, object: backup}
	proofs = append(proofs, verification)
	if !s.verifyRestore {
		return proofs, nil
	}
	restore, err := newDrillRestore(ctx, name, s, verification, drill, parent)
	if err != nil {
		return nil, err
	}
	// The drill's wait also requires exactly the canary restored.
	return append(proofs, proof{what: "restore drill", kind: restoreKind, phase: phaseCompleted, items: 1, object: restore}), nil
}

// fieldFunc reads one string of the resolved plan as an output.
type fieldFunc func(func(resolved) string) pulumi.StringOutput

// newPlan validates the Input fields and builds the documents in one apply
// that feeds every child, so an invalid input registers none of them.
func newPlan(ctx *pulumi.Context, name string, s settings, args *VeleroIRSAArgs, parent pulumi.ResourceOrInvokeOption) (pulumi.Output, fieldFunc) {
	// In pod identity mode the account comes from the AWS provider's
	// credentials, the account the role is created in.
	account := pulumi.String("").ToStringOutput()
	if s.mode == IdentityModePodIdentity {
		account = aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent).AccountId()
	}
	plan := pulumi.All(args.ClusterName, optional(args.OidcProviderArn), optional(args.OidcIssuerUrl), args.BucketName,
		args.Region, optional(args.BucketKmsKeyArn), optional(args.EbsKmsKeyArn), account, optional(args.BucketRegion)).
		ApplyT(func(v []interface{}) (resolved, error) {
			r, err := resolve(s, inputs{
				cluster: v[0].(string), providerARN: v[1].(string), issuerURL: v[2].(string),
				bucket: v[3].(string), region: v[4].(string), bucketKey: v[5].(string), ebsKey: v[6].(string),
				account: v[7].(string), bucketRegion: v[8].(string),
			})
			if err != nil {
				return resolved{}, fmt.Errorf("VeleroIRSA %q: %w", name, err)
			}
			return r, nil
		})
	field := func(get func(resolved) string) pulumi.StringOutput {
		return plan.ApplyT(func(v interface{}) string { return get(v.(resolved)) }).(pulumi.StringOutput)
	}
	return plan, field
}

// newVeleroRelease installs the chart with the plan's values and the role.
func newVeleroRelease(ctx *pulumi.Context, name string, s settings, plan pulumi.Output, roleARN pulumi.StringOutput, opts ...pulumi.ResourceOption) (*kubebinding.Release, error) {
	values := pulumi.All(plan, roleARN).ApplyT(func(v []interface{}) map[string]interface{} {
		in := v[0].(resolved).values
		in.RoleARN = v[1].(string)
		return HelmValues(in)
	}).(pulumi.MapOutput)
	release, err := kubebinding.NewRelease(ctx, name+"-release", veleroReleaseArgs(s, values), opts...)
	if err != nil {
		return nil, fmt.Errorf("creating helm release: %w", err)
	}
	return release, nil
}

// veleroReleaseArgs are the Velero release's options: the pinned chart, its
// namespace (created if missing), cleanup on failure, a timeout that fits the
// CRD-upgrade hook, and a bounded history.
func veleroReleaseArgs(s settings, values pulumi.MapInput) kubebinding.ReleaseArgs {
	return kubebinding.ReleaseArgs{
		Chart:           pulumi.String("velero"),
		Version:         pulumi.StringPtr(s.chartVersion),
		RepositoryOpts:  kubebinding.RepositoryOptsArgs{Repo: pulumi.StringPtr(s.chartRepository)},
		Name:            pulumi.StringPtr(s.releaseName),
		Namespace:       pulumi.StringPtr(s.namespace),
		CreateNamespace: pulumi.BoolPtr(true),
		CleanupOnFail:   pulumi.BoolPtr(true),
		Timeout:         pulumi.IntPtr(s.timeout),
		MaxHistory:      pulumi.IntPtr(releaseMaxHistory),
		Values:          values,
	}
}

// setOutputs fills in the component's outputs and registers them, with
// "proofs", which fails the deploy when a proof in the state is not
// Completed (see proof.go).
func (c *VeleroIRSA) setOutputs(ctx *pulumi.Context, s settings, role *iam.Role, release *kubebinding.Release, field fieldFunc, proofs []proof) error {
	c.RoleArn = role.Arn
	c.RoleName = role.Name
	c.Namespace = pulumi.String(s.namespace).ToStringOutput()
	c.ServiceAccountName = pulumi.String(s.serviceAccount).ToStringOutput()
	c.BucketName = field(func(r resolved) string { return r.bucket })
	c.ReleaseName = release.Name.Elem()
	c.ReleaseStatus = release.Status.ApplyT(func(m map[string]interface{}) string {
		status, _ := m["status"].(string)
		return status
	}).(pulumi.StringOutput)
	return ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":            c.RoleArn,
		"roleName":           c.RoleName,
		"namespace":          c.Namespace,
		"serviceAccountName": c.ServiceAccountName,
		"bucketName":         c.BucketName,
		"releaseName":        c.ReleaseName,
		"releaseStatus":      c.ReleaseStatus,
		"proofs":             proofsOutput(proofs),
	})
}

// roleArgs builds the IAM role's inputs; documents and the default name come
// from the resolved plan.
func roleArgs(s settings, field fieldFunc) *iam.RoleArgs {
	a := &iam.RoleArgs{
		AssumeRolePolicy:   field(func(r resolved) string { return r.trustPolicy }),
		Description:        field(func(r resolved) string { return r.description }),
		Path:               pulumi.String(s.rolePath),
		MaxSessionDuration: pulumi.Int(s.maxSession),
	}
	switch {
	case s.roleName != "":
		a.Name = pulumi.String(s.roleName)
	case s.roleNamePrefix != "":
		a.NamePrefix = pulumi.String(s.roleNamePrefix)
	default:
		a.NamePrefix = field(func(r resolved) string { return r.roleNamePrefix })
	}
	if s.boundary != "" {
		a.PermissionsBoundary = pulumi.String(s.boundary)
	}
	a.Tags = toStringMap(s.tags)
	return a
}

// toStringMap is nil for no tags, so no empty tags input shows in previews.
func toStringMap(tags map[string]string) pulumi.StringMapInput {
	if len(tags) == 0 {
		return nil
	}
	return pulumi.ToStringMap(tags)
}

// missingRequired lists the required Input fields left nil; the OIDC fields
// are required in irsa mode only.
func missingRequired(a *VeleroIRSAArgs, mode string) []string {
	required := []struct {
		name string
		in   pulumi.StringInput
	}{
		{"ClusterName", a.ClusterName},
		{"OidcProviderArn", a.OidcProviderArn},
		{"OidcIssuerUrl", a.OidcIssuerUrl},
		{"BucketName", a.BucketName},
		{"Region", a.Region},
	}
	if mode == IdentityModePodIdentity {
		required = append(required[:1], required[3:]...)
	}
	var missing []string
	for _, f := range required {
		if f.in == nil {
			missing = append(missing, f.name)
		}
	}
	return missing
}

func optional(in pulumi.StringInput) pulumi.StringInput {
	if in == nil {
		return pulumi.String("")
	}
	return in
}
