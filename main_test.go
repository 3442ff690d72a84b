package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/components/existing"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const project = "velero-irsa"

// Placeholders the fake AWS answers with where a stack's config does not say:
// the AWS documentation's example account and OIDC issuer ID.
const (
	placeholderAccount  = "123456789012"
	placeholderIssuerID = "EXAMPLED539D4633E53DE1B71EXAMPLE"
)

// TestMain runs the program's tests against a cluster with no Velero on
// it, unless a test says otherwise; none of them reaches a real cluster.
func TestMain(m *testing.M) {
	readCluster = func(context.Context, stackConfig, clusterInfo) (existing.Cluster, existing.Writer, error) {
		return existing.Cluster{}, nil, nil
	}
	os.Exit(m.Run())
}

// fakeAWS answers the two invokes the program may make. Every cluster exists,
// in the stack's region, in the account of the stack's assumeRoleArn (else
// placeholderAccount), with its IAM OIDC provider, unless told otherwise.
type fakeAWS struct {
	region, account string
	noCluster       bool // the cluster does not exist
	noProvider      bool // the cluster's IAM OIDC provider does not exist
	clientIDs       []string
}

func newFakeAWS(cfg map[string]string) *fakeAWS {
	f := &fakeAWS{region: cfg["velero-irsa:region"], account: placeholderAccount, clientIDs: []string{"sts.amazonaws.com"}}
	if arn := cfg["velero-irsa:assumeRoleArn"]; arn != "" {
		if parts := strings.Split(arn, ":"); len(parts) > 4 {
			f.account = parts[4]
		}
	}
	return f
}

func (f *fakeAWS) issuer() string {
	return fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", f.region, placeholderIssuerID)
}

func (f *fakeAWS) providerARN() string {
	return fmt.Sprintf("arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/%s", f.account, f.region, placeholderIssuerID)
}

func (f *fakeAWS) invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	switch token {
	case "aws:eks/getCluster:getCluster":
		name := args["name"].StringValue()
		if f.noCluster {
			return nil, fmt.Errorf("reading EKS Cluster (%s): couldn't find resource", name)
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"arn":      fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", f.region, f.account, name),
			"name":     name,
			"endpoint": fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", placeholderIssuerID, f.region),
			"certificateAuthorities": []interface{}{
				map[string]interface{}{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
			},
			"identities": []interface{}{
				map[string]interface{}{"oidcs": []interface{}{map[string]interface{}{"issuer": f.issuer()}}},
			},
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"accountId": f.account,
			"arn":       fmt.Sprintf("arn:aws:sts::%s:assumed-role/velero-irsa-preview/pulumi", f.account),
		}), nil
	case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
		arn := args["arn"].StringValue()
		if f.noProvider || arn != f.providerARN() {
			return nil, fmt.Errorf("reading IAM OIDC Provider (%s): NoSuchEntity", arn)
		}
		clientIDs := make([]interface{}, len(f.clientIDs))
		for i, id := range f.clientIDs {
			clientIDs[i] = id
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{"arn": arn, "clientIdLists": clientIDs}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", token)
}

// stackFileConfig reads stacks/Pulumi.<stack>.yaml into the string form the
// engine hands a program (objects as JSON).
func stackFileConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("stacks", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]interface{} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("stacks/Pulumi.%s.yaml: %v", stack, err)
	}
	cfg := map[string]string{}
	for k, v := range file.Config {
		switch v := v.(type) {
		case string:
			cfg[k] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			cfg[k] = string(b)
		}
	}
	return cfg
}

type run struct {
	rec     *pulumimock.Recorder
	outputs map[string]string
	err     error
}

// runProgram runs deploy under mocks with the given config and waits for
// its outputs.
func runProgram(t *testing.T, stack string, cfg map[string]string, rec *pulumimock.Recorder) run {
	t.Helper()
	if rec.OnInvoke == nil {
		rec.OnInvoke = newFakeAWS(cfg).invoke
	}
	r := run{rec: rec, outputs: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	r.err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := deploy(ctx)
		if err != nil {
			return err
		}
		for name, out := range outs {
			name := name
			wg.Add(1)
			out.ToStringOutput().ApplyT(func(v string) string {
				defer wg.Done()
				mu.Lock()
				r.outputs[name] = v
				mu.Unlock()
				return v
			})
		}
		return nil
	}, pulumi.WithMocks(project, stack, rec), func(info *pulumi.RunInfo) { info.Config = cfg })
	if r.err == nil {
		wg.Wait()
	}
	return r
}

func stackFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("stacks", "Pulumi.*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no stack files: %v", err)
	}
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(stacks)
	return stacks
}

