package scenario

import (
	"slices"
	"sort"
	"testing"
)

func TestExported(t *testing.T) {
	page := `# HELP velero_backup_last_successful_timestamp Last time a backup ran successfully, Unix timestamp in seconds
# TYPE velero_backup_last_successful_timestamp gauge
velero_backup_last_successful_timestamp{schedule="velero-daily"} 1.7647632e+09
velero_backup_total 3
podVolume_pod_volume_backup_enqueue_count{node="kwok-node-0"} 0
`
	var got []string
	for k := range exported(page) {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{
		"podVolume_pod_volume_backup_enqueue_count", `podVolume_pod_volume_backup_enqueue_count{node="kwok-node-0"}`,
		"velero_backup_last_successful_timestamp", `velero_backup_last_successful_timestamp{schedule="velero-daily"}`,
		"velero_backup_total",
	}
	if !slices.Equal(got, want) {
		t.Errorf("exported = %q\nwant %q", got, want)
	}
	have := exported(page)
	if !labelled(have, "podVolume_pod_volume_backup_enqueue_count", "node") || labelled(have, "velero_backup_last_successful_timestamp", "node") {
		t.Errorf("labelled: node is on the enqueue count only")
	}
	if names := metricName.FindAllString(`sum by (namespace) (increase(velero_restore_failed_total{namespace="velero"}[1h])) + podVolume_data_upload_failure_total offset 2h`, -1); !slices.Equal(names, []string{"velero_restore_failed_total", "podVolume_data_upload_failure_total"}) {
		t.Errorf("metric names in an expression = %q", names)
	}
}
