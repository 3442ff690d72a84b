package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// Scenario is one named check of the rig.
type Scenario struct {
	Name, What string
	Run        func(ctx context.Context, e *Env) error
}

// upTimeout bounds one pulumi up or destroy.
const upTimeout = 10 * time.Minute

// clusterFor is the rig for one cluster of a stack.
func startRig(ctx context.Context, e *Env, name, account, region, cluster string) (*rig.Rig, error) {
	return startRigWithID(ctx, e, name, account, region, cluster, "")
}

// startRigWithID is startRig with a given OIDC ID ("" for a random one).
func startRigWithID(ctx context.Context, e *Env, name, account, region, cluster, oidcID string) (*rig.Rig, error) {
	return startRigWith(ctx, e, name, account, region, cluster, oidcID, 0)
}

// startRigPropagating is startRig with IAM changes invisible to STS and S3
// for e.IAMDelay (--iam-delay), as IAM's propagation makes them on AWS.
func startRigPropagating(ctx context.Context, e *Env, name, account, region, cluster string) (*rig.Rig, error) {
	return startRigWith(ctx, e, name, account, region, cluster, "", e.IAMDelay)
}

func startRigWith(ctx context.Context, e *Env, name, account, region, cluster, oidcID string, iamDelay time.Duration) (*rig.Rig, error) {
	return startRigIn(ctx, e, nil, name, account, region, cluster, oidcID, iamDelay)
}

// startRigIn is startRigWith in a world shared with other clusters (nil:
// one of its own).
func startRigIn(ctx context.Context, e *Env, world *rig.World, name, account, region, cluster, oidcID string, iamDelay time.Duration) (*rig.Rig, error) {
	if oidcID == "" {
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		oidcID = strings.ToUpper(hex.EncodeToString(id))
	}
	return rig.Start(ctx, rig.Config{
		Bin: e.Bin, Dir: filepath.Join(e.Work, name), Account: account, Region: region, ClusterName: cluster,
		OIDCID: oidcID, VeleroTag: e.VeleroTag, PluginTag: e.PluginTag, PodNet: filepath.Join(e.RigBin, "podnet"),
		IAMPropagation: iamDelay, World: world,
	})
}

// seedStack is a stack like the seed's: ap-northeast-2, IRSA with the
// cluster and its OIDC provider looked up by name, a bucket the stack
// creates with a prefix, a schedule, and the verification backup.
const seedStack = `# The seed's cluster, in the rig.
config:
  velero-irsa:clusterName: seed-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: velero-irsa-rig-seed-apne2
  velero-irsa:createBucket: true
  velero-irsa:backupPrefix: clusters/seed-apne2
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 120
  velero-irsa:schedules:
    daily:
      schedule: "0 3 * * *"
      ttl: 168h
`

// seed runs scenarios 1, 2, 3 and 7 on one cluster, in order: an up like
// the seed's, a preview with no changes, a restore, and a destroy.
func seed(ctx context.Context, e *Env, report func(name string, err error)) {
	r, err := startRig(ctx, e, "seed", "123456789012", "ap-northeast-2", "seed-apne2")
	if err != nil {
		for _, n := range []string{"seed", "no-change", "restore", "destroy"} {
			report(n, fmt.Errorf("starting the rig: %w", err))
		}
		return
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		report("seed", err)
		return
	}
	d, err := NewDeployment(e, r, "seed-apne2", seedStack)
	if err != nil {
		report("seed", err)
		return
	}
	var up string
	err = func() error {
		out, err := d.Run(ctx, "up", upTimeout)
		if err != nil {
			return err
		}
		up = out
		return d.checkSeed(out, "velero", "velero-server", "velero-irsa-rig-seed-apne2", "clusters/seed-apne2", true)
	}()
	report("seed", err)
	if err != nil {
		return
	}
	_, err = d.Run(ctx, "preview-no-changes", upTimeout)
	report("no-change", err)

	report("restore", d.restore(ctx))

	report("destroy", d.destroyKeepsBackups(ctx, up))
}

