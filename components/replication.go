package components

import (
	"fmt"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// ReplicationInput describes S3 replication from a backup bucket to its
// replica in another region, both encrypted with customer managed keys
// (SSE-KMS with an S3 Bucket Key), as a backup vault replicates.
type ReplicationInput struct {
	Partition string
	// The source bucket, its region and its key's ARN.
	SourceBucket, SourceRegion, SourceKeyARN string
	// The replica bucket, its region and its key's ARN (a key in the
	// replica's region: S3 encrypts the replicas with it).
	ReplicaBucket, ReplicaRegion, ReplicaKeyARN string
	// ObjectLock is true when the buckets have S3 Object Lock: the role
	// then also reads each version's retention and legal hold, which
	// replication copies with it.
	ObjectLock bool
}

// ReplicationTrustPolicy lets Amazon S3 assume the replication role
// (S3 user guide, "Setting up permissions for live replication").
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
func ReplicationTrustPolicy() iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Sid:       "S3AssumesForReplication",
		Effect:    iampolicy.Allow,
		Principal: &iampolicy.Principal{Service: iampolicy.Values{"s3.amazonaws.com"}},
		Action:    iampolicy.Values{"sts:AssumeRole"},
	})
}

// ReplicationPolicy is the replication role's permission policy: what S3
// needs to read new versions of the source (with their Object Lock
// retention when the buckets are locked), write them as replicas, and
// decrypt and re-encrypt them, each key only through S3 in its region and
// for its bucket. It grants no s3:ReplicateDelete: delete markers are not
// replicated (the rule's DeleteMarkerReplication is Disabled), so a delete
// in the source, by Velero or by someone holding its role, never reaches
// the replica. Sources: the S3 user guide, "Setting up permissions for
// live replication", "Replicating encrypted objects" (with a Bucket Key
// the encryption context is the bucket's ARN) and "Using S3 Object Lock
// with replication".
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
func ReplicationPolicy(in ReplicationInput) (iampolicy.Document, error) {
	for _, f := range []struct{ name, value string }{
		{"source bucket", in.SourceBucket}, {"source region", in.SourceRegion}, {"source key", in.SourceKeyARN},
		{"replica bucket", in.ReplicaBucket}, {"replica region", in.ReplicaRegion}, {"replica key", in.ReplicaKeyARN},
	} {
		if f.value == "" {
			return iampolicy.Document{}, fmt.Errorf("replication policy: the %s is empty", f.name)
		}
	}
	if in.SourceRegion == in.ReplicaRegion {
		return iampolicy.Document{}, fmt.Errorf("replication policy: the replica is in the source's region %s; a vault replicates to another region", in.SourceRegion)
	}
	partition := in.Partition
	if partition == "" {
		partition = regionPartition(in.SourceRegion)
	}
	source, replica := s3BucketARN(partition, in.SourceBucket), s3BucketARN(partition, in.ReplicaBucket)
	read := iampolicy.Values{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"}
	if in.ObjectLock {
		read = append(read, "s3:GetObjectRetention", "s3:GetObjectLegalHold")
	}
	doc := iampolicy.New(
		iampolicy.Statement{
			Sid:    "ReadReplicationConfiguration",
			Effect: iampolicy.Allow,
			// ListBucket: S3 reads delete markers through it.
			Action:   iampolicy.Values{"s3:GetReplicationConfiguration", "s3:ListBucket"},
			Resource: iampolicy.Values{source},
		},
		iampolicy.Statement{
			Sid:      "ReadSourceVersions",
			Effect:   iampolicy.Allow,
			Action:   read,
			Resource: iampolicy.Values{source + "/*"},
		},
		iampolicy.Statement{
			Sid:      "WriteReplicas",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"s3:ReplicateObject", "s3:ReplicateTags"},
			Resource: iampolicy.Values{replica + "/*"},
		},
		kmsThroughS3("DecryptSourceVersions", "kms:Decrypt", in.SourceKeyARN, partition, in.SourceRegion, source),
		// kms:Decrypt on the replica's key too: with an S3 Bucket Key, S3
		// checks the Bucket Key with it before use ("S3 Bucket Keys and
		// replication" in the page above).
		kmsThroughS3("EncryptReplicas", "kms:Encrypt", in.ReplicaKeyARN, partition, in.ReplicaRegion, replica, "kms:Decrypt"),
	)
	return doc, doc.Validate()
}

// kmsThroughS3 allows KMS actions on a key only when S3 in region asks
// for it on behalf of bucket (its ARN is the encryption context with an S3
// Bucket Key, an object's ARN without one).
func kmsThroughS3(sid, action, key, partition, region, bucketARN string, more ...string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:      sid,
		Effect:   iampolicy.Allow,
		Action:   append(iampolicy.Values{action}, more...),
		Resource: iampolicy.Values{key},
		Condition: iampolicy.Condition{
			"StringEquals": {"kms:ViaService": {"s3." + region + "." + dnsSuffix(partition)}},
			"StringLike":   {"kms:EncryptionContext:aws:s3:arn": {bucketARN, bucketARN + "/*"}},
		},
	}
}

// dnsSuffix is the domain of a partition's service endpoints.
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}
