package components

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/velero-irsa/velero-irsa/components/existing"
	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// resolved is everything the child resources need once the Input fields are
// known: the checked inputs and the documents built from them.
type resolved struct {
	cluster, bucket, region string
	provider                oidcProvider
	roleNamePrefix          string
	description             string
	trustPolicy             string
	permissionPolicy        string
	bucketPolicy            string      // TLS-only policy of a managed bucket
	values                  ValuesInput // all but RoleARN, which the role supplies
	// locations are the BackupStorageLocations, the main one first.
	locations []storageLocation
}

// inputs are the Input fields of VeleroIRSAArgs once known.
type inputs struct {
	cluster, providerARN, issuerURL, bucket, region string
	bucketKey, ebsKey                               string
	account                                         string // pod identity mode only
	bucketRegion                                    string // "" for region
}

// resolve validates the Input fields against each other and against the
// settings, then builds the trust policy, permission policy and Helm values.
// It runs inside the apply that feeds every child resource, so an error here
// registers none of them.
func resolve(s settings, in inputs) (resolved, error) {
	if err := validateClusterName(in.cluster); err != nil {
		return resolved{}, err
	}
	if err := validateBucketName("bucketName", in.bucket); err != nil {
		return resolved{}, err
	}
	if err := validateRegion("region", in.region); err != nil {
		return resolved{}, err
	}
	if in.bucketRegion == "" {
		in.bucketRegion = in.region
	} else if err := validateRegion("bucketRegion", in.bucketRegion); err != nil {
		return resolved{}, err
	}
	provider, trust, err := identity(s, in)
	if err != nil {
		return resolved{}, err
	}
	if p := regionPartition(in.bucketRegion); p != provider.Partition {
		return resolved{}, fmt.Errorf("bucketRegion %q is in partition %q, the cluster in %q: one role cannot reach both", in.bucketRegion, p, provider.Partition)
	}
	if err := checkRoleArnPattern(s, provider, in); err != nil {
		return resolved{}, err
	}
	if err := checkKeys(s, provider.Partition, in); err != nil {
		return resolved{}, err
	}
	ebsKeyID, err := snapshotKeyID(s, in.ebsKey)
	if err != nil {
		return resolved{}, err
	}
	locations, err := s.resolveLocations(provider.Partition, in.region)
	if err != nil {
		return resolved{}, err
	}
	main := storageLocation{
		Name: s.locationName, Bucket: in.bucket, Prefix: s.prefix, Region: in.bucketRegion,
		KMSKeyARN: in.bucketKey, AccessMode: s.accessMode, Default: true,
	}
	if len(s.objectTags) > 0 {
		main.Tagging = taggingQuery(s.objectTags)
	}
	additional := make([]LocationPolicy, len(locations))
	all := []storageLocation{main}
	for i, l := range locations {
		additional[i] = l.policy()
		all = append(all, l.location())
	}
	policy, err := PermissionPolicy(PolicyInput{
		Partition:       provider.Partition,
		Account:         provider.Account,
		Region:          in.region,
		Bucket:          in.bucket,
		Prefix:          s.prefix,
		Snapshots:       s.snapshots,
		Tagging:         len(s.objectTags) > 0,
		BucketKMSKeyARN: in.bucketKey,
		EBSKMSKeyARN:    in.ebsKey,
		ReadOnly:        s.accessMode == "ReadOnly",
		Additional:      additional,
	})
	if err != nil {
		return resolved{}, err
	}
	r := resolved{
		cluster:        in.cluster,
		bucket:         in.bucket,
		region:         in.region,
		provider:       provider,
		roleNamePrefix: defaultRoleNamePrefix(in.cluster),
		description:    cmp.Or(s.description, roleDescription(s, in.cluster)),
		values: ValuesInput{
			Namespace:          s.namespace,
			ServiceAccountName: s.serviceAccount,
			PluginImage:        s.pluginImage,
			VeleroImageTag:     s.veleroTag,
			Region:             in.region,
			LocationName:       s.locationName,
			SnapshotLocation:   s.snapshotLocationName,
			Snapshots:          s.snapshots,
			EBSKMSKeyID:        ebsKeyID,
			TokenAudience:      s.audience,
			PodIdentity:        s.mode == IdentityModePodIdentity,
			NodeAgent:          s.nodeAgent,
			NodeAgentRequests:  s.nodeAgentRequests,
			Schedules:          s.schedules,
			Overrides:          s.overrides,
			FSGroup:            s.fsGroup,
		},
		locations: all,
	}
	if s.alerts != nil {
		rules, err := AlertRules(AlertsInput{
			Namespace: s.namespace, Fullname: existing.ChartFullname(s.releaseName, s.overrides),
			Schedules: s.schedules, NodeAgent: s.nodeAgent, Alerts: *s.alerts,
		})
		if err != nil {
			return resolved{}, err
		}
		r.values.Alerting = &Alerting{Rules: rules, ResourceLabels: s.alerts.ResourceLabels}
	}
	if r.trustPolicy, err = trust.JSON(); err != nil {
		return resolved{}, err
	}
	if r.permissionPolicy, err = policy.JSON(); err != nil {
		return resolved{}, err
	}
	if r.bucketPolicy, err = BucketTLSPolicy(provider.Partition, in.bucket).JSON(); err != nil {
		return resolved{}, err
	}
	return r, nil
}

