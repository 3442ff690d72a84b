package components

import "github.com/velero-irsa/velero-irsa/components/internal/kubebinding"

// The Kubernetes resources the component registers, through the thin
// bindings of package kubebinding (see there for why).
const (
	helmReleaseType          = kubebinding.ReleaseType
	kubernetesPackageVersion = kubebinding.PackageVersion

	veleroAPIVersion          = "velero.io/v1"
	backupStorageLocationKind = "BackupStorageLocation"
	backupKind                = "Backup"
	restoreKind               = "Restore"
	// The resource type tokens.
	backupStorageLocationType = "kubernetes:" + veleroAPIVersion + ":" + backupStorageLocationKind
	backupType                = "kubernetes:" + veleroAPIVersion + ":" + backupKind
	restoreType               = "kubernetes:" + veleroAPIVersion + ":" + restoreKind
	configMapType             = kubebinding.ConfigMapType
	namespaceType             = kubebinding.NamespaceType
)
