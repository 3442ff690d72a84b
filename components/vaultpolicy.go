package components

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// VaultCluster is one cluster a backup vault takes backups from: the
// account its Velero role lives in, a pattern its role's ARN matches, and
// the prefix it writes under.
type VaultCluster struct {
	// Account is the cluster's 12-digit AWS account ID.
	Account string `pulumi:"account"`
	// RoleArnPattern matches the cluster's Velero role ARN, e.g.
	// arn:aws:iam::111122223333:role/velero/prod-use1-velero-* (the
	// component names roles <cluster>-velero-<suffix> under rolePath). It
	// must name a role of Account; '*' and '?' match as in ArnLike.
	RoleArnPattern string `pulumi:"roleArnPattern"`
	// Prefix is where the cluster's backups go in the vault, e.g.
	// clusters/prod-use1. It may not contain another cluster's prefix.
	Prefix string `pulumi:"prefix"`
}

// VaultRestorer is a cluster that may read (never write or delete) other
// clusters' backups in the vault's replica, in the replica's region: a
// disaster-recovery cluster.
type VaultRestorer struct {
	// Account is the restoring cluster's 12-digit AWS account ID.
	Account string `pulumi:"account"`
	// RoleArnPattern matches the restoring cluster's Velero role ARN, as
	// VaultCluster.RoleArnPattern does.
	RoleArnPattern string `pulumi:"roleArnPattern"`
	// Clusters names the vault's clusters whose backups it may read.
	Clusters []string `pulumi:"clusters"`
}

// VaultPolicyInput is what the vault's bucket policy depends on.
type VaultPolicyInput struct {
	Partition, Bucket string
	// Clusters by name (letters and digits name the statements).
	Clusters map[string]VaultCluster
	// Restorers by name: who may read which clusters' backups in the
	// replica (used by the replica's documents only).
	Restorers map[string]VaultRestorer
}

// maxBucketPolicySize is S3's limit on a bucket policy, in bytes.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/add-bucket-policy.html
const maxBucketPolicySize = 20 * 1024

// VaultBucketPolicy is the backup vault bucket's policy: no request
// without TLS; each cluster's Velero role may read, write and delete
// (which on a versioned, locked bucket only adds a delete marker: Velero
// never sends a version ID) objects under its own prefix and list only
// there; and no cluster role may delete an object version, change or
// bypass a retention or legal hold, or change the bucket's versioning,
// lock or lifecycle, whatever its own policies say.
//
// Each grant names the cluster's account as its principal (a fixed
// principal, so Block Public Access does not count the policy public, and
// one that exists before the role does, so cluster stacks can come in any
// order) and narrows it to the role with aws:PrincipalArn. A cross-account
// request also needs the caller's own identity policy, which the cluster's
// component writes for the same prefix. Sources: S3 user guide, "The
// meaning of 'public'", "Managing Object Lock" and "Bucket owner granting
// cross-account bucket permissions".
func VaultBucketPolicy(in VaultPolicyInput) (iampolicy.Document, error) {
	if err := checkVaultClusters(in); err != nil {
		return iampolicy.Document{}, err
	}
	partition := in.Partition
	bucketARN := s3BucketARN(partition, in.Bucket)
	statements := []iampolicy.Statement{BucketTLSPolicy(partition, in.Bucket).Statement[0]}
	var patterns iampolicy.Values
	for _, name := range slices.Sorted(maps.Keys(in.Clusters)) {
		c := in.Clusters[name]
		patterns = append(patterns, c.RoleArnPattern)
		principal := &iampolicy.Principal{AWS: iampolicy.Values{fmt.Sprintf("arn:%s:iam::%s:root", partition, c.Account)}}
		role := iampolicy.Condition{"ArnLike": {"aws:PrincipalArn": {c.RoleArnPattern}}}
		sid := sidSuffix(name)
		statements = append(statements,
			iampolicy.Statement{
				Sid:       "Cluster" + sid + "Objects",
				Effect:    iampolicy.Allow,
				Principal: principal,
				// What the cluster's own policy grants on its prefix
				// (policy.go), without tagging.
				Action: iampolicy.Values{
					"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
					"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
				},
				Resource:  iampolicy.Values{s3ObjectsARN(partition, in.Bucket, c.Prefix)},
				Condition: role,
			},
			iampolicy.Statement{
				Sid:       "Cluster" + sid + "List",
				Effect:    iampolicy.Allow,
				Principal: principal,
				Action:    iampolicy.Values{"s3:ListBucket"},
				Resource:  iampolicy.Values{bucketARN},
				// Velero lists only under the location's prefix
				// (pkg/persistence/object_store_layout.go, 1.18.3).
				Condition: iampolicy.Condition{
					"ArnLike":    {"aws:PrincipalArn": {c.RoleArnPattern}},
					"StringLike": {"s3:prefix": {c.Prefix + "/", c.Prefix + "/*"}},
				},
			})
	}
	statements = append(statements, iampolicy.Statement{
		Sid:       "DenyClusterRolesVersionDeletionAndLockChanges",
		Effect:    iampolicy.Deny,
		Principal: &iampolicy.Principal{AWS: iampolicy.Values{"*"}},
		Action:    vaultLockActions,
		Resource:  iampolicy.Values{bucketARN, bucketARN + "/*"},
		Condition: iampolicy.Condition{"ArnLike": {"aws:PrincipalArn": patterns}},
	})
	doc := iampolicy.New(statements...)
	if err := doc.Validate(); err != nil {
		return iampolicy.Document{}, err
	}
	size, err := doc.Size()
	if err != nil {
		return iampolicy.Document{}, err
	}
	if size > maxBucketPolicySize {
		return iampolicy.Document{}, fmt.Errorf("the vault's bucket policy for %d clusters is %d bytes; S3 allows %d: split the clusters over two vaults", len(in.Clusters), size, maxBucketPolicySize)
	}
	return doc, nil
}

