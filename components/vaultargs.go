package components

import (
	"cmp"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
)

// BackupVaultArgs configures a backup vault: in a backup account, a bucket
// the clusters' Velero roles write their backups to but cannot destroy,
// replicated to a bucket in a second region that disaster-recovery
// clusters restore from. See docs/disaster-recovery.md.
type BackupVaultArgs struct {
	// BucketName is the vault bucket, created in Region. Required.
	BucketName string `pulumi:"bucketName"`
	// Region is the vault bucket's region: that of the aws provider passed
	// to the component (checked). Required.
	Region string `pulumi:"region"`
	// ReplicaBucketName is the replica bucket, created in ReplicaRegion.
	// Required.
	ReplicaBucketName string `pulumi:"replicaBucketName"`
	// ReplicaRegion is the replica's region, another region of the same
	// partition: that of ReplicaProvider (checked). Required.
	ReplicaRegion string `pulumi:"replicaRegion"`
	// ReplicaProvider is the aws provider for ReplicaRegion, with the same
	// account as the component's own. Required.
	ReplicaProvider *aws.Provider `pulumi:"replicaProvider"`
	// Account is the backup account's ID. Default: the account the aws
	// provider works in; when set, the deploy refuses any other.
	Account string `pulumi:"account,optional"`
	// Clusters are the clusters whose Velero roles write to the vault,
	// each under its own prefix. Required (at least one).
	Clusters map[string]VaultCluster `pulumi:"clusters"`
	// Restorers are the disaster-recovery clusters that may read granted
	// clusters' backups in the replica. Default none.
	Restorers map[string]VaultRestorer `pulumi:"restorers,optional"`
	// ObjectLock is the default retention every new object version gets,
	// in both buckets. Required.
	ObjectLock VaultObjectLock `pulumi:"objectLock"`
	// NoncurrentVersionExpirationDays removes an object version this many
	// days after it stops being current (Velero deleting an expired
	// backup, or anyone else deleting an object), but never before its
	// retention ends. Default 30.
	NoncurrentVersionExpirationDays int `pulumi:"noncurrentVersionExpirationDays,optional"`
	// AbortIncompleteMultipartUploadDays removes unfinished uploads after
	// this many days. Default 7.
	AbortIncompleteMultipartUploadDays int `pulumi:"abortIncompleteMultipartUploadDays,optional"`
	// Tags are applied to the keys, buckets and the replication role.
	Tags map[string]string `pulumi:"tags,optional"`
}

// VaultObjectLock is a vault's S3 Object Lock default retention.
type VaultObjectLock struct {
	// Mode is GOVERNANCE (default: a principal with
	// s3:BypassGovernanceRetention, which the vault denies to every
	// cluster role, can still remove a version early) or COMPLIANCE (no
	// one, the account's root user included, can delete a version or
	// shorten its retention before it ends).
	Mode string `pulumi:"mode,optional"`
	// RetentionDays is how long each new version is locked, 1–36500.
	// Keep it at or below the backups' TTL: Velero's deletion of an
	// expired backup only adds delete markers, and the locked versions
	// stay (and are paid for) until their retention ends. Required.
	RetentionDays int `pulumi:"retentionDays"`
	// ComplianceAcknowledged must be true with COMPLIANCE mode: locked
	// versions then cannot be removed by anyone until their retention ends
	// (only closing the account deletes them).
	ComplianceAcknowledged bool `pulumi:"complianceAcknowledged,optional"`
}

// vaultSettings are a vault's validated, defaulted arguments.
type vaultSettings struct {
	partition       string
	lock            bucketLock
	noncurrentDays  int
	abortDays       int
	primary, second VaultPolicyInput // the bucket's and the replica's
}

