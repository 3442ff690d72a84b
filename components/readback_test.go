package components

import (
	"encoding/json"
	"testing"
)

// TestReadBackRestore pins the read-back's Restore: the named backup, a
// selector no object matches, nothing cluster-scoped and no volumes, and
// the wait on Completed with Velero's reason printed meanwhile.
func TestReadBackRestore(t *testing.T) {
	s, err := newSettings(&VeleroIRSAArgs{ReadBackBackup: "before-canary", BackupLocationTimeoutSeconds: 120})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(readBackRestore(s, s.readBackBackup))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metadata":{"annotations":{"pulumi.com/timeoutSeconds":"120","pulumi.com/waitFor":"jsonpath={.status[?@ == 'Completed', 'failureReason', 'phase']}=Completed"},"labels":{"app.kubernetes.io/managed-by":"pulumi"},"namespace":"velero"},` +
		`"spec":{"backupName":"before-canary","includeClusterResources":false,"labelSelector":{"matchLabels":{"velero-irsa/read-back":"none"}},"restorePVs":false}}`
	if string(got) != want {
		t.Errorf("read-back Restore:\n%s\nwant:\n%s", got, want)
	}
}
