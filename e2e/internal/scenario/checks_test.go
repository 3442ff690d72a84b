package scenario

import "testing"

// A server Deployment as the chart renders it with credentials.useSecret
// off, and a node agent beside it.
const cleanWorkloads = `{"items": [
 {"kind": "Deployment", "metadata": {"name": "velero"}, "spec": {"template": {"spec": {
  "containers": [{"name": "velero", "env": [
   {"name": "VELERO_SCRATCH_DIR", "value": "/scratch"},
   {"name": "VELERO_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]}],
  "initContainers": [{"name": "velero-plugin-for-aws"}],
  "volumes": [{"name": "plugins", "emptyDir": {}}, {"name": "scratch", "emptyDir": {}}]}}}},
 {"kind": "DaemonSet", "metadata": {"name": "node-agent"}, "spec": {"template": {"spec": {
  "containers": [{"name": "node-agent"}],
  "volumes": [{"name": "host-pods", "hostPath": {"path": "/var/lib/kubelet/pods"}}]}}}}]}`

func TestStaticCredentialsAcceptsTheRoleOnly(t *testing.T) {
	n, err := staticCredentials([]byte(cleanWorkloads), "velero")
	if err != nil || n != 2 {
		t.Fatalf("got %d, %v; want 2 workloads and no error", n, err)
	}
}

func TestStaticCredentialsNamesEveryWay(t *testing.T) {
	// The server as the chart renders it with credentials.useSecret on,
	// and a node agent given keys through value overrides.
	raw := `{"items": [
 {"kind": "Deployment", "metadata": {"name": "velero"}, "spec": {"template": {"spec": {
  "containers": [{"name": "velero", "env": [{"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/credentials/cloud"}]}],
  "volumes": [{"name": "cloud-credentials", "secret": {"secretName": "velero"}}]}}}},
 {"kind": "DaemonSet", "metadata": {"name": "node-agent"}, "spec": {"template": {"spec": {
  "containers": [{"name": "node-agent",
   "env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "id"}}}],
   "envFrom": [{"secretRef": {"name": "more-keys"}}]}],
  "initContainers": [{"name": "setup", "env": [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIA"}]}]}}}}]}`
	_, err := staticCredentials([]byte(raw), "velero")
	want := "Velero could reach AWS without the role: " +
		"Deployment velero/velero: volume cloud-credentials from Secret velero; " +
		"Deployment velero/velero: container velero sets AWS_SHARED_CREDENTIALS_FILE; " +
		"DaemonSet velero/node-agent: container node-agent reads KEY from Secret keys; " +
		"DaemonSet velero/node-agent: container node-agent reads its environment from Secret more-keys; " +
		"DaemonSet velero/node-agent: container setup sets AWS_ACCESS_KEY_ID"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestStaticCredentialsWantsVelero(t *testing.T) {
	_, err := staticCredentials([]byte(`{"items": []}`), "backup")
	want := "no Deployment or DaemonSet labelled app.kubernetes.io/name=velero in namespace backup"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestLocationStores(t *testing.T) {
	raw := "dr\tvelero-dr\tclusters/prod\ndefault\tvelero-prod\tclusters/prod\n"
	if err := locationStores(raw, "velero", "velero-prod", "clusters/prod"); err != nil {
		t.Errorf("the default location matches: %v", err)
	}
	err := locationStores(raw, "velero", "velero-prod", "clusters/prod-x")
	want := "no location in namespace velero stores in s3://velero-prod/clusters/prod-x, where the stack's policy lets Velero write; found: dr in s3://velero-dr/clusters/prod, default in s3://velero-prod/clusters/prod"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestStepOf reads the program runner's step lines.
func TestStepOf(t *testing.T) {
	out := "    step 1.2 0.4 create aws:iam/role:Role velero-role\n" +
		"step 6.0 21.5 create kubernetes:velero.io/v1:BackupStorageLocation velero-location-default\n" +
		"step 27.6 3.1 create kubernetes:velero.io/v1:Backup velero-verify\n" +
		"step 30.0 1.0 replace kubernetes:velero.io/v1:Backup velero-verify\n"
	if s, ok := stepOf(out, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default"); !ok || s != (step{6.0, 21.5}) {
		t.Errorf("location step = %+v %v, want {6 21.5}", s, ok)
	}
	if s, ok := stepOf(out, "kubernetes:velero.io/v1:Backup", "velero-verify"); !ok || s != (step{27.6, 3.1}) {
		t.Errorf("backup step = %+v %v, want the create, {27.6 3.1}", s, ok)
	}
	if _, ok := stepOf(out, "kubernetes:velero.io/v1:Restore", "velero-drill"); ok {
		t.Errorf("found a step for a resource the lines do not name")
	}
}
