package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// The read-back (ReadBackBackup) proves that a backup made before the
// stack took over (by an adopted Velero, with its old credentials) is
// readable with the role: a Restore of that backup whose label selector
// matches no object. Velero downloads the backup's archive first (s3:
// GetObject, and kms:Decrypt with SSE-KMS), then walks its items and
// restores none (pkg/controller/restore_controller.go, pkg/restore/
// restore.go in Velero 1.18.3), so the Restore ends Completed only when
// the role can read the old backup, and changes nothing in the cluster.
const (
	// readBackLabel, with the value readBackNone, is what the read-back
	// selects: no object carries it.
	readBackLabel = "velero-irsa/read-back"
	readBackNone  = "none"
)

// readBackRestore is the Restore of backupName that restores nothing: no
// object matches its selector, no volumes, no cluster-scoped resources.
func readBackRestore(s settings, backupName string) veleroObject {
	return veleroObject{
		Metadata: awaitedMetadata("", s.namespace, restoreCompleted, s.locationTimeout),
		Spec: map[string]interface{}{
			"backupName":              backupName,
			"labelSelector":           map[string]interface{}{"matchLabels": map[string]interface{}{readBackLabel: readBackNone}},
			"restorePVs":              false,
			"includeClusterResources": false,
		},
	}
}

// newReadBack registers the read-back Restore once the locations (which
// Velero needs to find the backup) are Available. Like the drill's, it is
// named by pulumi-kubernetes, replaced when the backup's name changes or
// after a read-back that failed, and deleted by Pulumi while Velero still
// runs (see newDrillRestore).
func newReadBack(ctx *pulumi.Context, name string, s settings, locations []pulumi.Resource, opts ...pulumi.ResourceOption) (*kubebinding.Object, error) {
	object := pulumi.ToOutput(readBackRestore(s, s.readBackBackup))
	opts = append(opts, pulumi.DependsOn(locations), pulumi.ReplaceOnChanges(verificationReplaceOnChanges))
	restore, err := registerObject(ctx, restoreKind, name+"-read-back", object, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the read-back of backup %s: %w", s.readBackBackup, err)
	}
	return restore, nil
}
