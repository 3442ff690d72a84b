package scenario

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// The deploy gate under the sequences a user runs besides a plain up: a
// refresh after a failed proof, an up killed during a wait, and removing
// Velero's namespace after a destroy.

// gateBucket and gatePrefix are the storage of the refresh-after-failure
// stack: a bucket the user made.
const (
	gateBucket = "velero-irsa-rig-gate"
	gatePrefix = "clusters/gate-apne2"
)

// gateStack has the verification backup and the restore drill, with the
// shortest location timeout the program takes: each failing proof holds
// an up until it runs out.
const gateStack = `# A failed proof, refreshed, in the rig.
config:
  velero-irsa:clusterName: gate-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: ` + gateBucket + `
  velero-irsa:backupPrefix: ` + gatePrefix + `
  velero-irsa:verifyBackup: true
  velero-irsa:verifyRestore: true
  velero-irsa:backupLocationTimeoutSeconds: 60
`

// replaceURN finds the URN that the component's refusal of a failed
// proof names for `pulumi up --replace`.
var replaceURN = regexp.MustCompile("pulumi up --replace '([^']+)'")

// refusedOnProof checks that an up failed on the gate's refusal of the
// failed proof what (e.g. "the verification backup"), without creating a
// Backup or Restore, and returns the URN the refusal says to replace.
func (d *Deployment) refusedOnProof(ctx context.Context, what string) (string, error) {
	before := d.proofObjects()
	out, err := d.Run(ctx, "up", upTimeout)
	if err == nil {
		return "", fmt.Errorf("pulumi up succeeded on a refreshed %s that failed", what)
	}
	want := what + " velero/"
	if !strings.Contains(out, want) || !strings.Contains(out, "in this stack's state, not Completed") {
		return "", fmt.Errorf("pulumi up failed without naming %s (%q ... \"in this stack's state, not Completed\")", what, want)
	}
	m := replaceURN.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("the refusal of %s names no `pulumi up --replace` URN", what)
	}
	if after := d.proofObjects(); after != before {
		return "", fmt.Errorf("the refused up created proofs: before %q, after %q", before, after)
	}
	return m[1], nil
}

// proofObjects lists the Backups and Restores in Velero's namespace, with
// their phases.
func (d *Deployment) proofObjects() string {
	out, _ := d.kubectl("get", "backups.velero.io,restores.velero.io", "-n", "velero", "--sort-by=.metadata.creationTimestamp",
		"-o", `jsonpath={range .items[*]}{.kind}/{.metadata.name}={.status.phase} {end}`)
	return strings.TrimSpace(out)
}

