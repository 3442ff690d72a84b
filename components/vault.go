package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// BackupVaultType is the vault component's Pulumi type token.
const BackupVaultType = "velero-irsa:index:BackupVault"

// BackupVault is a backup vault: its buckets, keys and replication.
type BackupVault struct {
	pulumi.ResourceState

	// Account is the backup account's ID.
	Account pulumi.StringOutput `pulumi:"account"`
	// BucketName, Region and KeyArn are where clusters write: the vault
	// bucket, its region and its KMS key.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	Region     pulumi.StringOutput `pulumi:"region"`
	KeyArn     pulumi.StringOutput `pulumi:"keyArn"`
	// ReplicaBucketName, ReplicaRegion and ReplicaKeyArn are where
	// restorers read: the replica bucket, its region and its KMS key.
	ReplicaBucketName pulumi.StringOutput `pulumi:"replicaBucketName"`
	ReplicaRegion     pulumi.StringOutput `pulumi:"replicaRegion"`
	ReplicaKeyArn     pulumi.StringOutput `pulumi:"replicaKeyArn"`
	// ReplicationRoleArn is the role S3 replicates with.
	ReplicationRoleArn pulumi.StringOutput `pulumi:"replicationRoleArn"`
}

// vaultKeyDeletionWindowDays is the longest wait KMS allows before it
// deletes a key scheduled for deletion: a key deleted by mistake can be
// restored for 30 days, and every backup encrypted with it with it.
// https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
const vaultKeyDeletionWindowDays = 30

// NewBackupVault creates, in the backup account, the vault bucket and its
// replica in ReplicaRegion, each versioned, with S3 Object Lock's default
// retention, SSE-KMS with a customer managed key of its region (rotated
// yearly), TLS only, public access blocked and BucketOwnerEnforced, and
// the bucket policies and key policies of VaultBucketPolicy,
// VaultKeyPolicy, VaultReplicaBucketPolicy and VaultReplicaKeyPolicy; and
// replication of every new version to the replica, re-encrypted with the
// replica's key, with no delete markers replicated, by a role of its own
// (ReplicationPolicy). Everything is kept when the stack is destroyed or
// the component removed.
//
// Children: "<name>-key", "<name>-bucket" (and its settings
// "<name>-bucket-public-access", "-ownership", "-encryption",
// "-versioning", "-policy", "-lifecycle", "-object-lock"), the same with
// "<name>-replica-" in the replica's region, "<name>-replication-role",
// "<name>-replication-policy" and "<name>-replication".
//
// Every argument is checked before anything is created; so are the
// account and the regions the two aws providers work in.
func NewBackupVault(ctx *pulumi.Context, name string, args *BackupVaultArgs, opts ...pulumi.ResourceOption) (*BackupVault, error) {
	if args == nil {
		return nil, fmt.Errorf("BackupVault %q: args are nil: set bucketName, region, replicaBucketName, replicaRegion, replicaProvider, clusters and objectLock", name)
	}
	s, err := newVaultSettings(args)
	if err != nil {
		return nil, fmt.Errorf("BackupVault %q: %w", name, err)
	}
	v := &BackupVault{}
	if err := ctx.RegisterComponentResource(BackupVaultType, name, v, opts...); err != nil {
		return nil, fmt.Errorf("registering BackupVault %q: %w", name, err)
	}
	parent := pulumi.Parent(v)
	account, err := checkVaultProviders(ctx, args, pulumi.Parent(v))
	if err != nil {
		return nil, fmt.Errorf("BackupVault %q: %w", name, err)
	}
	replicaOpts := []pulumi.ResourceOption{parent, pulumi.Provider(args.ReplicaProvider)}
	primary, err := newVaultBucket(ctx, name, s, s.primary, VaultKeyPolicy, VaultBucketPolicy, account, args.Region, args.Tags, parent)
	if err != nil {
		return nil, err
	}
	replica, err := newVaultBucket(ctx, name+"-replica", s, s.second, VaultReplicaKeyPolicy, VaultReplicaBucketPolicy, account, args.ReplicaRegion, args.Tags, replicaOpts...)
	if err != nil {
		return nil, err
	}
	roleArn, err := newVaultReplication(ctx, name, s, args, primary, replica, parent)
	if err != nil {
		return nil, err
	}

	v.Account = pulumi.String(account).ToStringOutput()
	v.BucketName = primary.bucket.Bucket
	v.Region = pulumi.String(args.Region).ToStringOutput()
	v.KeyArn = primary.key.Arn
	v.ReplicaBucketName = replica.bucket.Bucket
	v.ReplicaRegion = pulumi.String(args.ReplicaRegion).ToStringOutput()
	v.ReplicaKeyArn = replica.key.Arn
	v.ReplicationRoleArn = roleArn
	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"account": v.Account, "bucketName": v.BucketName, "region": v.Region, "keyArn": v.KeyArn,
		"replicaBucketName": v.ReplicaBucketName, "replicaRegion": v.ReplicaRegion, "replicaKeyArn": v.ReplicaKeyArn,
		"replicationRoleArn": v.ReplicationRoleArn,
	}); err != nil {
		return nil, fmt.Errorf("registering BackupVault %q outputs: %w", name, err)
	}
	return v, nil
}

