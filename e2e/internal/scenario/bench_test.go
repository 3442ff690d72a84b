package scenario

import (
	"testing"
	"time"
)

func TestProductStepsKeepsThePartsTheManualPathHas(t *testing.T) {
	out := `      + velero-irsa:index:VeleroIRSA: (create)
step 2.0 0.3 create aws:s3/bucketV2:BucketV2 velero-bucket
step 2.5 0.2 create aws:iam/role:Role velero-role
step 2.8 0.1 create aws:iam/rolePolicy:RolePolicy velero-policy
step 3.0 6.5 create kubernetes:helm.sh/v3:Release velero-release
step 9.6 1.5 create kubernetes:velero.io/v1:BackupStorageLocation velero-location-default
step 11.2 2.0 create kubernetes:velero.io/v1:Backup velero-verification
step 13.4 0.0 create pulumi:pulumi:Stack velero-irsa-seed-apne2
step-total 14.1
`
	got := productSteps(out, 15*time.Second)
	want := []benchStep{
		{"engine and program until the role", 2500 * time.Millisecond},
		{"role", 200 * time.Millisecond},
		{"policy", 100 * time.Millisecond},
		{"release", 6500 * time.Millisecond},
		{"location Available", 1500 * time.Millisecond},
		{"backup Completed", 2 * time.Second},
		{"update after the backup", 900 * time.Millisecond},
		{"rig's runner around the update", 900 * time.Millisecond},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].what != want[i].what || (got[i].took-want[i].took).Abs() > time.Millisecond {
			t.Errorf("step %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMedianRunTakesEachPartsMedian(t *testing.T) {
	s := time.Second
	runs := []benchRun{
		{total: 10 * s, steps: []benchStep{{"a", 1 * s}, {"b", 9 * s}}},
		{total: 30 * s, steps: []benchStep{{"a", 5 * s}, {"b", 7 * s}}},
		{total: 20 * s, steps: []benchStep{{"a", 3 * s}, {"b", 8 * s}}},
	}
	got := medianRun(runs)
	if got.total != 20*s || got.steps[0] != (benchStep{"a", 3 * s}) || got.steps[1] != (benchStep{"b", 8 * s}) {
		t.Errorf("median %v", got)
	}
	if got := medianRun(runs[:2]).total; got != 20*s {
		t.Errorf("median of two = %v, want their mean 20s", got)
	}
}