// clusterStackOutputs are the outputs of the stacks the example stacks
// reference: the cluster stack of dr-usw2, and the example vault stack
// (stacks/Pulumi.backup-vault.yaml) that prod-euc1 writes to and dr-usw2
// restores from. The mocks answer every stack reference with all of them.
var clusterStackOutputs = resource.NewPropertyMapFromMap(map[string]interface{}{
	"outputs": map[string]interface{}{
		"oidcProviderArn":             "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLEAAAABBBBCCCCDDDDEEEEFFFF00",
		"oidcIssuer":                  "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLEAAAABBBBCCCCDDDDEEEEFFFF00",
		"clusterEndpoint":             "https://EXAMPLEAAAAB.gr7.us-west-2.eks.amazonaws.com",
		"clusterCertificateAuthority": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",

		"account": "444455556666", "bucketName": "acme-velero-vault-euc1", "region": "eu-central-1",
		"keyArn":            "arn:aws:kms:eu-central-1:444455556666:key/1111aaaa-12ab-34cd-56ef-1234567890ab",
		"replicaBucketName": "acme-velero-vault-usw2", "replicaRegion": "us-west-2",
		"replicaKeyArn":      "arn:aws:kms:us-west-2:444455556666:key/2222bbbb-12ab-34cd-56ef-1234567890ab",
		"replicationRoleArn": "arn:aws:iam::444455556666:role/velero-vault-replication-20261204000000000000000001",
		"clusters": map[string]interface{}{
			"prod-euc1": map[string]interface{}{"account": "210987654321", "roleArnPattern": "arn:aws:iam::210987654321:role/prod-euc1-velero-*", "prefix": "clusters/prod-euc1"},
		},
		"restorers": map[string]interface{}{
			"dr-usw2": map[string]interface{}{"account": "123456789012", "roleArnPattern": "arn:aws:iam::123456789012:role/dr-usw2-velero-*", "clusters": []interface{}{"prod-euc1"}},
		},
	},
})

// isVaultStackFile is true for a stack file of a vault stack.
func isVaultStackFile(t *testing.T, stack string) bool {
	_, ok := stackFileConfig(t, stack)["velero-irsa:vault"]
	return ok
}

