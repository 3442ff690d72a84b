package components

import (
	"path/filepath"
	"strings"
	"testing"
)

// vaultExample is a vault taking backups from two clusters in two
// accounts.
var vaultExample = VaultPolicyInput{
	Partition: "aws", Bucket: "acme-velero-vault-euc1",
	Clusters: map[string]VaultCluster{
		"prod-use1":    {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/velero/prod-use1-velero-*", Prefix: "clusters/prod-use1"},
		"staging-euc1": {Account: "444455556666", RoleArnPattern: "arn:aws:iam::444455556666:role/staging-euc1-velero-*", Prefix: "clusters/staging-euc1"},
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
		{"bad prefix", func(in *VaultPolicyInput) {
			in.Clusters = map[string]VaultCluster{"a": {Account: "111122223333", RoleArnPattern: "arn:aws:iam::111122223333:role/a-*", Prefix: "clusters/*"}}
		}, `clusters.a.prefix "clusters/*" has segment "*"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := vaultExample
			c.mutate(&in)
			if _, err := VaultBucketPolicy(in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Sibling prefixes that share leading characters are apart.
	in := vaultExample
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
