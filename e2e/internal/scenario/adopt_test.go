package scenario

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// TestStackFromValues: the stack that adopts the guide's first install
// names its location, prefix, snapshot location and schedule as they are.
func TestStackFromValues(t *testing.T) {
	e := &Env{VeleroTag: "v1.18.3", PluginTag: "v1.14.3"}
	values := guideValues(e, "AKIAEXAMPLEEXAMPLE00", "secret")
	conf := values["configuration"].(map[string]interface{})
	conf["backupStorageLocation"] = append(conf["backupStorageLocation"].([]interface{}), map[string]interface{}{
		"name": "dr", "provider": "aws", "bucket": "acme-dr", "config": map[string]interface{}{"region": "us-west-2"}, "accessMode": "ReadOnly",
	})
	first, err := stackFromValues(values, "adopt-apne2", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	got, region := first.stack, first.region
	if first.location != "velero-s3-bsl" || first.bucket != adoptBucket || first.prefix != "clusters/adopt-apne2" || first.serviceAccount != "velero-server" {
		t.Errorf("first install %+v", first)
	}
	want := `# A first install's values, adopted, in the rig.
config:
  velero-irsa:additionalBackupLocations:
    dr:
      accessMode: ReadOnly
      bucket: acme-dr
      prefix: ""
      region: us-west-2
  velero-irsa:backupLocationName: velero-s3-bsl
  velero-irsa:backupLocationTimeoutSeconds: 120
  velero-irsa:backupPrefix: clusters/adopt-apne2
  velero-irsa:bucketName: velero-irsa-rig-adopt
  velero-irsa:clusterName: adopt-apne2
  velero-irsa:region: ap-northeast-2
  velero-irsa:schedules:
    apps:
      includedNamespaces:
        - apps
      schedule: '@every 2m0s'
      ttl: 168h0m0s
  velero-irsa:snapshotLocationName: velero-s3-dsl
  velero-irsa:verifyBackup: true
`
	if got != want || region != "ap-northeast-2" {
		t.Errorf("stack (region %s):\n%s\nwant:\n%s", region, got, want)
	}
	if b := valuesBuckets(values, "us-east-1"); len(b) != 2 || b["acme-dr"] != "us-west-2" || b[adoptBucket] != "ap-northeast-2" {
		t.Errorf("buckets %v", b)
	}
}

// TestDecodeHelmRecord reads a record encoded as Helm stores it (JSON,
// gzipped, base64) and refuses one that is not.
func TestDecodeHelmRecord(t *testing.T) {
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	if _, err := w.Write([]byte(`{"name":"velero","version":2,"info":{"status":"superseded"},"config":{"credentials":{"secretContents":{"cloud":"aws_access_key_id=AKIAEXAMPLE"}}}}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := decodeHelmRecord([]byte(base64.StdEncoding.EncodeToString(zipped.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "velero" || rec.Version != 2 || rec.Info.Status != "superseded" || !strings.Contains(string(rec.raw), "AKIAEXAMPLE") {
		t.Errorf("decoded %+v, raw %s", rec, rec.raw)
	}
	if _, err := decodeHelmRecord([]byte(base64.StdEncoding.EncodeToString([]byte(`{"name":"velero"}`)))); err == nil {
		t.Error("a record that is not gzipped was decoded")
	}
}

// TestReadBackHint finds the backup in the refusal's advice, as the
// program words it (components/existing ReadBackHint).
func TestReadBackHint(t *testing.T) {
	refusal := "set velero-irsa:adoptRelease: velero in the stack, and velero-irsa:readBackBackup: before-canary (its newest Completed backup) to prove that the backups taken before the switch are readable through the role; see docs/adopting.md."
	if m := readBackHint.FindStringSubmatch(refusal); m == nil || m[1] != "before-canary" {
		t.Errorf("found %q", m)
	}
	if m := readBackHint.FindStringSubmatch("set velero-irsa:adoptRelease: velero in the stack; see docs/adopting.md."); m != nil {
		t.Errorf("found %q in a refusal without the advice", m)
	}
}

// TestValuesFromFile: a user's values file, with its own names, gives the
// first install the user's key, the rig's images and the rig's schedule
// beside the user's, and the stack and checks its names; a file that
// already has the rig's schedule key is refused.
func TestValuesFromFile(t *testing.T) {
	e := &Env{VeleroTag: "v1.18.3", PluginTag: "v1.14.3"}
	dir := t.TempDir()
	file := filepath.Join(dir, "values.yaml")
	user := `configuration:
  backupStorageLocation:
    - name: primary
      provider: aws
      bucket: acme-backups
      prefix: eks/prod
      default: true
      config: {region: us-east-1}
snapshotsEnabled: false
deployNodeAgent: true
serviceAccount:
  server: {name: velero}
schedules:
  daily:
    schedule: "0 3 * * *"
    template: {ttl: 720h0m0s}
`
	if err := os.WriteFile(file, []byte(user), 0o600); err != nil {
		t.Fatal(err)
	}
	values, err := valuesFromFile(file, e)
	if err != nil {
		t.Fatal(err)
	}
	v := values("AKIAEXAMPLEEXAMPLE00", "secret")
	creds := v["credentials"].(map[string]interface{})
	if creds["useSecret"] != true || !strings.Contains(creds["secretContents"].(map[string]interface{})["cloud"].(string), "aws_access_key_id=AKIAEXAMPLEEXAMPLE00") {
		t.Errorf("credentials %v", creds)
	}
	schedules := v["schedules"].(map[string]interface{})
	if len(schedules) != 2 || schedules["daily"] == nil || schedules[rigScheduleKey] == nil {
		t.Errorf("schedules %v, want the user's daily and the rig's %s", schedules, rigScheduleKey)
	}
	first, err := stackFromValues(v, "adopt-apne2", "ap-northeast-2")
	if err != nil {
		t.Fatal(err)
	}
	if first.location != "primary" || first.bucket != "acme-backups" || first.prefix != "eks/prod" || first.serviceAccount != "velero" || first.region != "us-east-1" {
		t.Errorf("first install %+v", first)
	}
	for _, line := range []string{
		"velero-irsa:backupLocationName: primary", "velero-irsa:bucketName: acme-backups", "velero-irsa:backupPrefix: eks/prod",
		"velero-irsa:region: us-east-1", "velero-irsa:snapshotsEnabled: false", "velero-irsa:deployNodeAgent: true",
		"velero-irsa:serviceAccountName: velero", "    daily:\n      schedule: 0 3 * * *\n      ttl: 720h0m0s",
	} {
		if !strings.Contains(first.stack, line) {
			t.Errorf("the stack lacks %q:\n%s", line, first.stack)
		}
	}

	if err := os.WriteFile(file, []byte("schedules:\n  apps: {schedule: '@daily'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := valuesFromFile(file, e); err == nil || !strings.Contains(err.Error(), "schedules.apps is the rig's own schedule (every 2m0s, so that a run falls inside the scenario): rename yours") {
		t.Errorf("err = %v", err)
	}
}

// TestHoldsKey finds the key as it is and inside base64 (a Secret's data in
// a Helm manifest), and nothing in text without it.
func TestHoldsKey(t *testing.T) {
	key := awsfake.AccessKey{ID: "AKIAEXAMPLEEXAMPLE00", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	file := "[default]\naws_access_key_id=" + key.ID + "\naws_secret_access_key=" + key.Secret + "\n"
	for name, b := range map[string]string{
		"plain":           "cloud: " + file,
		"base64 manifest": "kind: Secret\ndata:\n  cloud: " + base64.StdEncoding.EncodeToString([]byte(file)) + "\n",
		"raw base64":      `{"x":"` + base64.RawStdEncoding.EncodeToString([]byte("id="+key.ID)) + `"}`,
	} {
		if !holdsKey([]byte(b), key) {
			t.Errorf("%s: the key was not found", name)
		}
	}
	if holdsKey([]byte("kind: Secret\ndata:\n  cloud: "+base64.StdEncoding.EncodeToString([]byte("[default]\nregion=us-east-1\n"))), key) {
		t.Error("found a key in a Secret without one")
	}
}