// checkVaultClusters refuses a cluster whose role pattern could match
// another account's roles, and prefixes that contain one another (one
// cluster would reach the other's backups).
func checkVaultClusters(in VaultPolicyInput) error {
	if in.Partition == "" || in.Bucket == "" {
		return fmt.Errorf("vault bucket policy: the partition and the bucket must be set")
	}
	if len(in.Clusters) == 0 {
		return fmt.Errorf("vault bucket policy: no cluster is granted: add at least one")
	}
	names := slices.Sorted(maps.Keys(in.Clusters))
	for _, name := range names {
		c := in.Clusters[name]
		field := "clusters." + name
		if err := validateSubdomain("clusters key", name); err != nil {
			return err
		}
		if err := checkRolePattern(field, name, in.Partition, c.Account, c.RoleArnPattern); err != nil {
			return err
		}
		if c.Prefix == "" {
			return fmt.Errorf("%s.prefix is empty: each cluster writes under a prefix of its own, e.g. clusters/%s", field, name)
		}
		if err := validatePrefix(field+".prefix", c.Prefix); err != nil {
			return err
		}
	}
	if err := checkVaultRestorers(in); err != nil {
		return err
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			pa, pb := in.Clusters[a].Prefix+"/", in.Clusters[b].Prefix+"/"
			if strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa) {
				return fmt.Errorf("clusters %s and %s have prefixes %q and %q, one inside the other: one cluster would reach the other's backups; give each a prefix of its own", a, b, in.Clusters[a].Prefix, in.Clusters[b].Prefix)
			}
		}
	}
	return nil
}

// checkRolePattern refuses a role ARN pattern that could match roles of
// another account (or every role of the account).
func checkRolePattern(field, name, partition, account, pattern string) error {
	rolePrefix := fmt.Sprintf("arn:%s:iam::%s:role/", partition, account)
	switch {
	case !accountPattern.MatchString(account):
		return fmt.Errorf("%s.account %q is not a 12-digit AWS account ID", field, account)
	case !strings.HasPrefix(pattern, rolePrefix) || len(pattern) == len(rolePrefix) || pattern == rolePrefix+"*":
		return fmt.Errorf("%s.roleArnPattern %q must name roles of account %s: start it with %s, e.g. %s%s-velero-*", field, pattern, account, rolePrefix, rolePrefix, name)
	}
	return nil
}