// identity works out partition and account, from the OIDC provider ARN in
// irsa mode and from region and caller account in pod identity mode, and
// builds the matching trust policy.
func identity(s settings, in inputs) (oidcProvider, iampolicy.Document, error) {
	if s.mode == IdentityModePodIdentity {
		if !accountPattern.MatchString(in.account) {
			return oidcProvider{}, iampolicy.Document{}, fmt.Errorf("the AWS provider's account %q is not a 12-digit account ID", in.account)
		}
		partition := regionPartition(in.region)
		trust, err := PodIdentityTrustPolicy(partition, in.account, in.region, in.cluster, s.namespace, s.serviceAccount)
		return oidcProvider{Partition: partition, Account: in.account}, trust, err
	}
	provider, err := parseOIDCProviderARN(in.providerARN)
	if err != nil {
		return oidcProvider{}, iampolicy.Document{}, err
	}
	issuer, err := normalizeIssuer(in.issuerURL)
	if err != nil {
		return oidcProvider{}, iampolicy.Document{}, err
	}
	if issuer != provider.Issuer {
		return oidcProvider{}, iampolicy.Document{}, fmt.Errorf("oidcIssuerUrl %q does not match oidcProviderArn %q (issuer %q): give the provider and issuer of the same cluster (`aws iam list-open-id-connect-providers`)", in.issuerURL, in.providerARN, provider.Issuer)
	}
	if p := regionPartition(in.region); p != provider.Partition {
		return oidcProvider{}, iampolicy.Document{}, fmt.Errorf("region %q is in partition %q but oidcProviderArn %q is in %q: give the cluster's own region", in.region, p, in.providerARN, provider.Partition)
	}
	trust, err := IRSATrustPolicy(provider.ARN, issuer, s.namespace, s.serviceAccount, s.audience)
	return provider, trust, err
}

func checkKeys(s settings, partition string, in inputs) error {
	if in.bucketKey != "" {
		if err := validateKMSKeyARN("bucketKmsKeyArn", in.bucketKey, partition, in.bucketRegion); err != nil {
			return err
		}
	}
	if in.ebsKey != "" {
		if !s.snapshots {
			return fmt.Errorf("ebsKmsKeyArn %q is set but snapshotsEnabled is false: the key is only used for EBS snapshots; drop it or turn snapshots on", in.ebsKey)
		}
		if err := validateKMSKeyARN("ebsKmsKeyArn", in.ebsKey, partition, in.region); err != nil {
			return err
		}
	}
	return nil
}

