package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// TestProofVerdict pins the check on a proof's status as the state holds it.
func TestProofVerdict(t *testing.T) {
	const urn = "urn:pulumi:prod::velero-irsa::velero-irsa:index:VeleroIRSA$kubernetes:velero.io/v1:Backup::velero-verify"
	metadata := map[string]interface{}{"name": "velero-verify-x7k2m9qa", "namespace": "velero"}
	backup := proof{what: "verification backup", kind: "Backup", phase: "Completed"}
	drill := proof{what: "restore drill", kind: "Restore", phase: "Completed", items: 1}
	location := proof{what: "backup location", kind: "BackupStorageLocation", phase: "Available"}
	items := func(n float64) map[string]interface{} { return map[string]interface{}{"itemsRestored": n} }
	for _, c := range []struct {
		name   string
		p      proof
		status map[string]interface{}
		want   string // "" for a pass
	}{
		{"completed backup", backup, map[string]interface{}{"phase": "Completed"}, ""},
		{"failed backup", backup,
			map[string]interface{}{"phase": "Failed", "failureReason": "rpc error: AccessDenied: explicit deny", "errors": 0.0},
			"the verification backup velero/velero-verify-x7k2m9qa is Failed in this stack's state, not Completed, failureReason: rpc error: AccessDenied: explicit deny " +
				"(a failed wait whose failure a `pulumi refresh` took into the state): no deploy succeeds on a failed proof; " +
				"find the cause with `velero backup describe velero-verify-x7k2m9qa -n velero --details` (docs/troubleshooting.md), fix it, " +
				"then run a new one with `pulumi up --replace '" + urn + "'`"},
		{"partially failed backup", backup, map[string]interface{}{"phase": "PartiallyFailed", "errors": 2.0},
			"is PartiallyFailed in this stack's state, not Completed, errors: 2 ("},
		{"backup failing validation", backup,
			map[string]interface{}{"phase": "FailedValidation", "validationErrors": []interface{}{"backup storage location \"default\" is unavailable"}},
			"is FailedValidation in this stack's state, not Completed, validationErrors: [backup storage location \"default\" is unavailable] ("},
		{"expired backup", backup, map[string]interface{}{"phase": "Deleting"},
			"the verification backup velero/velero-verify-x7k2m9qa is being deleted by Velero (it expired), so this stack holds no passing proof: run `pulumi refresh` to drop it and `pulumi up` for a new one, or `pulumi up --replace '" + urn + "'`"},
		{"drill with the canary", drill, map[string]interface{}{"phase": "Completed", "progress": items(1)}, ""},
		{"drill still running", drill, map[string]interface{}{"phase": "InProgress"},
			"the restore drill velero/velero-verify-x7k2m9qa is InProgress in this stack's state, not Completed ("},
		{"drill of nothing", drill, map[string]interface{}{"phase": "Completed", "progress": items(0)},
			"the restore drill velero/velero-verify-x7k2m9qa is Completed in this stack's state but restored 0 items, not exactly 1 (the canary)"},
		{"drill of more", drill, map[string]interface{}{"phase": "Completed", "progress": items(2)}, "but restored 2 items, not exactly 1"},
		{"drill without progress", drill, map[string]interface{}{"phase": "Completed"}, "but restored -1 items, not exactly 1"},
		{"no status", drill, nil,
			"the restore drill velero/velero-verify-x7k2m9qa has no phase in this stack's state: the kubernetes provider did not wait for Velero's verdict (pulumi-kubernetes 4.18 and later wait on pulumi.com/waitFor"},
		{"available location", location, map[string]interface{}{"phase": "Available"}, ""},
		{"unavailable location", location, map[string]interface{}{"phase": "Unavailable", "message": "NoSuchBucket"},
			"the backup location velero/velero-verify-x7k2m9qa is Unavailable in this stack's state, not Available, message: NoSuchBucket (a failed wait whose failure a `pulumi refresh` took into the state): no deploy succeeds on a failed proof; find the cause with `velero backup-location get velero-verify-x7k2m9qa -n velero`"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.verdict(urn, metadata, c.status)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("verdict = %v, want a pass", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("verdict = %v, want %q", err, c.want)
			}
		})
	}
	err := drill.verdict(urn, metadata, map[string]interface{}{"phase": "Failed"})
	if err == nil || !strings.Contains(err.Error(), "`velero restore describe velero-verify-x7k2m9qa -n velero --details`") {
		t.Errorf("a failed drill's error does not point at velero restore describe: %v", err)
	}
}

// TestComponentRefusesFailedProof runs the component under mocks whose
// Backup or Restore outputs carry a failed phase, as the state does for
// an object a refresh read back after its wait failed: the deploy fails
// naming it, and passes when every proof is Completed.
func TestComponentRefusesFailedProof(t *testing.T) {
	failed := func(phase, reason string) resource.PropertyMap {
		return resource.PropertyMap{"status": resource.NewObjectProperty(resource.PropertyMap{
			"phase": resource.NewStringProperty(phase), "failureReason": resource.NewStringProperty(reason),
		})}
	}
	for _, c := range []struct {
		name  string
		extra map[string]resource.PropertyMap
		want  string
	}{
		{"all completed", nil, ""},
		{"failed backup", map[string]resource.PropertyMap{backupType: failed("Failed", "AccessDenied")},
			"the verification backup velero/velero-verify-0a1b2c3d is Failed in this stack's state, not Completed, failureReason: AccessDenied"},
		{"failed drill", map[string]resource.PropertyMap{restoreType: failed("Failed", "error downloading backup")},
			"the restore drill velero/velero-drill-0a1b2c3d is Failed in this stack's state, not Completed, failureReason: error downloading backup"},
		{"unavailable location", map[string]resource.PropertyMap{backupStorageLocationType: {"status": resource.NewObjectProperty(resource.PropertyMap{
			"phase": resource.NewStringProperty("Unavailable"), "message": resource.NewStringProperty("NoSuchBucket"),
		})}}, "the backup location velero/default is Unavailable in this stack's state, not Available, message: NoSuchBucket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &pulumimock.Recorder{ExtraOutputs: c.extra}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				args := testArgs()
				args.VerifyBackup, args.VerifyRestore = true, true
				_, err := NewVeleroIRSA(ctx, "velero", args)
				return err
			}, pulumi.WithMocks(testProject, testStack, rec))
			switch {
			case c.want == "" && err != nil:
				t.Errorf("a deploy with every proof Completed failed: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("deploy error = %v, want %q", err, c.want)
			}
			// A drill of a failed backup could only fail too: none is
			// registered.
			_, drilled := rec.Find(restoreType, "velero-drill")
			if failedBackup := c.extra[backupType] != nil; drilled == failedBackup {
				t.Errorf("drill registered: %v, with the verification backup failed: %v", drilled, failedBackup)
			}
		})
	}
}
