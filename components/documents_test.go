package components

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/velero-irsa/velero-irsa/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Fixtures shared by the tests: obviously fake IDs in the documented formats.
const (
	testAccount   = "123456789012"
	testOIDCID    = "EXAMPLED539D4633E53DE1B71EXAMPLE"
	testIssuer    = "https://oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
	testProvider  = "arn:aws:iam::" + testAccount + ":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
	testBucket    = "acme-velero-backups"
	testRegion    = "us-east-1"
	testCluster   = "prod-use1"
	testRoleARN   = "arn:aws:iam::" + testAccount + ":role/prod-use1-velero-20261126000000000000000001"
	testBucketKey = "arn:aws:kms:us-east-1:" + testAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testEBSKey    = "arn:aws:kms:us-east-1:" + testAccount + ":key/0987dcba-09fe-87dc-65ba-ab0987654321"
	// The vault's keys (vaultExample), in the backup account.
	testVaultKey        = "arn:aws:kms:eu-central-1:999999999999:key/11111111-2222-3333-4444-555555555555"
	testVaultReplicaKey = "arn:aws:kms:us-west-2:999999999999:key/66666666-7777-8888-9999-000000000000"
)

func defaultInputs() inputs {
	return inputs{cluster: testCluster, providerARN: testProvider, issuerURL: testIssuer, bucket: testBucket, region: testRegion}
}

func boolPtr(b bool) *bool { return &b }

// documentCases are the golden cases: each builds the trust policy, the
// permission policy and the Helm values from one set of inputs.
var documentCases = []struct {
	name string
	args VeleroIRSAArgs
	in   func(inputs) inputs
}{
	{name: "default"},
	{name: "prefix", args: VeleroIRSAArgs{BackupPrefix: "clusters/prod-use1"}},
	{name: "snapshots-off", args: VeleroIRSAArgs{SnapshotsEnabled: boolPtr(false)}},
	{name: "kms", in: func(in inputs) inputs {
		in.bucketKey, in.ebsKey = testBucketKey, testEBSKey
		return in
	}},
	{name: "tagging", args: VeleroIRSAArgs{BackupObjectTags: map[string]string{"team": "platform", "data class": "backup&restore"}}},
	{name: "aws-cn", in: func(in inputs) inputs {
		in.region = "cn-north-1"
		in.issuerURL = "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/" + testOIDCID
		in.providerARN = "arn:aws-cn:iam::" + testAccount + ":oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/" + testOIDCID
		return in
	}},
	{name: "file-system-backups", args: VeleroIRSAArgs{
		SnapshotsEnabled:  boolPtr(false),
		DeployNodeAgent:   true,
		NodeAgentRequests: map[string]string{"cpu": "500m", "memory": "512Mi"},
		Schedules: map[string]Schedule{
			"daily":       {Schedule: "0 3 * * *", Ttl: "168h", ExcludedNamespaces: []string{"kube-system"}, DefaultVolumesToFsBackup: boolPtr(true)},
			"weekly-apps": {Schedule: "@weekly", IncludedNamespaces: []string{"shop", "payments"}},
		},
	}},
	{name: "overrides", args: VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{
		"image":        map[string]interface{}{"repository": "registry.example.com/mirror/velero/velero"},
		"resources":    map[string]interface{}{"requests": map[string]interface{}{"cpu": "500m", "memory": "128Mi"}},
		"nodeSelector": map[string]interface{}{"kubernetes.io/os": "linux"},
		"tolerations":  []interface{}{map[string]interface{}{"key": "dedicated", "operator": "Equal", "value": "system", "effect": "NoSchedule"}},
		"initContainers": []interface{}{
			map[string]interface{}{"name": "velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:v1.14.3", "volumeMounts": []interface{}{map[string]interface{}{"mountPath": "/target", "name": "plugins"}}},
			map[string]interface{}{"name": "velero-plugin-example", "image": "registry.example.com/velero-plugin-example:v0.3.0", "volumeMounts": []interface{}{map[string]interface{}{"mountPath": "/target", "name": "plugins"}}},
		},
		"serviceAccount": map[string]interface{}{"server": map[string]interface{}{"annotations": map[string]interface{}{"team": "platform"}, "labels": map[string]interface{}{"team": "platform"}}},
		"metrics":        map[string]interface{}{"serviceMonitor": map[string]interface{}{"enabled": true}},
	}}},
	{name: "additional-locations", args: VeleroIRSAArgs{
		BackupPrefix: "clusters/prod-use1",
		AdditionalBackupLocations: map[string]BackupLocation{
			"dr-usw2":         {Bucket: "acme-velero-backups-usw2", Region: "us-west-2", Prefix: "clusters/prod-use1", AccessMode: "ReadWrite", KmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"},
			"old-cluster.src": {Bucket: "acme-velero-backups-legacy", Prefix: "clusters/legacy"},
		},
		Schedules: map[string]Schedule{"dr-copy": {Schedule: "0 4 * * *", StorageLocation: "dr-usw2"}},
	}},
	{name: "read-only", args: VeleroIRSAArgs{BackupAccessMode: "ReadOnly"}},
	{name: "verify-backup", args: VeleroIRSAArgs{VerifyBackup: true, BackupLocationTimeoutSeconds: 600, Namespace: "backup"}},
	{name: "verify-restore", args: VeleroIRSAArgs{VerifyBackup: true, VerifyRestore: true}, in: func(in inputs) inputs {
		in.bucketKey = testBucketKey
		return in
	}},
	{name: "pod-identity", args: VeleroIRSAArgs{IdentityMode: IdentityModePodIdentity}, in: func(in inputs) inputs {
		in.providerARN, in.issuerURL, in.account = "", "", testAccount
		return in
	}},
	// prod-use1 writing to the vault of vaultExample (another account and
	// region), and dr-usw2 restoring its backups from the replica.
	{name: "vault", args: VeleroIRSAArgs{BackupPrefix: "clusters/prod-use1", RoleArnPattern: "arn:aws:iam::" + testAccount + ":role/prod-use1-velero-*"}, in: func(in inputs) inputs {
		in.bucket, in.bucketRegion, in.bucketKey = "acme-velero-vault-euc1", "eu-central-1", testVaultKey
		return in
	}},
	{name: "vault-restorer", args: VeleroIRSAArgs{
		BackupPrefix:   "clusters/dr-usw2",
		RoleArnPattern: "arn:aws:iam::777788889999:role/dr-usw2-velero-*",
		AdditionalBackupLocations: map[string]BackupLocation{
			"prod-use1": {Bucket: "acme-velero-vault-usw2", Region: "us-west-2", Prefix: "clusters/prod-use1", AccessMode: "ReadOnly", KmsKeyArn: testVaultReplicaKey},
		},
		DisasterRecoveryDrill: &DisasterRecoveryDrill{Location: "prod-use1", Schedule: "velero-daily", CanaryNamespace: "payments"},
	}, in: func(in inputs) inputs {
		in.cluster, in.region, in.bucket = "dr-usw2", "us-west-2", "acme-velero-backups-usw2"
		in.issuerURL = "https://oidc.eks.us-west-2.amazonaws.com/id/" + testOIDCID
		in.providerARN = "arn:aws:iam::777788889999:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/" + testOIDCID
		return in
	}},
	{name: "aws-us-gov", in: func(in inputs) inputs {
		in.region = "us-gov-west-1"
		in.issuerURL = "oidc.eks.us-gov-west-1.amazonaws.com/id/" + testOIDCID + "/"
		in.providerARN = "arn:aws-us-gov:iam::" + testAccount + ":oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/" + testOIDCID
		return in
	}},
}