// snapshotKeyID is the snapshot location's ebsKmsKeyId for the EBS key:
// the key itself when the plugin takes it, so restored volumes are encrypted
// with it. On a Velero line no plugin release of which takes it (Velero 1.17
// and older), restored volumes keep their snapshot's encryption and the key
// is used for the policy only. On a line that has such a release, an older
// or unversioned plugin image is refused rather than quietly restoring
// volumes without the key.
func snapshotKeyID(s settings, ebsKey string) (string, error) {
	if ebsKey == "" {
		return "", nil
	}
	takes, known := pluginTakesEBSKeyID(s.pluginImage)
	newestTag := cmp.Or(veleroLines[s.veleroMinor].Plugin, pluginEBSKeyIDSince.String())
	newest := DefaultPluginRepository + ":" + newestTag
	switch {
	case takes:
		return ebsKey, nil
	case !lineHasEBSKeyID(s.veleroMinor):
		return "", nil
	case !known:
		return "", fmt.Errorf("ebsKmsKeyArn %q is set but pluginImage %q is pinned by digest only, so it cannot be told whether it takes the snapshot location's ebsKmsKeyId (plugin %s and later do; older ones refuse the location): write the image with its tag, as repo:%s@sha256:…, or leave pluginImage unset (default %s)", ebsKey, s.pluginImage, pluginEBSKeyIDSince, newestTag, newest)
	default:
		return "", fmt.Errorf("ebsKmsKeyArn %q is set but pluginImage %q predates plugin %s, the first that takes the snapshot location's ebsKmsKeyId, so volumes restored from snapshots could not be encrypted with that key: use plugin %s or later, e.g. %s (the default when pluginImage is unset)", ebsKey, s.pluginImage, pluginEBSKeyIDSince, pluginEBSKeyIDSince, newest)
	}
}

// roleDescription names the cluster and the one ServiceAccount the role
// serves, and how.
func roleDescription(s settings, cluster string) string {
	how := "IRSA"
	if s.mode == IdentityModePodIdentity {
		how = "EKS Pod Identity"
	}
	return fmt.Sprintf("Velero backups of EKS cluster %s (%s for %s/%s)", cluster, how, s.namespace, s.serviceAccount)
}

// defaultRoleNamePrefix is "<cluster>-velero-", cut to IAM's prefix length.
// The unique suffix keeps roles of same-named clusters in other regions of
// one account apart.
func defaultRoleNamePrefix(cluster string) string {
	const suffix = "-velero-"
	if max := maxRoleNamePrefix - len(suffix); len(cluster) > max {
		cluster = strings.TrimRight(cluster[:max], "-_")
	}
	return cluster + suffix
}

// roleNameExample stands for the unique suffix IAM's name prefixes get (26
// characters: a timestamp and a counter).
const roleNameExample = "20260101000000000000000001"

// checkRoleArnPattern refuses a role whose ARN would not match
// RoleArnPattern: the ARN the role will have (with a name prefix, any
// suffix stands for the unique one).
func checkRoleArnPattern(s settings, provider oidcProvider, in inputs) error {
	if s.roleArnPattern == "" {
		return nil
	}
	account := provider.Account
	if s.mode == IdentityModePodIdentity {
		account = in.account
	}
	name := s.roleName
	switch {
	case name != "":
	case s.roleNamePrefix != "":
		name = s.roleNamePrefix + roleNameExample
	default:
		name = defaultRoleNamePrefix(in.cluster) + roleNameExample
	}
	arn := fmt.Sprintf("arn:%s:iam::%s:role%s%s", provider.Partition, account, s.rolePath, name)
	if !arnLike(s.roleArnPattern, arn) {
		return fmt.Errorf("roleArnPattern %q does not match the role this cluster gets, %s: set roleName, roleNamePrefix or rolePath to match it, or change the pattern where it is granted (the vault's clusters)", s.roleArnPattern, arn)
	}
	return nil
}
