package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
)

// vaultTarget is what the vault adds to a cluster's component arguments
// beyond its stack settings: the bucket's region and the grant its role
// must match.
type vaultTarget struct {
	bucketRegion, roleArnPattern string
}

// vaultInfo is what a cluster stack reads from its vault stack's outputs.
type vaultInfo struct {
	bucket, region, key                      string
	replicaBucket, replicaRegion, replicaKey string
	clusters                                 map[string]components.VaultCluster
	restorers                                map[string]components.VaultRestorer
}

// readVault reads the outputs of the vault stack named by vaultStack. It
// waits for them, so everything the stack file says can be checked against
// the vault before anything is created; a vault stack that has not been
// deployed yet has none, and is reported as such.
func readVault(ctx *pulumi.Context, c stackConfig) (vaultInfo, error) {
	ns := ctx.Project()
	ref, err := pulumi.NewStackReference(ctx, "vault-stack", &pulumi.StackReferenceArgs{Name: pulumi.String(c.VaultStack)})
	if err != nil {
		return vaultInfo{}, fmt.Errorf("reading vault stack %s (config %s:vaultStack): %w", c.VaultStack, ns, err)
	}
	output := func(name string) (interface{}, error) {
		d, err := ref.GetOutputDetails(name)
		if err != nil {
			return nil, fmt.Errorf("reading output %q of vault stack %s (config %s:vaultStack): %w", name, c.VaultStack, ns, err)
		}
		if d == nil || d.Value == nil {
			return nil, fmt.Errorf("vault stack %s (config %s:vaultStack) has no output %q: run `pulumi up` in the vault stack first, or correct the stack name", c.VaultStack, ns, name)
		}
		return d.Value, nil
	}
	var v vaultInfo
	for _, f := range []struct {
		name string
		into *string
	}{
		{"bucketName", &v.bucket}, {"region", &v.region}, {"keyArn", &v.key},
		{"replicaBucketName", &v.replicaBucket}, {"replicaRegion", &v.replicaRegion}, {"replicaKeyArn", &v.replicaKey},
	} {
		value, err := output(f.name)
		if err != nil {
			return vaultInfo{}, err
		}
		s, ok := value.(string)
		if !ok {
			return vaultInfo{}, fmt.Errorf("vault stack %s output %q is %T, not a string: is %s a vault stack (config %s:vault)?", c.VaultStack, f.name, value, c.VaultStack, ns)
		}
		*f.into = s
	}
	clusters, err := output("clusters")
	if err != nil {
		return vaultInfo{}, err
	}
	restorers, err := output("restorers")
	if err != nil {
		return vaultInfo{}, err
	}
	if err := decodeOutput(clusters, &v.clusters); err != nil {
		return vaultInfo{}, fmt.Errorf("vault stack %s output clusters: %w", c.VaultStack, err)
	}
	if err := decodeOutput(restorers, &v.restorers); err != nil {
		return vaultInfo{}, fmt.Errorf("vault stack %s output restorers: %w", c.VaultStack, err)
	}
	return v, nil
}

