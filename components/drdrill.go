package components

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/existing"
	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// DisasterRecoveryDrill restores, on a disaster-recovery cluster, the
// newest backup of another cluster's schedule from a location that holds
// that cluster's backups (a read-only location in a backup vault's
// replica, say), limited to a canary ConfigMap, into a scratch namespace,
// and the deploy waits for the Restore to complete with exactly the
// canary: a passing deploy means a restore from there works today.
//
// The other cluster keeps the canary: a ConfigMap labelled
// velero-irsa/dr-canary=canary in CanaryNamespace, which its schedule
// backs up (kubectl -n <namespace> create configmap velero-irsa-dr-canary
// --from-literal=purpose=dr-drill, then kubectl label it).
type DisasterRecoveryDrill struct {
	// Location is the backup location holding the other cluster's
	// backups: one of AdditionalBackupLocations (with a vault, the
	// location named after the cluster). Required.
	Location string `pulumi:"location"`
	// Schedule is the other cluster's Velero Schedule, by the name its
	// backups carry in the velero.io/schedule-name label (the chart names
	// it "<release fullname>-<key>", e.g. velero-daily). Velero restores
	// its newest Completed backup. Required.
	Schedule string `pulumi:"schedule"`
	// CanaryNamespace is the namespace of the canary in that backup.
	// Required.
	CanaryNamespace string `pulumi:"canaryNamespace"`
	// Run is any text; changing it (a date, a ticket) runs the drill
	// again on the next deploy, as does a drill that failed. Default "".
	Run string `pulumi:"run,optional"`
}

const (
	// drCanaryLabel, with the value "canary", marks the canary the
	// disaster-recovery drill restores.
	drCanaryLabel = "velero-irsa/dr-canary"
	// drRunAnnotation carries DisasterRecoveryDrill.Run.
	drRunAnnotation = "velero-irsa/dr-drill-run"
	// drNamespaceSuffix makes the scratch namespace's name from Velero's:
	// "velero" restores into "velero-dr-drill".
	drNamespaceSuffix = "-dr-drill"
	// locationSynced holds once Velero's backup sync has read the
	// location's backups into the cluster (it sets status.lastSyncedTime
	// after creating them, backup_sync_controller.go in Velero 1.18.3); a
	// Restore by schedule made before would find no backup.
	locationSynced = "jsonpath={.status.lastSyncedTime}"
)

// drNamespace is the scratch namespace the disaster-recovery drill
// restores into.
func drNamespace(s settings) string { return s.namespace + drNamespaceSuffix }

// checkDRDrill refuses a drill of a location the component does not
// make, and a schedule name this cluster's own schedules also carry
// (Velero would restore this cluster's newest backup instead).
func (s *settings) checkDRDrill() error {
	d := s.drDrill
	if d == nil {
		return nil
	}
	if d.Location == "" || d.Schedule == "" || d.CanaryNamespace == "" {
		return fmt.Errorf("disasterRecoveryDrill needs location, schedule and canaryNamespace (got %q, %q, %q)", d.Location, d.Schedule, d.CanaryNamespace)
	}
	if _, ok := s.locations[d.Location]; !ok {
		return fmt.Errorf("disasterRecoveryDrill.location %q is not one of additionalBackupLocations (%s): name the location that holds the other cluster's backups", d.Location, joinOrNone(slices.Sorted(maps.Keys(s.locations))))
	}
	if err := validateSubdomain("disasterRecoveryDrill.schedule", d.Schedule); err != nil {
		return err
	}
	if err := validateLabel("disasterRecoveryDrill.canaryNamespace", d.CanaryNamespace); err != nil {
		return err
	}
	fullname := existing.ChartFullname(s.releaseName, s.overrides)
	for _, key := range slices.Sorted(maps.Keys(s.schedules)) {
		if fullname+"-"+key == d.Schedule {
			return fmt.Errorf("disasterRecoveryDrill.schedule %q is also the name of this cluster's own schedule %s: Velero would restore this cluster's newest backup; rename schedules.%s", d.Schedule, key, key)
		}
	}
	if scratch := drNamespace(*s); len(scratch) > 63 {
		return fmt.Errorf("namespace %q is too long for the disaster-recovery drill: its scratch namespace %q would exceed 63 characters", s.namespace, scratch)
	}
	return nil
}

// drLocationCondition is the waitFor of the drill's location: Available,
// and synced once.
var drLocationCondition = func() string {
	b, err := json.Marshal([]string{locationAvailable, locationSynced})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// drRestore is the drill's Restore: the newest backup of the schedule,
// the canary only (by namespace, resource type and label), mapped into the
// scratch namespace, no volumes, no cluster-scoped resources, an earlier
// drill's canary updated in place.
func drRestore(s settings) veleroObject {
	d := s.drDrill
	metadata := awaitedMetadata("", s.namespace, drillConditions, s.locationTimeout)
	if d.Run != "" {
		metadata["annotations"].(map[string]interface{})[drRunAnnotation] = d.Run
	}
	return veleroObject{
		Metadata: metadata,
		Spec: map[string]interface{}{
			"scheduleName":            d.Schedule,
			"includedNamespaces":      []interface{}{d.CanaryNamespace},
			"includedResources":       []interface{}{"configmaps"},
			"labelSelector":           map[string]interface{}{"matchLabels": map[string]interface{}{drCanaryLabel: "canary"}},
			"namespaceMapping":        map[string]interface{}{d.CanaryNamespace: drNamespace(s)},
			"restorePVs":              false,
			"includeClusterResources": false,
			"existingResourcePolicy":  "update",
		},
	}
}

// newDRDrill registers the scratch namespace and the drill's Restore, once
// every location is Available and the drill's has been synced. The
// Restore is named, replaced and deleted as the restore drill's is (see
// newDrillRestore).
func newDRDrill(ctx *pulumi.Context, name string, s settings, locations []pulumi.Resource, opts ...pulumi.ResourceOption) (*kubebinding.Object, error) {
	namespace, err := kubebinding.NewNamespace(ctx, name+"-dr-drill-namespace", pulumi.ToMap(map[string]interface{}{
		"name":   drNamespace(s),
		"labels": map[string]interface{}{"app.kubernetes.io/managed-by": "pulumi"},
	}), opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the disaster-recovery drill's namespace: %w", err)
	}
	opts = append(opts, pulumi.DependsOn(append(locations, namespace)), pulumi.ReplaceOnChanges(verificationReplaceOnChanges))
	restore, err := registerObject(ctx, restoreKind, name+"-dr-drill", pulumi.ToOutput(drRestore(s)), opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the disaster-recovery drill: %w", err)
	}
	return restore, nil
}

// joinOrNone lists names, or says none.
func joinOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
