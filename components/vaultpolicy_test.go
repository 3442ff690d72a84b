package components

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// vaultExample is a vault taking backups from two clusters in two
// accounts (prod-use1 is the documents' cluster, in testAccount), which
// one disaster-recovery cluster, in a third, may restore; the golden
// documents of the "vault" and "vault-restorer" cases are those clusters'
// own, so the rig's tests run all of them together.
var vaultExample = VaultPolicyInput{
	Partition: "aws", Bucket: "acme-velero-vault-euc1",
	Clusters: map[string]VaultCluster{
		"prod-use1":    {Account: testAccount, RoleArnPattern: "arn:aws:iam::" + testAccount + ":role/prod-use1-velero-*", Prefix: "clusters/prod-use1"},
		"staging-euc1": {Account: "444455556666", RoleArnPattern: "arn:aws:iam::444455556666:role/staging-euc1-velero-*", Prefix: "clusters/staging-euc1"},
	},
	Restorers: map[string]VaultRestorer{
		"dr-usw2": {Account: "777788889999", RoleArnPattern: "arn:aws:iam::777788889999:role/dr-usw2-velero-*", Clusters: []string{"prod-use1"}},
	},
}

// TestVaultBucketPolicy pins the vault's bucket policy (golden file) and
// what must never be in it.
func TestVaultBucketPolicy(t *testing.T) {
	doc, err := VaultBucketPolicy(vaultExample)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "documents", "vault", "bucket-policy.json"), indentJSON(t, compact))
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		// A wildcard principal would make the policy public.
		if strings.Join(st.Principal.AWS, ",") == "*" {
			t.Errorf("statement %s allows principal *", st.Sid)
		}
		for _, a := range st.Action {
			if a == "s3:DeleteObjectVersion" || a == "s3:BypassGovernanceRetention" || strings.HasSuffix(a, "*") {
				t.Errorf("statement %s allows %s", st.Sid, a)
			}
		}
	}
}

