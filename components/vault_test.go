package components

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// vaultArgs is the example vault of vaultExample, in eu-central-1 with
// its replica in us-west-2.
func vaultArgs(replica *aws.Provider) *BackupVaultArgs {
	return &BackupVaultArgs{
		BucketName: "acme-velero-vault-euc1", Region: "eu-central-1",
		ReplicaBucketName: "acme-velero-vault-usw2", ReplicaRegion: "us-west-2",
		ReplicaProvider: replica,
		Clusters:        vaultExample.Clusters,
		Restorers:       vaultExample.Restorers,
		ObjectLock:      VaultObjectLock{RetentionDays: 14},
		Tags:            map[string]string{"team": "platform"},
	}
}

// vaultInvokes answers what the vault asks each provider: the account
// (accounts[provider name], else the mocks' account) and the region the
// provider was configured with.
func vaultInvokes(rec *pulumimock.Recorder, accounts map[string]string) func(pulumimock.Invoke) (resource.PropertyMap, error) {
	return func(inv pulumimock.Invoke) (resource.PropertyMap, error) {
		switch inv.Token {
		case "aws:index/getCallerIdentity:getCallerIdentity":
			account := pulumimock.Account
			for name, a := range accounts {
				if strings.Contains(inv.Provider, "::"+name+"::") {
					account = a
				}
			}
			return resource.NewPropertyMapFromMap(map[string]interface{}{
				"accountId": account, "arn": "arn:aws:iam::" + account + ":role/deploy", "userId": "AROAEXAMPLE:deploy", "id": account,
			}), nil
		case "aws:index/getRegion:getRegion":
			region := rec.ProviderRegion(inv.Provider)
			return resource.NewPropertyMapFromMap(map[string]interface{}{"name": region, "id": region, "endpoint": "ec2." + region + ".amazonaws.com", "description": region}), nil
		}
		return nil, nil
	}
}

// runVault runs a program with the vault and two providers (aws-euc1 for
// the component, aws-usw2 for the replica).
func runVault(t *testing.T, accounts map[string]string, mutate func(*BackupVaultArgs)) (*pulumimock.Recorder, error) {
	t.Helper()
	rec := &pulumimock.Recorder{}
	rec.OnProviderInvoke = vaultInvokes(rec, accounts)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		primary, err := aws.NewProvider(ctx, "aws-euc1", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		replica, err := aws.NewProvider(ctx, "aws-usw2", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
		if err != nil {
			return err
		}
		args := vaultArgs(replica)
		if mutate != nil {
			mutate(args)
		}
		_, err = NewBackupVault(ctx, "vault", args, pulumi.Provider(primary))
		return err
	}, pulumi.WithMocks(testProject, testStack, rec))
	return rec, err
}

