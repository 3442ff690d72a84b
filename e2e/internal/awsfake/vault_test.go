package awsfake

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The vault of the component's golden documents (components/testdata/
// documents/vault, vault-restorer, replication): prod-use1 (testAccount,
// us-east-1) writes to acme-velero-vault-euc1 in the backup account,
// which replicates to acme-velero-vault-usw2, from which dr-usw2
// (777788889999, us-west-2) restores.
const (
	vaultAccount  = "999999999999"
	drAccount     = "777788889999"
	vaultBucket   = "acme-velero-vault-euc1"
	replicaBucket = "acme-velero-vault-usw2"
	vaultKey      = "arn:aws:kms:eu-central-1:999999999999:key/11111111-2222-3333-4444-555555555555"
	replicaKey    = "arn:aws:kms:us-west-2:999999999999:key/66666666-7777-8888-9999-000000000000"
	drIssuer      = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
)

// denial is a request that must be refused: its error, and what the
// refusal's code or message must contain.
type denial struct {
	what string
	err  error
	want string
}

// wantDenied checks each request was refused as it should be.
func wantDenied(t *testing.T, denials []denial) {
	t.Helper()
	for _, c := range denials {
		if got := apiCode(c.err); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}

type vaultRig struct {
	cloud              *Cloud
	s3impl             *S3
	sts, s3            *httptest.Server
	prodIss, drIss     *issuer
	prod, dr, admin    *Role
	replication        *Role
	prodCreds, drCreds aws.Credentials
	adminCreds         aws.Credentials
}

func newVaultRig(t *testing.T) *vaultRig {
	t.Helper()
	c := NewCloud()
	v := &vaultRig{cloud: c, prodIss: newIssuer(t, testIssuer), drIss: newIssuer(t, drIssuer)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []struct{ account, issuer string }{{testAccount, testIssuer}, {drAccount, drIssuer}, {vaultAccount, testIssuer}} {
		_, err := c.CreateOpenIDConnectProvider("aws", p.account, p.issuer, []string{"sts.amazonaws.com"}, nil, nil)
		must(err)
	}
	role := func(account, prefix, trust, policy string) *Role {
		r, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: account, NamePrefix: prefix, TrustPolicy: trust})
		must(err)
		must(c.PutRolePolicy(r.Name, "policy", policy))
		return r
	}
	v.prod = role(testAccount, "prod-use1-velero-", golden(t, "vault", "trust.json"), golden(t, "vault", "policy.json"))
	v.dr = role(drAccount, "dr-usw2-velero-", golden(t, "vault-restorer", "trust.json"), golden(t, "vault-restorer", "policy.json"))
	v.replication = role(vaultAccount, "velero-vault-replication-", golden(t, "replication", "trust.json"), golden(t, "replication", "policy.json"))
	// The backup account's administrator: everything its IAM policy allows.
	v.admin = role(vaultAccount, "vault-admin-", `{"Version":"2012-10-17","Statement":[{"Sid":"Assume","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::999999999999:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`)

	c.CreateKey(Key{ARN: vaultKey, Region: "eu-central-1", Account: vaultAccount, Policy: golden(t, "vault", "key-policy.json")})
	c.CreateKey(Key{ARN: replicaKey, Region: "us-west-2", Account: vaultAccount, Policy: golden(t, "vault", "replica-key-policy.json")})
	v.s3impl = NewS3(c, s3mem.New())
	for _, b := range []struct{ name, region, key, policy string }{
		{vaultBucket, "eu-central-1", vaultKey, golden(t, "vault", "bucket-policy.json")},
		{replicaBucket, "us-west-2", replicaKey, golden(t, "vault", "replica-bucket-policy.json")},
	} {
		must(v.s3impl.CreateBucket(Bucket{Name: b.name, Region: b.region, Account: vaultAccount, Partition: "aws", ObjectLock: true}))
		must(c.UpdateBucket(b.name, func(x *Bucket) {
			x.BlockPublicPolicy, x.DefaultKMSKey, x.Policy = true, b.key, b.policy
			x.DefaultRetention = &Retention{Mode: "GOVERNANCE", Days: 14}
		}))
	}
	must(c.putReplication(BucketSettingInput{Name: vaultBucket, Replication: &Replication{Role: v.replication.ARN, Destination: replicaBucket, ReplicaKMSKey: replicaKey}}))

	keys := func(iss string) (KeySet, error) {
		if iss == drIssuer {
			return v.drIss.keys(iss)
		}
		return v.prodIss.keys(iss)
	}
	v.sts = httptest.NewServer(c.STSHandler(keys))
	v.s3 = httptest.NewTLSServer(v.s3impl)
	t.Cleanup(func() { v.sts.Close(); v.s3.Close() })
	assume := func(r *Role, iss *issuer, sub string) aws.Credentials {
		client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(v.sts.URL), Credentials: aws.AnonymousCredentials{}})
		out, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(r.ARN), RoleSessionName: aws.String("velero"),
			WebIdentityToken: aws.String(iss.token(t, sub, "sts.amazonaws.com", time.Now().Add(time.Hour))),
		})
		must(err)
		return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	}
	v.prodCreds = assume(v.prod, v.prodIss, "system:serviceaccount:velero:velero-server")
	v.drCreds = assume(v.dr, v.drIss, "system:serviceaccount:velero:velero-server")
	v.adminCreds = assume(v.admin, v.prodIss, "system:serviceaccount:ops:admin")
	return v
}