// restore restores the verification backup's ConfigMaps into another
// namespace and waits for Velero to complete it.
func (d *Deployment) restore(ctx context.Context) error {
	out, _ := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "jsonpath={.items[0].metadata.name}")
	backup := strings.TrimSpace(out)
	if backup == "" {
		return fmt.Errorf("no backup to restore from")
	}
	if _, err := d.show("velero restore create rig-restore --from-backup "+backup+" --include-resources configmaps --namespace-mappings velero:velero-restored -n velero", func() (string, error) {
		return d.velero("restore", "create", "rig-restore", "--from-backup", backup, "--include-resources", "configmaps", "--namespace-mappings", "velero:velero-restored", "-n", "velero")
	}); err != nil {
		return err
	}
	err := waitFor(ctx, 3*time.Minute, "restore rig-restore Completed", func() error {
		phase := d.jsonpath("restores.velero.io", "rig-restore", "velero", "{.status.phase}")
		switch phase {
		case "Completed":
			return nil
		case "Failed", "PartiallyFailed", "FailedValidation":
			return fmt.Errorf("restore %s", phase)
		}
		return fmt.Errorf("phase %q", phase)
	})
	_, _ = d.show("velero restore get -n velero", func() (string, error) { return d.velero("restore", "get", "-n", "velero") })
	if err != nil {
		return err
	}
	if _, err := d.kubectl("get", "namespace", "velero-restored"); err != nil {
		return fmt.Errorf("the restore created no namespace velero-restored: %v", err)
	}
	return nil
}

// destroyKeepsBackups destroys the stack and checks that the release and
// locations are gone while the bucket, its objects, the OIDC provider and
// the verification backup remain.
func (d *Deployment) destroyKeepsBackups(ctx context.Context, up string) error {
	before, err := d.Rig.S3.Objects("velero-irsa-rig-seed-apne2", "")
	if err != nil {
		return err
	}
	if _, err := d.Run(ctx, "destroy", upTimeout); err != nil {
		return err
	}
	if err := d.releaseGone(); err != nil {
		return err
	}
	after, err := d.Rig.S3.Objects("velero-irsa-rig-seed-apne2", "")
	if err != nil {
		return fmt.Errorf("the bucket is gone: %v", err)
	}
	if len(after) < len(before) || len(before) == 0 {
		return fmt.Errorf("the bucket held %d objects before the destroy and %d after", len(before), len(after))
	}
	if _, ok := d.Rig.Cloud.OpenIDConnectProviderByURL(d.Rig.Account, d.Rig.Issuer); !ok {
		return fmt.Errorf("the OIDC provider is gone")
	}
	if out, _ := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "name"); strings.TrimSpace(out) == "" {
		return fmt.Errorf("the verification backup is gone")
	}
	fmt.Fprintf(d.Env.Out, "    after destroy: bucket with %d objects, OIDC provider and verification backup kept; release and locations gone\n", len(after))
	return nil
}

// releaseGone checks, after a destroy, that Velero's Deployment and its
// backup locations are gone.
func (d *Deployment) releaseGone() error {
	if out, _ := d.kubectl("get", "deployment", "-n", "velero", "-o", "name"); strings.TrimSpace(out) != "" {
		return fmt.Errorf("Velero's Deployment is still there: %s", out)
	}
	if out, _ := d.kubectl("get", "backupstoragelocations.velero.io", "-n", "velero", "-o", "name"); strings.TrimSpace(out) != "" {
		return fmt.Errorf("backup locations are still there: %s", out)
	}
	return nil
}

// All lists the scenarios by name, in the order they run.
func All() []string {
	names := []string{"seed", "no-change", "restore", "destroy"}
	for _, c := range brokenCases {
		names = append(names, c.name)
	}
	return append(names, "identity-change", "pod-identity", "restore-drill", "refresh-after-failure", "interrupted", "destroy-namespace", "iam-delay", "alerts",
		"vault", "stolen-role", "region-loss",
		"any-stack", "other-languages", "adopt-helm", "adopt-cli", "adopt-argocd")
}