// checkVaultProviders asks each aws provider where it works: both must
// work in the same account (Account, when set), each in its region.
func checkVaultProviders(ctx *pulumi.Context, a *BackupVaultArgs, parent pulumi.InvokeOption) (string, error) {
	caller, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, parent)
	if err != nil {
		return "", fmt.Errorf("reading the backup account: %w", err)
	}
	replicaCaller, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, pulumi.Provider(a.ReplicaProvider))
	if err != nil {
		return "", fmt.Errorf("reading the replica provider's account: %w", err)
	}
	switch {
	case a.Account != "" && caller.AccountId != a.Account:
		return "", fmt.Errorf("account is %s but the aws provider works in account %s: deploy the vault with credentials of the backup account, or correct account", a.Account, caller.AccountId)
	case replicaCaller.AccountId != caller.AccountId:
		return "", fmt.Errorf("replicaProvider works in account %s, the vault in %s: give it the same credentials", replicaCaller.AccountId, caller.AccountId)
	}
	for _, p := range []struct {
		field, want string
		opt         pulumi.InvokeOption
	}{{"region", a.Region, parent}, {"replicaRegion", a.ReplicaRegion, pulumi.Provider(a.ReplicaProvider)}} {
		got, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, p.opt)
		if err != nil {
			return "", fmt.Errorf("reading the %s provider's region: %w", p.field, err)
		}
		if got.Name != p.want {
			return "", fmt.Errorf("%s is %s but its aws provider works in %s: configure that provider for %s", p.field, p.want, got.Name, p.want)
		}
	}
	return caller.AccountId, nil
}

// vaultBucket is one of the vault's buckets with its key.
type vaultBucket struct {
	key       *kms.Key
	bucket    *s3.BucketV2
	resources []pulumi.Resource
}

