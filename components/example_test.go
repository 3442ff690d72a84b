package components_test

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
)

// A platform program that manages several clusters passes each VeleroIRSA
// the providers of its own account, region and cluster, so nothing falls
// back to ambient credentials or the current kubeconfig context.
func Example_explicitProviders() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		awsEU, err := aws.NewProvider(ctx, "aws-eu-central-1", &aws.ProviderArgs{
			Region: pulumi.String("eu-central-1"),
		})
		if err != nil {
			return err
		}
		k8sProdEU, err := kubernetes.NewProvider(ctx, "prod-euc1", &kubernetes.ProviderArgs{
			Context: pulumi.String("arn:aws:eks:eu-central-1:123456789012:cluster/prod-euc1"),
		})
		if err != nil {
			return err
		}
		velero, err := components.NewVeleroIRSA(ctx, "prod-euc1-velero", &components.VeleroIRSAArgs{
			ClusterName:     pulumi.String("prod-euc1"),
			OidcProviderArn: pulumi.String("arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
			OidcIssuerUrl:   pulumi.String("https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
			BucketName:      pulumi.String("acme-velero-backups-euc1"),
			Region:          pulumi.String("eu-central-1"),
			BackupPrefix:    "clusters/prod-euc1",
		}, pulumi.Providers(awsEU, k8sProdEU))
		if err != nil {
			return err
		}
		ctx.Export("prodEuc1VeleroRoleArn", velero.RoleArn)
		return nil
	})
}
