package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// ManagedBucket makes the component create the backup bucket (named
// BucketName) instead of using an existing one, hardened: public access
// blocked, BucketOwnerEnforced ownership, default encryption (SSE-KMS with
// BucketKmsKeyArn and a bucket key, else SSE-S3), versioning, a TLS-only
// bucket policy and a lifecycle rule.
//
// Backups are never lost by accident: the bucket and its settings are kept
// (RetainOnDelete) when the stack is destroyed or the component removed, and
// forceDestroy stays off. To delete the bucket deliberately, empty it and
// run `aws s3 rb s3://<bucket>` after `pulumi destroy`.
type ManagedBucket struct {
	// NoncurrentVersionExpirationDays expires object versions this many days
	// after they stop being current (Velero deleting an expired backup
	// makes its objects noncurrent). Default 30.
	NoncurrentVersionExpirationDays int `pulumi:"noncurrentVersionExpirationDays,optional"`
	// AbortIncompleteMultipartUploadDays removes unfinished uploads after
	// this many days. Default 7.
	AbortIncompleteMultipartUploadDays int `pulumi:"abortIncompleteMultipartUploadDays,optional"`
	// ObjectLockRetentionDays turns on S3 Object Lock in governance mode
	// with this default retention, for immutable backups. Default 0 (off).
	// Object Lock can only be enabled when the bucket is created. Velero
	// still deletes expired backups on schedule: on a versioned, locked
	// bucket that adds delete markers, and the locked versions remain until
	// their retention ends, so keep it at or below the backups' TTL.
	ObjectLockRetentionDays int `pulumi:"objectLockRetentionDays,optional"`
}

// The two S3 Object Lock retention modes.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
const (
	ObjectLockGovernance = "GOVERNANCE"
	ObjectLockCompliance = "COMPLIANCE"
)

// Lifecycle defaults of a managed bucket.
const (
	DefaultNoncurrentVersionExpirationDays    = 30
	DefaultAbortIncompleteMultipartUploadDays = 7
)

func (s *settings) checkBucket() error {
	b := s.bucket
	if b == nil {
		return nil
	}
	switch {
	case b.NoncurrentVersionExpirationDays < 0 || b.NoncurrentVersionExpirationDays > 36500:
		return fmt.Errorf("createBucket.noncurrentVersionExpirationDays %d is out of range: use 1–36500 days (default %d)", b.NoncurrentVersionExpirationDays, DefaultNoncurrentVersionExpirationDays)
	case b.AbortIncompleteMultipartUploadDays < 0 || b.AbortIncompleteMultipartUploadDays > 36500:
		return fmt.Errorf("createBucket.abortIncompleteMultipartUploadDays %d is out of range: use 1–36500 days (default %d)", b.AbortIncompleteMultipartUploadDays, DefaultAbortIncompleteMultipartUploadDays)
	case b.ObjectLockRetentionDays < 0 || b.ObjectLockRetentionDays > 36500:
		return fmt.Errorf("createBucket.objectLockRetentionDays %d is out of range: use 1–36500 days, or 0 for no Object Lock", b.ObjectLockRetentionDays)
	}
	return nil
}

// BucketTLSPolicy denies every request to the bucket and its objects that
// does not use TLS.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
func BucketTLSPolicy(partition, bucket string) iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    iampolicy.Deny,
		Principal: &iampolicy.Principal{AWS: iampolicy.Values{"*"}},
		Action:    iampolicy.Values{"s3:*"},
		Resource:  iampolicy.Values{s3BucketARN(partition, bucket), s3BucketARN(partition, bucket) + "/*"},
		Condition: iampolicy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
	})
}

// newManagedBucket creates the bucket and its settings, all kept on delete.
// It returns the resources Velero must wait for.
func newManagedBucket(ctx *pulumi.Context, name string, s settings, field fieldFunc, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	b := *s.bucket
	spec := hardenedBucket{
		name:         field(func(r resolved) string { return r.bucket }),
		sseAlgorithm: field(func(r resolved) string { return sseAlgorithm(r.locations[0].KMSKeyARN) }),
		kmsKey: field(func(r resolved) string { return r.locations[0].KMSKeyARN }).ApplyT(func(key string) *string {
			if key == "" {
				return nil // SSE-S3 takes no key
			}
			return &key
		}).(pulumi.StringPtrOutput),
		policy:          field(func(r resolved) string { return r.bucketPolicy }),
		lifecycleRuleID: "velero-noncurrent-versions-and-incomplete-uploads",
		noncurrentDays:  orInt(b.NoncurrentVersionExpirationDays, DefaultNoncurrentVersionExpirationDays),
		abortDays:       orInt(b.AbortIncompleteMultipartUploadDays, DefaultAbortIncompleteMultipartUploadDays),
		tags:            toStringMap(s.tags),
	}
	if b.ObjectLockRetentionDays > 0 {
		spec.lock = &bucketLock{mode: ObjectLockGovernance, days: b.ObjectLockRetentionDays}
	}
	_, resources, err := newHardenedBucket(ctx, name+"-bucket", spec, opts...)
	return resources, err
}

