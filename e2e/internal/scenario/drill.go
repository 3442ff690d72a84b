package scenario

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// drillBucket, drillPrefix and drillKey are the restore drill's storage:
// a bucket the user made, whose location encrypts with a KMS key.
const (
	drillBucket = "velero-irsa-rig-drill"
	drillPrefix = "clusters/drill-apne2"
	drillKey    = "arn:aws:kms:ap-northeast-2:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// drillStack is a stack with the verification backup and the restore
// drill on a bucket encrypted with drillKey.
const drillStack = `# The restore drill, in the rig.
config:
  velero-irsa:clusterName: drill-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:bucketName: ` + drillBucket + `
  velero-irsa:backupPrefix: ` + drillPrefix + `
  velero-irsa:bucketKmsKeyArn: ` + drillKey + `
  velero-irsa:verifyBackup: true
  velero-irsa:verifyRestore: true
  velero-irsa:backupLocationTimeoutSeconds: 60
`

// drillReason is what the failing up must print: Velero's failureReason
// for a backup it could not download, and S3's refusal.
var drillReason = []string{"error downloading backup", "GetObject", "explicit deny in a resource-based policy"}

// archiveDeny is a bucket policy that denies reading the backups'
// archives, and nothing else: what only a restore reads. (A key policy
// that denies kms:Decrypt, or a deny of s3:GetObject on the whole prefix,
// already fails the verification backup: Velero's backup finalizer reads
// back each backup's item-operations file, and a backup starts with a
// HeadObject of its metadata; pkg/controller/backup_finalizer_controller.go
// and backup_controller.go, Velero 1.18.3.)
const archiveDeny = `{"Version":"2012-10-17","Statement":[{"Sid":"NoArchiveReads","Effect":"Deny","Principal":"*",` +
	`"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + drillBucket + `/` + drillPrefix + `/backups/*.tar.gz"}]}`

// restoreDrill is the restore drill's scenario: with a bucket policy that
// denies reading backup archives, the verification backup completes and
// the drill fails the up with Velero's reason; after the policy is fixed
// the next up replaces the failed drill with one that restores exactly
// the canary (and deletes the failed one); a preview then shows no
// changes, and a destroy removes the canary, the scratch namespace and
// the drill, and keeps the verification backups. The bucket's objects are SSE-KMS encrypted, so
// the passing drill also proves kms:Decrypt.
func restoreDrill(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "restore-drill", "123456789012", "ap-northeast-2", "drill-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	if err := r.CreateBucket(drillBucket, r.Region); err != nil {
		return err
	}
	r.Cloud.CreateKey(awsfake.Key{ARN: drillKey, Region: r.Region, Account: r.Account})
	if err := r.Cloud.UpdateBucket(drillBucket, func(b *awsfake.Bucket) { b.Policy = archiveDeny }); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "drill-apne2", drillStack)
	if err != nil {
		return err
	}

	start := time.Now()
	out, err := d.Run(ctx, "up", upTimeout)
	took := time.Since(start)
	if err == nil {
		return fmt.Errorf("pulumi up succeeded although the role cannot read its backups")
	}
	for _, want := range drillReason {
		if !strings.Contains(out, want) {
			return fmt.Errorf("pulumi up failed without %q (Velero's reason) in its output", want)
		}
	}
	if !strings.Contains(out, "velero-drill") {
		return fmt.Errorf("pulumi up failed, but not on the restore drill")
	}
	backups, _ := d.show("kubectl get backups -n velero -l velero-irsa/wiring", func() (string, error) {
		return d.kubectl("get", "backups.velero.io", "-n", "velero", "-l", "velero-irsa/wiring",
			"-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase")
	})
	if !strings.Contains(backups, "Completed") {
		return fmt.Errorf("the verification backup did not complete; the drill must be what fails")
	}
	if _, err := d.drills(); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "    the up with archive reads denied failed on the drill after %s, the backup Completed\n", took.Round(time.Second))

	if err := r.Cloud.UpdateBucket(drillBucket, func(b *awsfake.Bucket) { b.Policy = "" }); err != nil {
		return err
	}
	out, err = d.Run(ctx, "up", upTimeout)
	if err != nil {
		return fmt.Errorf("the up after the fix failed: %v", err)
	}
	if err := d.checkSeed(out, "velero", "velero-server", drillBucket, drillPrefix, true); err != nil {
		return err
	}
	if err := d.checkDrill(drillBucket, drillPrefix); err != nil {
		return err
	}
	if _, err := d.Run(ctx, "preview-no-changes", upTimeout); err != nil {
		return fmt.Errorf("a preview after the drill shows changes: %v", err)
	}
	return d.destroyRemovesDrills(ctx)
}

// drill is one Restore as `kubectl get restores` shows it.
type drill struct{ name, phase, items, reason string }

// drills lists the Restores in Velero's namespace, oldest first, and
// prints them as a user would see them.
func (d *Deployment) drills() ([]drill, error) {
	out, err := d.show("kubectl get restores -n velero (oldest first)", func() (string, error) {
		return d.kubectl("get", "restores.velero.io", "-n", "velero", "--sort-by=.metadata.creationTimestamp",
			"-o", `jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\t"}{.status.progress.itemsRestored}{"\t"}{.status.failureReason}{"\n"}{end}`)
	})
	if err != nil {
		return nil, err
	}
	var list []drill
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		f := append(strings.SplitN(line, "\t", 4), "", "", "")
		if f[0] != "" {
			list = append(list, drill{f[0], f[1], f[2], f[3]})
		}
	}
	return list, nil
}

// checkDrill checks what a passing drill leaves: one Restore (a failed
// drill is deleted once its replacement passed), Completed with exactly
// one item, the canary restored into the scratch namespace with the
// canary's data, and the restore's log in bucket under prefix.
func (d *Deployment) checkDrill(bucket, prefix string) error {
	list, err := d.drills()
	if err != nil {
		return err
	}
	if len(list) != 1 {
		return fmt.Errorf("%d Restores in Velero's namespace, want 1: the passing drill (a failed one is deleted once replaced)", len(list))
	}
	last := list[0]
	if last.phase != "Completed" || last.items != "1" {
		return fmt.Errorf("the drill %s is %q with %q items restored, want Completed with 1", last.name, last.phase, last.items)
	}
	_, _ = d.show("velero restore get -n velero", func() (string, error) { return d.velero("restore", "get", "-n", "velero") })
	source := d.jsonpath("configmap", "velero-irsa-restore-drill", "velero", "{.data.wiring}")
	restored := d.jsonpath("configmap", "velero-irsa-restore-drill", "velero-restore-drill", "{.data.wiring}")
	fmt.Fprintf(d.Env.Out, "    canary wiring: %q in velero, %q restored into velero-restore-drill\n", source, restored)
	if source == "" || restored != source {
		return fmt.Errorf("the restored canary holds %q, the canary %q", restored, source)
	}
	logs, err := d.Rig.S3.Objects(bucket, prefix+"/restores/"+last.name+"/")
	if err != nil {
		return err
	}
	if len(logs) == 0 {
		return fmt.Errorf("Velero wrote no log for %s under %s/restores/", last.name, prefix)
	}
	return nil
}

// destroyRemovesDrills destroys the stack and checks that the canary, the
// scratch namespace and the drills' Restores are gone (Pulumi deleted the
// Restores while Velero ran, so none keeps its finalizer), while the
// verification backups and their objects in the bucket remain.
func (d *Deployment) destroyRemovesDrills(ctx context.Context) error {
	before, err := d.Rig.S3.Objects(drillBucket, drillPrefix+"/backups/")
	if err != nil {
		return err
	}
	if _, err := d.Run(ctx, "destroy", upTimeout); err != nil {
		return err
	}
	if err := d.releaseGone(); err != nil {
		return err
	}
	if out, err := d.kubectl("get", "namespace", "velero-restore-drill", "--ignore-not-found", "-o", "name"); err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("the scratch namespace is still there after destroy: %q %v", out, err)
	}
	if out, err := d.kubectl("get", "configmap", "velero-irsa-restore-drill", "-n", "velero", "--ignore-not-found", "-o", "name"); err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("the canary is still there after destroy: %q %v", out, err)
	}
	list, err := d.drills()
	if err != nil {
		return err
	}
	if len(list) != 0 {
		return fmt.Errorf("%d Restores after destroy, want none: a Restore left without Velero keeps its finalizer", len(list))
	}
	backups, _ := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "name")
	after, err := d.Rig.S3.Objects(drillBucket, drillPrefix+"/backups/")
	if err != nil {
		return err
	}
	if strings.TrimSpace(backups) == "" || len(after) < len(before) {
		return fmt.Errorf("after destroy: Backups %q, %d backup objects in the bucket (were %d); want the verification backups kept", backups, len(after), len(before))
	}
	fmt.Fprintf(d.Env.Out, "    after destroy: canary, scratch namespace and drills gone; verification backups and %d objects kept\n", len(after))
	return nil
}
