package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NewVeleroIRSA creates the IAM role (trusting only Velero's ServiceAccount),
// its least-privilege inline policy, and the Velero Helm release wired to use
// it. Children are named "<name>-role", "<name>-policy" and "<name>-release"
// and are parented to the component, so providers passed with
// pulumi.Providers reach all of them.
//
// Plain fields of args are validated before anything is registered; Input
// fields are validated as soon as they are known, and an invalid one
// registers no child resource.
func NewVeleroIRSA(ctx *pulumi.Context, name string, args *VeleroIRSAArgs, opts ...pulumi.ResourceOption) (*VeleroIRSA, error) {
	if args == nil {
		return nil, fmt.Errorf("VeleroIRSA %q: args are nil: set ClusterName, OidcProviderArn, OidcIssuerUrl, BucketName and Region", name)
	}
	if missing := missingRequired(args, or(args.IdentityMode, IdentityModeIRSA)); len(missing) > 0 {
		return nil, fmt.Errorf("VeleroIRSA %q: %s not set: these inputs are required", name, strings.Join(missing, ", "))
	}
	s, err := newSettings(args)
	if err != nil {
		return nil, fmt.Errorf("VeleroIRSA %q: %w", name, err)
	}

	c := &VeleroIRSA{}
	if err := ctx.RegisterComponentResource(VeleroIRSAType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering VeleroIRSA %q: %w", name, err)
	}
	parent := pulumi.Parent(c)

	// In pod identity mode the account comes from the AWS provider's
	// credentials, the account the role is created in.
	account := pulumi.String("").ToStringOutput()
	if s.mode == IdentityModePodIdentity {
		account = aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent).AccountId()
	}
	plan := pulumi.All(args.ClusterName, optional(args.OidcProviderArn), optional(args.OidcIssuerUrl), args.BucketName,
		args.Region, optional(args.BucketKmsKeyArn), optional(args.EbsKmsKeyArn), account).
		ApplyT(func(v []interface{}) (resolved, error) {
			r, err := resolve(s, inputs{
				cluster: v[0].(string), providerARN: v[1].(string), issuerURL: v[2].(string),
				bucket: v[3].(string), region: v[4].(string), bucketKey: v[5].(string), ebsKey: v[6].(string),
				account: v[7].(string),
			})
			if err != nil {
				return resolved{}, fmt.Errorf("VeleroIRSA %q: %w", name, err)
			}
			return r, nil
		})
	field := func(get func(resolved) string) pulumi.StringOutput {
		return plan.ApplyT(func(v interface{}) string { return get(v.(resolved)) }).(pulumi.StringOutput)
	}

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

	values := pulumi.All(plan, role.Arn).ApplyT(func(v []interface{}) map[string]interface{} {
		in := v[0].(resolved).values
		in.RoleARN = v[1].(string)
		return HelmValues(in)
	}).(pulumi.MapOutput)
	release, err := newHelmRelease(ctx, name+"-release", helmReleaseArgs{
		Chart:           pulumi.String("velero"),
		Version:         pulumi.StringPtr(s.chartVersion),
		RepositoryOpts:  helmRepositoryOptsArgs{Repo: pulumi.StringPtr(s.chartRepository)},
		Name:            pulumi.StringPtr(s.releaseName),
		Namespace:       pulumi.StringPtr(s.namespace),
		CreateNamespace: pulumi.BoolPtr(true),
		CleanupOnFail:   pulumi.BoolPtr(true),
		Timeout:         pulumi.IntPtr(s.timeout),
		MaxHistory:      pulumi.IntPtr(releaseMaxHistory),
		Values:          values,
	}, parent, pulumi.DependsOn(dependsOn))
	if err != nil {
		return nil, fmt.Errorf("creating helm release: %w", err)
	}

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
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":            c.RoleArn,
		"roleName":           c.RoleName,
		"namespace":          c.Namespace,
		"serviceAccountName": c.ServiceAccountName,
		"bucketName":         c.BucketName,
		"releaseName":        c.ReleaseName,
		"releaseStatus":      c.ReleaseStatus,
	}); err != nil {
		return nil, fmt.Errorf("registering VeleroIRSA %q outputs: %w", name, err)
	}
	return c, nil
}

// roleArgs builds the IAM role's inputs; documents and the default name come
// from the resolved plan.
func roleArgs(s settings, field func(func(resolved) string) pulumi.StringOutput) *iam.RoleArgs {
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
