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
	// backupStorageLocationType and backupType are the resource type tokens.
	backupStorageLocationType = "kubernetes:" + veleroAPIVersion + ":" + backupStorageLocationKind
	backupType                = "kubernetes:" + veleroAPIVersion + ":" + backupKind
)