func TestDocumentsGolden(t *testing.T) {
	for _, tc := range documentCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSettings(&tc.args)
			if err != nil {
				t.Fatalf("newSettings: %v", err)
			}
			in := defaultInputs()
			if tc.in != nil {
				in = tc.in(in)
			}
			r, err := resolve(s, in)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			values := r.values
			// The role ARN the values carry is in the case's own partition
			// and account, as a real role's would be.
			values.RoleARN = "arn:" + r.provider.Partition + ":iam::" + r.provider.Account + ":role/" + r.roleNamePrefix + "20261126000000000000000001"
			dir := filepath.Join("testdata", "documents", tc.name)
			checkGolden(t, filepath.Join(dir, "trust.json"), indentJSON(t, r.trustPolicy))
			checkGolden(t, filepath.Join(dir, "policy.json"), indentJSON(t, r.permissionPolicy))
			checkGolden(t, filepath.Join(dir, "values.json"), marshalIndent(t, HelmValues(values)))
			identity, err := identityHash(r, values.RoleARN)
			if err != nil {
				t.Fatal(err)
			}
			var locations []veleroObject
			for _, l := range r.locations {
				condition := locationAvailable
				if s.drDrill != nil && s.drDrill.Location == l.Name {
					condition = drLocationCondition
				}
				locations = append(locations, l.object(s.namespace, s.locationTimeout, identity, condition))
			}
			checkGolden(t, filepath.Join(dir, "locations.json"), marshalIndent(t, locations))
			if s.verifyBackup {
				wiring, err := verificationWiring(r, values.RoleARN, s)
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join(dir, "verify-backup.json"), marshalIndent(t, verificationBackup(r, wiring, s)))
				if s.verifyRestore {
					checkGolden(t, filepath.Join(dir, "restore-drill.json"), marshalIndent(t, drillDocuments(s, wiring)))
				}
			}
		})
	}
}

// drillDocuments are the restore drill's objects as the component
// registers them, for a verification backup pulumi-kubernetes named
// "velero-verify-0a1b2c3d".
func drillDocuments(s settings, wiring string) map[string]interface{} {
	return map[string]interface{}{
		"canary":    map[string]interface{}{"metadata": drillCanaryMetadata(s), "data": drillCanaryData(wiring)},
		"namespace": map[string]interface{}{"metadata": drillNamespaceMetadata(s)},
		"restore":   drillRestore(s, "velero-verify-0a1b2c3d"),
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Check(t, path, got, *update, "go test ./components -update")
}

func indentJSON(t *testing.T, compact string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(compact), "", "  "); err != nil {
		t.Fatalf("indenting %s: %v", compact, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func marshalIndent(t *testing.T, v interface{}) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
