package components

import (
	"fmt"
	"strings"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// PolicyInput is everything the permission policy depends on, as plain values.
type PolicyInput struct {
	Partition string // aws, aws-cn or aws-us-gov
	Account   string // 12-digit account that owns the cluster's volumes
	Region    string // region of the bucket and of the EBS volumes
	Bucket    string
	Prefix    string // backup location prefix; empty for the bucket root
	// Snapshots adds the EC2 statements for EBS snapshots.
	Snapshots bool
	// Tagging allows s3:PutObjectTagging, needed when the backup location sets
	// config.tagging.
	Tagging bool
	// BucketKMSKeyARN is the SSE-KMS key of the bucket, if any.
	BucketKMSKeyARN string
	// EBSKMSKeyARN is the customer managed key of the EBS volumes, if any.
	EBSKMSKeyARN string
	// ReadOnly narrows the location's object access to reads plus the
	// restore records Velero writes (see readOnlyStatements).
	ReadOnly bool
	// Additional are more backup locations covered by the same role.
	Additional []LocationPolicy
}

// LocationPolicy is an additional backup location's share of the policy.
type LocationPolicy struct {
	Name, Bucket, Prefix string
	ReadOnly             bool
	KMSKeyARN            string // SSE-KMS key of the location, if any
}

// PermissionPolicy builds the least-privilege inline policy for Velero and its
// AWS plugin. Statements follow the plugin's own policy
// (https://github.com/vmware-tanzu/velero-plugin-for-aws#set-permissions-for-velero)
// and are narrowed where the API calls the plugin makes allow it.
func PermissionPolicy(in PolicyInput) (iampolicy.Document, error) {
	if in.Partition == "" || in.Account == "" || in.Region == "" || in.Bucket == "" {
		return iampolicy.Document{}, fmt.Errorf("building permission policy: partition, account, region and bucket are all required (got %q, %q, %q, %q)", in.Partition, in.Account, in.Region, in.Bucket)
	}
	primary := LocationPolicy{Bucket: in.Bucket, Prefix: in.Prefix, ReadOnly: in.ReadOnly, KMSKeyARN: in.BucketKMSKeyARN}
	var st []iampolicy.Statement
	st = append(st, s3Statements(in.Partition, primary, "", in.Tagging)...)
	if in.Snapshots {
		st = append(st, ec2Statements(in)...)
	}
	st = append(st, kmsStatements(in)...)
	for _, loc := range in.Additional {
		suffix := sidSuffix(loc.Name)
		st = append(st, s3Statements(in.Partition, loc, suffix, false)...)
		if loc.KMSKeyARN != "" {
			st = append(st, bucketKeyStatement(loc.KMSKeyARN, suffix))
		}
	}
	doc := iampolicy.New(st...)
	if err := doc.Validate(); err != nil {
		return iampolicy.Document{}, fmt.Errorf("building permission policy: %w", err)
	}
	size, err := doc.Size()
	if err != nil {
		return iampolicy.Document{}, err
	}
	if size > iampolicy.MaxInlineRolePolicySize {
		return iampolicy.Document{}, fmt.Errorf("permission policy is %d characters, over IAM's %d-character limit for inline role policies: shorten backupPrefix or the bucket name", size, iampolicy.MaxInlineRolePolicySize)
	}
	return doc, nil
}

// s3Statements covers one backup location; suffix keeps Sids unique.
func s3Statements(partition string, loc LocationPolicy, suffix string, tagging bool) []iampolicy.Statement {
	list := iampolicy.Statement{
		// ListBucket is not narrowed with an s3:prefix condition: the
		// Kopia repository used for file-system and data-mover backups
		// also checks the bucket with HeadBucket, which is authorized
		// by s3:ListBucket and carries no prefix.
		Sid:      "VeleroListBackupBucket" + suffix,
		Effect:   iampolicy.Allow,
		Action:   iampolicy.Values{"s3:ListBucket"},
		Resource: iampolicy.Values{s3BucketARN(partition, loc.Bucket)},
	}
	if loc.ReadOnly {
		return append(readOnlyStatements(partition, loc, suffix), list)
	}
	// The object store plugin reads with GetObject/HeadObject, writes with
	// PutObject or a multipart upload (aborted on failure), and deletes single
	// objects; all of it stays under the location's prefix.
	objectActions := iampolicy.Values{
		"s3:GetObject",
		"s3:PutObject",
		"s3:DeleteObject",
		"s3:AbortMultipartUpload",
		"s3:ListMultipartUploadParts",
	}
	if tagging {
		// Uploads carry x-amz-tagging when config.tagging is set.
		objectActions = append(objectActions, "s3:PutObjectTagging")
	}
	return []iampolicy.Statement{
		{
			Sid:      "VeleroBackupObjects" + suffix,
			Effect:   iampolicy.Allow,
			Action:   objectActions,
			Resource: iampolicy.Values{s3ObjectsARN(partition, loc.Bucket, loc.Prefix)},
		},
		list,
	}
}

// readOnlyStatements cover a ReadOnly location: Velero takes and deletes no
// backups there, but a restore from it still uploads its log and results
// under <prefix>/restores/<restore>/ (restore_controller.go and
// object_store_layout.go in vmware-tanzu/velero), so only that folder is
// writable, and nothing can be deleted.
func readOnlyStatements(partition string, loc LocationPolicy, suffix string) []iampolicy.Statement {
	restores := s3ObjectsARN(partition, loc.Bucket, joinPrefix(loc.Prefix, "restores"))
	return []iampolicy.Statement{
		{
			Sid:      "VeleroReadBackupObjects" + suffix,
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"s3:GetObject"},
			Resource: iampolicy.Values{s3ObjectsARN(partition, loc.Bucket, loc.Prefix)},
		},
		{
			Sid:      "VeleroWriteRestoreRecords" + suffix,
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"s3:PutObject", "s3:AbortMultipartUpload"},
			Resource: iampolicy.Values{restores},
		},
	}
}

