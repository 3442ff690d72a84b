package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
)

// clusterInfo is what the program needs to know about the cluster: its IAM
// OIDC provider for the role's trust, and its API endpoint and CA for the
// kubernetes provider (unset when a kubeconfig context is used instead).
type clusterInfo struct {
	OidcProviderArn      pulumi.StringInput
	OidcIssuerUrl        pulumi.StringInput
	Endpoint             pulumi.StringInput
	CertificateAuthority pulumi.StringInput

	// api reaches the cluster's API as the kubernetes provider will, to see
	// what runs there before anything is created.
	api func(ctx context.Context) (*kubeAPI, error)
	// createIssuer is the issuer of an OIDC provider still to be created
	// (createOidcProvider), once nothing stands in the way of the deploy.
	createIssuer string
}

// connect reaches the cluster's API.
func (info clusterInfo) connect(ctx context.Context, c stackConfig) (*kubeAPI, error) {
	if c.KubeconfigContext != "" {
		return contextKubeAPI(c.KubeconfigContext)
	}
	if info.api == nil {
		return nil, fmt.Errorf("no API endpoint is known for cluster %q", c.ClusterName)
	}
	return info.api(ctx)
}

// eksAPI connects with the endpoint and CA EKS or the cluster stack gave.
func eksAPI(c stackConfig, endpoint, ca string) func(context.Context) (*kubeAPI, error) {
	return func(context.Context) (*kubeAPI, error) {
		if endpoint == "" || ca == "" {
			return nil, fmt.Errorf("cluster %q has no API endpoint or certificate authority to connect to", c.ClusterName)
		}
		return eksKubeAPI(c, endpoint, ca)
	}
}

// resolveCluster finds the cluster's OIDC provider and API endpoint, in one
// of four ways chosen by the stack's config:
//
//   - clusterStack: outputs of the stack that built the cluster (no invokes);
//   - oidcProviderArn + oidcIssuerUrl: given (one invoke for the endpoint,
//     none with kubeconfigContext);
//   - createOidcProvider: the cluster is looked up and its OIDC provider
//     created (one invoke);
//   - default: the cluster is looked up and its OIDC provider confirmed to
//     exist (two invokes).
//
// In pod identity mode no OIDC provider is involved: only the endpoint is
// looked up (or read from clusterStack), unless kubeconfigContext is set.
func resolveCluster(ctx *pulumi.Context, c stackConfig, awsProvider pulumi.ProviderResource) (clusterInfo, error) {
	podIdentity := c.IdentityMode == components.IdentityModePodIdentity
	if c.ClusterStack != "" {
		return fromStackReference(ctx, c, !podIdentity)
	}
	explicit := c.OidcProviderArn != ""
	if (explicit || podIdentity) && c.KubeconfigContext != "" {
		if podIdentity {
			return clusterInfo{}, nil
		}
		return clusterInfo{OidcProviderArn: pulumi.String(c.OidcProviderArn), OidcIssuerUrl: pulumi.String(c.OidcIssuerUrl)}, nil
	}
	cluster, err := eks.LookupCluster(ctx, &eks.LookupClusterArgs{Name: c.ClusterName}, pulumi.Provider(awsProvider))
	if err != nil {
		return clusterInfo{}, fmt.Errorf("looking up EKS cluster %q in %s (config %s:clusterName): %w", c.ClusterName, c.Region, ctx.Project(), err)
	}
	ca := ""
	if len(cluster.CertificateAuthorities) > 0 {
		ca = cluster.CertificateAuthorities[0].Data
	}
	info := clusterInfo{Endpoint: pulumi.String(cluster.Endpoint), CertificateAuthority: pulumi.String(ca), api: eksAPI(c, cluster.Endpoint, ca)}
	if podIdentity {
		return info, nil
	}
	if explicit {
		info.OidcProviderArn, info.OidcIssuerUrl = pulumi.String(c.OidcProviderArn), pulumi.String(c.OidcIssuerUrl)
		return info, nil
	}
	issuer := clusterIssuer(cluster)
	if issuer == "" {
		return clusterInfo{}, fmt.Errorf("EKS cluster %q reports no OIDC issuer; IRSA needs one (EKS clusters have one since Kubernetes 1.13)", c.ClusterName)
	}
	info.OidcIssuerUrl = pulumi.String(issuer)
	if c.CreateOidcProvider {
		info.createIssuer = issuer
		return info, nil
	}
	arn, err := oidcProviderARN(cluster.Arn, issuer)
	if err != nil {
		return clusterInfo{}, err
	}
	provider, err := iam.LookupOpenIdConnectProvider(ctx, &iam.LookupOpenIdConnectProviderArgs{Arn: &arn}, pulumi.Provider(awsProvider))
	if err != nil {
		return clusterInfo{}, fmt.Errorf("looking up the IAM OIDC provider %s of cluster %q: %w\n"+
			"IRSA needs it. Create it with `eksctl utils associate-iam-oidc-provider --cluster %s --region %s --approve`, "+
			"or set %s:createOidcProvider: true to let this stack create it", arn, c.ClusterName, err, c.ClusterName, c.Region, ctx.Project())
	}
	if !contains(provider.ClientIdLists, components.DefaultTokenAudience) {
		return clusterInfo{}, fmt.Errorf("IAM OIDC provider %s does not list %s as a client ID (it lists %v): add it with `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s`",
			arn, components.DefaultTokenAudience, provider.ClientIdLists, arn, components.DefaultTokenAudience)
	}
	info.OidcProviderArn = pulumi.String(arn)
	return info, nil
}