// client is an S3 client that, as the AWS plugin v1.14.3 configures it,
// computes checksums only when asked.
func (v *vaultRig) client(creds aws.Credentials, region string) *s3.Client {
	return s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(v.s3.URL), UsePathStyle: true, HTTPClient: v.s3.Client(),
		Credentials:                credentials.StaticCredentialsProvider{Value: creds},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
}

func put(c *s3.Client, bucket, key, body string, checksum bool) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	if checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	_, err := c.PutObject(context.Background(), in)
	return err
}

func get(c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// TestVaultClusterAccess: a cluster role writes, reads and lists its own
// prefix across accounts, with a checksum; nothing of another cluster's.
func TestVaultClusterAccess(t *testing.T) {
	v := newVaultRig(t)
	ctx := context.Background()
	prod := v.client(v.prodCreds, "eu-central-1")
	const obj = "clusters/prod-use1/backups/b1/velero-backup.json"
	if got := apiCode(put(prod, vaultBucket, obj, "backup", false)); got != "InvalidRequest: Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters" {
		t.Errorf("upload without a checksum: %q", got)
	}
	if err := put(prod, vaultBucket, obj, "backup", true); err != nil {
		t.Fatalf("upload with a checksum: %v", err)
	}
	if got, err := get(prod, vaultBucket, obj); err != nil || got != "backup" {
		t.Errorf("read back %q, %v", got, err)
	}
	if _, err := prod.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(vaultBucket), Prefix: aws.String("clusters/prod-use1/"), Delimiter: aws.String("/")}); err != nil {
		t.Errorf("list own prefix: %v", err)
	}
	wantDenied(t, []denial{
		{"write another cluster's prefix", put(prod, vaultBucket, "clusters/staging-euc1/backups/x", "x", true), "because no identity-based policy allows the s3:PutObject action"},
		{"list another cluster's prefix", func() error {
			_, err := prod.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(vaultBucket), Prefix: aws.String("clusters/staging-euc1/")})
			return err
		}(), "because no resource-based policy allows the s3:ListBucket action"},
		{"list the whole bucket", func() error {
			_, err := prod.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(vaultBucket)})
			return err
		}(), "because no resource-based policy allows the s3:ListBucket action"},
		{"read the replica", func() error { _, err := get(v.client(v.prodCreds, "us-west-2"), replicaBucket, obj); return err }(), "AccessDenied"},
	})
	// The vault does not rest on the cluster's own policy: a role of the
	// cluster's account that IAM lets do anything is still held to its
	// prefix by the bucket policy.
	if err := v.cloud.PutRolePolicy(v.prod.Name, "policy", `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if got := apiCode(put(prod, vaultBucket, "clusters/staging-euc1/backups/x", "x", true)); !strings.Contains(got, "because no resource-based policy allows the s3:PutObject action") {
		t.Errorf("an all-powerful cluster role writes another cluster's prefix: %q", got)
	}
	if _, err := get(prod, vaultBucket, "clusters/staging-euc1/backups/x"); !strings.Contains(apiCode(err), "because no resource-based policy allows the s3:GetObject action") {
		t.Errorf("an all-powerful cluster role reads another cluster's prefix: %v", err)
	}
	// The object is encrypted with the vault key, as the bucket's default.
	versions, err := v.s3impl.Versions(vaultBucket, "clusters/prod-use1/")
	if err != nil || len(versions) != 1 || versions[0].KMSKey != vaultKey || versions[0].LockMode != "GOVERNANCE" {
		t.Fatalf("versions = %+v, %v", versions, err)
	}
	if d := versions[0].LockUntil.Sub(time.Now()); d < 13*24*time.Hour || d > 14*24*time.Hour {
		t.Errorf("locked for %v, want 14 days", d)
	}
}

// TestVaultLock: a cluster role's delete only adds a delete marker; it may
// not delete a version or change a lock; the account's administrator may
// not delete a locked version without bypassing governance.
func TestVaultLock(t *testing.T) {
	v := newVaultRig(t)
	ctx := context.Background()
	prod := v.client(v.prodCreds, "eu-central-1")
	const obj = "clusters/prod-use1/backups/b1/velero-backup.json"
	if err := put(prod, vaultBucket, obj, "backup", true); err != nil {
		t.Fatal(err)
	}
	id := func() string {
		versions, err := v.s3impl.Versions(vaultBucket, obj)
		if err != nil || len(versions) == 0 {
			t.Fatalf("versions: %v %v", versions, err)
		}
		for _, x := range versions {
			if !x.DeleteMarker {
				return x.VersionID
			}
		}
		return ""
	}()
	if _, err := prod.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj)}); err != nil {
		t.Fatalf("delete (a delete marker): %v", err)
	}
	if _, err := get(prod, vaultBucket, obj); !strings.Contains(apiCode(err), "NoSuchKey") {
		t.Errorf("read after delete: %v", err)
	}
	versions, _ := v.s3impl.Versions(vaultBucket, obj)
	if len(versions) != 2 || !versions[0].DeleteMarker && !versions[1].DeleteMarker {
		t.Errorf("after the delete: %+v, want the version and a delete marker", versions)
	}
	_, err := prod.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id)})
	if got := apiCode(err); !strings.Contains(got, "s3:DeleteObjectVersion") || !strings.Contains(got, "explicit deny in a resource-based policy") {
		t.Errorf("cluster deletes a version: %q", got)
	}
	_, err = prod.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id),
		Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))},
		BypassGovernanceRetention: aws.Bool(true), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if got := apiCode(err); !strings.Contains(got, "s3:PutObjectRetention") || !strings.Contains(got, "explicit deny") {
		t.Errorf("cluster shortens a retention: %q", got)
	}

	_, err = prod.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(vaultBucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	if got := apiCode(err); !strings.Contains(got, "s3:PutBucketObjectLockConfiguration") || !strings.Contains(got, "explicit deny") {
		t.Errorf("cluster changes the bucket's lock: %q", got)
	}

	admin := v.client(v.adminCreds, "eu-central-1")
	_, err = admin.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(vaultBucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	if got := apiCode(err); !strings.Contains(got, "NotImplemented") {
		t.Errorf("admin changes the bucket's lock through S3: %q, want the rig's refusal", got)
	}
	_, err = admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id)})
	if got := apiCode(err); got != "AccessDenied: Access Denied because object protected by object lock." {
		t.Errorf("admin deletes a locked version: %q", got)
	}
	// Extending is allowed; shortening only with the bypass.
	_, err = admin.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id),
		Retention:         &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(20 * 24 * time.Hour))},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Errorf("admin extends a retention: %v", err)
	}
	_, err = admin.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id),
		Retention:         &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if got := apiCode(err); got != "AccessDenied: Access Denied because object protected by object lock." {
		t.Errorf("admin shortens without the bypass: %q", got)
	}
	_, err = admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: aws.String(id), BypassGovernanceRetention: aws.Bool(true)})
	if err != nil {
		t.Errorf("admin deletes with the governance bypass: %v", err)
	}
}

// waitReplicated waits for the version of key to leave PENDING.
func (v *vaultRig) waitReplicated(t *testing.T, key string) ObjectVersion {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		versions, _ := v.s3impl.Versions(vaultBucket, key)
		for _, x := range versions {
			if !x.DeleteMarker && x.Replication != "PENDING" {
				return x
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not replicated: %+v", key, versions)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestVaultReplication: new versions reach the replica under the
// replication role, re-encrypted and still locked; deletes do not; the
// restorer reads only its granted prefix and writes only restore records.
func TestVaultReplication(t *testing.T) {
	v := newVaultRig(t)
	ctx := context.Background()
	prod := v.client(v.prodCreds, "eu-central-1")
	const obj = "clusters/prod-use1/backups/b1/velero-backup.json"
	if err := put(prod, vaultBucket, obj, "backup", true); err != nil {
		t.Fatal(err)
	}
	if src := v.waitReplicated(t, obj); src.Replication != "COMPLETED" {
		t.Fatalf("replication: %s", src.Replication)
	}
	replicas, _ := v.s3impl.Versions(replicaBucket, obj)
	if len(replicas) != 1 || replicas[0].KMSKey != replicaKey || replicas[0].Replication != "REPLICA" || replicas[0].LockMode != "GOVERNANCE" {
		t.Fatalf("replica = %+v", replicas)
	}
	if _, err := prod.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	dr := v.client(v.drCreds, "us-west-2")
	if got, err := get(dr, replicaBucket, obj); err != nil || got != "backup" {
		t.Errorf("the restorer reads the replica after the delete in the vault: %q, %v", got, err)
	}
	wantDenied(t, []denial{
		{"restorer writes a backup", put(dr, replicaBucket, "clusters/prod-use1/backups/b2/x", "x", true), "because no identity-based policy allows the s3:PutObject action"},
		{"restorer deletes", func() error {
			_, err := dr.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(replicaBucket), Key: aws.String(obj)})
			return err
		}(), "s3:DeleteObject"},
		{"restorer reads an ungranted prefix", func() error { _, err := get(dr, replicaBucket, "clusters/staging-euc1/x"); return err }(), "AccessDenied"},
		{"restorer reads the vault", func() error { _, err := get(v.client(v.drCreds, "eu-central-1"), vaultBucket, obj); return err }(), "AccessDenied"},
	})
	if err := put(dr, replicaBucket, "clusters/prod-use1/restores/r1/restore-r1-logs.gz", "log", true); err != nil {
		t.Errorf("restorer writes a restore record: %v", err)
	}
	// A replication role S3 may not assume leaves versions FAILED.
	if _, err := v.cloud.UpdateRole(v.replication.Name, func(r *Role) error {
		r.TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const second = "clusters/prod-use1/backups/b3/velero-backup.json"
	if err := put(prod, vaultBucket, second, "b3", true); err != nil {
		t.Fatal(err)
	}
	if got := v.waitReplicated(t, second).Replication; !strings.HasPrefix(got, "FAILED: S3 may not assume the replication role") {
		t.Errorf("replication with a wrong trust: %s", got)
	}
}

// TestVaultRegionOutage: while the vault's region is out its bucket and
// key refuse, and the replica in the other region still serves.
func TestVaultRegionOutage(t *testing.T) {
	v := newVaultRig(t)
	prod := v.client(v.prodCreds, "eu-central-1")
	const obj = "clusters/prod-use1/backups/b1/velero-backup.json"
	if err := put(prod, vaultBucket, obj, "backup", true); err != nil {
		t.Fatal(err)
	}
	v.waitReplicated(t, obj)
	v.cloud.SetRegionOutage("eu-central-1", true)
	if got := apiCode(put(prod, vaultBucket, obj, "again", true)); !strings.Contains(got, "ServiceUnavailable") {
		t.Errorf("upload during the outage: %q", got)
	}
	regional := httptest.NewServer(v.cloud.RegionalEndpoint("eu-central-1", v.cloud.STSHandler(v.prodIss.keys)))
	defer regional.Close()
	client := stsClientAt(regional.URL)
	_, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(v.prod.ARN), RoleSessionName: aws.String("velero"),
		WebIdentityToken: aws.String(v.prodIss.token(t, "system:serviceaccount:velero:velero-server", "sts.amazonaws.com", time.Now().Add(time.Hour))),
	})
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("STS of the region during the outage: %v", err)
	}
	if got, err := get(v.client(v.drCreds, "us-west-2"), replicaBucket, obj); err != nil || got != "backup" {
		t.Errorf("the replica during the outage: %q, %v", got, err)
	}
	v.cloud.SetRegionOutage("eu-central-1", false)
	if err := put(prod, vaultBucket, obj, "again", true); err != nil {
		t.Errorf("upload after the outage: %v", err)
	}
}

func stsClientAt(url string) *sts.Client {
	return sts.New(sts.Options{Region: "eu-central-1", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{}})
}

// TestVaultSettingsRefused: what S3 refuses when the vault is configured.
func TestVaultSettingsRefused(t *testing.T) {
	v := newVaultRig(t)
	public := `{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-velero-vault-euc1/*"}]}`
	if err := v.cloud.UpdateBucket(vaultBucket, func(b *Bucket) { b.Policy = public }); err == nil || !strings.Contains(err.Error(), "public policies are blocked by the BlockPublicPolicy") {
		t.Errorf("public policy: %v", err)
	}
	if b, _ := v.cloud.GetBucket(vaultBucket); b.Policy == public {
		t.Error("the refused policy was kept")
	}
	if err := v.cloud.putVersioning(BucketSettingInput{Name: vaultBucket, Versioning: "Suspended"}); err == nil || !strings.Contains(err.Error(), "versioning state cannot be changed") {
		t.Errorf("suspending versioning: %v", err)
	}
	if _, err := v.cloud.createKey(KeyInput{Region: "eu-central-1", Account: vaultAccount, Partition: "aws",
		Policy: `{"Version":"2012-10-17","Statement":[{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:Decrypt","Resource":"*"}]}`}); err == nil || !strings.Contains(err.Error(), "will not allow you to update the key policy") {
		t.Errorf("key policy lockout: %v", err)
	}
	if err := v.cloud.putReplication(BucketSettingInput{Name: vaultBucket, Replication: &Replication{Role: v.replication.ARN, Destination: vaultBucket}}); err == nil {
		t.Error("replication to itself was accepted")
	}
	if err := v.cloud.putObjectLock(BucketSettingInput{Name: vaultBucket, DefaultRetention: &Retention{Mode: "governance", Days: 1}}); err == nil {
		t.Error("a lower-case mode was accepted")
	}
}

// TestVaultUndelete: removing a delete marker, as the backup account's
// administrator may, makes the version behind it current again, and the
// bucket lists as before (the restore procedure of deleted backups).
func TestVaultUndelete(t *testing.T) {
	v := newVaultRig(t)
	ctx := context.Background()
	prod := v.client(v.prodCreds, "eu-central-1")
	admin := v.client(v.adminCreds, "eu-central-1")
	const obj = "clusters/prod-use1/backups/b1/velero-backup.json"
	for _, body := range []string{"first", "second"} {
		if err := put(prod, vaultBucket, obj, body, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := prod.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj)}); err != nil {
		t.Fatal(err)
	}
	listed, err := admin.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(vaultBucket), Prefix: aws.String("clusters/prod-use1/backups/")})
	if err != nil || len(listed.DeleteMarkers) != 1 || len(listed.Versions) != 2 || !aws.ToBool(listed.DeleteMarkers[0].IsLatest) {
		t.Fatalf("versions after the delete: %+v %+v, %v", listed.Versions, listed.DeleteMarkers, err)
	}
	if _, err := admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(vaultBucket), Key: aws.String(obj), VersionId: listed.DeleteMarkers[0].VersionId}); err != nil {
		t.Fatalf("removing the delete marker: %v", err)
	}
	if got, err := get(prod, vaultBucket, obj); err != nil || got != "second" {
		t.Errorf("after removing the marker: %q, %v; want the newest version back", got, err)
	}
	out, err := prod.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(vaultBucket), Prefix: aws.String("clusters/prod-use1/"), Delimiter: aws.String("/")})
	if err != nil || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "clusters/prod-use1/backups/" {
		t.Errorf("listing after the undelete: %+v, %v", out, err)
	}
}
