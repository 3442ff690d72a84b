package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// VeleroIRSAArgs configures a VeleroIRSA component.
//
// The five contract fields are Inputs so they can come straight from other
// resources (an EKS cluster, a bucket); the rest are plain values with
// defaults. Every field is validated before any child resource is registered.
type VeleroIRSAArgs struct {
	// ClusterName is the EKS cluster's name. Required. It prefixes the
	// default IAM role name.
	ClusterName pulumi.StringInput `pulumi:"clusterName"`
	// OidcProviderArn is the ARN of the cluster's IAM OIDC identity provider,
	// arn:<partition>:iam::<account>:oidc-provider/<issuer host+path>.
	// Required in irsa mode, refused in podIdentity mode. Its partition and
	// account scope the EC2 statements of the policy; its issuer must match
	// OidcIssuerUrl.
	OidcProviderArn pulumi.StringInput `pulumi:"oidcProviderArn,optional"`
	// OidcIssuerUrl is the cluster's OIDC issuer URL, with or without
	// https:// (cluster.identity.oidc.issuer of `aws eks describe-cluster`).
	// Required in irsa mode, refused in podIdentity mode.
	OidcIssuerUrl pulumi.StringInput `pulumi:"oidcIssuerUrl,optional"`
	// BucketName is the S3 bucket backups are stored in: the bare name, not
	// an s3:// URL or an ARN. Required. It must exist, unless CreateBucket
	// is set.
	BucketName pulumi.StringInput `pulumi:"bucketName"`
	// CreateBucket makes the component create BucketName, hardened and kept
	// when the stack is destroyed (see ManagedBucket). Default: nil, use an
	// existing bucket.
	CreateBucket *ManagedBucket `pulumi:"createBucket,optional"`
	// Region is the region of the bucket and of the cluster's EBS volumes,
	// e.g. eu-central-1. Required. It must belong to the OIDC provider's
	// partition.
	Region pulumi.StringInput `pulumi:"region"`
	// BucketRegion is BucketName's region when it is not Region: a backup
	// vault in another region, say. Default: Region. The main location's
	// config.region is set to it and BucketKmsKeyArn must be in it; EBS
	// snapshots stay in Region. It must be in Region's partition.
	BucketRegion pulumi.StringInput `pulumi:"bucketRegion,optional"`
	// RoleArnPattern is an ArnLike pattern ('*' and '?' within each part
	// of the ARN) the role's ARN must match: the grant a backup vault in
	// another account gives this cluster. A role that would not match
	// (its account, path, name or name prefix) is refused before anything
	// is created, rather than denied by the vault later. Default: none.
	RoleArnPattern string `pulumi:"roleArnPattern,optional"`

	// IdentityMode is how Velero gets its AWS credentials: "irsa" (default),
	// IAM roles for service accounts through the cluster's OIDC provider, or
	// "podIdentity", EKS Pod Identity, which needs the eks-pod-identity-agent
	// add-on on the cluster and Velero 1.14 or later, and no OIDC provider.
	// In podIdentity mode the account that scopes the EC2 statements is read
	// with sts:GetCallerIdentity through the component's AWS provider, and
	// the trust pins aws:SourceAccount and the session tags EKS Pod Identity
	// sets (eks-cluster-arn, kubernetes-namespace, kubernetes-service-account)
	// to this cluster, namespace and ServiceAccount, so no other pod identity
	// association in the account can use the role.
	// https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
	IdentityMode string `pulumi:"identityMode,optional"`

	// BackupPrefix is the folder inside the bucket that holds this cluster's
	// backups ("clusters/prod-eu"). Default: none, the bucket root. The
	// policy's object statements are limited to it.
	BackupPrefix string `pulumi:"backupPrefix,optional"`
	// BackupLocationName names the BackupStorageLocation (and the
	// VolumeSnapshotLocation). Default "default".
	BackupLocationName string `pulumi:"backupLocationName,optional"`
	// SnapshotLocationName names the VolumeSnapshotLocation. Default:
	// BackupLocationName. Velero records it in each backup with EBS
	// snapshots and looks it up by that name to restore them, so a Velero
	// that is taken over keeps its own.
	SnapshotLocationName string `pulumi:"snapshotLocationName,optional"`
	// BackupAccessMode is ReadWrite (default) or ReadOnly, the latter for a
	// cluster that only restores from the location.
	BackupAccessMode string `pulumi:"backupAccessMode,optional"`
	// BackupObjectTags are S3 object tags Velero puts on every object it
	// uploads (the location's config.tagging). Default none. Setting any also
	// grants s3:PutObjectTagging. Give two or more: the AWS plugin refuses a
	// tagging value with a single tag, and the location would be
	// Unavailable.
	BackupObjectTags map[string]string `pulumi:"backupObjectTags,optional"`
	// BucketKmsKeyArn is the KMS key ARN for SSE-KMS on backup objects
	// (config.kmsKeyId). Default none (the bucket's default encryption
	// applies). When set, the policy allows kms:GenerateDataKey and
	// kms:Decrypt on exactly this key; the key must be in Region and its key
	// policy must allow the account's IAM policies to grant its use.
	BucketKmsKeyArn pulumi.StringInput `pulumi:"bucketKmsKeyArn,optional"`

	// BackupLocationTimeoutSeconds bounds how long a deploy waits for Velero
	// to report each backup location Available (and the verification
	// backup and the restore drill Completed) before it fails. Default 300; 60–3600. The
	// component registers the BackupStorageLocations itself, annotated
	// pulumi.com/waitFor on status.phase Available, so a deploy only
	// succeeds once Velero has validated its storage with the role; while
	// it waits, and when it fails, it prints Velero's reason.
	BackupLocationTimeoutSeconds int `pulumi:"backupLocationTimeoutSeconds,optional"`
	// VerifyBackup takes a backup of Velero's own namespace (no volume
	// snapshots, kept 24h) once the locations are Available and waits for
	// it to complete. It is labelled velero-irsa/wiring with a hash of the
	// role, its policies, the locations, the chart and the images, and
	// replaced (a new backup,
	// named "<name>-verify-<random>" by pulumi-kubernetes) when that hash
	// changes and after a verification that failed. It is the check of
	// writes and of encryption with the KMS key: a location's validation
	// only lists the bucket (VerifyRestore checks reads).
	// Default false. Requires a ReadWrite main location and a component
	// name that is a valid Kubernetes name.
	VerifyBackup bool `pulumi:"verifyBackup,optional"`
	// VerifyRestore runs a restore drill after each verification backup:
	// a Restore of that backup, limited to a canary ConfigMap the component
	// keeps in Velero's namespace (velero-irsa-restore-drill, labelled
	// velero-irsa/restore-drill=canary, its data the wiring hash), into a
	// scratch namespace the component owns ("<namespace>-restore-drill"),
	// with no volumes and no cluster-scoped resources. The deploy waits
	// until the Restore is Completed with exactly the canary restored,
	// bounded by BackupLocationTimeoutSeconds: it is the check of reads
	// (s3:GetObject, and kms:Decrypt with BucketKmsKeyArn). A new drill
	// runs with each new verification backup and after a drill that
	// failed; Pulumi deletes a drill's Restore once it is replaced, and on
	// destroy, while Velero runs.
	// Default false. Requires VerifyBackup (so a ReadWrite main location)
	// and a namespace of at most 49 characters.
	VerifyRestore bool `pulumi:"verifyRestore,optional"`
	// ReadBackBackup names a Backup in Velero's namespace, typically the
	// newest one an adopted Velero took before the switch, that the deploy
	// reads back through the role: a Restore of it whose label selector
	// (velero-irsa/read-back=none) matches no object, so Velero downloads
	// the backup's archive (s3:GetObject, and kms:Decrypt with
	// BucketKmsKeyArn) and runs its restore path without creating
	// anything. The deploy waits until that Restore is Completed, bounded
	// by BackupLocationTimeoutSeconds. A new Restore is made when the name
	// changes. Default "" (none). Must be a valid Kubernetes object name.
	ReadBackBackup string `pulumi:"readBackBackup,optional"`
	// DisasterRecoveryDrill restores, on every deploy that creates or
	// replaces it, another cluster's newest scheduled backup from one of
	// AdditionalBackupLocations, limited to a canary, and the deploy waits
	// for it (see DisasterRecoveryDrill). Default: none.
	DisasterRecoveryDrill *DisasterRecoveryDrill `pulumi:"disasterRecoveryDrill,optional"`

	// AdditionalBackupLocations are more backup locations by name, each
	// covered by the role's policy with the access its mode needs
	// (ReadOnly by default, see BackupLocation). Default none.
	AdditionalBackupLocations map[string]BackupLocation `pulumi:"additionalBackupLocations,optional"`

	// SnapshotsEnabled turns EBS volume snapshots on (default true). When
	// false, no VolumeSnapshotLocation is configured and the policy has no
	// EC2 statements.
	SnapshotsEnabled *bool `pulumi:"snapshotsEnabled,optional"`
	// EbsKmsKeyArn is the customer managed KMS key the cluster's EBS volumes
	// are encrypted with, if any. Default none. When set, the policy grants
	// on exactly this key what the EBS user guide asks of the caller:
	// kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext,
	// kms:ReEncrypt*, and kms:CreateGrant only for grants EBS makes on
	// Velero's behalf (kms:GrantIsForAWSResource). Requires SnapshotsEnabled.
	// With AWS plugin v1.14.2 or later (the default for chart 12.x) the
	// snapshot location's ebsKmsKeyId is this key too, so volumes restored
	// from snapshots are encrypted with it; a plugin v1.14 image older than
	// v1.14.2, or one pinned by digest only, is refused with it. With older
	// charts, whose plugins do not take ebsKmsKeyId, restored volumes keep
	// their snapshot's encryption.
	EbsKmsKeyArn pulumi.StringInput `pulumi:"ebsKmsKeyArn,optional"`

	// DeployNodeAgent runs the node agent DaemonSet for file-system backups
	// (Kopia) and CSI data movement. Default false. It uses Velero's
	// ServiceAccount, and so the same role; its uploads stay under the
	// backup location's prefix.
	DeployNodeAgent bool `pulumi:"deployNodeAgent,optional"`
	// NodeAgentRequests are the node agent container's resource requests
	// ("cpu": "500m", "memory": "512Mi"). Default none (the chart's).
	NodeAgentRequests map[string]string `pulumi:"nodeAgentRequests,optional"`
	// Schedules are backup schedules by name. Default none.
	Schedules map[string]Schedule `pulumi:"schedules,optional"`
	// Alerts, when set (even empty), installs with the release a
	// PrometheusRule with alerts on Velero's metrics (an overdue backup
	// per schedule, failed and partially failed backups, failed restores,
	// an unavailable location, the node agent's failures) and the chart's
	// ServiceMonitor, and with DeployNodeAgent its PodMonitor. Needs the
	// Prometheus Operator's CRDs on the cluster. Default none.
	Alerts *Alerts `pulumi:"alerts,optional"`

	// ValuesOverrides are Helm values merged last (maps deeply, lists and
	// scalars replaced), for anything the chart offers: resources,
	// nodeSelector, tolerations, metrics, an image registry mirror, more
	// plugins. Overrides that would break the identity wiring are refused:
	// credentials.useSecret true, another ServiceAccount name or namespace,
	// serviceAccount.server.create false, the ServiceAccount annotations
	// eks.amazonaws.com/role-arn and eks.amazonaws.com/audience (set with
	// tokenAudience; the webhook's token-expiration and
	// sts-regional-endpoints annotations stay allowed), the
	// velero-irsa/identity pod annotation, initContainers without the AWS
	// plugin, the backup and snapshot locations (backupsEnabled, another
	// configuration.defaultBackupStorageLocation included, as the component
	// registers the backup locations), another podSecurityContext.fsGroup,
	// values with their own argument (snapshotsEnabled, deployNodeAgent,
	// schedules), an image.tag from another Velero line than the chart's,
	// and a null or non-map that would remove any of these (credentials:
	// null brings back the chart's credentials file).
	//
	// So is every way to give Velero's pods, or other code, AWS credentials
	// other than the role's, since the AWS SDK prefers them to the role
	// without a word: AWS credential, profile, credentials-file, role,
	// token, credentials-endpoint and endpoint-URL variables (and HOME,
	// VELERO_NAMESPACE, KUBECONFIG) in configuration.extraEnvVars,
	// nodeAgent.extraEnvVars, upgradeCRDsJob.extraEnvVars and init
	// containers' env, in list and map form; envFrom in init containers;
	// credentials.extraSecretRef, credentials.extraEnvVars,
	// credentials.secretContents and credentials.existingSecret; volume
	// mounts at a home directory, an .aws folder or /etc; hostAliases for
	// AWS endpoints; the --namespace, --kubeconfig, --kubecontext and
	// --default-backup-storage-location flags in configuration.extraArgs
	// and nodeAgent.extraArgs; namespace.labels that are not labels (older
	// charts pass them to a shell); the pod annotation
	// eks.amazonaws.com/skip-containers and the pod label
	// eks.amazonaws.com/skip-pod-identity-webhook, anywhere, even inside
	// text (Velero reads pod labels for the pods it starts from JSON in
	// ConfigMaps); and extraObjects of any kind but ConfigMap, Secret
	// (not a ServiceAccount token), Service, NetworkPolicy,
	// PodDisruptionBudget, ServiceMonitor, PodMonitor, PrometheusRule and
	// VolumeSnapshotClass, since RBAC, workloads and admission objects can
	// hand the role to other code. Region, proxy and retry variables stay
	// allowed.
	//
	// The values must be plain data (maps with string keys, lists,
	// strings, numbers, booleans; typed Go maps and slices are copied into
	// that shape), without line breaks except in extraObjects,
	// metrics.prometheusRule.spec and the data of configMaps (the chart
	// writes other values unquoted, where a line break would add YAML of
	// its own), with map-form env names of letters, digits, '_', '.' and
	// '-', and with extraObjects written as literal maps (no "{{"
	// templates; Lists are checked item by item). Default none.
	ValuesOverrides map[string]interface{} `pulumi:"valuesOverrides,optional"`

	// Namespace is the namespace Velero is installed in; created if missing.
	// Default "velero".
	Namespace string `pulumi:"namespace,optional"`
	// ServiceAccountName is the name of Velero's ServiceAccount, the only one
	// the role trusts. Default "velero-server".
	ServiceAccountName string `pulumi:"serviceAccountName,optional"`
	// TokenAudience is the audience of the ServiceAccount token and a client
	// ID of the OIDC provider. Default "sts.amazonaws.com"; another value is
	// also annotated on the ServiceAccount (eks.amazonaws.com/audience).
	TokenAudience string `pulumi:"tokenAudience,optional"`
	// FsGroup is the pod fsGroup that makes the projected token readable by
	// Velero's non-root user. Default 65534.
	FsGroup *int `pulumi:"fsGroup,optional"`

	// ReleaseName is the Helm release name. Default "velero".
	ReleaseName string `pulumi:"releaseName,optional"`
	// AdoptRelease takes over the Helm release ReleaseName that already
	// runs in Namespace: on an up (not a preview) the release is imported
	// into the stack with the import resource option and upgraded to the
	// role in the same deployment, at a new revision, so `helm history` and
	// `helm rollback` keep working. Default false. The kubernetes provider's
	// import copies the newest revision's user-supplied values into the
	// stack's state in the clear, so set it only once those values hold no
	// static keys: existing.HandOverRelease makes that so, and the
	// velero-irsa program calls it (with existing.Read and existing.Check,
	// which also refuse an adoption that would lose a location or a
	// schedule) before it sets this field. A later up with it still set
	// changes nothing: the release is in the stack's state by then. The
	// multi-language plugin refuses it, having no such hand-over.
	AdoptRelease bool `pulumi:"adoptRelease,optional"`
	// ChartVersion is the exact Velero chart version. Default "12.1.0".
	// The server image installed is the newest known patch of the chart's
	// Velero line, not the chart's appVersion: velero/velero:v1.18.3 for
	// chart 12.x. valuesOverrides.image.repository (a mirror) and
	// image.tag (another patch of the same line) are accepted; a tag from
	// another Velero line is refused.
	ChartVersion string `pulumi:"chartVersion,optional"`
	// ChartRepository is the Helm repository URL of the chart. Default
	// https://vmware-tanzu.github.io/helm-charts; set it to use a mirror.
	ChartRepository string `pulumi:"chartRepository,optional"`
	// VeleroVersion is the Velero version the chart installs ("1.19"). Only
	// needed for chart versions newer than 12.x, which this component cannot
	// map to a Velero version itself.
	VeleroVersion string `pulumi:"veleroVersion,optional"`
	// PluginImage is the AWS plugin image. Default: the newest plugin
	// release made for the chart's Velero (velero/velero-plugin-for-aws:v1.14.3
	// for chart 12.x). A tag from another Velero line is refused; an image
	// pinned only by digest is taken as given.
	PluginImage string `pulumi:"pluginImage,optional"`
	// ReleaseTimeoutSeconds bounds each Helm install or upgrade, CRD-upgrade
	// hook job included. Default 900; at least 600.
	ReleaseTimeoutSeconds int `pulumi:"releaseTimeoutSeconds,optional"`

	// RoleName is the exact IAM role name (at most 64 characters). Conflicts
	// with RoleNamePrefix. Default: a unique name starting with
	// "<clusterName>-velero-".
	RoleName string `pulumi:"roleName,optional"`
	// RoleNamePrefix makes a unique role name starting with this prefix (at
	// most 38 characters). Conflicts with RoleName.
	RoleNamePrefix string `pulumi:"roleNamePrefix,optional"`
	// RolePath is the role's IAM path. Default "/".
	RolePath string `pulumi:"rolePath,optional"`
	// RolePermissionsBoundaryArn is an IAM policy ARN set as the role's
	// permissions boundary. Default none.
	RolePermissionsBoundaryArn string `pulumi:"rolePermissionsBoundaryArn,optional"`
	// RoleMaxSessionDurationSeconds is the role's maximum session duration,
	// 3600–43200. Default 3600 (the token webhook asks for one hour).
	RoleMaxSessionDurationSeconds int `pulumi:"roleMaxSessionDurationSeconds,optional"`
	// RoleDescription is the role's description. Default names the cluster.
	RoleDescription string `pulumi:"roleDescription,optional"`
	// Tags are the IAM role's tags. Default none.
	Tags map[string]string `pulumi:"tags,optional"`
}

// VeleroIRSA is Velero installed on an EKS cluster with an IAM role that only
// its ServiceAccount can assume (IAM roles for service accounts).
type VeleroIRSA struct {
	pulumi.ResourceState

	// RoleArn is the ARN of the role Velero runs as.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// RoleName is the IAM role's name.
	RoleName pulumi.StringOutput `pulumi:"roleName"`
	// Namespace is the namespace Velero runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// ServiceAccountName is Velero's ServiceAccount, the one the role trusts.
	ServiceAccountName pulumi.StringOutput `pulumi:"serviceAccountName"`
	// BucketName is the backup bucket.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	// ReleaseName is the Helm release's name.
	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	// ReleaseStatus is the Helm release status (deployed, failed, ...).
	ReleaseStatus pulumi.StringOutput `pulumi:"releaseStatus"`
}

// VeleroIRSAType is the component's Pulumi type token.
const VeleroIRSAType = "velero-irsa:index:VeleroIRSA"