// TestStacks runs every stack file under mocks.
func TestStacks(t *testing.T) {
	want := map[string]struct {
		invokes    []string
		region     string
		bucket     string
		kubeconfig []string // fragments the generated kubeconfig must hold
		awsInputs  map[string]interface{}
		account    string
		role       string // path and name prefix; default <stack>-velero-
	}{
		"prod-use1": {
			invokes:    []string{"aws:eks/getCluster:getCluster", "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"},
			region:     "us-east-1",
			bucket:     "acme-velero-backups-use1",
			kubeconfig: []string{`"args":["eks","get-token","--output","json","--cluster-name","prod-use1","--region","us-east-1","--role-arn","arn:aws:iam::123456789012:role/platform-deployer"]`, `"server":"https://EXAMPLED539D4633E53DE1B71EXAMPLE.gr7.us-east-1.eks.amazonaws.com"`},
			account:    "123456789012",
			awsInputs:  map[string]interface{}{"region": "us-east-1", "assumeRole": map[string]interface{}{"roleArn": "arn:aws:iam::123456789012:role/platform-deployer", "sessionName": "velero-irsa-prod-use1"}},
		},
		"staging-euc1": {
			invokes:    []string{"aws:eks/getCluster:getCluster"},
			region:     "eu-central-1",
			bucket:     "acme-velero-backups-euc1",
			kubeconfig: []string{`"env":[{"name":"AWS_PROFILE","value":"staging"}]`, `"--cluster-name","staging-euc1","--region","eu-central-1"]`},
			account:    "210987654321",
			awsInputs:  map[string]interface{}{"region": "eu-central-1", "profile": "staging"},
			role:       "velero/staging-velero-",
		},
		"dev-aps1": {
			invokes:    []string{"aws:eks/getCluster:getCluster", "aws:index/getCallerIdentity:getCallerIdentity"},
			region:     "ap-south-1",
			bucket:     "acme-velero-backups-aps1",
			kubeconfig: []string{`"--cluster-name","dev-aps1","--region","ap-south-1"]`},
			account:    "123456789012",
			awsInputs:  map[string]interface{}{"region": "ap-south-1"},
		},
		"prod-euc1": {
			invokes:    []string{"aws:eks/getCluster:getCluster", "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"},
			region:     "eu-central-1",
			bucket:     "acme-velero-vault-euc1",
			kubeconfig: []string{`"--cluster-name","prod-euc1","--region","eu-central-1","--role-arn","arn:aws:iam::210987654321:role/platform-deployer"]`},
			account:    "210987654321",
			awsInputs:  map[string]interface{}{"region": "eu-central-1", "assumeRole": map[string]interface{}{"roleArn": "arn:aws:iam::210987654321:role/platform-deployer", "sessionName": "velero-irsa-prod-euc1"}},
		},
		"dr-usw2": {
			region:     "us-west-2",
			bucket:     "acme-velero-backups-usw2",
			kubeconfig: []string{`"server":"https://EXAMPLEAAAAB.gr7.us-west-2.eks.amazonaws.com"`},
			account:    "123456789012",
			awsInputs:  map[string]interface{}{"region": "us-west-2"},
		},
	}
	for _, stack := range stackFiles(t) {
		if isVaultStackFile(t, stack) {
			continue // TestExampleVaultStack
		}
		t.Run(stack, func(t *testing.T) {
			w, ok := want[stack]
			if !ok {
				t.Fatalf("stacks/Pulumi.%s.yaml has no expectations in TestStacks: add them", stack)
			}
			rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": clusterStackOutputs}}
			r := runProgram(t, stack, stackFileConfig(t, stack), rec)
			if r.err != nil {
				t.Fatalf("program failed: %v", r.err)
			}

			var invokes []string
			for _, inv := range rec.Invokes() {
				invokes = append(invokes, inv.Token)
				if !strings.HasPrefix(inv.Provider, urn(stack, "pulumi:providers:aws", "aws")+"::") {
					t.Errorf("invoke %s used provider %q, want the explicit aws provider", inv.Token, inv.Provider)
				}
			}
			if strings.Join(invokes, ",") != strings.Join(w.invokes, ",") {
				t.Errorf("invokes = %v, want %v (at most 2 per preview)", invokes, w.invokes)
			}

			awsProvider := rec.MustFind(t, "pulumi:providers:aws", "aws")
			pulumimock.AssertInputs(t, awsProvider, w.awsInputs)
			k8sProvider := rec.MustFind(t, "pulumi:providers:kubernetes", "cluster")
			kubeconfig := k8sProvider.Inputs["kubeconfig"].StringValue()
			for _, frag := range w.kubeconfig {
				if !strings.Contains(kubeconfig, frag) {
					t.Errorf("kubeconfig lacks %s:\n%s", frag, kubeconfig)
				}
			}
			if _, ok := k8sProvider.Inputs["context"]; ok {
				t.Errorf("kubernetes provider sets a context %v; stacks connect to their own endpoint", k8sProvider.Inputs["context"])
			}

			release := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release")
			if !strings.HasPrefix(release.Provider, urn(stack, "pulumi:providers:kubernetes", "cluster")+"::") {
				t.Errorf("release provider = %q, want the explicit kubernetes provider", release.Provider)
			}
			for _, name := range []string{"velero-role", "velero-policy"} {
				res := rec.Resources()
				for _, r := range res {
					if r.Name == name && !strings.HasPrefix(r.Provider, urn(stack, "pulumi:providers:aws", "aws")+"::") {
						t.Errorf("%s provider = %q, want the explicit aws provider", name, r.Provider)
					}
				}
			}
			location := rec.MustFind(t, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default")
			if !strings.HasPrefix(location.Provider, urn(stack, "pulumi:providers:kubernetes", "cluster")+"::") {
				t.Errorf("backup location provider = %q, want the explicit kubernetes provider", location.Provider)
			}
			spec := location.Inputs["spec"].Mappable().(map[string]interface{})
			if spec["objectStorage"].(map[string]interface{})["bucket"] != w.bucket || spec["config"].(map[string]interface{})["region"] != w.region {
				t.Errorf("backup location spec = %v, want bucket %s in %s", spec, w.bucket, w.region)
			}

			keys := []string{"roleArn", "roleName", "namespace", "serviceAccountName", "bucketName", "releaseName", "releaseStatus", "oidcProviderArn"}
			if stack == "dev-aps1" { // pod identity: no OIDC provider
				keys = keys[:len(keys)-1]
				if _, ok := r.outputs["oidcProviderArn"]; ok {
					t.Errorf("pod identity stack exports oidcProviderArn %q", r.outputs["oidcProviderArn"])
				}
				rec.MustFind(t, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "velero-pod-identity")
			}
			for _, key := range keys {
				if r.outputs[key] == "" {
					t.Errorf("output %s is empty", key)
				}
			}
			if w.role == "" {
				w.role = stack + "-velero-"
			}
			if !strings.HasPrefix(r.outputs["roleArn"], "arn:aws:iam::"+w.account+":role/"+w.role) {
				t.Errorf("roleArn = %q", r.outputs["roleArn"])
			}
			if r.outputs["bucketName"] != w.bucket || r.outputs["namespace"] != "velero" || r.outputs["serviceAccountName"] != "velero-server" {
				t.Errorf("outputs = %v", r.outputs)
			}
		})
	}
}

// TestCreateOidcProvider covers the opt-in creation of a missing provider.
func TestCreateOidcProvider(t *testing.T) {
	cfg := map[string]string{
		"velero-irsa:clusterName":        "prod-use1",
		"velero-irsa:region":             "us-east-1",
		"velero-irsa:bucketName":         "acme-velero-backups-use1",
		"velero-irsa:createOidcProvider": "true",
	}
	aws := newFakeAWS(cfg)
	aws.noProvider = true
	rec := &pulumimock.Recorder{OnInvoke: aws.invoke, ExtraOutputs: map[string]resource.PropertyMap{
		"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {"arn": resource.NewStringProperty(aws.providerARN())},
	}}
	r := runProgram(t, "prod-use1", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	provider := rec.MustFind(t, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "oidc-provider")
	pulumimock.AssertInputs(t, provider, map[string]interface{}{"url": aws.issuer(), "clientIdLists": []interface{}{"sts.amazonaws.com"}})
	if len(rec.Invokes()) != 1 {
		t.Errorf("invokes = %v, want only the cluster lookup", rec.Invokes())
	}
	role := rec.MustFind(t, "aws:iam/role:Role", "velero-role")
	if !strings.Contains(role.Inputs["assumeRolePolicy"].StringValue(), aws.providerARN()) {
		t.Errorf("role does not trust the created provider: %s", role.Inputs["assumeRolePolicy"].StringValue())
	}
}

// TestKubeconfigContext covers the explicit opt-in to a named context: no
// invokes at all when the OIDC values are given too.
func TestKubeconfigContext(t *testing.T) {
	cfg := stackFileConfig(t, "staging-euc1")
	cfg["velero-irsa:kubeconfigContext"] = "staging-euc1-admin"
	rec := &pulumimock.Recorder{}
	r := runProgram(t, "staging-euc1", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(rec.Invokes()) != 0 {
		t.Errorf("invokes = %v, want none", rec.Invokes())
	}
	k8s := rec.MustFind(t, "pulumi:providers:kubernetes", "cluster")
	pulumimock.AssertInputs(t, k8s, map[string]interface{}{"context": "staging-euc1-admin"})
}

// TestBadConfig checks that mistakes in a stack's config fail the program
// with an error naming the key, and create nothing in AWS or the cluster.
func TestBadConfig(t *testing.T) {
	base := func() map[string]string { return stackFileConfig(t, "prod-use1") }
	cases := []struct {
		name   string
		mutate func(map[string]string)
		want   string
		aws    func(*fakeAWS)
	}{
		{"missing cluster", func(c map[string]string) { delete(c, "velero-irsa:clusterName") }, "config velero-irsa:clusterName: is required", nil},
		{"missing bucket", func(c map[string]string) { c["velero-irsa:bucketName"] = "" }, "config velero-irsa:bucketName: is required", nil},
		{"malformed boolean", func(c map[string]string) { c["velero-irsa:snapshotsEnabled"] = "yes" }, `config velero-irsa:snapshotsEnabled: "yes" is not a boolean`, nil},
		{"tags not an object", func(c map[string]string) { c["velero-irsa:tags"] = `["team"]` }, "config velero-irsa:tags: [\"team\"] is not the expected object", nil},
		{"unknown stack output key", func(c map[string]string) { c["velero-irsa:clusterStackOutputs"] = `{"issuer":"x"}` }, "config velero-irsa:clusterStackOutputs", nil},
		{"issuer without provider", func(c map[string]string) {
			c["velero-irsa:oidcIssuerUrl"] = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
		}, "config velero-irsa:oidcProviderArn and velero-irsa:oidcIssuerUrl must be set together", nil},
		{"create and stack", func(c map[string]string) {
			c["velero-irsa:createOidcProvider"] = "true"
			c["velero-irsa:clusterStack"] = "acme/eks/prod"
		}, "config velero-irsa:createOidcProvider: true creates the cluster's OIDC provider, so it conflicts", nil},
		{"bad assume role", func(c map[string]string) { c["velero-irsa:assumeRoleArn"] = "platform-deployer" }, `config velero-irsa:assumeRoleArn "platform-deployer" is not an IAM role ARN`, nil},
		{"both adoptions", func(c map[string]string) {
			c["velero-irsa:adoptRelease"] = "velero"
			c["velero-irsa:adoptVeleroInstall"] = "true"
		}, "config velero-irsa:adoptRelease and velero-irsa:adoptVeleroInstall are both set: a stack adopts either a Helm release or a `velero install` Velero; keep the one that matches `helm list -n velero`", nil},
		{"argo without adoption", func(c map[string]string) { c["velero-irsa:argoCDReleased"] = "true" },
			"config velero-irsa:argoCDReleased is true but neither velero-irsa:adoptRelease nor velero-irsa:adoptVeleroInstall is set", nil},
		{"read-back name", func(c map[string]string) { c["velero-irsa:readBackBackup"] = "Before_Switch" }, `readBackBackup "Before_Switch" is not a valid Kubernetes name`, nil},
		{"unknown cluster", func(c map[string]string) { c["velero-irsa:clusterName"] = "prod-use2" }, `looking up EKS cluster "prod-use2" in us-east-1 (config velero-irsa:clusterName)`, func(f *fakeAWS) { f.noCluster = true }},
		{"provider without sts audience", func(map[string]string) {}, "does not list sts.amazonaws.com as a client ID", func(f *fakeAWS) { f.clientIDs = []string{"sts.amazonaws.com.cn"} }},
		{"bad bucket", func(c map[string]string) { c["velero-irsa:bucketName"] = "s3://acme-velero-backups-use1" }, `bucketName "s3://acme-velero-backups-use1" is an S3 URL`, nil},
		{"pod identity with oidc", func(c map[string]string) {
			c["velero-irsa:identityMode"] = "podIdentity"
			c["velero-irsa:createOidcProvider"] = "true"
		}, "config velero-irsa:identityMode: podIdentity uses no OIDC provider", nil},
		{"unknown identity mode", func(c map[string]string) { c["velero-irsa:identityMode"] = "pod-identity" }, `config velero-irsa:identityMode "pod-identity" is not an identity mode`, nil},
		{"schedule key typo", func(c map[string]string) {
			c["velero-irsa:schedules"] = `{"daily":{"schedule":"@daily","tll":"72h"}}`
		}, `config velero-irsa:schedules: {"daily":{"schedule":"@daily","tll":"72h"}} is not the expected object: json: unknown field "tll"`, nil},
		{"schedule bad cron", func(c map[string]string) {
			c["velero-irsa:schedules"] = `{"daily":{"schedule":"every day"}}`
		}, `schedules.daily.schedule "every day" is not a cron expression Velero accepts`, nil},
		{"alerts settings without enabled", func(c map[string]string) {
			c["velero-irsa:alerts"] = `{"labels":{"team":"platform"}}`
		}, `config velero-irsa:alerts has settings but not enabled: true, so no alert would be installed: add enabled: true, or remove velero-irsa:alerts`, nil},
		{"alerts key typo", func(c map[string]string) {
			c["velero-irsa:alerts"] = `{"enabled":true,"label":{"team":"platform"}}`
		}, `json: unknown field "label"`, nil},
		{"alerts bad label", func(c map[string]string) {
			c["velero-irsa:alerts"] = `{"enabled":true,"labels":{"team-name":"platform"}}`
		}, `alerts.labels key "team-name" is not a Prometheus label name`, nil},
		{"override breaks the wiring", func(c map[string]string) {
			c["velero-irsa:valuesOverrides"] = `{"credentials":{"useSecret":true}}`
		}, "valuesOverrides.credentials.useSecret is true", nil},
		{"location typo", func(c map[string]string) {
			c["velero-irsa:additionalBackupLocations"] = `{"dr":{"bucket":"acme-dr","acessMode":"ReadWrite"}}`
		}, `config velero-irsa:additionalBackupLocations: {"dr":{"bucket":"acme-dr","acessMode":"ReadWrite"}} is not the expected object: json: unknown field "acessMode"`, nil},
		{"bad access mode", func(c map[string]string) { c["velero-irsa:backupAccessMode"] = "RO" }, `backupAccessMode "RO" is not a backup location access mode`, nil},
		{"managed bucket typo", func(c map[string]string) {
			c["velero-irsa:managedBucket"] = `{"objectLockDays":7}`
		}, `config velero-irsa:managedBucket: {"objectLockDays":7} is not the expected object: json: unknown field "objectLockDays"`, nil},
		{"bad namespace", func(c map[string]string) { c["velero-irsa:namespace"] = "Velero" }, `namespace "Velero" is not a valid Kubernetes name`, nil},
		{"timeout not a number", func(c map[string]string) { c["velero-irsa:releaseTimeoutSeconds"] = "15m" }, `config velero-irsa:releaseTimeoutSeconds: "15m" is not a whole number`, nil},
		{"timeout too short", func(c map[string]string) { c["velero-irsa:releaseTimeoutSeconds"] = "300" }, `releaseTimeoutSeconds 300 is too short for the chart's CRD-upgrade hook and rollout: use at least 600`, nil},
		{"role path", func(c map[string]string) { c["velero-irsa:rolePath"] = "velero" }, `rolePath "velero" is not a valid IAM path: start and end it with '/'`, nil},
		{"boundary not an arn", func(c map[string]string) { c["velero-irsa:rolePermissionsBoundaryArn"] = "platform-boundary" }, `rolePermissionsBoundaryArn "platform-boundary" is not an IAM policy ARN`, nil},
		{"role name and prefix", func(c map[string]string) {
			c["velero-irsa:roleName"] = "prod-velero"
			c["velero-irsa:roleNamePrefix"] = "prod-velero-"
		}, `roleName "prod-velero" and roleNamePrefix "prod-velero-" are mutually exclusive: choose one`, nil},
		{"location timeout too short", func(c map[string]string) { c["velero-irsa:backupLocationTimeoutSeconds"] = "10" }, `backupLocationTimeoutSeconds 10 is out of range: use 60–3600`, nil},
		{"verify a read-only location", func(c map[string]string) {
			c["velero-irsa:verifyBackup"] = "true"
			c["velero-irsa:verifyRestore"] = "false"
			c["velero-irsa:backupAccessMode"] = "ReadOnly"
		}, "verifyBackup is true but backupAccessMode is ReadOnly", nil},
		{"restore drill without the backup", func(c map[string]string) {
			c["velero-irsa:verifyBackup"] = "false"
			c["velero-irsa:verifyRestore"] = "true"
		}, "verifyRestore is true but verifyBackup is false: the restore drill restores the verification backup; set verifyBackup to true as well, or turn verifyRestore off", nil},
		{"restore drill on a read-only location", func(c map[string]string) {
			c["velero-irsa:verifyBackup"] = "true"
			c["velero-irsa:verifyRestore"] = "true"
			c["velero-irsa:backupAccessMode"] = "ReadOnly"
		}, "verifyRestore is true but backupAccessMode is ReadOnly", nil},
		{"chart mirror over http", func(c map[string]string) { c["velero-irsa:chartRepository"] = "http://charts.internal" }, `chartRepository "http://charts.internal" is not an https:// or oci:// repository URL`, nil},
		{"static keys in overrides", func(c map[string]string) {
			c["velero-irsa:valuesOverrides"] = `{"configuration":{"extraEnvVars":[{"name":"AWS_ACCESS_KEY_ID","value":"AKIA"}]}}`
		}, "valuesOverrides.configuration.extraEnvVars[0] sets AWS_ACCESS_KEY_ID", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.mutate(cfg)
			aws := newFakeAWS(cfg)
			if tc.aws != nil {
				tc.aws(aws)
			}
			rec := &pulumimock.Recorder{OnInvoke: aws.invoke}
			r := runProgram(t, "prod-use1", cfg, rec)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", r.err, tc.want)
			}
			for _, res := range rec.Resources() {
				if res.Custom && !strings.HasPrefix(res.Type, "pulumi:providers:") {
					t.Errorf("registered %s %s despite the bad config", res.Type, res.Name)
				}
			}
		})
	}
}

// TestMissingOidcProvider checks the error that tells how to create it.
func TestMissingOidcProvider(t *testing.T) {
	cfg := stackFileConfig(t, "prod-use1")
	aws := newFakeAWS(cfg)
	aws.noProvider = true
	rec := &pulumimock.Recorder{OnInvoke: aws.invoke}
	r := runProgram(t, "prod-use1", cfg, rec)
	for _, want := range []string{
		"looking up the IAM OIDC provider arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE of cluster \"prod-use1\"",
		"eksctl utils associate-iam-oidc-provider --cluster prod-use1 --region us-east-1 --approve",
		"velero-irsa:createOidcProvider: true",
	} {
		if r.err == nil || !strings.Contains(r.err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", r.err, want)
		}
	}
}

// urn is the URN of a top-level resource of the stack.
func urn(stack, typ, name string) string {
	return pulumimock.URN(project, stack, "", typ, name)
}

// TestCreateBucket covers createBucket and managedBucket: the bucket and its
// object lock are created and kept on destroy.
func TestCreateBucket(t *testing.T) {
	cfg := stackFileConfig(t, "staging-euc1")
	cfg["velero-irsa:createBucket"] = "true"
	cfg["velero-irsa:managedBucket"] = `{"objectLockRetentionDays":7}`
	rec := &pulumimock.Recorder{}
	r := runProgram(t, "staging-euc1", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	bucket := rec.MustFind(t, "aws:s3/bucketV2:BucketV2", "velero-bucket")
	pulumimock.AssertInputs(t, bucket, map[string]interface{}{"bucket": "acme-velero-backups-euc1", "forceDestroy": false, "objectLockEnabled": true})
	lock := rec.MustFind(t, "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "velero-bucket-object-lock")
	if !bucket.RetainOnDelete || !lock.RetainOnDelete {
		t.Errorf("bucket retained %v, object lock retained %v; both must survive pulumi destroy", bucket.RetainOnDelete, lock.RetainOnDelete)
	}
	if !strings.HasPrefix(bucket.Provider, urn("staging-euc1", "pulumi:providers:aws", "aws")+"::") {
		t.Errorf("bucket provider = %q, want the explicit aws provider", bucket.Provider)
	}
}

// withCluster makes the program's read of the cluster return found for the
// rest of the test.
func withCluster(t *testing.T, found existing.Cluster) {
	t.Helper()
	saved := readCluster
	readCluster = func(context.Context, stackConfig, clusterInfo) (existing.Cluster, existing.Writer, error) {
		return found, nil, nil
	}
	t.Cleanup(func() { readCluster = saved })
}

// guideInstallation is Velero installed from the chart by hand, the
// locations and schedule of prod-use1's stack file, with its values
// already free of keys (so the hand-over has nothing to write).
func guideInstallation() existing.Cluster {
	return existing.Cluster{Installations: []existing.Installation{{
		Namespace: "velero", Kind: existing.KindHelm, Deployment: "velero", ServiceAccount: "velero-server",
		Release:    &existing.Release{Name: "velero", Namespace: "velero", Revision: 4, Status: "deployed", Chart: "velero", ChartVersion: "7.2.1", Values: map[string]interface{}{}},
		StaticKeys: []string{"AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud from Secret velero mounted at /credentials"},
	}}}
}

// TestExistingVeleroRefused: a Velero outside the stack is refused before
// anything is registered (the OIDC provider this stack would create
// included), with the adoption setting named.
func TestExistingVeleroRefused(t *testing.T) {
	withCluster(t, guideInstallation())
	cfg := stackFileConfig(t, "prod-use1")
	cfg["velero-irsa:createOidcProvider"] = "true"
	rec := &pulumimock.Recorder{}
	r := runProgram(t, "prod-use1", cfg, rec)
	if r.err == nil || !strings.Contains(r.err.Error(), "Velero already runs on cluster prod-use1, outside this stack; nothing was created or changed.") ||
		!strings.Contains(r.err.Error(), "set velero-irsa:adoptRelease: velero in the stack") {
		t.Fatalf("err = %v, want the refusal", r.err)
	}
	for _, res := range rec.Resources() {
		if !strings.HasPrefix(res.Type, "pulumi:providers:") {
			t.Errorf("%s %s registered before the refusal", res.Type, res.Name)
		}
	}
}

// TestExistingVeleroRefusedInPreview: a preview that can read the cluster
// is refused the same way, before anything is registered.
func TestExistingVeleroRefusedInPreview(t *testing.T) {
	withCluster(t, guideInstallation())
	cfg := stackFileConfig(t, "prod-use1")
	rec := &pulumimock.Recorder{}
	rec.OnInvoke = newFakeAWS(cfg).invoke
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := deploy(ctx)
		return err
	}, pulumi.WithMocks(project, "prod-use1", rec), func(info *pulumi.RunInfo) { info.Config, info.DryRun = cfg, true })
	if err == nil || !strings.Contains(err.Error(), "Velero already runs on cluster prod-use1, outside this stack; nothing was created or changed.") {
		t.Fatalf("preview: %v, want the refusal", err)
	}
	for _, res := range rec.Resources() {
		if !strings.HasPrefix(res.Type, "pulumi:providers:") {
			t.Errorf("%s %s registered before the refusal", res.Type, res.Name)
		}
	}
}

// TestExistingVeleroAdopted: with adoptRelease, the stack's release is the
// adopted one, imported by <namespace>/<name> on an up.
func TestExistingVeleroAdopted(t *testing.T) {
	withCluster(t, guideInstallation())
	cfg := stackFileConfig(t, "prod-use1")
	cfg["velero-irsa:adoptRelease"] = "velero"
	cfg["velero-irsa:schedules"] = "{}"
	rec := &pulumimock.Recorder{}
	r := runProgram(t, "prod-use1", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	release := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release")
	if release.ImportID != "velero/velero" || release.Inputs["name"].StringValue() != "velero" {
		t.Errorf("release import ID %q, name %v", release.ImportID, release.Inputs["name"])
	}
	if r.outputs["releaseName"] != "velero" {
		t.Errorf("releaseName output %q", r.outputs["releaseName"])
	}
}

// backupAPI answers GETs of Backups from a map (path → object JSON).
type backupAPI map[string]string

func (b backupAPI) Get(_ context.Context, path string, out interface{}) (bool, error) {
	raw, ok := b[path]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal([]byte(raw), out)
}

// TestCheckReadBack refuses a readBackBackup Velero could not restore
// through the stack's locations, naming the value and the fix.
func TestCheckReadBack(t *testing.T) {
	api := backupAPI{
		"/apis/velero.io/v1/namespaces/velero/backups/before-canary": `{"spec":{"storageLocation":"default"},"status":{"phase":"Completed"}}`,
		"/apis/velero.io/v1/namespaces/velero/backups/half":          `{"spec":{"storageLocation":"default"},"status":{"phase":"InProgress"}}`,
		"/apis/velero.io/v1/namespaces/velero/backups/elsewhere":     `{"spec":{"storageLocation":"dr"},"status":{"phase":"Completed"}}`,
	}
	c := stackConfig{Namespace: "velero", BackupLocationName: "default"}
	fix := ": name a Completed backup of one of the stack's locations (`velero backup get -n velero`), or remove readBackBackup"
	for name, want := range map[string]string{
		"before-canary": "",
		"gone":          `config readBackBackup "gone": there is no such backup in namespace velero` + fix,
		"half":          `config readBackBackup "half": the backup is InProgress, and only a Completed or PartiallyFailed backup can be restored` + fix,
		"elsewhere":     `config readBackBackup "elsewhere": the backup is at location "dr", which the stack does not describe` + fix,
	} {
		c.ReadBackBackup = name
		warning, gone, err := checkReadBack(context.Background(), api, c, false)
		if got := fmt.Sprint(err); (want == "" && err != nil) || (want != "" && got != want) || warning != "" || gone {
			t.Errorf("%s: %v (warning %q, gone %t)\nwant: %s", name, err, warning, gone, want)
		}
	}
	// Once the stack manages Velero, a backup gone at its TTL, or being
	// deleted, warns and the deploy reads nothing back; the other
	// refusals stand.
	api["/apis/velero.io/v1/namespaces/velero/backups/expiring"] = `{"spec":{"storageLocation":"default"},"status":{"phase":"Deleting"}}`
	for _, name := range []string{"gone", "expiring"} {
		c.ReadBackBackup = name
		warning, gone, err := checkReadBack(context.Background(), api, c, true)
		want := `config readBackBackup "` + name + "\": there is no such backup in namespace velero any more (it expired at its TTL, was deleted, or the name is wrong), so this deploy reads nothing back: remove readBackBackup from the stack, or name a Completed backup of one of the stack's locations (`velero backup get -n velero`)"
		if err != nil || !gone || warning != want {
			t.Errorf("managed, %s: %v, gone %t, warning %q\nwant: %s", name, err, gone, warning, want)
		}
	}
	c.ReadBackBackup = "half"
	if _, _, err := checkReadBack(context.Background(), api, c, true); err == nil {
		t.Error("managed, InProgress: no refusal")
	}
}

// TestCheckAlertCRDs refuses alerts where the Prometheus Operator's CRDs
// are missing, naming each missing one; the node agent needs PodMonitors.
func TestCheckAlertCRDs(t *testing.T) {
	crd := "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
	both := backupAPI{crd + "prometheusrules.monitoring.coreos.com": `{}`, crd + "servicemonitors.monitoring.coreos.com": `{}`}
	tail := ": the alerts are a PrometheusRule, a ServiceMonitor and (with deployNodeAgent) a PodMonitor, kinds of the Prometheus Operator; " +
		"install the Prometheus Operator (kube-prometheus-stack, for example) on the cluster first, or remove alerts from the stack. Nothing was created or changed"
	cases := []struct {
		name      string
		api       backupAPI
		alerts    alertsConfig
		nodeAgent bool
		want      string
	}{
		{"no alerts", backupAPI{}, alertsConfig{}, false, ""},
		{"crds there", both, alertsConfig{Enabled: true}, false, ""},
		{"none", backupAPI{}, alertsConfig{Enabled: true}, false, "config alerts is set, but cluster c1 has no CustomResourceDefinition prometheusrules.monitoring.coreos.com, servicemonitors.monitoring.coreos.com" + tail},
		{"node agent", both, alertsConfig{Enabled: true}, true, "config alerts is set, but cluster c1 has no CustomResourceDefinition podmonitors.monitoring.coreos.com" + tail},
	}
	for _, tc := range cases {
		c := stackConfig{ClusterName: "c1", Alerts: tc.alerts, DeployNodeAgent: tc.nodeAgent}
		err := checkAlertCRDs(context.Background(), tc.api, c)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: %v\nwant: %s", tc.name, err, tc.want)
		}
	}
}

// TestAlertsReachTheRelease: alerts in the stack file become the chart's
// metrics values, with the stack's schedules' rules and labels.
func TestAlertsReachTheRelease(t *testing.T) {
	cfg := stackFileConfig(t, "prod-use1")
	cfg["velero-irsa:alerts"] = `{"enabled":true,"labels":{"team":"platform"},"resourceLabels":{"release":"kube-prometheus-stack"}}`
	rec := &pulumimock.Recorder{}
	r := runProgram(t, "prod-use1", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	values := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release").Inputs["values"].Mappable().(map[string]interface{})
	metrics := values["metrics"].(map[string]interface{})
	rule := metrics["prometheusRule"].(map[string]interface{})
	if rule["enabled"] != true || rule["autodetect"] != false || fmt.Sprint(rule["additionalLabels"]) != "map[release:kube-prometheus-stack]" {
		t.Errorf("prometheusRule values %v", rule)
	}
	first := rule["spec"].([]interface{})[0].(map[string]interface{})
	if first["alert"] != "VeleroBackupOverdue" || !strings.Contains(first["expr"].(string), `schedule="velero-daily"`) || fmt.Sprint(first["labels"]) != "map[schedule:velero-daily severity:critical team:platform]" {
		t.Errorf("first rule %v", first)
	}
	if sm := metrics["serviceMonitor"].(map[string]interface{}); sm["enabled"] != true || sm["autodetect"] != false {
		t.Errorf("serviceMonitor values %v", sm)
	}
}
