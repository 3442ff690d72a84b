package main

import (
	"encoding/json"
	"os"
	"reflect"
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
	return runVaultStackWith(t, cfg, rec)
}

// runVaultStackWith is runVaultStack with the recorder given.
func runVaultStackWith(t *testing.T, cfg map[string]string, rec *pulumimock.Recorder) (*pulumimock.Recorder, map[string]string, error) {
	t.Helper()
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

// vaultOutputs are the outputs of the documented vault stack, with
// prod-use1's grant in the example stacks' account.
var vaultOutputs = resource.NewPropertyMapFromMap(map[string]interface{}{
	"outputs": map[string]interface{}{
		"account": "999999999999", "bucketName": "acme-velero-vault-euc1", "region": "eu-central-1",
		"keyArn":            "arn:aws:kms:eu-central-1:999999999999:key/1111aaaa-12ab-34cd-56ef-1234567890ab",
		"replicaBucketName": "acme-velero-vault-usw2", "replicaRegion": "us-west-2",
		"replicaKeyArn":      "arn:aws:kms:us-west-2:999999999999:key/2222bbbb-12ab-34cd-56ef-1234567890ab",
		"replicationRoleArn": "arn:aws:iam::999999999999:role/velero-vault-replication-x",
		"clusters": map[string]interface{}{
			"prod-use1": map[string]interface{}{"account": "123456789012", "roleArnPattern": "arn:aws:iam::123456789012:role/prod-use1-velero-*", "prefix": "clusters/prod-use1"},
		},
		"restorers": map[string]interface{}{
			"dr-usw2": map[string]interface{}{"account": "123456789012", "roleArnPattern": "arn:aws:iam::123456789012:role/dr-usw2-velero-*", "clusters": []interface{}{"prod-use1"}},
		},
	},
})

// vaultClusterConfig is prod-use1's stack writing to the vault instead of
// its own bucket.
func vaultClusterConfig(t *testing.T) map[string]string {
	cfg := stackFileConfig(t, "prod-use1")
	for _, k := range []string{"bucketName", "backupPrefix", "bucketKmsKeyArn"} {
		delete(cfg, "velero-irsa:"+k)
	}
	cfg["velero-irsa:vaultStack"] = "acme/velero-irsa/vault"
	return cfg
}

// TestVaultClusterStack runs a cluster stack that writes to the vault: the
// main location is the vault's bucket, region, prefix and key, the role's
// policy reaches exactly that, and the EBS snapshots stay in the cluster's
// region.
func TestVaultClusterStack(t *testing.T) {
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": vaultOutputs}}
	r := runProgram(t, "prod-use1", vaultClusterConfig(t), rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	bsl := rec.MustFind(t, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default")
	spec, _ := json.Marshal(bsl.Inputs["spec"].Mappable())
	if want := `{"accessMode":"ReadWrite","config":{"kmsKeyId":"arn:aws:kms:eu-central-1:999999999999:key/1111aaaa-12ab-34cd-56ef-1234567890ab","region":"eu-central-1"},"default":true,"objectStorage":{"bucket":"acme-velero-vault-euc1","prefix":"clusters/prod-use1"},"provider":"aws","validationFrequency":"20s"}`; string(spec) != want {
		t.Errorf("location spec = %s\nwant %s", spec, want)
	}
	policy := rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy").Inputs["policy"].StringValue()
	for _, want := range []string{
		`"Resource":"arn:aws:s3:::acme-velero-vault-euc1/clusters/prod-use1/*"`,
		`"Resource":"arn:aws:kms:eu-central-1:999999999999:key/1111aaaa-12ab-34cd-56ef-1234567890ab"`,
		`arn:aws:ec2:us-east-1:123456789012:volume/*`,
	} {
		if !strings.Contains(policy, want) {
			t.Errorf("role policy lacks %s:\n%s", want, policy)
		}
	}
	values, _ := json.Marshal(rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release").Inputs["values"].Mappable())
	if !strings.Contains(string(values), `"volumeSnapshotLocation":[{"config":{"ebsKmsKeyId"`) || !strings.Contains(string(values), `"region":"us-east-1"`) {
		t.Errorf("the snapshot location left the cluster's region: %s", values)
	}
	if r.outputs["bucketName"] != "acme-velero-vault-euc1" {
		t.Errorf("bucketName output = %q", r.outputs["bucketName"])
	}
}

// TestVaultRestorerStack runs a DR cluster that restores from the vault's
// replica: a ReadOnly location per granted cluster, named after it.
func TestVaultRestorerStack(t *testing.T) {
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": vaultOutputs}}
	cfg := stackFileConfig(t, "prod-use1")
	cfg["velero-irsa:clusterName"] = "dr-usw2"
	cfg["velero-irsa:region"] = "us-west-2"
	cfg["velero-irsa:bucketName"] = "acme-velero-backups-usw2"
	cfg["velero-irsa:backupPrefix"] = "clusters/dr-usw2"
	for _, k := range []string{"bucketKmsKeyArn", "ebsKmsKeyArn", "verifyRestore", "verifyBackup"} {
		delete(cfg, "velero-irsa:"+k)
	}
	cfg["velero-irsa:vaultStack"] = "acme/velero-irsa/vault"
	cfg["velero-irsa:disasterRecoveryDrill"] = `{"location":"prod-use1","schedule":"velero-prod-daily","canaryNamespace":"payments"}`
	r := runProgram(t, "dr-usw2", cfg, rec)
	if r.err != nil {
		t.Fatal(r.err)
	}
	drill := rec.MustFind(t, "kubernetes:velero.io/v1:Restore", "velero-dr-drill")
	if spec := drill.Inputs["spec"].Mappable().(map[string]interface{}); spec["scheduleName"] != "velero-prod-daily" || !reflect.DeepEqual(spec["namespaceMapping"], map[string]interface{}{"payments": "velero-dr-drill"}) {
		t.Errorf("drill spec = %v", spec)
	}
	bsl := rec.MustFind(t, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-prod-use1")
	spec, _ := json.Marshal(bsl.Inputs["spec"].Mappable())
	if want := `{"accessMode":"ReadOnly","config":{"kmsKeyId":"arn:aws:kms:us-west-2:999999999999:key/2222bbbb-12ab-34cd-56ef-1234567890ab","region":"us-west-2"},"objectStorage":{"bucket":"acme-velero-vault-usw2","prefix":"clusters/prod-use1"},"provider":"aws","validationFrequency":"20s"}`; string(spec) != want {
		t.Errorf("restore location spec = %s\nwant %s", spec, want)
	}
	policy := rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy").Inputs["policy"].StringValue()
	var doc struct {
		Statement []struct {
			Action, Resource interface{}
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		action, _ := json.Marshal(st.Action)
		resource, _ := json.Marshal(st.Resource)
		if strings.Contains(string(resource), "acme-velero-vault-usw2") && strings.Contains(string(action), "Delete") {
			t.Errorf("the restorer may delete in the replica: %s on %s", action, resource)
		}
	}
	if !strings.Contains(policy, `"Resource":"arn:aws:s3:::acme-velero-vault-usw2/clusters/prod-use1/restores/*"`) {
		t.Errorf("the restorer cannot write its restore records: %s", policy)
	}
}

// TestVaultClusterStackErrors checks the refusals of a cluster stack with
// a vault, each before anything is created.
func TestVaultClusterStackErrors(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(map[string]string)
		want   string
	}{
		{"own bucket too", func(c map[string]string) { c["velero-irsa:bucketName"] = "acme-velero-backups-use1" },
			`config velero-irsa:bucketName "acme-velero-backups-use1" conflicts with velero-irsa:vaultStack: cluster prod-use1 writes to the vault's bucket acme-velero-vault-euc1 under clusters/prod-use1; remove velero-irsa:bucketName`},
		{"created bucket", func(c map[string]string) { c["velero-irsa:createBucket"] = "true" },
			`config velero-irsa:createBucket conflicts with velero-irsa:vaultStack: the vault stack owns the bucket`},
		{"not granted", func(c map[string]string) { c["velero-irsa:vaultClusterName"] = "prod-euw1" },
			`vault stack acme/velero-irsa/vault neither takes backups from nor lets restore a cluster named "prod-euw1" (its clusters: prod-use1; restorers: dr-usw2): add it to vault.clusters or vault.restorers in the vault stack, or set velero-irsa:vaultClusterName`},
		{"role outside the grant", func(c map[string]string) { c["velero-irsa:rolePath"] = "/velero/" },
			`roleArnPattern "arn:aws:iam::123456789012:role/prod-use1-velero-*" does not match the role this cluster gets, arn:aws:iam::123456789012:role/velero/prod-use1-velero-20260101000000000000000001`},
		{"bad stack name", func(c map[string]string) { c["velero-irsa:vaultStack"] = "acme vault" },
			`config velero-irsa:vaultStack "acme vault" is not a stack name`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := vaultClusterConfig(t)
			c.mutate(cfg)
			rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": vaultOutputs}}
			r := runProgram(t, "prod-use1", cfg, rec)
			if r.err == nil || !strings.Contains(r.err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", r.err, c.want)
			}
			for _, res := range rec.Resources() {
				if strings.HasPrefix(res.Type, "aws:") || strings.HasPrefix(res.Type, "kubernetes:") {
					t.Errorf("%s %s was registered despite the error", res.Type, res.Name)
				}
			}
		})
	}
	// A vault stack not deployed yet has no outputs.
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": resource.NewPropertyMapFromMap(map[string]interface{}{"outputs": map[string]interface{}{}})}}
	if r := runProgram(t, "prod-use1", vaultClusterConfig(t), rec); r.err == nil || !strings.Contains(r.err.Error(), `vault stack acme/velero-irsa/vault (config velero-irsa:vaultStack) has no output "bucketName": run `+"`pulumi up`"+` in the vault stack first`) {
		t.Errorf("undeployed vault: %v", r.err)
	}
}

// TestVaultVolumeWarning checks which schedules are called out: those
// writing to the vault with EBS snapshots and no file-system backup.
func TestVaultVolumeWarning(t *testing.T) {
	yes, no := true, false
	c := stackConfig{BackupLocationName: "default", SnapshotsEnabled: true, Schedules: map[string]components.Schedule{
		"daily":        {Schedule: "@daily"},
		"fs":           {Schedule: "@daily", DefaultVolumesToFsBackup: &yes},
		"no-snapshots": {Schedule: "@daily", SnapshotVolumes: &no},
		"elsewhere":    {Schedule: "@daily", StorageLocation: "archive"},
		"hourly":       {Schedule: "@hourly", StorageLocation: "default"},
	}}
	want := "vaultStack: schedules daily, hourly back volumes up as EBS snapshots only; the snapshots stay in us-east-1 in this cluster's account"
	if got := vaultVolumeWarning(c, "us-east-1"); !strings.HasPrefix(got, want) {
		t.Errorf("warning = %q, want it to start %q", got, want)
	}
	c.SnapshotsEnabled = false
	if got := vaultVolumeWarning(c, "us-east-1"); got != "" {
		t.Errorf("warning without snapshots = %q", got)
	}
}

// TestExampleVaultStack runs stacks/Pulumi.backup-vault.yaml: its outputs
// are what the example cluster stacks are tested against.
func TestExampleVaultStack(t *testing.T) {
	rec := &pulumimock.Recorder{}
	rec.OnProviderInvoke = vaultAWS(rec, "444455556666")
	_, outputs, err := runVaultStackWith(t, stackFileConfig(t, "backup-vault"), rec)
	if err != nil {
		t.Fatal(err)
	}
	want := clusterStackOutputs["outputs"].ObjectValue()
	for _, k := range []string{"account", "bucketName", "region", "replicaBucketName", "replicaRegion", "clusters", "restorers"} {
		w, _ := json.Marshal(want[resource.PropertyKey(k)].Mappable())
		if outputs[k] != string(w) {
			t.Errorf("output %s = %s; the example cluster stacks are tested against %s", k, outputs[k], w)
		}
	}
}
