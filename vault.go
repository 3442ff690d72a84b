package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/velero-irsa/velero-irsa/components"
)

// vaultConfig is a vault stack's settings: the key vault (an object) in
// stacks/Pulumi.<stack>.yaml. Its fields are BackupVaultArgs' without the
// replica's provider, which the program makes.
type vaultConfig struct {
	BucketName                         string                              `json:"bucketName"`
	Region                             string                              `json:"region"`
	ReplicaBucketName                  string                              `json:"replicaBucketName"`
	ReplicaRegion                      string                              `json:"replicaRegion"`
	Account                            string                              `json:"account"`
	Clusters                           map[string]components.VaultCluster  `json:"clusters"`
	Restorers                          map[string]components.VaultRestorer `json:"restorers"`
	ObjectLock                         components.VaultObjectLock          `json:"objectLock"`
	NoncurrentVersionExpirationDays    int                                 `json:"noncurrentVersionExpirationDays"`
	AbortIncompleteMultipartUploadDays int                                 `json:"abortIncompleteMultipartUploadDays"`
	Tags                               map[string]string                   `json:"tags"`
}

// clusterOnlyKeys are settings of a cluster stack that a vault stack may
// not have: it has no cluster, and its bucket and regions are in vault.
var clusterOnlyKeys = []string{"clusterName", "region", "bucketName", "clusterStack", "oidcProviderArn", "oidcIssuerUrl", "kubeconfigContext", "vaultStack"}

// isVaultStack tells a vault stack (the key vault is set) from a cluster
// stack. Pulumi gives an absent object key its declared default, {}.
func isVaultStack(ctx *pulumi.Context) bool {
	raw, err := config.New(ctx, "").Try("vault")
	return err == nil && raw != "{}" && raw != ""
}

// deployVault creates a vault stack's BackupVault, with a provider for
// each of its regions, and returns what cluster stacks read from it.
func deployVault(ctx *pulumi.Context) (map[string]pulumi.Input, error) {
	ns := ctx.Project()
	cfg := config.New(ctx, "")
	for _, k := range clusterOnlyKeys {
		if v, err := cfg.Try(k); !errors.Is(err, config.ErrMissingVar) && v != "" {
			return nil, fmt.Errorf("config %s:vault makes this a vault stack, which has no cluster: remove %s:%s (clusters write to the vault from their own stacks, with %s:vaultStack)", ns, ns, k, ns)
		}
	}
	r := &configReader{cfg: cfg, ns: ns}
	var v vaultConfig
	r.object("vault", &v)
	profile, assumeRole := r.str("awsProfile", ""), r.str("assumeRoleArn", "")
	if r.err != nil {
		return nil, r.err
	}
	if err := checkAssumeRoleArn(ns, assumeRole); err != nil {
		return nil, err
	}
	for _, f := range []struct{ key, value string }{
		{"bucketName", v.BucketName}, {"region", v.Region}, {"replicaBucketName", v.ReplicaBucketName}, {"replicaRegion", v.ReplicaRegion},
	} {
		if f.value == "" {
			return nil, fmt.Errorf("config %s:vault.%s is required: a vault stack sets bucketName, region, replicaBucketName, replicaRegion, clusters and objectLock", ns, f.key)
		}
	}
	primary, err := awsProvider(ctx, "aws", v.Region, profile, assumeRole)
	if err != nil {
		return nil, err
	}
	replica, err := awsProvider(ctx, "aws-replica", v.ReplicaRegion, profile, assumeRole)
	if err != nil {
		return nil, err
	}
	vault, err := components.NewBackupVault(ctx, "vault", &components.BackupVaultArgs{
		BucketName: v.BucketName, Region: v.Region,
		ReplicaBucketName: v.ReplicaBucketName, ReplicaRegion: v.ReplicaRegion, ReplicaProvider: replica,
		Account: v.Account, Clusters: v.Clusters, Restorers: v.Restorers, ObjectLock: v.ObjectLock,
		NoncurrentVersionExpirationDays:    v.NoncurrentVersionExpirationDays,
		AbortIncompleteMultipartUploadDays: v.AbortIncompleteMultipartUploadDays,
		Tags:                               v.Tags,
	}, pulumi.Provider(primary))
	if err != nil {
		return nil, fmt.Errorf("config %s:vault: %w", ns, err)
	}
	return map[string]pulumi.Input{
		"account":            vault.Account,
		"bucketName":         vault.BucketName,
		"region":             vault.Region,
		"keyArn":             vault.KeyArn,
		"replicaBucketName":  vault.ReplicaBucketName,
		"replicaRegion":      vault.ReplicaRegion,
		"replicaKeyArn":      vault.ReplicaKeyArn,
		"replicationRoleArn": vault.ReplicationRoleArn,
		"clusters":           vaultClustersOutput(v.Clusters),
		"restorers":          vaultRestorersOutput(v.Restorers),
	}, nil
}

// vaultClustersOutput is the clusters output: name → account,
// roleArnPattern and prefix, as a cluster stack reads it.
func vaultClustersOutput(clusters map[string]components.VaultCluster) pulumi.Map {
	out := pulumi.Map{}
	for _, name := range slices.Sorted(maps.Keys(clusters)) {
		c := clusters[name]
		out[name] = pulumi.StringMap{"account": pulumi.String(c.Account), "roleArnPattern": pulumi.String(c.RoleArnPattern), "prefix": pulumi.String(c.Prefix)}
	}
	return out
}

// vaultRestorersOutput is the restorers output: name → account,
// roleArnPattern and the clusters it may restore.
func vaultRestorersOutput(restorers map[string]components.VaultRestorer) pulumi.Map {
	out := pulumi.Map{}
	for _, name := range slices.Sorted(maps.Keys(restorers)) {
		r := restorers[name]
		out[name] = pulumi.Map{"account": pulumi.String(r.Account), "roleArnPattern": pulumi.String(r.RoleArnPattern), "clusters": pulumi.ToStringArray(r.Clusters)}
	}
	return out
}
