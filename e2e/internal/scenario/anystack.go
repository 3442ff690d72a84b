package scenario

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// stackFacts is what the rig reads from a stack file to stand in for its
// cluster and account, and to create first what the stack expects to exist.
type stackFacts struct {
	config       map[string]interface{} // velero-irsa:<key> → value
	cluster      string
	region       string
	account      string
	oidcID       string
	podIdentity  bool
	buckets      map[string]string // name → region, those the stack does not create
	keys         []string          // KMS key ARNs it names
	boundary     string
	deployRole   string
	clusterStack string
	vaultStack   string
}

var (
	issuerID   = regexp.MustCompile(`/id/([A-Za-z0-9]+)`)
	arnAccount = regexp.MustCompile(`^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):`)
)

// readStackFacts parses a stack file.
func readStackFacts(file string) (stackFacts, error) {
	var doc struct {
		Config map[string]interface{} `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(file), &doc); err != nil {
		return stackFacts{}, err
	}
	f := stackFacts{config: map[string]interface{}{}, buckets: map[string]string{}}
	for k, v := range doc.Config {
		f.config[strings.TrimPrefix(k, "velero-irsa:")] = v
	}
	s := func(k string) string { v, _ := f.config[k].(string); return v }
	f.cluster, f.region = s("clusterName"), s("region")
	if f.cluster == "" || f.region == "" {
		return f, fmt.Errorf("the stack names no clusterName or region")
	}
	f.podIdentity = s("identityMode") == "podIdentity"
	f.boundary, f.deployRole, f.clusterStack, f.vaultStack = s("rolePermissionsBoundaryArn"), s("assumeRoleArn"), s("clusterStack"), s("vaultStack")
	for _, k := range []string{"oidcProviderArn", "oidcIssuerUrl"} {
		if m := issuerID.FindStringSubmatch(s(k)); m != nil {
			f.oidcID = m[1]
		}
	}
	for _, k := range []string{"oidcProviderArn", "assumeRoleArn", "bucketKmsKeyArn", "ebsKmsKeyArn", "rolePermissionsBoundaryArn"} {
		if m := arnAccount.FindStringSubmatch(s(k)); m != nil && f.account == "" {
			f.account = m[1]
		}
	}
	if f.account == "" {
		f.account = "123456789012"
	}
	for _, k := range []string{"bucketKmsKeyArn", "ebsKmsKeyArn"} {
		if s(k) != "" {
			f.keys = append(f.keys, s(k))
		}
	}
	if created, _ := f.config["createBucket"].(bool); !created && s("bucketName") != "" {
		f.buckets[s("bucketName")] = f.region
	}
	if locations, ok := f.config["additionalBackupLocations"].(map[string]interface{}); ok {
		for _, v := range locations {
			l, _ := v.(map[string]interface{})
			bucket, _ := l["bucket"].(string)
			region, _ := l["region"].(string)
			if region == "" {
				region = f.region
			}
			f.buckets[bucket] = region
			if k, _ := l["kmsKeyArn"].(string); k != "" {
				f.keys = append(f.keys, k)
			}
		}
	}
	return f, nil
}

// StackFiles lists the repository's stacks by name.
func StackFiles(repo string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(repo, "stacks", "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range paths {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "Pulumi."), ".yaml")
		out[name] = p
	}
	return out, nil
}

// anyStack is scenario 8 for one stack file: a rig for its cluster and
// account (its OIDC ID, account and region), what its README prerequisites
// ask to exist created first (buckets it does not create, their KMS keys,
// the OIDC provider, a permissions boundary, the stack a clusterStack names,
// with the rig's endpoint), then an up and the seed's checks.
func anyStack(ctx context.Context, e *Env, name, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if vault, ok := vaultOf(string(raw)); ok {
		return anyVaultStack(ctx, e, name, string(raw), vault)
	}
	f, err := readStackFacts(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	var world *rig.World
	if f.vaultStack != "" {
		// The vault stack, and a cluster a drill restores, share the AWS
		// side and the Pulumi state with this stack.
		if world, err = rig.NewWorld(filepath.Join(e.Work, "stack-"+name+"-world"), f.account, f.region, 0); err != nil {
			return err
		}
		defer world.Stop()
	}
	r, err := startRigIn(ctx, e, world, "stack-"+name, f.account, f.region, f.cluster, f.oidcID, 0)
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if !f.podIdentity {
		if created, _ := f.config["createOidcProvider"].(bool); !created {
			if err := r.AssociateOIDCProvider(); err != nil {
				return err
			}
		}
	}
	for _, bucket := range sortedKeys(f.buckets) {
		if err := r.CreateBucket(bucket, f.buckets[bucket]); err != nil {
			return err
		}
	}
	for _, k := range f.keys {
		parts := strings.Split(k, ":")
		r.Cloud.CreateKey(awsfake.Key{ARN: k, Region: parts[3], Account: parts[4]})
	}
	if f.boundary != "" {
		// The organisation's boundary is its own; here it allows what the
		// role's policy allows, so the role's policy decides.
		if err := r.Cloud.CreatePolicy(f.boundary, `{"Version":"2012-10-17","Statement":[{"Sid":"Boundary","Effect":"Allow","Action":["s3:*","ec2:*","kms:*"],"Resource":"*"}]}`); err != nil {
			return err
		}
	}
	file := string(raw)
	d, err := NewDeployment(e, r, name, file)
	if err != nil {
		return err
	}
	d.deployRole = f.deployRole
	if f.clusterStack != "" {
		ref, err := d.clusterStack(ctx, f)
		if err != nil {
			return fmt.Errorf("creating the stack %s names: %v", f.clusterStack, err)
		}
		if err := d.SetConfig("clusterStack", ref); err != nil {
			return err
		}
	}
	bucket, prefix := "", ""
	if f.vaultStack != "" {
		v, err := vaultFor(ctx, e, r, d, f)
		if err != nil {
			return err
		}
		if c, writes := v.Clusters[f.cluster]; writes {
			bucket, prefix = v.BucketName, c.Prefix
		}
	}
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	str := func(k, def string) string {
		if v, _ := f.config[k].(string); v != "" {
			return v
		}
		return def
	}
	verify, _ := f.config["verifyBackup"].(bool)
	return d.checkDeployed(out, str("namespace", "velero"), str("serviceAccountName", "velero-server"), str("bucketName", bucket), str("backupPrefix", prefix), verify, !f.podIdentity)
}

// clusterStack creates, in the rig's backend, the stack a clusterStack
// names, exporting the outputs the stack file maps (the rig's endpoint, CA
// and OIDC provider), and returns its name in the local backend's form
// (organization/<project>/<stack>).
func (d *Deployment) clusterStack(ctx context.Context, f stackFacts) (string, error) {
	parts := strings.Split(f.clusterStack, "/")
	project, stack := parts[len(parts)-2], parts[len(parts)-1]
	names := map[string]string{"oidcProviderArn": "oidcProviderArn", "oidcIssuerUrl": "oidcIssuerUrl", "endpoint": "endpoint", "certificateAuthority": "certificateAuthority"}
	if m, ok := f.config["clusterStackOutputs"].(map[string]interface{}); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				names[k] = s
			}
		}
	}
	provider, ok := d.Rig.Cloud.OpenIDConnectProviderByURL(d.Rig.Account, d.Rig.Issuer)
	if !ok {
		return "", fmt.Errorf("the rig has no OIDC provider for %s", d.Rig.Issuer)
	}
	values := map[string]string{
		names["oidcProviderArn"]: provider.ARN, names["oidcIssuerUrl"]: d.Rig.Issuer,
		names["endpoint"]: d.Rig.Cluster.Endpoint, names["certificateAuthority"]: base64CA(d.Rig.Cluster.CAPEM),
	}
	env := map[string]string{}
	for _, kv := range d.environment("up") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	dir := filepath.Join(d.Rig.Dir, "pulumi-"+project)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	root := filepath.Join(d.Rig.Dir, "cli-root")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		return "", err
	}
	_ = os.Symlink(filepath.Join(d.Env.Bin, "pulumi"), filepath.Join(root, "bin", "pulumi"))
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		return "", err
	}
	s, err := auto.UpsertStackInlineSource(ctx, stack, project, func(ctx *pulumi.Context) error {
		for k, v := range values {
			ctx.Export(k, pulumi.String(v))
		}
		return nil
	}, auto.WorkDir(dir), auto.EnvVars(env), auto.SecretsProvider("passphrase"), auto.Pulumi(cli))
	if err != nil {
		return "", err
	}
	if _, err := s.Up(ctx); err != nil {
		return "", err
	}
	return "organization/" + project + "/" + stack, nil
}

func base64CA(pem []byte) string { return base64.StdEncoding.EncodeToString(pem) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