// TestBackupVault checks every child's exact inputs, provider and
// retention.
func TestBackupVault(t *testing.T) {
	rec, err := runVault(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := vaultExample
	in.Bucket = "acme-velero-vault-euc1"
	replicaIn := vaultExample
	replicaIn.Bucket = "acme-velero-vault-usw2"
	policyJSON := func(doc interface{ JSON() (string, error) }, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		s, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const account = pulumimock.Account
	keyARN := "arn:aws:kms:eu-central-1:" + account + ":key/vault-key-id"
	replicaKeyARN := "arn:aws:kms:us-west-2:" + account + ":key/vault-replica-key-id"
	for _, b := range []struct {
		base, bucket, region, provider, key, keyPolicy, bucketPolicy string
	}{
		{"vault", in.Bucket, "eu-central-1", "aws-euc1", keyARN,
			policyJSON(VaultKeyPolicy(in, account, "eu-central-1")), policyJSON(VaultBucketPolicy(in))},
		{"vault-replica", replicaIn.Bucket, "us-west-2", "aws-usw2", replicaKeyARN,
			policyJSON(VaultReplicaKeyPolicy(replicaIn, account, "us-west-2")), policyJSON(VaultReplicaBucketPolicy(replicaIn))},
	} {
		key := rec.MustFind(t, "aws:kms/key:Key", b.base+"-key")
		pulumimock.AssertInputs(t, key, map[string]interface{}{
			"description":          "Velero backup vault " + b.bucket + " (S3 default encryption)",
			"keyUsage":             "ENCRYPT_DECRYPT",
			"enableKeyRotation":    true,
			"deletionWindowInDays": 30,
			"policy":               b.keyPolicy,
			"tags":                 map[string]interface{}{"team": "platform"},
		})
		pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketV2:BucketV2", b.base+"-bucket"), map[string]interface{}{
			"bucket": b.bucket, "objectLockEnabled": true, "forceDestroy": false, "tags": map[string]interface{}{"team": "platform"},
		})
		pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", b.base+"-bucket-encryption"), map[string]interface{}{
			"bucket": b.bucket,
			"rules": []interface{}{map[string]interface{}{
				"applyServerSideEncryptionByDefault": map[string]interface{}{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": b.key},
				"bucketKeyEnabled":                   true,
			}},
		})
		pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketPolicy:BucketPolicy", b.base+"-bucket-policy"), map[string]interface{}{
			"bucket": b.bucket, "policy": b.bucketPolicy,
		})
		pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", b.base+"-bucket-object-lock"), map[string]interface{}{
			"bucket": b.bucket, "rule": map[string]interface{}{"defaultRetention": map[string]interface{}{"mode": "GOVERNANCE", "days": 14}},
		})
		pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", b.base+"-bucket-lifecycle"), map[string]interface{}{
			"bucket": b.bucket,
			"rules": []interface{}{map[string]interface{}{
				"id": "velero-vault-noncurrent-versions-delete-markers-and-incomplete-uploads", "status": "Enabled", "filter": map[string]interface{}{},
				"noncurrentVersionExpiration":    map[string]interface{}{"noncurrentDays": 30},
				"abortIncompleteMultipartUpload": map[string]interface{}{"daysAfterInitiation": 7},
				"expiration":                     map[string]interface{}{"expiredObjectDeleteMarker": true},
			}},
		})
		for _, suffix := range []string{"-key", "-bucket", "-bucket-public-access", "-bucket-ownership", "-bucket-encryption", "-bucket-versioning", "-bucket-policy", "-bucket-lifecycle", "-bucket-object-lock"} {
			found := false
			for _, res := range rec.Resources() {
				if res.Name != b.base+suffix {
					continue
				}
				found = true
				if !strings.Contains(res.Provider, "::"+b.provider+"::") {
					t.Errorf("%s uses provider %s, want %s", res.Name, res.Provider, b.provider)
				}
				if !res.RetainOnDelete {
					t.Errorf("%s is not kept on delete", res.Name)
				}
			}
			if !found {
				t.Errorf("no %s%s registered", b.base, suffix)
			}
		}
	}

	role := rec.MustFind(t, "aws:iam/role:Role", "vault-replication-role")
	pulumimock.AssertInputs(t, role, map[string]interface{}{
		"namePrefix":       "velero-vault-replication-",
		"assumeRolePolicy": policyJSON(ReplicationTrustPolicy(), nil),
		"description":      "S3 replication of the Velero backup vault acme-velero-vault-euc1 to acme-velero-vault-usw2",
	})
	replication, err := ReplicationPolicy(ReplicationInput{
		Partition:    "aws",
		SourceBucket: in.Bucket, SourceRegion: "eu-central-1", SourceKeyARN: keyARN,
		ReplicaBucket: replicaIn.Bucket, ReplicaRegion: "us-west-2", ReplicaKeyARN: replicaKeyARN,
		ObjectLock: true,
	})
	pulumimock.AssertInputs(t, rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "vault-replication-policy"), map[string]interface{}{
		"name": "velero-vault-replication", "policy": policyJSON(replication, err),
	})
	config := rec.MustFind(t, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "vault-replication")
	pulumimock.AssertInputs(t, config, map[string]interface{}{
		"bucket": in.Bucket,
		"role":   "arn:aws:iam::123456789012:role/velero-vault-replication-20261126000000000000000001",
		"rules": []interface{}{map[string]interface{}{
			"id": "velero-vault-to-replica", "status": "Enabled", "priority": 1, "filter": map[string]interface{}{},
			"deleteMarkerReplication": map[string]interface{}{"status": "Disabled"},
			"sourceSelectionCriteria": map[string]interface{}{"sseKmsEncryptedObjects": map[string]interface{}{"status": "Enabled"}},
			"destination": map[string]interface{}{
				"bucket":                  "arn:aws:s3:::" + replicaIn.Bucket,
				"encryptionConfiguration": map[string]interface{}{"replicaKmsKeyId": replicaKeyARN},
			},
		}},
	})
	// Replication starts only once both buckets are versioned and locked.
	for _, dep := range []string{"vault-bucket-versioning", "vault-replica-bucket-versioning", "vault-replica-bucket-object-lock", "vault-replication-policy"} {
		if !slices.ContainsFunc(config.DependsOn, func(urn string) bool { return strings.HasSuffix(urn, "::"+dep) }) {
			t.Errorf("the replication does not wait for %s: %v", dep, config.DependsOn)
		}
	}
	for _, name := range []string{"vault-replication-role", "vault-replication-policy", "vault-replication"} {
		if res, _ := rec.Find(typeOf(rec, name), name); !res.RetainOnDelete {
			t.Errorf("%s is not kept on delete", name)
		}
	}
}

