package eksadapter

import (
	"errors"
	"strings"
	"sync"
	"testing"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

func TestProviderOfGuardsMissingProvider(t *testing.T) {
	if _, err := providerOf(eks.CoreData{}); !errors.Is(err, ErrNoOIDCProvider) {
		t.Errorf("providerOf(no OIDC provider) error = %v, want ErrNoOIDCProvider", err)
	}
}

// run registers a pulumi-eks cluster whose mocked core data holds core, then
// a VeleroIRSA fed from the adapter.
func run(t *testing.T, core resource.PropertyMap) (*pulumimock.Recorder, error) {
	t.Helper()
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{
		"eks:index:Cluster": {"core": resource.NewObjectProperty(core)},
	}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cluster, err := eks.NewCluster(ctx, "prod", &eks.ClusterArgs{})
		if err != nil {
			return err
		}
		args := FromCluster(cluster).Apply(&components.VeleroIRSAArgs{
			BucketName: pulumi.String("acme-velero-backups"),
			Region:     pulumi.String("us-east-1"),
		})
		args.ClusterName = pulumi.String("prod") // the mocked core holds no cluster
		_, err = components.NewVeleroIRSA(ctx, "velero", args)
		return err
	}, pulumi.WithMocks("velero-irsa", "test", rec))
	return rec, err
}

// TestFromClusterReadsOIDCProvider feeds FromCluster core data holding an
// OIDC provider and an EKS cluster, as pulumi-eks returns them.
func TestFromClusterReadsOIDCProvider(t *testing.T) {
	const arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	core := pulumi.ToOutput(eks.CoreData{
		Cluster: &awseks.Cluster{Name: pulumi.String("prod").ToStringOutput()},
		OidcProvider: &iam.OpenIdConnectProvider{
			Arn: pulumi.String(arn).ToStringOutput(),
			Url: pulumi.String(issuer).ToStringOutput(),
		},
	}).(eks.CoreDataOutput)
	in := FromCluster(&eks.Cluster{Core: core})
	got := map[string]string{}
	var wg sync.WaitGroup
	wg.Add(1)
	pulumi.All(in.Name, in.OidcProviderArn, in.OidcIssuerUrl).ApplyT(func(v []interface{}) error {
		defer wg.Done()
		got["name"], got["arn"], got["url"] = v[0].(string), v[1].(string), v[2].(string)
		return nil
	})
	wg.Wait()
	want := map[string]string{"name": "prod", "arn": arn, "url": issuer}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	args := in.Apply(&components.VeleroIRSAArgs{})
	if args.ClusterName != in.Name || args.OidcProviderArn != in.OidcProviderArn || args.OidcIssuerUrl != in.OidcIssuerUrl {
		t.Errorf("Apply did not set the three fields: %+v", args)
	}
}

func TestFromClusterWithoutOIDCProvider(t *testing.T) {
	rec, err := run(t, resource.PropertyMap{})
	if err == nil || !strings.Contains(err.Error(), "has no IAM OIDC provider: create it with CreateOidcProvider") {
		t.Fatalf("err = %v, want the missing OIDC provider error", err)
	}
	for _, r := range rec.Resources() {
		if r.Type == "aws:iam/role:Role" || r.Type == "aws:iam/rolePolicy:RolePolicy" || r.Type == "kubernetes:helm.sh/v3:Release" {
			t.Errorf("registered %s %s although the cluster has no OIDC provider", r.Type, r.Name)
		}
	}
}