// Run runs the selected scenarios (all when none), parallel groups at a
// time (see runGroups), and returns each one's result.
func Run(ctx context.Context, e *Env, selected map[string]bool, parallel int) []Result {
	groups, results := groupsOf(e, selected)
	if e.Keep {
		// A kept rig waits for an interrupt: one at a time, its lines live.
		parallel = 1
	}
	return append(results, runGroups(ctx, e, groups, parallel, time.Minute)...)
}

// single is a group of one scenario.
func single(name string, cost time.Duration, run func(ctx context.Context, e *Env) error) group {
	return group{names: []string{name}, cost: cost, run: func(ctx context.Context, e *Env, report func(string, error)) {
		report(name, run(ctx, e))
	}}
}

// groupsOf returns the groups of the selected scenarios (all when none), and
// the results of those that failed before running (a repository whose
// stack files cannot be read). The costs are each group's wall time in a
// warm run of one group at a time on 2 cores (e2e/run --parallel 1); a
// new group's first guess can be its time alone.
func groupsOf(e *Env, selected map[string]bool) ([]group, []Result) {
	if e.StackFile != "" {
		// --stack-file runs that stack's checks only.
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(e.StackFile), "Pulumi."), ".yaml")
		return []group{single("stack-file", 0, func(ctx context.Context, e *Env) error { return anyStack(ctx, e, name, e.StackFile) })}, nil
	}
	want := func(names ...string) bool {
		if len(selected) == 0 {
			return true
		}
		for _, n := range names {
			if selected[n] {
				return true
			}
		}
		return false
	}
	var groups []group
	var failed []Result
	// shared is a group of scenarios that run on one rig, in order; only
	// the wanted ones are run and reported.
	shared := func(all []string, cost time.Duration, run func(ctx context.Context, e *Env, report func(string, error))) {
		var names []string
		for _, n := range all {
			if want(n) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return
		}
		groups = append(groups, group{names: names, cost: cost, run: func(ctx context.Context, e *Env, report func(string, error)) {
			run(ctx, e, func(name string, err error) {
				if want(name) {
					report(name, err)
				}
			})
		}})
	}
	shared([]string{"seed", "no-change", "restore", "destroy"}, 35*time.Second, seed)
	for _, c := range brokenCases {
		if want(c.name) {
			groups = append(groups, single(c.name, 78*time.Second, func(ctx context.Context, e *Env) error { return broken(ctx, e, c) }))
		}
	}
	// One world of four stacks and three clusters, in order: the vault and
	// its writers, a stolen role's deletes, then the loss of the region.
	shared([]string{"vault", "stolen-role", "region-loss"}, 300*time.Second, vaultScenarios)
	// One rig: the destroy follows the interrupted stack's passing up.
	shared([]string{"interrupted", "destroy-namespace"}, 50*time.Second, interrupted)
	for _, s := range []struct {
		name string
		cost time.Duration
		run  func(context.Context, *Env) error
	}{
		{"identity-change", 110 * time.Second, identityChange},
		{"pod-identity", 20 * time.Second, podIdentity},
		{"restore-drill", 92 * time.Second, restoreDrill},
		{"refresh-after-failure", 150 * time.Second, refreshAfterFailure},
		{"iam-delay", 35 * time.Second, iamDelay},
		{"alerts", 40 * time.Second, alerts},
		{"other-languages", 37 * time.Second, otherLanguages},
		{"adopt-helm", 150 * time.Second, adoptHelm},
		{"adopt-cli", 157 * time.Second, adoptCLI},
		{"adopt-argocd", 148 * time.Second, adoptArgoCD},
	} {
		if want(s.name) {
			groups = append(groups, single(s.name, s.cost, s.run))
		}
	}
	if want("any-stack") {
		files, err := StackFiles(e.Repo)
		if err != nil {
			failed = append(failed, Result{Name: "any-stack", Err: err})
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			groups = append(groups, single("any-stack "+n, 20*time.Second, func(ctx context.Context, e *Env) error { return anyStack(ctx, e, n, files[n]) }))
		}
	}
	return groups, failed
}