func TestVaultBucketPolicyErrors(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*VaultPolicyInput)
		want   string
	}{
		{"no clusters", func(in *VaultPolicyInput) { in.Clusters = nil }, "vault bucket policy: no cluster is granted: add at least one"},
		{"account", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "1111", RoleArnPattern: "arn:aws:iam::1111:role/x", Prefix: "clusters/a"}}
		}, `clusters.a.account "1111" is not a 12-digit AWS account ID`},
		{"pattern of another account", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::*:role/a-velero-*", Prefix: "clusters/a"}}
		}, `clusters.a.roleArnPattern "arn:aws:iam::*:role/a-velero-*" must name roles of account 111122223333: start it with arn:aws:iam::111122223333:role/, e.g. arn:aws:iam::111122223333:role/a-velero-*`},
		{"no prefix", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/a-*"}}
		}, `clusters.a.prefix is empty: each cluster writes under a prefix of its own, e.g. clusters/a`},
		{"nested prefixes", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{
				"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/a-*", Prefix: "clusters/a"},
				"b": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/b-*", Prefix: "clusters/a/b"},
			}
		}, `clusters a and b have prefixes "clusters/a" and "clusters/a/b", one inside the other`},
		{"every role of the account", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/*", Prefix: "clusters/a"}}
		}, `clusters.a.roleArnPattern "arn:aws:iam::111122223333:role/*" must name roles of account 111122223333`},
		{"restorer of no cluster", func(in *VaultPolicyInput) {
			in.Restorers = map[string]VaultRestorer{"dr": {Account: "777788889999", RoleArnPattern: "arn:aws:iam::777788889999:role/dr-velero-*"}}
		}, `restorers.dr.clusters is empty: name the clusters whose backups dr may restore, e.g. [prod-use1, staging-euc1]`},
		{"restorer of an unknown cluster", func(in *VaultPolicyInput) {
			in.Restorers = map[string]VaultRestorer{"dr": {Account: "777788889999", RoleArnPattern: "arn:aws:iam::777788889999:role/dr-velero-*", Clusters: []string{"prod-euw1"}}}
		}, `restorers.dr.clusters names "prod-euw1", which is not one of the vault's clusters (prod-use1, staging-euc1)`},
		{"restorer pattern of another account", func(in *VaultPolicyInput) {
			in.Restorers = map[string]VaultRestorer{"dr": {Account: "777788889999", RoleArnPattern: "arn:aws:iam::111122223333:role/dr-*", Clusters: []string{"prod-use1"}}}
		}, `restorers.dr.roleArnPattern "arn:aws:iam::111122223333:role/dr-*" must name roles of account 777788889999`},
		{"bad prefix", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/a-*", Prefix: "clusters/*"}}
		}, `clusters.a.prefix "clusters/*" has segment "*"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := vaultExample
			in.Restorers = nil // the restorer cases set their own
			c.mutate(&in)
			if _, err := VaultBucketPolicy(in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Sibling prefixes that share leading characters are apart.
	in := vaultExample
	in.Restorers = nil
	in.Clusters = map[string]VaultCluster{
		"a":  {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/a-*", Prefix: "clusters/a"},
		"ab": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/ab-*", Prefix: "clusters/ab"},
	}
	if _, err := VaultBucketPolicy(in); err != nil {
		t.Errorf("clusters/a and clusters/ab: %v", err)
	}
}

// TestVaultKeyPolicy pins the vault key's policy (golden file): only the
// vault account manages the key; clusters use it only through S3 in the
// vault's region, for the vault bucket.
func TestVaultKeyPolicy(t *testing.T) {
	doc, err := VaultKeyPolicy(vaultExample, "999999999999", "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	compact, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "documents", "vault", "key-policy.json"), indentJSON(t, compact))
	for _, st := range doc.Statement[1:] {
		if strings.Join(st.Action, " ") != "kms:GenerateDataKey kms:Decrypt" || st.Condition["StringEquals"]["kms:ViaService"][0] != "s3.eu-central-1.amazonaws.com" {
			t.Errorf("cluster statement %s: actions %v, conditions %v", st.Sid, st.Action, st.Condition)
		}
	}
	if _, err := VaultKeyPolicy(vaultExample, "9999", "eu-central-1"); err == nil || !strings.Contains(err.Error(), `vault key policy: the vault's account "9999" must be a 12-digit account ID`) {
		t.Errorf("bad vault account: %v", err)
	}
}

// TestVaultReplicaPolicies pins the replica bucket's and key's policies
// (golden files): a restorer reads only the prefixes of the clusters it
// is granted; nobody but replication writes.
func TestVaultReplicaPolicies(t *testing.T) {
	in := vaultExample
	in.Bucket = "acme-velero-vault-usw2"
	bucketPolicy, err := VaultReplicaBucketPolicy(in)
	if err != nil {
		t.Fatal(err)
	}
	keyPolicy, err := VaultReplicaKeyPolicy(in, "999999999999", "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	for file, doc := range map[string]iampolicy.Document{"replica-bucket-policy.json": bucketPolicy, "replica-key-policy.json": keyPolicy} {
		compact, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", "documents", "vault", file), indentJSON(t, compact))
	}
	for _, st := range bucketPolicy.Statement {
		if st.Effect != "Allow" {
			continue
		}
		resources := strings.Join(st.Resource, " ")
		switch got := strings.Join(st.Action, " "); got {
		case "s3:GetObject", "s3:ListBucket":
		case "s3:PutObject s3:AbortMultipartUpload":
			// Only the restore records Velero writes beside a backup.
			if resources != "arn:aws:s3:::acme-velero-vault-usw2/clusters/prod-use1/restores/*" {
				t.Errorf("statement %s writes %s", st.Sid, resources)
			}
		default:
			t.Errorf("statement %s allows %s in the replica", st.Sid, got)
		}
		if strings.Contains(resources, "staging-euc1") {
			t.Errorf("statement %s reaches staging-euc1, which dr-usw2 is not granted: %s", st.Sid, resources)
		}
	}
	writes, deletes := bucketPolicy.Statement[len(bucketPolicy.Statement)-2], bucketPolicy.Statement[len(bucketPolicy.Statement)-1]
	if got := strings.Join(writes.Condition["ArnLike"]["aws:PrincipalArn"], " "); writes.Sid != "DenyClusterRolesWrites" || got != "arn:aws:iam::123456789012:role/prod-use1-velero-* arn:aws:iam::444455556666:role/staging-euc1-velero-*" {
		t.Errorf("the replica's write deny %s covers %s", writes.Sid, got)
	}
	if got := strings.Join(deletes.Condition["ArnLike"]["aws:PrincipalArn"], " "); got != "arn:aws:iam::123456789012:role/prod-use1-velero-* arn:aws:iam::444455556666:role/staging-euc1-velero-* arn:aws:iam::777788889999:role/dr-usw2-velero-*" {
		t.Errorf("the replica's delete deny covers %s", got)
	}
	// Without restorers the replica admits no cluster role at all.
	in.Restorers = nil
	none, err := VaultReplicaBucketPolicy(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range none.Statement {
		if st.Effect != "Deny" {
			t.Errorf("replica policy without restorers allows %s", st.Sid)
		}
	}
	// A cluster that is also a restorer may write its restore records.
	in.Restorers = map[string]VaultRestorer{"prod-use1": {Account: testAccount, RoleArnPattern: in.Clusters["prod-use1"].RoleArnPattern, Clusters: []string{"staging-euc1"}}}
	both, err := VaultReplicaBucketPolicy(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range both.Statement {
		if st.Sid == "DenyClusterRolesWrites" && strings.Contains(strings.Join(st.Condition["ArnLike"]["aws:PrincipalArn"], " "), "prod-use1") {
			t.Errorf("the write deny covers prod-use1, which restores: %v", st.Condition)
		}
	}
}
