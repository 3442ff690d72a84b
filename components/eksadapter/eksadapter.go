// Package eksadapter reads the inputs VeleroIRSA needs from a pulumi-eks v2
// cluster. It lives apart from package components so that programs which do
// not use pulumi-eks never compile it.
package eksadapter

import (
	"errors"

	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
)

// ErrNoOIDCProvider is returned (through the outputs) for a cluster created
// without an IAM OIDC provider, which IRSA cannot work without.
var ErrNoOIDCProvider = errors.New("the pulumi-eks cluster has no IAM OIDC provider: " +
	"create it with CreateOidcProvider: pulumi.Bool(true) in eks.ClusterArgs, " +
	"or pass OidcProviderArn and OidcIssuerUrl of an existing provider to VeleroIRSA yourself")

// ErrNoCluster is returned (through the outputs) when the pulumi-eks cluster
// reports no underlying EKS cluster.
var ErrNoCluster = errors.New("the pulumi-eks cluster has no EKS cluster in its core data")

// Cluster is what VeleroIRSA needs to know about an EKS cluster.
type Cluster struct {
	Name            pulumi.StringOutput
	OidcProviderArn pulumi.StringOutput
	OidcIssuerUrl   pulumi.StringOutput
}

// FromCluster reads the cluster name and its IAM OIDC provider from a
// pulumi-eks cluster. If the cluster has no OIDC provider, the outputs fail
// with ErrNoOIDCProvider, and a VeleroIRSA fed from them registers nothing.
func FromCluster(c *eks.Cluster) Cluster {
	provider := c.Core.ApplyT(func(core eks.CoreData) (oidcProvider, error) {
		return providerOf(core)
	})
	return Cluster{
		Name: c.Core.ApplyT(func(core eks.CoreData) (pulumi.StringOutput, error) {
			if core.Cluster == nil {
				return pulumi.StringOutput{}, ErrNoCluster
			}
			return core.Cluster.Name, nil
		}).(pulumi.StringOutput),
		OidcProviderArn: provider.ApplyT(func(p interface{}) pulumi.StringOutput {
			return p.(oidcProvider).arn
		}).(pulumi.StringOutput),
		OidcIssuerUrl: provider.ApplyT(func(p interface{}) pulumi.StringOutput {
			return p.(oidcProvider).url
		}).(pulumi.StringOutput),
	}
}

// Apply sets ClusterName, OidcProviderArn and OidcIssuerUrl of args.
func (c Cluster) Apply(args *components.VeleroIRSAArgs) *components.VeleroIRSAArgs {
	args.ClusterName = c.Name
	args.OidcProviderArn = c.OidcProviderArn
	args.OidcIssuerUrl = c.OidcIssuerUrl
	return args
}

type oidcProvider struct {
	arn, url pulumi.StringOutput
}

// providerOf guards CoreData.OidcProvider, which pulumi-eks leaves nil unless
// the cluster was created with CreateOidcProvider.
func providerOf(core eks.CoreData) (oidcProvider, error) {
	if core.OidcProvider == nil {
		return oidcProvider{}, ErrNoOIDCProvider
	}
	return oidcProvider{arn: core.OidcProvider.Arn, url: core.OidcProvider.Url}, nil
}