// decodeOutput converts a stack output (maps and lists) to a typed value.
func decodeOutput(value, into interface{}) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// withVault points the stack at its vault: a cluster the vault takes
// backups from writes its main location there (bucket, region, prefix and
// key from the vault, its role held to the vault's grant); a restorer
// gets a ReadOnly location in the replica for each cluster it may restore,
// named after it. A stack that sets the bucket itself, or that the vault
// neither takes from nor lets restore, is refused.
func withVault(c stackConfig, v vaultInfo, ns string) (stackConfig, vaultTarget, error) {
	var t vaultTarget
	name := cmp.Or(c.VaultClusterName, c.ClusterName)
	cluster, writes := v.clusters[name]
	restorer, restores := v.restorers[name]
	key := func(k string) string { return ns + ":" + k }
	if !writes && !restores {
		return c, t, fmt.Errorf("vault stack %s neither takes backups from nor lets restore a cluster named %q (its clusters: %s; restorers: %s): add it to vault.clusters or vault.restorers in the vault stack, or set %s to the name it has there", c.VaultStack, name, listOrNone(slices.Sorted(maps.Keys(v.clusters))), listOrNone(slices.Sorted(maps.Keys(v.restorers))), key("vaultClusterName"))
	}
	if writes && restores && cluster.RoleArnPattern != restorer.RoleArnPattern {
		return c, t, fmt.Errorf("vault stack %s grants %q two role patterns, %s as a cluster and %s as a restorer: one role does both, give both the same pattern", c.VaultStack, name, cluster.RoleArnPattern, restorer.RoleArnPattern)
	}
	if writes {
		for _, f := range []struct{ k, v string }{
			{"bucketName", c.BucketName}, {"backupPrefix", c.BackupPrefix}, {"bucketKmsKeyArn", c.BucketKmsKeyArn},
		} {
			if f.v != "" {
				return c, t, fmt.Errorf("config %s %q conflicts with %s: cluster %s writes to the vault's bucket %s under %s; remove %s", key(f.k), f.v, key("vaultStack"), name, v.bucket, cluster.Prefix, key(f.k))
			}
		}
		if c.CreateBucket {
			return c, t, fmt.Errorf("config %s conflicts with %s: the vault stack owns the bucket; remove %s", key("createBucket"), key("vaultStack"), key("createBucket"))
		}
		c.BucketName, c.BackupPrefix, c.BucketKmsKeyArn = v.bucket, cluster.Prefix, v.key
		t = vaultTarget{bucketRegion: v.region, roleArnPattern: cluster.RoleArnPattern}
	}
	if restores {
		t.roleArnPattern = restorer.RoleArnPattern
		locations := maps.Clone(c.AdditionalBackupLocations)
		if locations == nil {
			locations = map[string]components.BackupLocation{}
		}
		for _, granted := range slices.Sorted(slices.Values(restorer.Clusters)) {
			if _, taken := locations[granted]; taken || granted == c.BackupLocationName {
				return c, t, fmt.Errorf("config %s: the location %q is the vault's restore location for cluster %s (in the replica %s); rename your location of that name", key("additionalBackupLocations"), granted, granted, v.replicaBucket)
			}
			locations[granted] = components.BackupLocation{
				Bucket: v.replicaBucket, Region: v.replicaRegion, Prefix: v.clusters[granted].Prefix,
				AccessMode: "ReadOnly", KmsKeyArn: v.replicaKey,
			}
		}
		c.AdditionalBackupLocations = locations
	}
	return c, t, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// vaultVolumeWarning names the schedules of a cluster writing to a vault
// whose volumes would be kept only as EBS snapshots: the AWS plugin takes
// snapshots in the cluster's region and account and never copies them
// (velero-plugin-for-aws v1.14.3 calls no CopySnapshot), so the vault and
// its replica would hold the resources but no volume data, and a restore
// in another region or account gets none. What crosses is what Velero
// writes to the bucket: file-system backups (Kopia).
func vaultVolumeWarning(c stackConfig, region string) string {
	var snapshotOnly []string
	for _, name := range slices.Sorted(maps.Keys(c.Schedules)) {
		sc := c.Schedules[name]
		if sc.StorageLocation != "" && sc.StorageLocation != c.BackupLocationName {
			continue
		}
		fsBackup := sc.DefaultVolumesToFsBackup != nil && *sc.DefaultVolumesToFsBackup
		snapshots := c.SnapshotsEnabled && (sc.SnapshotVolumes == nil || *sc.SnapshotVolumes)
		if snapshots && !fsBackup {
			snapshotOnly = append(snapshotOnly, name)
		}
	}
	if len(snapshotOnly) == 0 {
		return ""
	}
	return fmt.Sprintf("vaultStack: schedules %s back volumes up as EBS snapshots only; the snapshots stay in %s in this cluster's account, so the vault and its replica hold no volume data for them and a restore in another region or account restores none. "+
		"To carry volume data into the vault, set deployNodeAgent: true and defaultVolumesToFsBackup: true on those schedules (file-system backup; mind its one-hour credential limit), or opt pods in with the backup.velero.io/backup-volumes annotation; see docs/disaster-recovery.md#volumes",
		strings.Join(snapshotOnly, ", "), region)
}