func joinPrefix(prefix, dir string) string {
	if prefix == "" {
		return dir
	}
	return prefix + "/" + dir
}

// sidSuffix turns a location name (dr-usw2, eu.archive) into a Sid suffix
// (DrUsw2, EuArchive); Sids allow only letters and digits.
func sidSuffix(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// ec2Statements covers the five EC2 calls of the plugin's volume snapshotter:
// DescribeVolumes, DescribeSnapshots, CreateSnapshot and CreateVolume (both
// tagging the new resource through TagSpecifications), and DeleteSnapshot.
// Resource types per action come from the service authorization reference:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
func ec2Statements(in PolicyInput) []iampolicy.Statement {
	volumes := ec2VolumesARN(in.Partition, in.Region, in.Account)
	snapshots := ec2SnapshotsARN(in.Partition, in.Region)
	return []iampolicy.Statement{
		{
			// Describe* calls support no resource-level permissions.
			Sid:      "VeleroDescribeVolumesAndSnapshots",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"ec2:DescribeVolumes", "ec2:DescribeSnapshots"},
			Resource: iampolicy.Values{"*"},
		},
		{
			// CreateSnapshot is authorized on the source volume and the new
			// snapshot; CreateVolume on the new volume and the source snapshot.
			Sid:      "VeleroSnapshotAndRestoreVolumes",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"ec2:CreateSnapshot", "ec2:CreateVolume"},
			Resource: iampolicy.Values{volumes, snapshots},
		},
		{
			// The plugin tags only while creating (TagSpecifications), never
			// with a separate CreateTags call.
			Sid:      "VeleroTagOnCreate",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"ec2:CreateTags"},
			Resource: iampolicy.Values{volumes, snapshots},
			Condition: iampolicy.Condition{
				"StringEquals": {"ec2:CreateAction": {"CreateSnapshot", "CreateVolume"}},
			},
		},
		{
			// Velero tags every snapshot it takes with velero.io/backup
			// (pkg/backup/item_backupper.go in vmware-tanzu/velero), so it can
			// delete its own snapshots and no others.
			Sid:      "VeleroDeleteOwnSnapshots",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Values{"ec2:DeleteSnapshot"},
			Resource: iampolicy.Values{snapshots},
			Condition: iampolicy.Condition{
				"Null": {"aws:ResourceTag/velero.io/backup": {"false"}},
			},
		},
	}
}

// bucketKeyStatement allows SSE-KMS with a location's key: S3 asks KMS for a
// data key on upload (restore records of read-only locations included) and
// to decrypt on download and when completing a multipart upload.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func bucketKeyStatement(key, suffix string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:      "VeleroBucketKmsKey" + suffix,
		Effect:   iampolicy.Allow,
		Action:   iampolicy.Values{"kms:GenerateDataKey", "kms:Decrypt"},
		Resource: iampolicy.Values{key},
	}
}

func kmsStatements(in PolicyInput) []iampolicy.Statement {
	var st []iampolicy.Statement
	if in.BucketKMSKeyARN != "" {
		st = append(st, bucketKeyStatement(in.BucketKMSKeyARN, ""))
	}
	if in.EBSKMSKeyARN != "" {
		// Snapshotting and restoring volumes encrypted with a customer
		// managed key: exactly what EBS asks of the caller, and grants only
		// when EBS makes them on Velero's behalf ("Requirements for Amazon
		// EBS encryption", permissions for users).
		// https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html
		st = append(st,
			iampolicy.Statement{
				Sid:    "VeleroUseEbsKmsKey",
				Effect: iampolicy.Allow,
				Action: iampolicy.Values{
					"kms:Decrypt", "kms:DescribeKey",
					"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*",
				},
				Resource: iampolicy.Values{in.EBSKMSKeyARN},
			},
			iampolicy.Statement{
				Sid:      "VeleroGrantEbsKmsKeyToAwsServices",
				Effect:   iampolicy.Allow,
				Action:   iampolicy.Values{"kms:CreateGrant"},
				Resource: iampolicy.Values{in.EBSKMSKeyARN},
				Condition: iampolicy.Condition{
					"Bool": {"kms:GrantIsForAWSResource": {"true"}},
				},
			})
	}
	return st
}