// createOIDCProvider creates the cluster's IAM OIDC provider when the stack
// asks for it; it runs once checkExisting has let the deploy go on.
func (info *clusterInfo) createOIDCProvider(ctx *pulumi.Context, c stackConfig, awsProvider pulumi.ProviderResource) error {
	if info.createIssuer == "" {
		return nil
	}
	// Retained on destroy: other workloads' IRSA roles trust the same
	// provider, and deleting it would break them all.
	provider, err := iam.NewOpenIdConnectProvider(ctx, "oidc-provider", &iam.OpenIdConnectProviderArgs{
		Url:           pulumi.String(info.createIssuer),
		ClientIdLists: pulumi.StringArray{pulumi.String(components.DefaultTokenAudience)},
	}, pulumi.Provider(awsProvider), pulumi.RetainOnDelete(true))
	if err != nil {
		return fmt.Errorf("creating IAM OIDC provider for %q: %w", c.ClusterName, err)
	}
	info.OidcProviderArn = provider.Arn
	return nil
}

// clusterIssuer is the cluster's OIDC issuer URL, if it reports one.
func clusterIssuer(cluster *eks.LookupClusterResult) string {
	for _, id := range cluster.Identities {
		for _, o := range id.Oidcs {
			if o.Issuer != "" {
				return o.Issuer
			}
		}
	}
	return ""
}

// oidcProviderARN derives the IAM OIDC provider ARN from the cluster ARN
// (arn:<partition>:eks:<region>:<account>:cluster/<name>) and the issuer: IAM
// names the provider after the issuer's host and path.
func oidcProviderARN(clusterARN, issuer string) (string, error) {
	parts := strings.SplitN(clusterARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "eks" {
		return "", fmt.Errorf("EKS returned cluster ARN %q, which is not an EKS cluster ARN", clusterARN)
	}
	hostPath := strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", parts[1], parts[4], hostPath), nil
}

// fromStackReference reads the cluster's endpoint, and its OIDC provider when
// withOIDC, from the outputs of the stack that built the cluster.
func fromStackReference(ctx *pulumi.Context, c stackConfig, withOIDC bool) (clusterInfo, error) {
	ref, err := pulumi.NewStackReference(ctx, "cluster-stack", &pulumi.StackReferenceArgs{Name: pulumi.String(c.ClusterStack)})
	if err != nil {
		return clusterInfo{}, fmt.Errorf("reading stack %s (config %s:clusterStack): %w", c.ClusterStack, ctx.Project(), err)
	}
	out := func(name string) pulumi.StringOutput {
		return ref.GetOutput(pulumi.String(name)).ApplyT(func(v interface{}) (string, error) {
			s, ok := v.(string)
			if !ok || s == "" {
				return "", fmt.Errorf("stack %s has no string output %q: export it there, or name the output that holds it in config %s:clusterStackOutputs", c.ClusterStack, name, ctx.Project())
			}
			return s, nil
		}).(pulumi.StringOutput)
	}
	names := c.ClusterStackOutputs
	var info clusterInfo
	if withOIDC {
		info.OidcProviderArn, info.OidcIssuerUrl = out(names.OidcProviderArn), out(names.OidcIssuerUrl)
	}
	if c.KubeconfigContext == "" {
		info.Endpoint, info.CertificateAuthority = out(names.Endpoint), out(names.CertificateAuthority)
		info.api = func(ctx context.Context) (*kubeAPI, error) {
			plain := func(name string) string {
				d, err := ref.GetOutputDetails(name)
				if err != nil || d == nil {
					return ""
				}
				if s, ok := d.Value.(string); ok {
					return s
				}
				s, _ := d.SecretValue.(string)
				return s
			}
			return eksAPI(c, plain(names.Endpoint), plain(names.CertificateAuthority))(ctx)
		}
	}
	return info, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