// newVaultSettings validates args before anything is created.
func newVaultSettings(a *BackupVaultArgs) (vaultSettings, error) {
	for _, f := range []struct{ field, value string }{
		{"bucketName", a.BucketName}, {"replicaBucketName", a.ReplicaBucketName},
	} {
		if err := validateBucketName(f.field, f.value); err != nil {
			return vaultSettings{}, err
		}
	}
	for _, f := range []struct{ field, value string }{{"region", a.Region}, {"replicaRegion", a.ReplicaRegion}} {
		if err := validateRegion(f.field, f.value); err != nil {
			return vaultSettings{}, err
		}
	}
	partition := regionPartition(a.Region)
	switch {
	case a.BucketName == a.ReplicaBucketName:
		return vaultSettings{}, fmt.Errorf("replicaBucketName %q is the vault bucket's name: S3 bucket names are global, give the replica its own (e.g. %s-replica)", a.ReplicaBucketName, a.BucketName)
	case a.Region == a.ReplicaRegion:
		return vaultSettings{}, fmt.Errorf("replicaRegion %s is the vault's region: the replica must be in another region to survive the loss of this one", a.ReplicaRegion)
	case regionPartition(a.ReplicaRegion) != partition:
		return vaultSettings{}, fmt.Errorf("replicaRegion %s is in partition %s and region %s in %s: S3 replicates only within a partition", a.ReplicaRegion, regionPartition(a.ReplicaRegion), a.Region, partition)
	case a.ReplicaProvider == nil:
		return vaultSettings{}, fmt.Errorf("replicaProvider is not set: pass an aws provider for region %s (same credentials as the vault's)", a.ReplicaRegion)
	case a.Account != "" && !accountPattern.MatchString(a.Account):
		return vaultSettings{}, fmt.Errorf("account %q is not a 12-digit AWS account ID", a.Account)
	}
	lock, err := vaultLock(a.ObjectLock)
	if err != nil {
		return vaultSettings{}, err
	}
	for _, f := range []struct {
		field string
		days  int
	}{
		{"noncurrentVersionExpirationDays", a.NoncurrentVersionExpirationDays},
		{"abortIncompleteMultipartUploadDays", a.AbortIncompleteMultipartUploadDays},
	} {
		if f.days < 0 || f.days > 36500 {
			return vaultSettings{}, fmt.Errorf("%s %d is out of range: use 1–36500 days, or leave it unset for the default", f.field, f.days)
		}
	}
	if err := validateTags("tags", a.Tags); err != nil {
		return vaultSettings{}, err
	}
	s := vaultSettings{
		partition:      partition,
		lock:           lock,
		noncurrentDays: cmp.Or(a.NoncurrentVersionExpirationDays, DefaultNoncurrentVersionExpirationDays),
		abortDays:      cmp.Or(a.AbortIncompleteMultipartUploadDays, DefaultAbortIncompleteMultipartUploadDays),
		primary:        VaultPolicyInput{Partition: partition, Bucket: a.BucketName, Clusters: a.Clusters, Restorers: a.Restorers},
	}
	s.second = s.primary
	s.second.Bucket = a.ReplicaBucketName
	// The documents check the clusters and restorers.
	if _, err := VaultBucketPolicy(s.primary); err != nil {
		return vaultSettings{}, err
	}
	if _, err := VaultReplicaBucketPolicy(s.second); err != nil {
		return vaultSettings{}, err
	}
	return s, nil
}

// vaultLock checks the Object Lock settings.
func vaultLock(l VaultObjectLock) (bucketLock, error) {
	mode := cmp.Or(l.Mode, ObjectLockGovernance)
	switch {
	case mode != ObjectLockGovernance && mode != ObjectLockCompliance:
		return bucketLock{}, fmt.Errorf("objectLock.mode %q is not an Object Lock mode: use GOVERNANCE (default) or COMPLIANCE", l.Mode)
	case l.RetentionDays < 1 || l.RetentionDays > 36500:
		return bucketLock{}, fmt.Errorf("objectLock.retentionDays %d is out of range: a vault locks every version for 1–36500 days; choose at most the backups' TTL", l.RetentionDays)
	case mode == ObjectLockCompliance && !l.ComplianceAcknowledged:
		return bucketLock{}, fmt.Errorf("objectLock.mode COMPLIANCE locks every backup version for %d days against everyone, the account's root user included (only closing the account deletes them, and they are paid for until then): set objectLock.complianceAcknowledged to true to confirm, or use GOVERNANCE", l.RetentionDays)
	case mode == ObjectLockGovernance && l.ComplianceAcknowledged:
		return bucketLock{}, fmt.Errorf("objectLock.complianceAcknowledged is set but objectLock.mode is GOVERNANCE: set mode COMPLIANCE, or remove the acknowledgement")
	}
	return bucketLock{mode: mode, days: l.RetentionDays}, nil
}
