package scenario

import (
	"testing"
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
	got, region, err := stackFromValues(values, "adopt-apne2", "us-east-1")
	if err != nil {
		t.Fatal(err)
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