// typeOf finds the type a child of the given name was registered with.
func typeOf(rec *pulumimock.Recorder, name string) string {
	for _, res := range rec.Resources() {
		if res.Name == name {
			return res.Type
		}
	}
	return ""
}

// TestBackupVaultErrors checks that bad arguments, and providers that work
// elsewhere, are refused by name before any child exists.
func TestBackupVaultErrors(t *testing.T) {
	cases := []struct {
		name     string
		accounts map[string]string
		mutate   func(*BackupVaultArgs)
		want     string
	}{
		{"same bucket", nil, func(a *BackupVaultArgs) { a.ReplicaBucketName = a.BucketName },
			`replicaBucketName "acme-velero-vault-euc1" is the vault bucket's name`},
		{"same region", nil, func(a *BackupVaultArgs) { a.ReplicaRegion = a.Region },
			`replicaRegion eu-central-1 is the vault's region: the replica must be in another region`},
		{"other partition", nil, func(a *BackupVaultArgs) { a.ReplicaRegion = "cn-north-1" },
			`replicaRegion cn-north-1 is in partition aws-cn and region eu-central-1 in aws: S3 replicates only within a partition`},
		{"no replica provider", nil, func(a *BackupVaultArgs) { a.ReplicaProvider = nil },
			`replicaProvider is not set: pass an aws provider for region us-west-2`},
		{"bad region", nil, func(a *BackupVaultArgs) { a.Region = "Frankfurt" },
			`region "Frankfurt" is not an AWS region code`},
		{"no retention", nil, func(a *BackupVaultArgs) { a.ObjectLock = VaultObjectLock{} },
			`objectLock.retentionDays 0 is out of range: a vault locks every version for 1–36500 days`},
		{"bad mode", nil, func(a *BackupVaultArgs) { a.ObjectLock.Mode = "governance" },
			`objectLock.mode "governance" is not an Object Lock mode: use GOVERNANCE (default) or COMPLIANCE`},
		{"compliance unacknowledged", nil, func(a *BackupVaultArgs) { a.ObjectLock.Mode = "COMPLIANCE" },
			`objectLock.mode COMPLIANCE locks every backup version for 14 days against everyone, the account's root user included`},
		{"acknowledgement without compliance", nil, func(a *BackupVaultArgs) { a.ObjectLock.ComplianceAcknowledged = true },
			`objectLock.complianceAcknowledged is set but objectLock.mode is GOVERNANCE`},
		{"no clusters", nil, func(a *BackupVaultArgs) { a.Clusters = nil },
			`no cluster is granted: add at least one`},
		{"bad noncurrent days", nil, func(a *BackupVaultArgs) { a.NoncurrentVersionExpirationDays = -1 },
			`noncurrentVersionExpirationDays -1 is out of range`},
		{"account", nil, func(a *BackupVaultArgs) { a.Account = "999999999999" },
			`account is 999999999999 but the aws provider works in account 123456789012: deploy the vault with credentials of the backup account`},
		{"replica account", map[string]string{"aws-usw2": "444455556666"}, nil,
			`replicaProvider works in account 444455556666, the vault in 123456789012: give it the same credentials`},
		{"replica provider region", nil, func(a *BackupVaultArgs) { a.ReplicaRegion = "us-east-2" },
			`replicaRegion is us-east-2 but its aws provider works in us-west-2: configure that provider for us-east-2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := runVault(t, c.accounts, c.mutate)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			for _, res := range rec.Resources() {
				if res.Custom && !strings.HasPrefix(res.Type, "pulumi:providers:") {
					t.Errorf("%s %s was registered despite the error", res.Type, res.Name)
				}
			}
		})
	}
}

// TestBackupVaultCompliance checks that an acknowledged COMPLIANCE mode
// reaches both buckets' lock.
func TestBackupVaultCompliance(t *testing.T) {
	rec, err := runVault(t, nil, func(a *BackupVaultArgs) {
		a.ObjectLock = VaultObjectLock{Mode: "COMPLIANCE", RetentionDays: 35, ComplianceAcknowledged: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vault-bucket-object-lock", "vault-replica-bucket-object-lock"} {
		rule, _ := json.Marshal(rec.MustFind(t, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", name).Inputs.Mappable()["rule"])
		if string(rule) != `{"defaultRetention":{"days":35,"mode":"COMPLIANCE"}}` {
			t.Errorf("%s rule = %s", name, rule)
		}
	}
}
