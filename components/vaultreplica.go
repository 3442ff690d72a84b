package components

import (
	"fmt"
	"maps"
	"slices"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// vaultLockActions are what no cluster or restorer role may do in either
// of the vault's buckets: delete a version, change or bypass a retention
// or legal hold, or change versioning, the lock, the lifecycle or the
// replication.
var vaultLockActions = iampolicy.Values{
	"s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
	"s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration",
	"s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration",
}

// VaultReplicaBucketPolicy is the policy of the vault's replica bucket (in
// the vault's account and second region): no request without TLS; each
// restorer's Velero role may read, and list, only the prefixes of the
// clusters it is granted, and write only the restore records Velero keeps
// beside them (<prefix>/restores/: a restore whose log cannot be uploaded
// ends PartiallyFailed, restore_controller.go in Velero 1.18.3), granted
// through its account and narrowed to its role pattern as in
// VaultBucketPolicy; no cluster or restorer role may delete an object, a
// version or a delete marker's target, or change a lock there; and a
// cluster that is not also a restorer may not write there at all. Backups
// reach the replica only through replication. Bucket is the replica's name.
func VaultReplicaBucketPolicy(in VaultPolicyInput) (iampolicy.Document, error) {
	if err := checkVaultClusters(in); err != nil {
		return iampolicy.Document{}, err
	}
	partition := in.Partition
	bucketARN := s3BucketARN(partition, in.Bucket)
	statements := []iampolicy.Statement{BucketTLSPolicy(partition, in.Bucket).Statement[0]}
	var restorerPatterns, writerPatterns iampolicy.Values
	for _, name := range slices.Sorted(maps.Keys(in.Restorers)) {
		r := in.Restorers[name]
		if !slices.Contains(restorerPatterns, r.RoleArnPattern) {
			restorerPatterns = append(restorerPatterns, r.RoleArnPattern)
		}
		principal := &iampolicy.Principal{AWS: iampolicy.Values{fmt.Sprintf("arn:%s:iam::%s:root", partition, r.Account)}}
		role := iampolicy.Condition{"ArnLike": {"aws:PrincipalArn": {r.RoleArnPattern}}}
		var objects, records, listed iampolicy.Values
		for _, c := range slices.Sorted(slices.Values(r.Clusters)) {
			prefix := in.Clusters[c].Prefix
			objects = append(objects, s3ObjectsARN(partition, in.Bucket, prefix))
			records = append(records, s3ObjectsARN(partition, in.Bucket, joinPrefix(prefix, "restores")))
			listed = append(listed, prefix+"/", prefix+"/*")
		}
		sid := sidSuffix(name)
		statements = append(statements,
			// What a ReadOnly location needs (policy.go).
			iampolicy.Statement{
				Sid: "Restorer" + sid + "ReadsObjects", Effect: iampolicy.Allow, Principal: principal,
				Action: iampolicy.Values{"s3:GetObject"}, Resource: objects, Condition: role,
			},
			iampolicy.Statement{
				Sid: "Restorer" + sid + "WritesRestoreRecords", Effect: iampolicy.Allow, Principal: principal,
				Action: iampolicy.Values{"s3:PutObject", "s3:AbortMultipartUpload"}, Resource: records, Condition: role,
			},
			iampolicy.Statement{
				Sid: "Restorer" + sid + "List", Effect: iampolicy.Allow, Principal: principal,
				Action: iampolicy.Values{"s3:ListBucket"}, Resource: iampolicy.Values{bucketARN},
				Condition: iampolicy.Condition{
					"ArnLike":    {"aws:PrincipalArn": {r.RoleArnPattern}},
					"StringLike": {"s3:prefix": listed},
				},
			})
	}
	for _, name := range slices.Sorted(maps.Keys(in.Clusters)) {
		if p := in.Clusters[name].RoleArnPattern; !slices.Contains(restorerPatterns, p) && !slices.Contains(writerPatterns, p) {
			writerPatterns = append(writerPatterns, p)
		}
	}
	if len(writerPatterns) > 0 {
		statements = append(statements, iampolicy.Statement{
			Sid:       "DenyClusterRolesWrites",
			Effect:    iampolicy.Deny,
			Principal: &iampolicy.Principal{AWS: iampolicy.Values{"*"}},
			Action:    iampolicy.Values{"s3:PutObject"},
			Resource:  iampolicy.Values{bucketARN + "/*"},
			Condition: iampolicy.Condition{"ArnLike": {"aws:PrincipalArn": writerPatterns}},
		})
	}
	statements = append(statements, iampolicy.Statement{
		Sid:       "DenyClusterRolesDeletesAndLockChanges",
		Effect:    iampolicy.Deny,
		Principal: &iampolicy.Principal{AWS: iampolicy.Values{"*"}},
		Action:    append(iampolicy.Values{"s3:DeleteObject"}, vaultLockActions...),
		Resource:  iampolicy.Values{bucketARN, bucketARN + "/*"},
		Condition: iampolicy.Condition{"ArnLike": {"aws:PrincipalArn": append(writerPatterns, restorerPatterns...)}},
	})
	doc := iampolicy.New(statements...)
	if err := doc.Validate(); err != nil {
		return iampolicy.Document{}, err
	}
	if size, err := doc.Size(); err != nil {
		return iampolicy.Document{}, err
	} else if size > maxBucketPolicySize {
		return iampolicy.Document{}, fmt.Errorf("the vault replica's bucket policy for %d restorers is %d bytes; S3 allows %d: grant fewer restorers per vault", len(in.Restorers), size, maxBucketPolicySize)
	}
	return doc, nil
}

// VaultReplicaKeyPolicy is the key policy of the replica bucket's KMS key
// (in the vault's account and the replica's region): the vault account's
// IAM policies decide within it (the replication role's policy gives it
// kms:Encrypt and kms:Decrypt), and each restorer's role may have S3 in
// the replica's region decrypt the replica bucket's objects and generate
// data keys for the restore records it writes there, nothing else.
// Bucket is the replica's name. Sources as for VaultKeyPolicy.
func VaultReplicaKeyPolicy(in VaultPolicyInput, vaultAccount, region string) (iampolicy.Document, error) {
	if err := checkVaultClusters(in); err != nil {
		return iampolicy.Document{}, err
	}
	if !accountPattern.MatchString(vaultAccount) || region == "" {
		return iampolicy.Document{}, fmt.Errorf("vault replica key policy: the vault's account %q must be a 12-digit account ID and its region set", vaultAccount)
	}
	bucketARN := s3BucketARN(in.Partition, in.Bucket)
	statements := []iampolicy.Statement{vaultAccountKeyStatement(in.Partition, vaultAccount)}
	for _, name := range slices.Sorted(maps.Keys(in.Restorers)) {
		r := in.Restorers[name]
		objects := iampolicy.Values{bucketARN}
		for _, c := range slices.Sorted(slices.Values(r.Clusters)) {
			objects = append(objects, s3ObjectsARN(in.Partition, in.Bucket, in.Clusters[c].Prefix))
		}
		statements = append(statements, iampolicy.Statement{
			Sid:       "Restorer" + sidSuffix(name) + "UsesKeyThroughS3",
			Effect:    iampolicy.Allow,
			Principal: &iampolicy.Principal{AWS: iampolicy.Values{fmt.Sprintf("arn:%s:iam::%s:root", in.Partition, r.Account)}},
			Action:    iampolicy.Values{"kms:GenerateDataKey", "kms:Decrypt"},
			Resource:  iampolicy.Values{"*"},
			Condition: iampolicy.Condition{
				"ArnLike":      {"aws:PrincipalArn": {r.RoleArnPattern}},
				"StringEquals": {"kms:ViaService": {"s3." + region + "." + dnsSuffix(in.Partition)}},
				"StringLike":   {"kms:EncryptionContext:aws:s3:arn": objects},
			},
		})
	}
	doc := iampolicy.New(statements...)
	return doc, doc.Validate()
}

// vaultAccountKeyStatement lets the vault account's IAM policies decide
// who in it may use and manage a vault key: the statement of AWS's default
// key policy, without which the key could become unmanageable.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func vaultAccountKeyStatement(partition, account string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "VaultAccountIamPolicies",
		Effect:    iampolicy.Allow,
		Principal: &iampolicy.Principal{AWS: iampolicy.Values{fmt.Sprintf("arn:%s:iam::%s:root", partition, account)}},
		Action:    iampolicy.Values{"kms:*"},
		Resource:  iampolicy.Values{"*"},
	}
}