// brokenStack is the seed's stack on a bucket the user made, with a short
// location timeout: what a broken wiring fails within.
const brokenStack = `# A broken wiring, in the rig.
config:
  velero-irsa:clusterName: broken-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: velero-irsa-rig-broken
  velero-irsa:backupPrefix: clusters/broken-apne2
  velero-irsa:backupLocationTimeoutSeconds: 60
`

// brokenCase breaks one piece of the wiring before the first up and fixes
// it before the second.
type brokenCase struct {
	name, reason string // scenario name; what `pulumi up` must print
	breakIt      func(d *Deployment) error
	fixIt        func(d *Deployment) error
}

var brokenCases = []brokenCase{
	{
		name: "broken-trust", reason: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
		breakIt: func(d *Deployment) error {
			// Another cluster's OIDC provider, as a copy-paste from the wrong
			// stack would give.
			if err := d.Rig.CreateBucket("velero-irsa-rig-broken", d.Rig.Region); err != nil {
				return err
			}
			other := "https://oidc.eks.ap-northeast-2.amazonaws.com/id/0THERC1USTER0000000000000000000"
			p, err := d.Rig.Cloud.CreateOpenIDConnectProvider(d.Rig.Partition, d.Rig.Account, other, []string{"sts.amazonaws.com"}, nil, nil)
			if err != nil {
				return err
			}
			if err := d.SetConfig("oidcProviderArn", p.ARN); err != nil {
				return err
			}
			return d.SetConfig("oidcIssuerUrl", other)
		},
		fixIt: func(d *Deployment) error {
			return d.WriteStack(strings.Join(dropLines(d.StackFile(), "velero-irsa:oidcProviderArn", "velero-irsa:oidcIssuerUrl"), "\n"))
		},
	},
	{
		name: "broken-bucket", reason: "NoSuchBucket",
		breakIt: func(d *Deployment) error { return nil },
		fixIt:   func(d *Deployment) error { return d.Rig.CreateBucket("velero-irsa-rig-broken", d.Rig.Region) },
	},
	{
		name: "broken-bucket-policy", reason: "explicit deny in a resource-based policy",
		breakIt: func(d *Deployment) error {
			if err := d.Rig.CreateBucket("velero-irsa-rig-broken", d.Rig.Region); err != nil {
				return err
			}
			deny := `{"Version":"2012-10-17","Statement":[` +
				`{"Sid":"NoClusterObjects","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::velero-irsa-rig-broken/clusters/broken-apne2/*"},` +
				`{"Sid":"NoClusterListing","Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::velero-irsa-rig-broken","Condition":{"StringLike":{"s3:prefix":"clusters/broken-apne2*"}}}]}`
			return d.Rig.Cloud.UpdateBucket("velero-irsa-rig-broken", func(b *awsfake.Bucket) { b.Policy = deny })
		},
		fixIt: func(d *Deployment) error {
			return d.Rig.Cloud.UpdateBucket("velero-irsa-rig-broken", func(b *awsfake.Bucket) { b.Policy = "" })
		},
	},
	{
		name: "broken-region", reason: "AuthorizationHeaderMalformed",
		breakIt: func(d *Deployment) error { return d.Rig.CreateBucket("velero-irsa-rig-broken", "us-west-2") },
		fixIt: func(d *Deployment) error {
			if err := d.Rig.DeleteBucket("velero-irsa-rig-broken"); err != nil {
				return err
			}
			return d.Rig.CreateBucket("velero-irsa-rig-broken", d.Rig.Region)
		},
	},
}

