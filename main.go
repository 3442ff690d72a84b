// Command velero-irsa is the Pulumi program that installs Velero with an
// IRSA role on one EKS cluster per stack. Settings live in
// stacks/Pulumi.<stack>.yaml; see README.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
)

func main() {
	pulumi.Run(program)
}

// program loads the stack's config, resolves its cluster, builds providers
// for exactly that cluster and account, installs Velero and exports the
// role ARN and the other names; or, in a vault stack (config vault),
// creates the backup vault and exports where clusters write and restore.
func program(ctx *pulumi.Context) error {
	outputs := map[string]pulumi.Input{}
	if isVaultStack(ctx) {
		vault, err := deployVault(ctx)
		if err != nil {
			return err
		}
		outputs = vault
	} else {
		cluster, err := deploy(ctx)
		if err != nil {
			return err
		}
		for name, value := range cluster {
			outputs[name] = value
		}
	}
	for name, value := range outputs {
		ctx.Export(name, value)
	}
	return nil
}

// deploy does the work of program and returns the stack outputs.
func deploy(ctx *pulumi.Context) (map[string]pulumi.StringInput, error) {
	c, err := loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	var target vaultTarget
	if c.VaultStack != "" {
		vault, err := readVault(ctx, c)
		if err != nil {
			return nil, err
		}
		if c, target, err = withVault(c, vault, ctx.Project()); err != nil {
			return nil, err
		}
		if target.bucketRegion != "" { // it writes to the vault
			if w := vaultVolumeWarning(c, c.Region); w != "" {
				_ = ctx.Log.Warn(w, nil)
			}
		}
	}
	awsProvider, err := newAWSProvider(ctx, c)
	if err != nil {
		return nil, err
	}
	cluster, err := resolveCluster(ctx, c, awsProvider)
	if err != nil {
		return nil, err
	}
	// Nothing that exists outside Pulumi is created before this check.
	adopt, err := checkExisting(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	if adopt.readBackGone {
		c.ReadBackBackup = ""
	}
	if err := cluster.createOIDCProvider(ctx, c, awsProvider); err != nil {
		return nil, err
	}
	k8sProvider, err := newKubernetesProvider(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	opts := []pulumi.ResourceOption{pulumi.Providers(awsProvider, k8sProvider)}
	if adopt.install != nil && !ctx.DryRun() {
		handOver, err := installHandOver(ctx, adopt)
		if err != nil {
			return nil, err
		}
		opts = append(opts, handOver)
	}
	velero, err := components.NewVeleroIRSA(ctx, "velero", componentArgs(c, cluster, adopt.release, target), opts...)
	if err != nil {
		return nil, err
	}
	outputs := map[string]pulumi.StringInput{
		"roleArn":            velero.RoleArn,
		"roleName":           velero.RoleName,
		"namespace":          velero.Namespace,
		"serviceAccountName": velero.ServiceAccountName,
		"bucketName":         velero.BucketName,
		"releaseName":        velero.ReleaseName,
		"releaseStatus":      velero.ReleaseStatus,
	}
	if cluster.OidcProviderArn != nil {
		outputs["oidcProviderArn"] = cluster.OidcProviderArn
	}
	return outputs, nil
}

func componentArgs(c stackConfig, cluster clusterInfo, adopt bool, vault vaultTarget) *components.VeleroIRSAArgs {
	args := &components.VeleroIRSAArgs{
		IdentityMode:                 c.IdentityMode,
		ClusterName:                  pulumi.String(c.ClusterName),
		OidcProviderArn:              cluster.OidcProviderArn,
		OidcIssuerUrl:                cluster.OidcIssuerUrl,
		BucketName:                   pulumi.String(c.BucketName),
		Region:                       pulumi.String(c.Region),
		BackupPrefix:                 c.BackupPrefix,
		BackupObjectTags:             c.BackupObjectTags,
		BackupAccessMode:             c.BackupAccessMode,
		BackupLocationName:           c.BackupLocationName,
		SnapshotLocationName:         c.SnapshotLocationName,
		ReleaseName:                  releaseName(c),
		AdoptRelease:                 adopt,
		ReadBackBackup:               c.ReadBackBackup,
		AdditionalBackupLocations:    c.AdditionalBackupLocations,
		SnapshotsEnabled:             pulumi.BoolRef(c.SnapshotsEnabled),
		DeployNodeAgent:              c.DeployNodeAgent,
		NodeAgentRequests:            c.NodeAgentRequests,
		Schedules:                    c.Schedules,
		Alerts:                       c.Alerts.component(),
		ValuesOverrides:              c.ValuesOverrides,
		Namespace:                    c.Namespace,
		ServiceAccountName:           c.ServiceAccountName,
		ChartVersion:                 c.ChartVersion,
		PluginImage:                  c.PluginImage,
		ChartRepository:              c.ChartRepository,
		ReleaseTimeoutSeconds:        c.ReleaseTimeoutSeconds,
		BackupLocationTimeoutSeconds: c.BackupLocationTimeoutSeconds,
		VerifyBackup:                 c.VerifyBackup,
		VerifyRestore:                c.VerifyRestore,
		RoleName:                     c.RoleName,
		RoleNamePrefix:               c.RoleNamePrefix,
		RolePath:                     c.RolePath,
		RolePermissionsBoundaryArn:   c.RolePermissionsBoundaryArn,
		Tags:                         c.Tags,
	}
	if c.CreateBucket {
		bucket := c.ManagedBucket
		args.CreateBucket = &bucket
	}
	if drill := c.DisasterRecoveryDrill; drill != (components.DisasterRecoveryDrill{}) {
		args.DisasterRecoveryDrill = &drill
	}
	if vault.bucketRegion != "" {
		args.BucketRegion = pulumi.String(vault.bucketRegion)
	}
	args.RoleArnPattern = vault.roleArnPattern
	if c.BucketKmsKeyArn != "" {
		args.BucketKmsKeyArn = pulumi.String(c.BucketKmsKeyArn)
	}
	if c.EbsKmsKeyArn != "" {
		args.EbsKmsKeyArn = pulumi.String(c.EbsKmsKeyArn)
	}
	return args
}
