package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// The restore drill (VerifyRestore) reads the verification backup back
// through the role: a Restore of that backup, limited to one small canary
// ConfigMap the backup captured, into a scratch namespace the component
// owns. A location's validation only lists the bucket, and the
// verification backup reads back only Velero's small bookkeeping files;
// the drill is what downloads a backup's archive (s3:GetObject, and
// kms:Decrypt with SSE-KMS) and runs Velero's restore path, so a read path
// that is broken fails the deploy instead of the day a restore is needed.
const (
	// drillCanaryName names the canary ConfigMap in Velero's namespace;
	// drillLabel, with the value "canary", is what the Restore selects.
	drillCanaryName = "velero-irsa-restore-drill"
	drillLabel      = "velero-irsa/restore-drill"
	// drillNamespaceSuffix makes the scratch namespace's name from
	// Velero's: "velero" restores into "velero-restore-drill".
	drillNamespaceSuffix = "-restore-drill"

	// A Restore ends Completed only with no errors: Velero sets
	// PartiallyFailed when status.errors is above zero, and Failed (with
	// status.failureReason) when it could not run at all, e.g. when the
	// backup could not be downloaded (pkg/controller/restore_controller.go
	// in Velero 1.18.3). The first condition prints Velero's reason while
	// it waits, as the backup's does.
	restoreCompleted = "jsonpath={.status[?@ == 'Completed', 'failureReason', 'phase']}=Completed"
	// itemsRestored counts every item the restore processed, the scratch
	// namespace too if Velero had to create it, and every DataUpload in
	// the backup, which Velero restores whatever the filters say
	// (pkg/restore/restore.go); the namespace exists and the verification
	// backup excludes DataUploads, so 1 is exactly the canary.
	restoredCanaryOnly = "jsonpath={.status.progress.itemsRestored}=1"
)

