package overrides

import (
	"fmt"
	"sort"
	"strings"
)

// The chart's extraObjects install any object with the release. Most kinds
// could hand Velero's role to something else or reach into Velero's pods:
// RBAC can let another ServiceAccount request tokens for Velero's (whose
// subject is all the trust policy checks) or create pods as it; a workload
// can run as it; an admission webhook or policy can rewrite Velero's pods;
// a backup or snapshot location can carry credentials of its own
// (spec.credential). So only kinds that hold data or describe traffic and
// monitoring are accepted; create anything else in your own program.
var extraObjectKinds = map[string]bool{
	"ConfigMap":           true,
	"Secret":              true,
	"Service":             true,
	"NetworkPolicy":       true,
	"PodDisruptionBudget": true,
	"ServiceMonitor":      true,
	"PodMonitor":          true,
	"PrometheusRule":      true,
	// CSI snapshots: Velero picks the class labelled
	// velero.io/csi-volumesnapshot-class.
	"VolumeSnapshotClass": true,
}

// refusedKindReasons say why the kinds people reach for first are refused.
var refusedKindReasons = map[string]string{
	"BackupStorageLocation":  "locations can carry credentials of their own (spec.credential) and must be covered by the role's policy; use backupLocationName, additionalBackupLocations and snapshotsEnabled instead",
	"VolumeSnapshotLocation": "locations can carry credentials of their own (spec.credential) and must be covered by the role's policy; use backupLocationName, additionalBackupLocations and snapshotsEnabled instead",
	"Schedule":               "use schedules, which are checked against the component's locations",
}

// serviceAccountTokenSecret is the Secret type that makes Kubernetes issue a
// long-lived token for the ServiceAccount it names.
const serviceAccountTokenSecret = "kubernetes.io/service-account-token"

// checkExtraObjects refuses extra objects the component cannot vouch for:
// templates (the chart renders each object with tpl (toYaml .), so a "{{"
// anywhere would write the kind, or anything else, only at install),
// objects that are not maps, and kinds outside extraObjectKinds, with the
// items of a List checked one by one.
func checkExtraObjects(v interface{}) error {
	list, ok := v.([]interface{})
	if !ok && v != nil {
		return fmt.Errorf("valuesOverrides.extraObjects is not a list: write each object as a map")
	}
	for i, item := range list {
		at := fmt.Sprintf("valuesOverrides.extraObjects[%d]", i)
		if where, found := findTemplate(item, at); found {
			return fmt.Errorf("%s holds a template (\"{{\"), which Helm would render only at install: write extra objects literally, so the component can check them", where)
		}
		if err := checkExtraObject(item, at); err != nil {
			return err
		}
	}
	return nil
}

func checkExtraObject(item interface{}, at string) error {
	obj, ok := item.(map[string]interface{})
	if !ok {
		return fmt.Errorf("%s is not a map: write each extra object as a map (apiVersion, kind, metadata, ...)", at)
	}
	kind, _ := obj["kind"].(string)
	if kind == "List" || (strings.HasSuffix(kind, "List") && obj["items"] != nil) {
		items, _ := obj["items"].([]interface{})
		for i, inner := range items {
			if err := checkExtraObject(inner, fmt.Sprintf("%s.items[%d]", at, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if reason, known := refusedKindReasons[kind]; known {
		return fmt.Errorf("%s is a %s: %s", at, kind, reason)
	}
	if _, allowed := extraObjectKinds[kind]; !allowed {
		return fmt.Errorf("%s is a %q: extra objects may only be %s, since other kinds (RBAC, workloads, admission webhooks and policies) can hand Velero's role to other code or change Velero's pods; create it in your own program instead", at, kind, strings.Join(allowedKinds(), ", "))
	}
	if kind == "Secret" && obj["type"] == serviceAccountTokenSecret {
		return fmt.Errorf("%s is a %s Secret: it would hold a token for a ServiceAccount, Velero's included, whose pods get the role; drop it", at, serviceAccountTokenSecret)
	}
	return nil
}

func allowedKinds() []string {
	kinds := make([]string, 0, len(extraObjectKinds))
	for k := range extraObjectKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}
