package components

import (
	"path/filepath"
	"strings"
	"testing"
)

// replicationExample is a vault in eu-central-1 replicated to eu-west-1.
var replicationExample = ReplicationInput{
	SourceBucket: "acme-velero-vault-euc1", SourceRegion: "eu-central-1",
	SourceKeyARN:  "arn:aws:kms:eu-central-1:999999999999:key/11111111-2222-3333-4444-555555555555",
	ReplicaBucket: "acme-velero-vault-usw2", ReplicaRegion: "us-west-2",
	ReplicaKeyARN: "arn:aws:kms:us-west-2:999999999999:key/66666666-7777-8888-9999-000000000000",
	ObjectLock:    true,
}

// TestReplicationDocuments pins the replication role's trust and
// permission policy (golden files under testdata/documents/replication).
func TestReplicationDocuments(t *testing.T) {
	trust, err := ReplicationTrustPolicy().JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "documents", "replication", "trust.json"), indentJSON(t, trust))
	policy, err := ReplicationPolicy(replicationExample)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := policy.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "documents", "replication", "policy.json"), indentJSON(t, compact))
	// Delete markers are not replicated, and nothing deletes in either
	// bucket: no delete or bypass action anywhere.
	for _, forbidden := range []string{"ReplicateDelete", "DeleteObject", "BypassGovernanceRetention", "PutObjectRetention", "s3:*", "kms:*"} {
		if strings.Contains(compact, forbidden) {
			t.Errorf("the replication policy grants %s: %s", forbidden, compact)
		}
	}
}

func TestReplicationPolicyVariants(t *testing.T) {
	unlocked := replicationExample
	unlocked.ObjectLock = false
	doc, err := ReplicationPolicy(unlocked)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Statement[1].Action, " "); got != "s3:GetObjectVersionForReplication s3:GetObjectVersionAcl s3:GetObjectVersionTagging" {
		t.Errorf("source reads without Object Lock = %s", got)
	}
	china := ReplicationInput{
		SourceBucket: "a", SourceRegion: "cn-north-1", SourceKeyARN: "arn:aws-cn:kms:cn-north-1:1:key/a",
		ReplicaBucket: "b", ReplicaRegion: "cn-northwest-1", ReplicaKeyARN: "arn:aws-cn:kms:cn-northwest-1:1:key/b",
	}
	doc, err = ReplicationPolicy(china)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Statement[4].Condition["StringEquals"]["kms:ViaService"][0]; got != "s3.cn-northwest-1.amazonaws.com.cn" {
		t.Errorf("replica key's kms:ViaService in aws-cn = %s", got)
	}
	if got := doc.Statement[2].Resource[0]; got != "arn:aws-cn:s3:::b/*" {
		t.Errorf("replica objects in aws-cn = %s", got)
	}
	for _, c := range []struct {
		mutate func(*ReplicationInput)
		want   string
	}{
		{func(in *ReplicationInput) { in.ReplicaKeyARN = "" }, "replication policy: the replica key is empty"},
		{func(in *ReplicationInput) { in.ReplicaRegion = in.SourceRegion }, "replication policy: the replica is in the source's region eu-central-1; a vault replicates to another region"},
	} {
		in := replicationExample
		c.mutate(&in)
		if _, err := ReplicationPolicy(in); err == nil || err.Error() != c.want {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}