// hardenedBucket is a bucket as this package creates it: public access
// blocked, BucketOwnerEnforced ownership (objects written by other
// accounts belong to the bucket's owner, and ACLs are off), default
// encryption with an S3 Bucket Key, versioning, a bucket policy, a
// lifecycle rule for noncurrent versions and unfinished uploads, and,
// with lock, S3 Object Lock with a default retention.
type hardenedBucket struct {
	name         pulumi.StringInput
	sseAlgorithm pulumi.StringInput
	kmsKey       pulumi.StringPtrInput
	policy       pulumi.StringInput
	lock         *bucketLock
	// The lifecycle rule: its ID, after how many days noncurrent versions
	// and unfinished uploads go, and whether delete markers with no
	// versions left behind them go too.
	lifecycleRuleID      string
	noncurrentDays       int
	abortDays            int
	expiredDeleteMarkers bool
	tags                 pulumi.StringMapInput
}

// bucketLock is an S3 Object Lock default retention.
type bucketLock struct {
	mode string // GOVERNANCE or COMPLIANCE
	days int
}

// newHardenedBucket creates the bucket (named base) and its settings
// (named base-public-access, -ownership, -encryption, -versioning,
// -policy, -lifecycle, -object-lock), all kept on delete. It returns the
// bucket and every resource created.
func newHardenedBucket(ctx *pulumi.Context, base string, b hardenedBucket, opts ...pulumi.ResourceOption) (*s3.BucketV2, []pulumi.Resource, error) {
	opts = append(opts, pulumi.RetainOnDelete(true))
	bucket, err := s3.NewBucketV2(ctx, base, &s3.BucketV2Args{
		Bucket:            b.name,
		ForceDestroy:      pulumi.Bool(false),
		ObjectLockEnabled: pulumi.Bool(b.lock != nil),
		Tags:              b.tags,
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("creating bucket: %w", err)
	}
	child := append(opts, pulumi.DependsOn([]pulumi.Resource{bucket}))
	id := bucket.ID()
	block, err := s3.NewBucketPublicAccessBlock(ctx, base+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket: id, BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, nil, fmt.Errorf("blocking public access: %w", err)
	}
	ownership, err := s3.NewBucketOwnershipControls(ctx, base+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: id, Rule: &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...)
	if err != nil {
		return nil, nil, fmt.Errorf("setting bucket ownership: %w", err)
	}
	encryption, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, base+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: id,
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: b.sseAlgorithm, KmsMasterKeyId: b.kmsKey,
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, child...)
	if err != nil {
		return nil, nil, fmt.Errorf("setting bucket encryption: %w", err)
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, base+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  id,
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, child...)
	if err != nil {
		return nil, nil, fmt.Errorf("enabling bucket versioning: %w", err)
	}
	policy, err := s3.NewBucketPolicy(ctx, base+"-policy", &s3.BucketPolicyArgs{
		Bucket: id, Policy: b.policy,
	}, append(child, pulumi.DependsOn([]pulumi.Resource{block}))...)
	if err != nil {
		return nil, nil, fmt.Errorf("setting bucket policy: %w", err)
	}
	rule := &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String(b.lifecycleRuleID),
		Status: pulumi.String("Enabled"),
		Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
			NoncurrentDays: pulumi.Int(b.noncurrentDays),
		},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(b.abortDays),
		},
	}
	if b.expiredDeleteMarkers {
		rule.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{ExpiredObjectDeleteMarker: pulumi.Bool(true)}
	}
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, base+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: id, Rules: s3.BucketLifecycleConfigurationV2RuleArray{rule},
	}, append(child, pulumi.DependsOn([]pulumi.Resource{versioning}))...)
	if err != nil {
		return nil, nil, fmt.Errorf("setting bucket lifecycle: %w", err)
	}
	out := []pulumi.Resource{bucket, block, ownership, encryption, versioning, policy, lifecycle}
	if b.lock != nil {
		lock, err := s3.NewBucketObjectLockConfigurationV2(ctx, base+"-object-lock", &s3.BucketObjectLockConfigurationV2Args{
			Bucket: id,
			Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
				Mode: pulumi.String(b.lock.mode), Days: pulumi.Int(b.lock.days),
			}},
		}, append(child, pulumi.DependsOn([]pulumi.Resource{versioning}))...)
		if err != nil {
			return nil, nil, fmt.Errorf("setting object lock: %w", err)
		}
		out = append(out, lock)
	}
	return bucket, out, nil
}

// sseAlgorithm is aws:kms with a key, else AES256 (SSE-S3).
func sseAlgorithm(key string) string {
	if key != "" {
		return "aws:kms"
	}
	return "AES256"
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
