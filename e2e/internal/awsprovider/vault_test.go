package awsprovider

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// vaultProviders are two providers of the backup account, one per region,
// on one cloud.
func vaultProviders(t *testing.T) (*Provider, *Provider, *awsfake.Cloud) {
	t.Helper()
	cloud := awsfake.NewCloud()
	s3 := awsfake.NewS3(cloud, s3mem.New())
	srv := httptest.NewServer(cloud.ControlHandler(s3, func(string) (awsfake.Identity, error) {
		return awsfake.Identity{Account: "999999999999", Partition: "aws", ARN: "arn:aws:iam::999999999999:role/rig-admin"}, nil
	}))
	t.Cleanup(srv.Close)
	provider := func(region string) *Provider {
		p := &Provider{Control: awsfake.Control{URL: srv.URL}}
		if _, err := p.Configure(context.Background(), plugin.ConfigureRequest{Inputs: resource.NewPropertyMapFromMap(map[string]interface{}{"region": region})}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return provider("eu-central-1"), provider("us-west-2"), cloud
}

func vaultGolden(t *testing.T, kase, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", kase, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// create checks and creates one resource, failing the test on an error.
func create(t *testing.T, p *Provider, typ, name string, in map[string]interface{}) plugin.CreateResponse {
	t.Helper()
	check, err := p.Check(context.Background(), plugin.CheckRequest{Type: tokens.Type(typ), News: resource.NewPropertyMapFromMap(in)})
	if err != nil || len(check.Failures) != 0 {
		t.Fatalf("check %s: %v %v", name, check.Failures, err)
	}
	out, err := p.Create(context.Background(), plugin.CreateRequest{Type: tokens.Type(typ), Name: name, Properties: check.Properties})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return out
}

func tryCreate(p *Provider, typ string, in map[string]interface{}) error {
	_, err := p.Create(context.Background(), plugin.CreateRequest{Type: tokens.Type(typ), Name: "x", Properties: resource.NewPropertyMapFromMap(in)})
	return err
}

// TestVaultResources creates what the BackupVault component creates and
// checks that each setting reached the S3 stand-in.
func TestVaultResources(t *testing.T) {
	euc1, usw2, cloud := vaultProviders(t)
	ctx := context.Background()
	key := create(t, euc1, "aws:kms/key:Key", "vault-key", map[string]interface{}{
		"description": "vault", "keyUsage": "ENCRYPT_DECRYPT", "enableKeyRotation": true, "deletionWindowInDays": 30.0,
		"policy": vaultGolden(t, "vault", "key-policy.json"),
	})
	keyARN := key.Properties["arn"].StringValue()
	if !strings.HasPrefix(keyARN, "arn:aws:kms:eu-central-1:999999999999:key/") || !strings.HasSuffix(keyARN, "/"+string(key.ID)) {
		t.Errorf("key %s arn %s", key.ID, keyARN)
	}
	replicaKey := create(t, usw2, "aws:kms/key:Key", "vault-replica-key", map[string]interface{}{"policy": vaultGolden(t, "vault", "replica-key-policy.json")}).Properties["arn"].StringValue()
	for _, b := range []struct {
		p              *Provider
		name, key, pol string
	}{
		{euc1, "acme-velero-vault-euc1", keyARN, vaultGolden(t, "vault", "bucket-policy.json")},
		{usw2, "acme-velero-vault-usw2", replicaKey, vaultGolden(t, "vault", "replica-bucket-policy.json")},
	} {
		create(t, b.p, "aws:s3/bucketV2:BucketV2", b.name, map[string]interface{}{"bucket": b.name, "objectLockEnabled": true, "forceDestroy": false})
		create(t, b.p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b.name+"-pab", map[string]interface{}{"bucket": b.name, "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true})
		create(t, b.p, "aws:s3/bucketVersioningV2:BucketVersioningV2", b.name+"-versioning", map[string]interface{}{"bucket": b.name, "versioningConfiguration": map[string]interface{}{"status": "Enabled"}})
		create(t, b.p, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", b.name+"-lock", map[string]interface{}{"bucket": b.name, "rule": map[string]interface{}{"defaultRetention": map[string]interface{}{"mode": "GOVERNANCE", "days": 14.0}}})
		create(t, b.p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", b.name+"-sse", map[string]interface{}{"bucket": b.name, "rules": []interface{}{map[string]interface{}{
			"applyServerSideEncryptionByDefault": map[string]interface{}{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": b.key}, "bucketKeyEnabled": true}}})
		create(t, b.p, "aws:s3/bucketPolicy:BucketPolicy", b.name+"-policy", map[string]interface{}{"bucket": b.name, "policy": b.pol})
		got, _ := cloud.GetBucket(b.name)
		if !got.ObjectLock || !got.BlockPublicPolicy || got.DefaultRetention == nil || *got.DefaultRetention != (awsfake.Retention{Mode: "GOVERNANCE", Days: 14}) || got.DefaultKMSKey != b.key || got.Policy != b.pol {
			t.Errorf("bucket %s = %+v", b.name, got)
		}
	}
	role := create(t, euc1, "aws:iam/role:Role", "replication-role", map[string]interface{}{"namePrefix": "velero-vault-replication-", "assumeRolePolicy": vaultGolden(t, "replication", "trust.json")})
	rule := func(deleteMarkers string) map[string]interface{} {
		return map[string]interface{}{
			"bucket": "acme-velero-vault-euc1", "role": role.Properties["arn"].StringValue(),
			"rules": []interface{}{map[string]interface{}{
				"id": "velero-vault-to-replica", "status": "Enabled", "priority": 1.0, "filter": map[string]interface{}{},
				"deleteMarkerReplication": map[string]interface{}{"status": deleteMarkers},
				"sourceSelectionCriteria": map[string]interface{}{"sseKmsEncryptedObjects": map[string]interface{}{"status": "Enabled"}},
				"destination":             map[string]interface{}{"bucket": "arn:aws:s3:::acme-velero-vault-usw2", "encryptionConfiguration": map[string]interface{}{"replicaKmsKeyId": replicaKey}},
			}},
		}
	}
	if err := tryCreate(euc1, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", rule("Enabled")); err == nil || !strings.Contains(err.Error(), "does not model replicating delete markers") {
		t.Errorf("delete marker replication: %v", err)
	}
	create(t, euc1, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication", rule("Disabled"))
	if got, _ := cloud.GetBucket("acme-velero-vault-euc1"); got.Replication == nil || *got.Replication != (awsfake.Replication{Role: role.Properties["arn"].StringValue(), Destination: "acme-velero-vault-usw2", ReplicaKMSKey: replicaKey}) {
		t.Errorf("replication = %+v", got.Replication)
	}

	// What S3 and KMS refuse, and what the rig does not model.
	if err := tryCreate(euc1, "aws:s3/bucketVersioningV2:BucketVersioningV2", map[string]interface{}{"bucket": "acme-velero-vault-euc1", "versioningConfiguration": map[string]interface{}{"status": "Suspended"}}); err == nil || !strings.Contains(err.Error(), "InvalidBucketState") {
		t.Errorf("suspending versioning: %v", err)
	}
	if err := tryCreate(euc1, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", map[string]interface{}{"bucket": "acme-velero-vault-euc1", "rule": map[string]interface{}{"defaultRetention": map[string]interface{}{"mode": "GOVERNANCE", "years": 1.0}}}); err == nil || !strings.Contains(err.Error(), "days only") {
		t.Errorf("retention in years: %v", err)
	}
	if _, err := euc1.Delete(ctx, plugin.DeleteRequest{Type: "aws:kms/key:Key", ID: key.ID, Outputs: key.Properties}); err == nil {
		t.Error("a key deletion was accepted")
	}
	if err := tryCreate(euc1, "aws:kms/key:Key", map[string]interface{}{"policy": `{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`}); err == nil || !strings.Contains(err.Error(), "will not allow you to update the key policy") {
		t.Errorf("a key policy locking the account out: %v", err)
	}
	region, err := usw2.Invoke(ctx, plugin.InvokeRequest{Tok: "aws:index/getRegion:getRegion"})
	if err != nil || region.Properties["name"].StringValue() != "us-west-2" {
		t.Errorf("getRegion = %v, %v", region.Properties, err)
	}
}
