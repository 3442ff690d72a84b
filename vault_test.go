package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/components"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// vaultStackConfig reads the vault stack of docs/disaster-recovery.md
// (the yaml block after "<!-- stack: vault -->") into the string form the
// engine hands a program, so the documented stack is the tested one.
func vaultStackConfig(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("docs/disaster-recovery.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- stack: vault -->\n```yaml\n(.*?)```").FindSubmatch(raw)
	if m == nil {
		t.Fatal("docs/disaster-recovery.md has no vault stack example")
	}
	var file struct {
		Config map[string]interface{} `yaml:"config"`
	}
	if err := yaml.Unmarshal(m[1], &file); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for k, v := range file.Config {
		if s, ok := v.(string); ok {
			cfg[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		cfg[k] = string(b)
	}
	return cfg
}

// vaultAWS answers the vault's invokes: the deploy role's account, and the
// region of the provider asked.
func vaultAWS(rec *pulumimock.Recorder, account string) func(pulumimock.Invoke) (resource.PropertyMap, error) {
	return func(inv pulumimock.Invoke) (resource.PropertyMap, error) {
		switch inv.Token {
		case "aws:index/getCallerIdentity:getCallerIdentity":
			return resource.NewPropertyMapFromMap(map[string]interface{}{"accountId": account}), nil
		case "aws:index/getRegion:getRegion":
			return resource.NewPropertyMapFromMap(map[string]interface{}{"name": rec.ProviderRegion(inv.Provider)}), nil
		}
		return nil, nil
	}
}

// runVaultStack runs the program with a vault stack's config and returns
// its outputs as JSON strings.
func runVaultStack(t *testing.T, cfg map[string]string) (*pulumimock.Recorder, map[string]string, error) {
	t.Helper()
	rec := &pulumimock.Recorder{}
	rec.OnProviderInvoke = vaultAWS(rec, "999999999999")
	outputs := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if !isVaultStack(ctx) {
			t.Fatal("the vault stack is not taken for one")
		}
		outs, err := deployVault(ctx)
		if err != nil {
			return err
		}
		for name, out := range outs {
			wg.Add(1)
			pulumi.ToOutput(out).ApplyT(func(v interface{}) error {
				defer wg.Done()
				b, err := json.Marshal(v)
				mu.Lock()
				outputs[name] = string(b)
				mu.Unlock()
				return err
			})
		}
		return nil
	}, pulumi.WithMocks(project, "vault", rec), func(info *pulumi.RunInfo) { info.Config = cfg })
	if err == nil {
		wg.Wait()
	}
	return rec, outputs, err
}

// TestVaultStack runs the documented vault stack: two providers, one per
// region, with the stack's deploy role; the vault; and the outputs a
// cluster stack reads.
func TestVaultStack(t *testing.T) {
	rec, outputs, err := runVaultStack(t, vaultStackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, region := range map[string]string{"aws": "eu-central-1", "aws-replica": "us-west-2"} {
		p := rec.MustFind(t, "pulumi:providers:aws", name)
		pulumimock.AssertInputs(t, p, map[string]interface{}{
			"region":     region,
			"assumeRole": map[string]interface{}{"roleArn": "arn:aws:iam::999999999999:role/pulumi-deploy", "sessionName": "velero-irsa-vault"},
		})
	}
	rec.MustFind(t, components.BackupVaultType, "vault")
	pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketV2:BucketV2", "vault-replica-bucket"), map[string]interface{}{"bucket": "acme-velero-vault-usw2"})
	want := map[string]string{
		"account":           `"999999999999"`,
		"bucketName":        `"acme-velero-vault-euc1"`,
		"region":            `"eu-central-1"`,
		"keyArn":            `"arn:aws:kms:eu-central-1:123456789012:key/vault-key-id"`,
		"replicaBucketName": `"acme-velero-vault-usw2"`,
		"replicaRegion":     `"us-west-2"`,
		"clusters":          `{"prod-use1":{"account":"111122223333","prefix":"clusters/prod-use1","roleArnPattern":"arn:aws:iam::111122223333:role/prod-use1-velero-*"},"staging-euc1":{"account":"444455556666","prefix":"clusters/staging-euc1","roleArnPattern":"arn:aws:iam::444455556666:role/staging-euc1-velero-*"}}`,
		"restorers":         `{"dr-usw2":{"account":"777788889999","clusters":["prod-use1"],"roleArnPattern":"arn:aws:iam::777788889999:role/dr-usw2-velero-*"}}`,
	}
	for k, v := range want {
		if outputs[k] != v {
			t.Errorf("output %s = %s, want %s", k, outputs[k], v)
		}
	}
}

// TestVaultStackErrors checks that a vault stack's mistakes are refused by
// key before anything is created.
func TestVaultStackErrors(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(cfg map[string]string, vault map[string]interface{})
		want   string
	}{
		{"cluster key", func(cfg map[string]string, _ map[string]interface{}) { cfg["velero-irsa:clusterName"] = "prod-use1" },
			"config velero-irsa:vault makes this a vault stack, which has no cluster: remove velero-irsa:clusterName (clusters write to the vault from their own stacks, with velero-irsa:vaultStack)"},
		{"no replica region", func(_ map[string]string, v map[string]interface{}) { delete(v, "replicaRegion") },
			"config velero-irsa:vault.replicaRegion is required"},
		{"unknown key", func(_ map[string]string, v map[string]interface{}) { v["replicaBuckt"] = "x" },
			`config velero-irsa:vault: {`},
		{"compliance", func(_ map[string]string, v map[string]interface{}) {
			v["objectLock"] = map[string]interface{}{"mode": "COMPLIANCE", "retentionDays": 30}
		}, `config velero-irsa:vault: BackupVault "vault": objectLock.mode COMPLIANCE locks every backup version for 30 days against everyone`},
		{"other account", func(_ map[string]string, v map[string]interface{}) { v["account"] = "111111111111" },
			`config velero-irsa:vault: BackupVault "vault": account is 111111111111 but the aws provider works in account 999999999999`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := vaultStackConfig(t)
			var vault map[string]interface{}
			if err := json.Unmarshal([]byte(cfg["velero-irsa:vault"]), &vault); err != nil {
				t.Fatal(err)
			}
			c.mutate(cfg, vault)
			b, _ := json.Marshal(vault)
			cfg["velero-irsa:vault"] = string(b)
			rec, _, err := runVaultStack(t, cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			for _, res := range rec.Resources() {
				if res.Custom && !strings.HasPrefix(res.Type, "pulumi:providers:") {
					t.Errorf("%s %s was registered despite the error", res.Type, res.Name)
				}
			}
		})
	}
}
