package eksadapter

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const (
	issuer      = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	providerURN = "urn:pulumi:test::velero-irsa::aws:iam/openIdConnectProvider:OpenIdConnectProvider::oidc"
)

func TestProviderOfGuardsMissingProvider(t *testing.T) {
	if _, err := providerOf(eks.CoreData{}); !errors.Is(err, ErrNoOIDCProvider) {
		t.Errorf("providerOf(no OIDC provider) error = %v, want ErrNoOIDCProvider", err)
	}
}

// run registers an OIDC provider and a pulumi-eks cluster whose mocked core
// data holds core, then a VeleroIRSA fed from the adapter.
func run(t *testing.T, core resource.PropertyMap) (*pulumimock.Recorder, map[string]string, error) {
	t.Helper()
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{
		"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
			"arn": resource.NewStringProperty("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
		},
		"eks:index:Cluster": {"core": resource.NewObjectProperty(core)},
	}}
	var got map[string]string
	var wg sync.WaitGroup
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if _, err := iam.NewOpenIdConnectProvider(ctx, "oidc", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String(issuer),
			ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
		}); err != nil {
			return err
		}
		cluster, err := eks.NewCluster(ctx, "prod", &eks.ClusterArgs{CreateOidcProvider: pulumi.Bool(true)})
		if err != nil {
			return err
		}
		in := FromCluster(cluster)
		wg.Add(1)
		pulumi.All(in.OidcProviderArn, in.OidcIssuerUrl).ApplyT(func(v []interface{}) error {
			defer wg.Done()
			got = map[string]string{"arn": v[0].(string), "url": v[1].(string)}
			return nil
		})
		args := in.Apply(&components.VeleroIRSAArgs{
			BucketName: pulumi.String("acme-velero-backups"),
			Region:     pulumi.String("us-east-1"),
		})
		args.ClusterName = pulumi.String("prod") // the mocked core holds no cluster
		_, err = components.NewVeleroIRSA(ctx, "velero", args)
		return err
	}, pulumi.WithMocks("velero-irsa", "test", rec))
	if err == nil {
		wg.Wait()
	}
	return rec, got, err
}

func TestFromClusterReadsOIDCProvider(t *testing.T) {
	rec, got, err := run(t, resource.PropertyMap{
		"oidcProvider": resource.MakeCustomResourceReference(providerURN, "oidc-id", ""),
	})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if !strings.HasSuffix(got["arn"], ":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE") || got["url"] != issuer {
		t.Errorf("adapter gave %v", got)
	}
	if _, ok := rec.Find("aws:iam/role:Role", "velero-role"); !ok {
		t.Errorf("no role registered: %v", rec.Types())
	}
}

func TestFromClusterWithoutOIDCProvider(t *testing.T) {
	rec, _, err := run(t, resource.PropertyMap{})
	if err == nil || !strings.Contains(err.Error(), "has no IAM OIDC provider: create it with CreateOidcProvider") {
		t.Fatalf("err = %v, want the missing OIDC provider error", err)
	}
	for _, r := range rec.Resources() {
		if r.Type == "aws:iam/role:Role" || r.Type == "aws:iam/rolePolicy:RolePolicy" || r.Type == "kubernetes:helm.sh/v3:Release" {
			t.Errorf("registered %s %s although the cluster has no OIDC provider", r.Type, r.Name)
		}
	}
}