// drillConditions is the Restore's pulumi.com/waitFor annotation: a JSON
// list, every condition of which must hold (pkg/metadata/overrides.go,
// ReadyCondition, in the pulumi-kubernetes provider).
var drillConditions = func() string {
	b, err := json.Marshal([]string{restoreCompleted, restoredCanaryOnly})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// drillNamespace is the scratch namespace the drill restores into.
func drillNamespace(s settings) string { return s.namespace + drillNamespaceSuffix }

// drillNamespaceMetadata is the scratch namespace's metadata.
func drillNamespaceMetadata(s settings) map[string]interface{} {
	return map[string]interface{}{
		"name":   drillNamespace(s),
		"labels": map[string]interface{}{"app.kubernetes.io/managed-by": "pulumi"},
	}
}

// drillCanaryMetadata is the canary's metadata: a fixed name and the label
// the Restore selects, so each drill restores something known and tiny,
// never Velero's own Deployment, RBAC or Secrets.
func drillCanaryMetadata(s settings) map[string]interface{} {
	return map[string]interface{}{
		"name":      drillCanaryName,
		"namespace": s.namespace,
		"labels": map[string]interface{}{
			"app.kubernetes.io/managed-by": "pulumi",
			drillLabel:                     "canary",
		},
	}
}

// drillCanaryData is the canary's data: the hash of the wiring the
// verification backup proves.
func drillCanaryData(wiring string) map[string]string {
	return map[string]string{"wiring": wiring}
}

// drillRestore is the Restore of the verification backup backupName: the
// canary only (by namespace, resource type and label), mapped into the
// scratch namespace, with no volumes and no cluster-scoped resources. A
// canary left by an earlier drill is updated in place (existingResourcePolicy
// update), so a later drill neither warns nor counts differently.
func drillRestore(s settings, backupName string) veleroObject {
	return veleroObject{
		Metadata: awaitedMetadata("", s.namespace, drillConditions, s.locationTimeout),
		Spec: map[string]interface{}{
			"backupName":              backupName,
			"includedNamespaces":      []interface{}{s.namespace},
			"includedResources":       []interface{}{"configmaps"},
			"labelSelector":           map[string]interface{}{"matchLabels": map[string]interface{}{drillLabel: "canary"}},
			"namespaceMapping":        map[string]interface{}{s.namespace: drillNamespace(s)},
			"restorePVs":              false,
			"includeClusterResources": false,
			"existingResourcePolicy":  "update",
		},
	}
}

// checkRestoreDrill refuses a drill without the backup it restores, or on
// a location that cannot hold that backup, and a namespace too long to
// name the scratch namespace.
func (s *settings) checkRestoreDrill() error {
	if !s.verifyRestore {
		return nil
	}
	if !s.verifyBackup {
		return fmt.Errorf("verifyRestore is true but verifyBackup is false: the restore drill restores the verification backup; set verifyBackup to true as well, or turn verifyRestore off")
	}
	if s.accessMode == "ReadOnly" {
		return fmt.Errorf("verifyRestore is true but backupAccessMode is ReadOnly: the drill restores the verification backup, and Velero writes no backup into a read-only location; make the location ReadWrite, or turn verifyRestore (and verifyBackup) off and test restores from it with `velero restore create`")
	}
	if scratch := drillNamespace(*s); len(scratch) > 63 {
		return fmt.Errorf("namespace %q is too long for the restore drill: its scratch namespace %q would exceed 63 characters; use a namespace of at most %d characters, or turn verifyRestore off", s.namespace, scratch, 63-len(drillNamespaceSuffix))
	}
	return nil
}

// restoreDrill holds the drill's resources the Restore waits for.
type restoreDrill struct {
	canary    pulumi.Resource
	namespace pulumi.Resource
}

// newDrillCanary registers the canary (before the verification backup,
// which must capture it) and the scratch namespace. Both are the
// component's: pulumi destroy deletes them, and with the namespace
// whatever the drills restored into it.
func newDrillCanary(ctx *pulumi.Context, name string, s settings, wiring pulumi.StringOutput, opts ...pulumi.ResourceOption) (restoreDrill, error) {
	data := wiring.ApplyT(drillCanaryData).(pulumi.StringMapOutput)
	canary, err := kubebinding.NewConfigMap(ctx, name+"-drill-canary", pulumi.ToMap(drillCanaryMetadata(s)), data, opts...)
	if err != nil {
		return restoreDrill{}, fmt.Errorf("creating the restore drill's canary: %w", err)
	}
	namespace, err := kubebinding.NewNamespace(ctx, name+"-drill-namespace", pulumi.ToMap(drillNamespaceMetadata(s)), opts...)
	if err != nil {
		return restoreDrill{}, fmt.Errorf("creating the restore drill's namespace: %w", err)
	}
	return restoreDrill{canary: canary, namespace: namespace}, nil
}

// newDrillRestore registers the Restore of the verification backup, which
// the deploy waits on once the backup is Completed.
//
// The Restore is named by pulumi-kubernetes, "<name>-drill-<random>", and
// replaced whenever the backup is (its backupName changes) and after a
// drill that failed ("*" covers the engine's "#initerror" key, as for the
// backup). Pulumi deletes a replaced drill once its successor exists, and
// every drill on pulumi destroy, before the release: Velero puts a
// finalizer on each Restore (restores.velero.io/external-resources-
// finalizer) and removes it only after deleting the restore's log and
// results from the bucket, which needs Velero running and the location
// Available (deleteExternalResources in pkg/controller/
// restore_controller.go, Velero 1.18.3). A Restore left behind once Velero
// is gone keeps that finalizer for good, and deleting Velero's namespace
// then hangs in Terminating. Backups are untouched: only the drill's own
// files go. The delete waits for Velero as long as the create did
// (pulumi.com/timeoutSeconds) and then fails, naming the Restore.
func newDrillRestore(ctx *pulumi.Context, name string, s settings, verification proof, d restoreDrill, opts ...pulumi.ResourceOption) (*kubebinding.Object, error) {
	backup := verification.object
	// A drill of a backup that is not Completed could only fail: when the
	// state holds a failed verification backup (see proof.go), the drill
	// is not registered at all, and the deploy fails naming the backup.
	object := pulumi.All(backup.URN(), backup.Metadata, backup.Status).ApplyT(func(v []interface{}) (veleroObject, error) {
		m, _ := v[1].(map[string]interface{})
		status, _ := v[2].(map[string]interface{})
		if err := verification.verdict(string(v[0].(pulumi.URN)), m, status); err != nil {
			return veleroObject{}, err
		}
		backupName, ok := m["name"].(string)
		if !ok || backupName == "" {
			return veleroObject{}, fmt.Errorf("the verification backup has no name to restore from")
		}
		return drillRestore(s, backupName), nil
	})
	opts = append(opts, pulumi.DependsOn([]pulumi.Resource{backup, d.canary, d.namespace}),
		pulumi.ReplaceOnChanges(verificationReplaceOnChanges))
	restore, err := registerObject(ctx, restoreKind, name+"-drill", object, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the restore drill: %w", err)
	}
	return restore, nil
}