func dropLines(file string, prefixes ...string) []string {
	var out []string
	for _, line := range strings.Split(file, "\n") {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(strings.TrimSpace(line), p+":") {
				keep = false
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return out
}

// broken runs one broken-wiring case: the first up must fail within the
// location timeout with Velero's reason in its output, and an up after the
// fix must succeed. IAM's propagation is modelled (--iam-delay): the first
// validations are refused for it, and the reason must still be the
// broken wiring's.
func broken(ctx context.Context, e *Env, c brokenCase) error {
	r, err := startRigPropagating(ctx, e, c.name, "123456789012", "ap-northeast-2", "broken-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "broken-apne2", brokenStack)
	if err != nil {
		return err
	}
	if err := c.breakIt(d); err != nil {
		return err
	}
	start := time.Now()
	out, err := d.Run(ctx, "up", upTimeout)
	took := time.Since(start)
	if err == nil {
		return fmt.Errorf("pulumi up succeeded with the wiring broken")
	}
	if !strings.Contains(out, c.reason) {
		return fmt.Errorf("pulumi up failed without Velero's reason %q in its output", c.reason)
	}
	// The release and role come first; the wait itself is bounded by the
	// location timeout (60 s here).
	if took > 5*time.Minute {
		return fmt.Errorf("the failing up took %s", took.Round(time.Second))
	}
	fmt.Fprintf(e.Out, "    the broken up failed after %s with %q in its output\n", took.Round(time.Second), c.reason)
	if err := c.fixIt(d); err != nil {
		return err
	}
	d.refusalsExpected = true
	out, err = d.Run(ctx, "up", upTimeout)
	if err != nil {
		return fmt.Errorf("the up after the fix failed: %v", err)
	}
	return d.checkSeed(out, "velero", "velero-server", "", "", false)
}

// identityStack is a stack on a bucket the user made, with the
// verification backup, for the identity-change scenario. Its timeout is the
// shortest the program takes: a failed verification backup holds the up
// until the timeout (the provider's waitFor knows no failure state), and
// the scenario tests that it fails and is replaced, not how long it waits.
const identityStack = `# Identity changes, in the rig.
config:
  velero-irsa:clusterName: ident-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: velero-irsa-rig-ident
  velero-irsa:backupPrefix: clusters/ident-apne2
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 60
`

// identityChange is scenario 5: a change that replaces the role (rolePath)
// restarts Velero's pods, re-creates the locations and they are validated
// with the new role; then a verification backup that fails (a bucket
// policy denies writes, listing stays allowed) fails the up, and the next
// up after the fix replaces it with one that completes.
func identityChange(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "identity-change", "123456789012", "ap-northeast-2", "ident-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	const bucket = "velero-irsa-rig-ident"
	if err := r.CreateBucket(bucket, r.Region); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "ident-apne2", identityStack)
	if err != nil {
		return err
	}
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	first := outputs(out)["roleArn"]
	pods1, _ := d.kubectl("get", "pods", "-n", "velero", "-l", "name=velero", "-o", "jsonpath={.items[*].metadata.uid}")
	bsl1, _ := d.kubectl("get", "backupstoragelocations.velero.io", "default", "-n", "velero", "-o", "jsonpath={.metadata.uid}")

	if err := d.SetConfig("rolePath", "/velero/"); err != nil {
		return err
	}
	out, err = d.Run(ctx, "up", upTimeout)
	if err != nil {
		return fmt.Errorf("the up that moves the role: %v", err)
	}
	second := outputs(out)["roleArn"]
	if second == first || !strings.Contains(second, ":role/velero/") {
		return fmt.Errorf("rolePath /velero/ gave role %s (was %s)", second, first)
	}
	pods2, _ := d.kubectl("get", "pods", "-n", "velero", "-l", "name=velero", "-o", "jsonpath={.items[*].metadata.uid}")
	if strings.TrimSpace(pods2) == "" || pods2 == pods1 {
		return fmt.Errorf("Velero's pod was not replaced (%q, then %q)", pods1, pods2)
	}
	bsl2, _ := d.kubectl("get", "backupstoragelocations.velero.io", "default", "-n", "velero", "-o", "jsonpath={.metadata.uid}")
	if bsl2 == bsl1 {
		return fmt.Errorf("the location was not re-created for the new role")
	}
	sawNew := false
	for _, c := range r.Cloud.Calls() {
		if c.RoleARN == second && c.Allowed {
			sawNew = true
		}
	}
	if !sawNew {
		return fmt.Errorf("STS saw no call for the new role %s", second)
	}
	fmt.Fprintf(e.Out, "    role %s replaced by %s; pod and location re-created; STS saw the new role\n", first, second)

	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/clusters/ident-apne2/*"}]}`
	if err := r.Cloud.UpdateBucket(bucket, func(b *awsfake.Bucket) { b.Policy = deny }); err != nil {
		return err
	}
	// A change of the wiring takes a new verification backup: object
	// tags change the location and the permission policy.
	if err := d.SetConfig("backupObjectTags", "{team: rig, cluster: ident-apne2}"); err != nil {
		return err
	}
	if _, err := d.Run(ctx, "up", upTimeout); err == nil {
		return fmt.Errorf("the up succeeded while the bucket policy denies Velero's writes")
	}
	failed, _ := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}")
	if !strings.Contains(failed, "=Failed") && !strings.Contains(failed, "=PartiallyFailed") {
		return fmt.Errorf("no verification backup failed: %s", failed)
	}
	if err := r.Cloud.UpdateBucket(bucket, func(b *awsfake.Bucket) { b.Policy = "" }); err != nil {
		return err
	}
	if _, err := d.Run(ctx, "up", upTimeout); err != nil {
		return fmt.Errorf("the up after the fix did not replace the failed verification backup: %v", err)
	}
	after, _ := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}")
	if !strings.Contains(after, "=Completed") {
		return fmt.Errorf("no verification backup completed after the fix: %s", after)
	}
	fmt.Fprintf(e.Out, "    backups: %s\n", after)
	return nil
}

// podIdentityStack is a stack like dev-aps1's: EKS Pod Identity.
const podIdentityStack = `# EKS Pod Identity, in the rig.
config:
  velero-irsa:clusterName: pod-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: velero-irsa-rig-pod
  velero-irsa:backupPrefix: clusters/pod-apne2
  velero-irsa:identityMode: podIdentity
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 120
`

// podIdentityCallsOnly requires every credential call the rig saw to be
// the pod identity agent's.
func podIdentityCallsOnly(r *rig.Rig) error {
	for _, c := range r.Cloud.Calls() {
		if c.Action != "AssumeRoleForPodIdentity" {
			return fmt.Errorf("a call other than a pod identity one: %+v", c)
		}
	}
	return nil
}

// podIdentity is scenario 6: the location becomes Available through the
// pod identity agent, and an association of another namespace with the
// same role is refused by the trust.
func podIdentity(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "pod-identity", "123456789012", "ap-northeast-2", "pod-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.CreateBucket("velero-irsa-rig-pod", r.Region); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "pod-apne2", podIdentityStack)
	if err != nil {
		return err
	}
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	role := outputs(out)["roleArn"]
	if err := d.checkDeployed(out, "velero", "velero-server", "velero-irsa-rig-pod", "clusters/pod-apne2", true, false); err != nil {
		return err
	}
	if err := podIdentityCallsOnly(r); err != nil {
		return err
	}
	// Another namespace's ServiceAccount, associated with the same role.
	if _, err := d.kubectl("create", "namespace", "intruder"); err != nil {
		return err
	}
	if _, err := d.kubectl("create", "serviceaccount", "velero-server", "-n", "intruder"); err != nil {
		return err
	}
	if _, err := r.Cloud.CreatePodIdentityAssociation(awsfake.PodIdentityAssociation{Cluster: "pod-apne2", Namespace: "intruder", ServiceAccount: "velero-server", RoleARN: role}); err != nil {
		return err
	}
	token, err := d.kubectl("create", "token", "velero-server", "-n", "intruder", "--audience", "pods.eks.amazonaws.com")
	if err != nil {
		return err
	}
	_, err = r.Cloud.AssumeRoleForPodIdentity("pod-apne2", strings.TrimSpace(token), r.Keys)
	if err == nil || !strings.Contains(err.Error(), "the trust policy does not allow") {
		return fmt.Errorf("an association for namespace intruder got the role's credentials (err %v)", err)
	}
	fmt.Fprintf(e.Out, "    intruder/velero-server refused: %v\n", err)
	return nil
}