// newVaultBucket creates a bucket's key (named <base>-key) and the
// hardened, locked bucket (<base>-bucket) encrypted with it, with the
// policies keyPolicyFor and bucketPolicyFor make.
func newVaultBucket(ctx *pulumi.Context, base string, s vaultSettings, in VaultPolicyInput,
	keyPolicyFor func(VaultPolicyInput, string, string) (iampolicy.Document, error), bucketPolicyFor func(VaultPolicyInput) (iampolicy.Document, error),
	account, region string, tags map[string]string, opts ...pulumi.ResourceOption) (vaultBucket, error) {
	keyPolicy, err := keyPolicyFor(in, account, region)
	if err != nil {
		return vaultBucket{}, err
	}
	keyJSON, err := keyPolicy.JSON()
	if err != nil {
		return vaultBucket{}, err
	}
	bucketPolicy, err := bucketPolicyFor(in)
	if err != nil {
		return vaultBucket{}, err
	}
	bucketJSON, err := bucketPolicy.JSON()
	if err != nil {
		return vaultBucket{}, err
	}
	opts = append(opts, pulumi.RetainOnDelete(true))
	key, err := kms.NewKey(ctx, base+"-key", &kms.KeyArgs{
		Description:          pulumi.Sprintf("Velero backup vault %s (S3 default encryption)", in.Bucket),
		KeyUsage:             pulumi.String("ENCRYPT_DECRYPT"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(vaultKeyDeletionWindowDays),
		Policy:               pulumi.String(keyJSON),
		Tags:                 toStringMap(tags),
	}, opts...)
	if err != nil {
		return vaultBucket{}, fmt.Errorf("creating key for %s: %w", in.Bucket, err)
	}
	lock := s.lock
	bucket, resources, err := newHardenedBucket(ctx, base+"-bucket", hardenedBucket{
		name:                 pulumi.String(in.Bucket),
		sseAlgorithm:         pulumi.String("aws:kms"),
		kmsKey:               key.Arn,
		policy:               pulumi.String(bucketJSON),
		lock:                 &lock,
		lifecycleRuleID:      "velero-vault-noncurrent-versions-delete-markers-and-incomplete-uploads",
		noncurrentDays:       s.noncurrentDays,
		abortDays:            s.abortDays,
		expiredDeleteMarkers: true,
		tags:                 toStringMap(tags),
	}, opts...)
	if err != nil {
		return vaultBucket{}, fmt.Errorf("vault bucket %s: %w", in.Bucket, err)
	}
	return vaultBucket{key: key, bucket: bucket, resources: append(resources, key)}, nil
}

// newVaultReplication creates the replication role, its policy and the
// replication rule from the vault bucket to the replica.
func newVaultReplication(ctx *pulumi.Context, name string, s vaultSettings, a *BackupVaultArgs, primary, replica vaultBucket, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	opts := []pulumi.ResourceOption{parent, pulumi.RetainOnDelete(true)}
	trust, err := ReplicationTrustPolicy().JSON()
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	role, err := iam.NewRole(ctx, name+"-replication-role", &iam.RoleArgs{
		NamePrefix:       pulumi.String("velero-vault-replication-"),
		Description:      pulumi.Sprintf("S3 replication of the Velero backup vault %s to %s", a.BucketName, a.ReplicaBucketName),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             toStringMap(a.Tags),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating replication role: %w", err)
	}
	policyJSON := pulumi.All(primary.key.Arn, replica.key.Arn).ApplyT(func(keys []interface{}) (string, error) {
		doc, err := ReplicationPolicy(ReplicationInput{
			Partition:    s.partition,
			SourceBucket: a.BucketName, SourceRegion: a.Region, SourceKeyARN: keys[0].(string),
			ReplicaBucket: a.ReplicaBucketName, ReplicaRegion: a.ReplicaRegion, ReplicaKeyARN: keys[1].(string),
			ObjectLock: true,
		})
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	policy, err := iam.NewRolePolicy(ctx, name+"-replication-policy", &iam.RolePolicyArgs{
		Role: role.ID(), Name: pulumi.String("velero-vault-replication"), Policy: policyJSON,
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating replication role policy: %w", err)
	}
	dependsOn := append(append([]pulumi.Resource{policy}, primary.resources...), replica.resources...)
	_, err = s3.NewBucketReplicationConfig(ctx, name+"-replication", &s3.BucketReplicationConfigArgs{
		Bucket: primary.bucket.ID(),
		Role:   role.Arn,
		Rules: s3.BucketReplicationConfigRuleArray{&s3.BucketReplicationConfigRuleArgs{
			Id:       pulumi.String("velero-vault-to-replica"),
			Status:   pulumi.String("Enabled"),
			Priority: pulumi.Int(1),
			// An empty filter: every object (a V2 rule, which replicates
			// no delete marker unless told to).
			Filter:                  &s3.BucketReplicationConfigRuleFilterArgs{},
			DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Disabled")},
			// SSE-KMS objects are replicated only when selected, and
			// re-encrypted with the replica's key.
			SourceSelectionCriteria: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs{
				SseKmsEncryptedObjects: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs{Status: pulumi.String("Enabled")},
			},
			Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
				Bucket:                  replica.bucket.Arn,
				EncryptionConfiguration: &s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs{ReplicaKmsKeyId: replica.key.Arn},
			},
		}},
	}, append(opts, pulumi.DependsOn(dependsOn))...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating replication: %w", err)
	}
	return role.Arn, nil
}