// refreshAfterFailure is the refresh-after-failure scenario: a verification
// backup that fails (a bucket policy denies Velero's writes), then
// `pulumi refresh`, then `pulumi preview` and `pulumi up`: both fail naming
// the backup, and the up keeps failing after the fix until the replace it
// names runs a new one;
// the same for a drill that fails (a bucket policy denies reading backup
// archives); then a preview shows no changes.
func refreshAfterFailure(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "refresh-after-failure", "123456789012", "ap-northeast-2", "gate-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	if err := r.CreateBucket(gateBucket, r.Region); err != nil {
		return err
	}
	policy := func(p string) error {
		return r.Cloud.UpdateBucket(gateBucket, func(b *awsfake.Bucket) { b.Policy = p })
	}
	noWrites := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + gateBucket + `/` + gatePrefix + `/*"}]}`
	noArchiveReads := `{"Version":"2012-10-17","Statement":[{"Sid":"NoArchiveReads","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + gateBucket + `/` + gatePrefix + `/backups/*.tar.gz"}]}`
	if err := policy(noWrites); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "gate-apne2", gateStack)
	if err != nil {
		return err
	}
	d.refusalsExpected = true

	// 1. The verification backup fails; a refresh takes it in as it is.
	if _, err := d.Run(ctx, "up", upTimeout); err == nil {
		return fmt.Errorf("pulumi up succeeded while the bucket policy denies Velero's writes")
	}
	if _, err := d.Run(ctx, "refresh", upTimeout); err != nil {
		return err
	}
	// A preview (a pull request's check) says so too.
	if out, err := d.Run(ctx, "preview", upTimeout); err == nil || !strings.Contains(out, "in this stack's state, not Completed") {
		return fmt.Errorf("the preview after the refresh did not fail on the failed verification backup (err %v)", err)
	}
	urn, err := d.refusedOnProof(ctx, "the verification backup")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "    after refresh, up refused on the failed verification backup: %s\n", d.proofObjects())
	// Fixing the cause alone does not make the old Failed backup a proof.
	if err := policy(noArchiveReads); err != nil {
		return err
	}
	if _, err := d.refusedOnProof(ctx, "the verification backup"); err != nil {
		return fmt.Errorf("after the fix, without a new verification: %v", err)
	}

	// 2. The replace runs a new backup, which completes; its drill fails
	// (archive reads denied); a refresh takes the drill in as it is.
	if _, err := d.RunWith(ctx, "up", upTimeout, RunOptions{Replace: []string{urn}}); err == nil {
		return fmt.Errorf("pulumi up succeeded while the bucket policy denies reading backup archives")
	}
	if _, err := d.Run(ctx, "refresh", upTimeout); err != nil {
		return err
	}
	urn, err = d.refusedOnProof(ctx, "the restore drill")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "    after refresh, up refused on the failed drill: %s\n", d.proofObjects())

	// 3. Fixed, the replace of the drill passes, and then nothing changes.
	if err := policy(""); err != nil {
		return err
	}
	out, err := d.RunWith(ctx, "up", upTimeout, RunOptions{Replace: []string{urn}})
	if err != nil {
		return fmt.Errorf("the replace of the drill after the fix failed: %v", err)
	}
	if err := d.checkSeed(out, "velero", "velero-server", gateBucket, gatePrefix, true); err != nil {
		return err
	}
	list, err := d.drills()
	if err != nil {
		return err
	}
	if len(list) != 1 || list[0].phase != "Completed" || list[0].items != "1" {
		return fmt.Errorf("Restores after the passing drill: %+v, want one, Completed with 1 item (the failed one deleted once replaced)", list)
	}
	proofs := d.proofObjects()
	if _, err := d.Run(ctx, "preview-no-changes", upTimeout); err != nil {
		return fmt.Errorf("a preview after the passing proof shows changes: %v", err)
	}
	if _, err := d.Run(ctx, "up", upTimeout); err != nil {
		return fmt.Errorf("an up with nothing changed failed: %v", err)
	}
	if again := d.proofObjects(); again != proofs {
		return fmt.Errorf("an up with nothing changed made proofs: %q, was %q", again, proofs)
	}
	fmt.Fprintf(e.Out, "    passing: %s; an up with nothing changed made none\n", proofs)
	return nil
}

// interruptedStack is the seed's stack with the drill, on a bucket that
// does not exist yet, so the up waits on the location until the bucket
// comes (as it waits on IAM's propagation on AWS).
const interruptedStack = `# An interrupted up, in the rig.
config:
  velero-irsa:clusterName: intr-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: velero-irsa-rig-intr
  velero-irsa:backupPrefix: clusters/intr-apne2
  velero-irsa:verifyBackup: true
  velero-irsa:verifyRestore: true
  velero-irsa:backupLocationTimeoutSeconds: 120
`

// interrupted is the interrupted scenario: an up killed (its program and
// CLI) while it waits for the location; the next up is refused for the
// lock the killed one left, `pulumi cancel` removes it, and an up again
// succeeds and proves; and, reported as destroy-namespace, a destroy after
// which Velero's namespace is deleted within a minute and the bucket
// still holds every backup.
func interrupted(ctx context.Context, e *Env, report func(string, error)) {
	r, err := startRig(ctx, e, "interrupted", "123456789012", "ap-northeast-2", "intr-apne2")
	if err != nil {
		report("interrupted", err)
		report("destroy-namespace", err)
		return
	}
	defer e.done(ctx, r)
	d, err := interruptedUp(ctx, e, r)
	report("interrupted", err)
	if err != nil {
		report("destroy-namespace", fmt.Errorf("not run: the interrupted scenario failed"))
		return
	}
	report("destroy-namespace", d.destroyThenNamespace(ctx, "velero-irsa-rig-intr", "clusters/intr-apne2"))
}

func interruptedUp(ctx context.Context, e *Env, r *rig.Rig) (*Deployment, error) {
	if err := r.AssociateOIDCProvider(); err != nil {
		return nil, err
	}
	d, err := NewDeployment(e, r, "intr-apne2", interruptedStack)
	if err != nil {
		return nil, err
	}
	d.refusalsExpected = true
	location := func() string {
		return d.jsonpath("backupstoragelocations.velero.io", "default", "velero", "{.status.phase}")
	}
	_, err = d.RunWith(ctx, "up", upTimeout, RunOptions{KillWhen: func() bool { return location() == "Unavailable" }})
	if err == nil {
		return nil, fmt.Errorf("the up finished before it could be killed during the location wait")
	}
	if phase := location(); phase != "Unavailable" {
		return nil, fmt.Errorf("the up was killed, but the location is %q, not Unavailable: not during its wait", phase)
	}
	// The killed update still holds the stack's lock (a self-managed
	// backend keeps it in the state directory): the next up is refused
	// until `pulumi cancel` removes it.
	out, err := d.Run(ctx, "up", upTimeout)
	if err == nil || !strings.Contains(out, "the stack is currently locked") {
		return nil, fmt.Errorf("the up right after the killed one was not refused for the killed one's lock (err %v)", err)
	}
	if _, err := d.Run(ctx, "cancel", upTimeout); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.Out, "    killed during the location wait; the lock it left removed by pulumi cancel; creating the bucket\n")
	if err := r.CreateBucket("velero-irsa-rig-intr", r.Region); err != nil {
		return nil, err
	}
	out, err = d.Run(ctx, "up", upTimeout)
	if err != nil {
		return nil, fmt.Errorf("the up after the interrupted one failed: %v", err)
	}
	if err := d.checkSeed(out, "velero", "velero-server", "velero-irsa-rig-intr", "clusters/intr-apne2", true); err != nil {
		return nil, err
	}
	if err := d.checkDrill("velero-irsa-rig-intr", "clusters/intr-apne2"); err != nil {
		return nil, err
	}
	return d, nil
}

// destroyThenNamespace destroys the stack, then deletes Velero's namespace
// as a user removing Velero would: the deletion must finish within a
// minute (nothing the stack made holds it), and every object under the
// prefix's backups/ must still be in the bucket.
func (d *Deployment) destroyThenNamespace(ctx context.Context, bucket, prefix string) error {
	before, err := d.Rig.S3.Objects(bucket, prefix+"/backups/")
	if err != nil {
		return err
	}
	if len(before) == 0 {
		return fmt.Errorf("no backup in s3://%s/%s/backups/ before the destroy", bucket, prefix)
	}
	if _, err := d.Run(ctx, "destroy", upTimeout); err != nil {
		return err
	}
	if err := d.releaseGone(); err != nil {
		return err
	}
	start := time.Now()
	_, err = d.show("kubectl delete namespace velero --timeout=60s", func() (string, error) {
		return d.kubectl("delete", "namespace", "velero", "--timeout=60s")
	})
	if err != nil {
		left, _ := d.kubectl("get", "restores.velero.io,backups.velero.io", "-n", "velero", "-o", `jsonpath={range .items[*]}{.kind}/{.metadata.name} finalizers={.metadata.finalizers}{"\n"}{end}`)
		return fmt.Errorf("namespace velero not deleted within a minute after the destroy: %v; left in it:\n%s", err, left)
	}
	took := time.Since(start)
	after, err := d.Rig.S3.Objects(bucket, prefix+"/backups/")
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, o := range after {
		kept[o] = true
	}
	for _, o := range before {
		if !kept[o] {
			return fmt.Errorf("s3://%s/%s is gone after the destroy and the namespace's deletion", bucket, o)
		}
	}
	fmt.Fprintf(d.Env.Out, "    namespace velero deleted %s after the destroy; the bucket keeps all %d backup objects\n", took.Round(time.Second), len(before))
	return nil
}