// checkVaultRestorers refuses a restorer that names no cluster, or one the
// vault does not take backups from.
func checkVaultRestorers(in VaultPolicyInput) error {
	for _, name := range slices.Sorted(maps.Keys(in.Restorers)) {
		r := in.Restorers[name]
		field := "restorers." + name
		if err := validateSubdomain("restorers key", name); err != nil {
			return err
		}
		if err := checkRolePattern(field, name, in.Partition, r.Account, r.RoleArnPattern); err != nil {
			return err
		}
		if len(r.Clusters) == 0 {
			return fmt.Errorf("%s.clusters is empty: name the clusters whose backups %s may restore, e.g. [%s]", field, name, strings.Join(slices.Sorted(maps.Keys(in.Clusters)), ", "))
		}
		for _, c := range r.Clusters {
			if _, ok := in.Clusters[c]; !ok {
				return fmt.Errorf("%s.clusters names %q, which is not one of the vault's clusters (%s)", field, c, strings.Join(slices.Sorted(maps.Keys(in.Clusters)), ", "))
			}
		}
	}
	return nil
}

// VaultKeyPolicy is the key policy of the vault bucket's KMS key (in the
// vault's account and region): the vault account's IAM policies decide
// who else in it may use and manage the key (the statement AWS's default
// key policy has, without which the key could become unmanageable), and
// each cluster's Velero role, granted through its account and narrowed to
// its role pattern, may have S3 in the vault's region generate and decrypt
// data keys for the vault bucket only: what S3 asks of the caller for
// SSE-KMS uploads, multipart uploads and downloads. A cross-account caller
// also needs the same actions in its own identity policy. Sources: AWS KMS
// developer guide, "Default key policy" and "Allowing users in other
// accounts to use a KMS key"; S3 user guide, "Using server-side encryption
// with AWS KMS keys" (with an S3 Bucket Key the encryption context is the
// bucket's ARN).
func VaultKeyPolicy(in VaultPolicyInput, vaultAccount, region string) (iampolicy.Document, error) {
	if err := checkVaultClusters(in); err != nil {
		return iampolicy.Document{}, err
	}
	if !accountPattern.MatchString(vaultAccount) || region == "" {
		return iampolicy.Document{}, fmt.Errorf("vault key policy: the vault's account %q must be a 12-digit account ID and its region set", vaultAccount)
	}
	bucketARN := s3BucketARN(in.Partition, in.Bucket)
	statements := []iampolicy.Statement{vaultAccountKeyStatement(in.Partition, vaultAccount)}
	for _, name := range slices.Sorted(maps.Keys(in.Clusters)) {
		c := in.Clusters[name]
		statements = append(statements, iampolicy.Statement{
			Sid:       "Cluster" + sidSuffix(name) + "UsesKeyThroughS3",
			Effect:    iampolicy.Allow,
			Principal: &iampolicy.Principal{AWS: iampolicy.Values{fmt.Sprintf("arn:%s:iam::%s:root", in.Partition, c.Account)}},
			Action:    iampolicy.Values{"kms:GenerateDataKey", "kms:Decrypt"},
			Resource:  iampolicy.Values{"*"},
			Condition: iampolicy.Condition{
				"ArnLike":      {"aws:PrincipalArn": {c.RoleArnPattern}},
				"StringEquals": {"kms:ViaService": {"s3." + region + "." + dnsSuffix(in.Partition)}},
				"StringLike":   {"kms:EncryptionContext:aws:s3:arn": {bucketARN, s3ObjectsARN(in.Partition, in.Bucket, c.Prefix)}},
			},
		})
	}
	doc := iampolicy.New(statements...)
	return doc, doc.Validate()
}
