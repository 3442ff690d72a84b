package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func intPtr(i int) *int { return &i }

// TestSettingsErrors covers the plain fields: each error names the field, the
// value and the fix.
func TestSettingsErrors(t *testing.T) {
	cases := []struct {
		name string
		args VeleroIRSAArgs
		want string
	}{
		{"prefix with leading slash", VeleroIRSAArgs{BackupPrefix: "/clusters/prod"}, `backupPrefix "/clusters/prod" starts or ends with '/': write it as "clusters/prod"`},
		{"prefix with wildcard", VeleroIRSAArgs{BackupPrefix: "clusters/*"}, `backupPrefix "clusters/*" has segment "*"`},
		{"prefix with dot-dot", VeleroIRSAArgs{BackupPrefix: "a/../b"}, `has segment ".."`},
		{"prefix with empty segment", VeleroIRSAArgs{BackupPrefix: "a//b"}, `has segment ""`},
		{"access mode", VeleroIRSAArgs{BackupAccessMode: "readonly"}, `backupAccessMode "readonly" is not a backup location access mode: use ReadWrite or ReadOnly`},
		{"namespace uppercase", VeleroIRSAArgs{Namespace: "Velero"}, `namespace "Velero" is not a valid Kubernetes name`},
		{"namespace too long", VeleroIRSAArgs{Namespace: strings.Repeat("a", 64)}, `namespace "aaaa`},
		{"service account", VeleroIRSAArgs{ServiceAccountName: "velero_server"}, `serviceAccountName "velero_server" is not a valid Kubernetes name`},
		{"location name", VeleroIRSAArgs{BackupLocationName: "Primary"}, `backupLocationName "Primary" is not a valid Kubernetes name`},
		{"read-back backup name", VeleroIRSAArgs{ReadBackBackup: "Before_Switch"}, `readBackBackup "Before_Switch" is not a valid Kubernetes name`},
		{"object tags aws prefix", VeleroIRSAArgs{BackupObjectTags: map[string]string{"aws:owner": "x"}}, `backupObjectTags key "aws:owner" uses the aws: prefix`},
		{"object tags single", VeleroIRSAArgs{BackupObjectTags: map[string]string{"data-class": "backup"}}, `backupObjectTags has a single tag ("data-class"): the AWS plugin refuses a location whose tagging has no '&' between tags, and Velero would report it Unavailable; add a second tag`},
		{"object tag value encoded too long", VeleroIRSAArgs{BackupObjectTags: map[string]string{"a": strings.Repeat("é", 50), "b": "x"}}, `backupObjectTags value of "a" is 300 characters URL-encoded; the AWS plugin accepts at most 248`},
		{"fsGroup zero", VeleroIRSAArgs{FsGroup: intPtr(0)}, `fsGroup 0 is not a usable group ID`},
		{"release name", VeleroIRSAArgs{ReleaseName: "Velero"}, `releaseName "Velero" is not a valid Kubernetes name`},
		{"chart repo http", VeleroIRSAArgs{ChartRepository: "http://charts.example.com"}, `chartRepository "http://charts.example.com" is not an https:// or oci:// repository URL`},
		{"timeout too short", VeleroIRSAArgs{ReleaseTimeoutSeconds: 300}, `releaseTimeoutSeconds 300 is too short for the chart's CRD-upgrade hook and rollout: use at least 600`},
		{"chart range", VeleroIRSAArgs{ChartVersion: "^12.0.0"}, `chartVersion "^12.0.0" is not an exact chart version`},
		{"chart too old", VeleroIRSAArgs{ChartVersion: "6.7.0"}, `chartVersion "6.7.0" installs a Velero older than 1.14`},
		{"pod identity on old velero", VeleroIRSAArgs{IdentityMode: IdentityModePodIdentity, ChartVersion: "13.0.0", VeleroVersion: "1.13"}, `veleroVersion "1.13" is older than Velero 1.14, the oldest this component supports`},
		{"chart too new", VeleroIRSAArgs{ChartVersion: "13.0.0"}, `chartVersion "13.0.0" is newer than the charts this component knows (7.x–12.x): set veleroVersion`},
		{"plugin mismatch", VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws:v1.13.2"}, `pluginImage "velero/velero-plugin-for-aws:v1.13.2" (plugin v1.13) does not match Velero 1.18: the plugin compatibility table pairs Velero 1.18 with plugin v1.14.x; use velero/velero-plugin-for-aws:v1.14.3`},
		{"plugin mismatch old chart", VeleroIRSAArgs{ChartVersion: "11.4.0", PluginImage: "velero/velero-plugin-for-aws:v1.14.3"}, `does not match Velero 1.17`},
		{"plugin untagged", VeleroIRSAArgs{PluginImage: "registry.example.com:5000/velero/velero-plugin-for-aws"}, `has no tag, so it would follow :latest`},
		{"plugin latest", VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws:latest"}, `has tag "latest", which is not a plugin version`},
		{"velero version format", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "one.nineteen"}, `veleroVersion "one.nineteen" is not a Velero version`},
		{"velero too new for plugin table", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "1.19"}, `no AWS plugin release is known for Velero 1.19: set pluginImage`},
		{"role name and prefix", VeleroIRSAArgs{RoleName: "a", RoleNamePrefix: "b"}, `roleName "a" and roleNamePrefix "b" are mutually exclusive: choose one`},
		{"role name too long", VeleroIRSAArgs{RoleName: strings.Repeat("r", 65)}, `is not a valid IAM role name: use 1–64`},
		{"role prefix too long", VeleroIRSAArgs{RoleNamePrefix: strings.Repeat("r", 39)}, `is not a valid role name prefix: use 1–38`},
		{"role path", VeleroIRSAArgs{RolePath: "velero"}, `rolePath "velero" is not a valid IAM path: start and end it with '/'`},
		{"max session", VeleroIRSAArgs{RoleMaxSessionDurationSeconds: 60}, `roleMaxSessionDurationSeconds 60 is out of IAM's range: use 3600–43200`},
		{"boundary", VeleroIRSAArgs{RolePermissionsBoundaryArn: "PowerUserBoundary"}, `rolePermissionsBoundaryArn "PowerUserBoundary" is not an IAM policy ARN`},
		{"requests without node agent", VeleroIRSAArgs{NodeAgentRequests: map[string]string{"cpu": "1"}}, `nodeAgentRequests is set but deployNodeAgent is false`},
		{"requests unknown key", VeleroIRSAArgs{DeployNodeAgent: true, NodeAgentRequests: map[string]string{"gpu": "1"}}, `nodeAgentRequests key "gpu" is not a resource: use cpu and memory`},
		{"requests bad quantity", VeleroIRSAArgs{DeployNodeAgent: true, NodeAgentRequests: map[string]string{"memory": "512MB"}}, `nodeAgentRequests.memory "512MB" is not a Kubernetes quantity`},
		{"schedule bad cron", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "0 3 * *"}}}, `schedules.daily.schedule "0 3 * *" is not a cron expression Velero accepts`},
		{"schedule seconds field", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "0 0 3 * * *"}}}, `is not a cron expression Velero accepts`},
		{"schedule empty", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {}}}, `schedules.daily.schedule is empty`},
		{"schedule name", VeleroIRSAArgs{Schedules: map[string]Schedule{"Daily": {Schedule: "@daily"}}}, `schedules key "Daily" is not a valid Kubernetes name`},
		{"schedule ttl days", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "@daily", Ttl: "30d"}}}, `schedules.daily.ttl "30d" is not a positive duration: write hours`},
		{"schedule namespace", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "@daily", IncludedNamespaces: []string{"Shop"}}}}, `schedules.daily.includedNamespaces entry "Shop" is not a valid Kubernetes name`},
		{"schedule snapshots off", VeleroIRSAArgs{SnapshotsEnabled: boolPtr(false), Schedules: map[string]Schedule{"daily": {Schedule: "@daily", SnapshotVolumes: boolPtr(true)}}}, `schedules.daily.snapshotVolumes is true but snapshotsEnabled is false`},
		{"schedule fs backup without node agent", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "@daily", DefaultVolumesToFsBackup: boolPtr(true)}}}, `schedules.daily.defaultVolumesToFsBackup is true but deployNodeAgent is false`},
		{"schedule unknown location", VeleroIRSAArgs{Schedules: map[string]Schedule{"daily": {Schedule: "@daily", StorageLocation: "dr"}}}, `schedules.daily.storageLocation "dr" is not a writable backup location of this component: use "default" or a ReadWrite additional location`},
		{"override use secret", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"credentials": map[string]interface{}{"useSecret": true}}}, `valuesOverrides.credentials.useSecret is true: with a credentials file the AWS plugin ignores the role's web identity token`},
		{"override service account name", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"serviceAccount": map[string]interface{}{"server": map[string]interface{}{"name": "velero"}}}}, `valuesOverrides.serviceAccount.server.name velero differs from serviceAccountName "velero-server"`},
		{"override no create", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"serviceAccount": map[string]interface{}{"server": map[string]interface{}{"create": false}}}}, `valuesOverrides.serviceAccount.server.create is false: the chart would not render Velero's ServiceAccount, so nothing vouches for its annotations`},
		{"override role annotation", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"serviceAccount": map[string]interface{}{"server": map[string]interface{}{"annotations": map[string]interface{}{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/other"}}}}}, `sets eks.amazonaws.com/role-arn, which the component sets to its role's ARN`},
		{"override drop annotations", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"serviceAccount": map[string]interface{}{"server": map[string]interface{}{"annotations": nil}}}}, `valuesOverrides.serviceAccount.server.annotations must be a map`},
		{"override namespace", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"configuration": map[string]interface{}{"namespace": "backup"}}}, `valuesOverrides.configuration.namespace backup differs from namespace "velero"`},
		{"override locations", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"configuration": map[string]interface{}{"backupStorageLocation": []interface{}{}}}}, `valuesOverrides.configuration.backupStorageLocation: the locations are built from the component's bucket`},
		{"override plugin replaced", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"initContainers": []interface{}{map[string]interface{}{"name": "velero-plugin-for-gcp", "image": "velero/velero-plugin-for-gcp:v1.14.0"}}}}, `valuesOverrides.initContainers replaces the init containers without the AWS plugin: include {name: velero-plugin-for-aws, image: velero/velero-plugin-for-aws:v1.14.3`},
		{"override an Output", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"podAnnotations": map[string]interface{}{"team": pulumi.String("x").ToStringOutput()}}}, "valuesOverrides.podAnnotations.team is a pulumi.StringOutput: value overrides must be plain values (maps, lists, strings, numbers, booleans), known before anything is created"},
		{"override dedicated arg", VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"snapshotsEnabled": false}}, `valuesOverrides.snapshotsEnabled: set it with SnapshotsEnabled instead`},
		{"location same name", VeleroIRSAArgs{AdditionalBackupLocations: map[string]BackupLocation{"default": {Bucket: "acme-other"}}}, `additionalBackupLocations key "default" is the name of the main location`},
		{"location bad bucket", VeleroIRSAArgs{AdditionalBackupLocations: map[string]BackupLocation{"dr": {Bucket: "s3://acme-dr"}}}, `additionalBackupLocations.dr.bucket "s3://acme-dr" is an S3 URL`},
		{"location bad mode", VeleroIRSAArgs{AdditionalBackupLocations: map[string]BackupLocation{"dr": {Bucket: "acme-dr", AccessMode: "readonly"}}}, `additionalBackupLocations.dr.accessMode "readonly" is not a backup location access mode`},
		{"location bad region", VeleroIRSAArgs{AdditionalBackupLocations: map[string]BackupLocation{"dr": {Bucket: "acme-dr", Region: "Oregon"}}}, `additionalBackupLocations.dr.region "Oregon" is not an AWS region code`},
		{"schedule to read-only location", VeleroIRSAArgs{AdditionalBackupLocations: map[string]BackupLocation{"source": {Bucket: "acme-src"}}, Schedules: map[string]Schedule{"daily": {Schedule: "@daily", StorageLocation: "source"}}}, `schedules.daily.storageLocation "source" is not a writable backup location`},
		{"tag too long", VeleroIRSAArgs{Tags: map[string]string{"k": strings.Repeat("v", 257)}}, `tags value of "k" is 257 characters; at most 256`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSettings(&tc.args)
			if err == nil {
				t.Fatalf("newSettings accepted %+v; want error containing %q", tc.args, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSettingsAccepts(t *testing.T) {
	cases := []struct {
		name       string
		args       VeleroIRSAArgs
		wantPlugin string
	}{
		{"defaults", VeleroIRSAArgs{}, "velero/velero-plugin-for-aws:v1.14.3"},
		{"older chart picks its plugin", VeleroIRSAArgs{ChartVersion: "10.1.3"}, "velero/velero-plugin-for-aws:v1.12.2"},
		{"mirror with port and tag", VeleroIRSAArgs{PluginImage: "registry.example.com:5000/velero/velero-plugin-for-aws:v1.14.1"}, "registry.example.com:5000/velero/velero-plugin-for-aws:v1.14.1"},
		{"digest only", VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, "velero/velero-plugin-for-aws@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"newer chart with velero version and plugin", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "1.19.0", PluginImage: "velero/velero-plugin-for-aws:v1.15.0"}, "velero/velero-plugin-for-aws:v1.15.0"},
		{"oci mirror", VeleroIRSAArgs{ChartRepository: "oci://registry.example.com/charts"}, "velero/velero-plugin-for-aws:v1.14.3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSettings(&tc.args)
			if err != nil {
				t.Fatalf("newSettings: %v", err)
			}
			if s.pluginImage != tc.wantPlugin {
				t.Errorf("plugin image = %q, want %q", s.pluginImage, tc.wantPlugin)
			}
		})
	}
}

// TestResolveErrors covers the Input fields, checked once they are known.
func TestResolveErrors(t *testing.T) {
	cases := []struct {
		name string
		args VeleroIRSAArgs
		in   func(*inputs)
		want string
	}{
		{"s3 url", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "s3://acme-velero-backups/prod" }, `bucketName "s3://acme-velero-backups/prod" is an S3 URL: give the bare bucket name "acme-velero-backups"`},
		{"bucket arn", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "arn:aws:s3:::acme-velero-backups" }, `bucketName "arn:aws:s3:::acme-velero-backups" is an ARN: give the bare bucket name "acme-velero-backups"`},
		{"bucket uppercase", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "Acme-Backups" }, `bucketName "Acme-Backups" is not a valid S3 bucket name`},
		{"bucket short", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "ab" }, `bucketName "ab" is not a valid S3 bucket name`},
		{"bucket ip", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "192.168.5.4" }, `formatted as an IP address`},
		{"bucket dots", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "acme..backups" }, `two adjacent periods`},
		{"bucket reserved suffix", VeleroIRSAArgs{}, func(in *inputs) { in.bucket = "acme-backups-s3alias" }, `ends with "-s3alias"`},
		{"cluster name", VeleroIRSAArgs{}, func(in *inputs) { in.cluster = "prod cluster" }, `clusterName "prod cluster" is not an EKS cluster name`},
		{"region az", VeleroIRSAArgs{}, func(in *inputs) { in.region = "us-east-1a" }, `region "us-east-1a" is not an AWS region code`},
		{"region partition", VeleroIRSAArgs{}, func(in *inputs) { in.region = "cn-north-1" }, `region "cn-north-1" is in partition "aws-cn" but oidcProviderArn`},
		{"issuer http", VeleroIRSAArgs{}, func(in *inputs) { in.issuerURL = "http://oidc.eks.us-east-1.amazonaws.com/id/X" }, `oidcIssuerUrl "http://oidc.eks.us-east-1.amazonaws.com/id/X" is not an https issuer URL`},
		{"issuer no path", VeleroIRSAArgs{}, func(in *inputs) { in.issuerURL = "https://oidc.eks.us-east-1.amazonaws.com/" }, `has no path after the host`},
		{"issuer mismatch", VeleroIRSAArgs{}, func(in *inputs) { in.issuerURL = "https://oidc.eks.us-east-1.amazonaws.com/id/OTHER" }, `oidcIssuerUrl "https://oidc.eks.us-east-1.amazonaws.com/id/OTHER" does not match oidcProviderArn`},
		{"provider arn is role", VeleroIRSAArgs{}, func(in *inputs) { in.providerARN = "arn:aws:iam::123456789012:role/eks" }, `oidcProviderArn "arn:aws:iam::123456789012:role/eks" is not an IAM oidc-provider ARN`},
		{"provider not arn", VeleroIRSAArgs{}, func(in *inputs) { in.providerARN = testIssuer }, `is not an ARN`},
		{"provider partition", VeleroIRSAArgs{}, func(in *inputs) {
			in.providerARN = "arn:aws-iso:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
		}, `has partition "aws-iso"; supported partitions are aws, aws-cn and aws-us-gov`},
		{"provider account", VeleroIRSAArgs{}, func(in *inputs) {
			in.providerARN = "arn:aws:iam::12345:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
		}, `has account "12345"; an AWS account ID is 12 digits`},
		{"kms alias", VeleroIRSAArgs{}, func(in *inputs) { in.bucketKey = "alias/velero" }, `bucketKmsKeyArn "alias/velero" is not a KMS key ARN`},
		{"kms other region", VeleroIRSAArgs{}, func(in *inputs) {
			in.bucketKey = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, `is in region "eu-west-1", but the backups are in "us-east-1"`},
		{"ebs key without snapshots", VeleroIRSAArgs{SnapshotsEnabled: boolPtr(false)}, func(in *inputs) { in.ebsKey = testEBSKey }, `ebsKmsKeyArn "` + testEBSKey + `" is set but snapshotsEnabled is false`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSettings(&tc.args)
			if err != nil {
				t.Fatalf("newSettings: %v", err)
			}
			in := defaultInputs()
			tc.in(&in)
			_, err = resolve(s, in)
			if err == nil {
				t.Fatalf("resolve accepted %+v; want error containing %q", in, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestNormalizeIssuer(t *testing.T) {
	want := "oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
	for _, in := range []string{
		"https://oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID,
		"https://oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID + "/",
		"oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID,
		"https://OIDC.EKS.us-east-1.amazonaws.com/id/" + testOIDCID,
	} {
		got, err := normalizeIssuer(in)
		if err != nil || got != want {
			t.Errorf("normalizeIssuer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestDefaultRoleNamePrefix(t *testing.T) {
	cases := map[string]string{
		"prod-use1":                        "prod-use1-velero-",
		strings.Repeat("c", 100):           strings.Repeat("c", 30) + "-velero-",
		strings.Repeat("c", 29) + "-tail":  strings.Repeat("c", 29) + "-velero-",
		"platform-eu-central-1-production": "platform-eu-central-1-production-velero-"[:30] + "-velero-",
	}
	for cluster, want := range cases {
		got := defaultRoleNamePrefix(cluster)
		if got != want {
			t.Errorf("defaultRoleNamePrefix(%q) = %q, want %q", cluster, got, want)
		}
		if len(got) > maxRoleNamePrefix || !roleNamePattern.MatchString(got) {
			t.Errorf("defaultRoleNamePrefix(%q) = %q is not a valid role name prefix", cluster, got)
		}
	}
}

func TestPermissionPolicyLimits(t *testing.T) {
	base := PolicyInput{Partition: "aws", Account: testAccount, Region: testRegion, Bucket: testBucket, Snapshots: true}

	big := base
	big.Prefix = strings.Repeat("p", 10240)
	if _, err := PermissionPolicy(big); err == nil || !strings.Contains(err.Error(), "over IAM's 10240-character limit for inline role policies") {
		t.Errorf("oversized policy: err = %v, want the inline policy size error", err)
	}

	noBucket := base
	noBucket.Bucket = ""
	if _, err := PermissionPolicy(noBucket); err == nil || !strings.Contains(err.Error(), "partition, account, region and bucket are all required") {
		t.Errorf("empty bucket: err = %v, want a required-field error, never a policy on *", err)
	}

	doc, err := PermissionPolicy(base)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := doc.Size()
	if size > 2000 {
		t.Errorf("default policy is %d characters; expected well under IAM's limit", size)
	}
}

// TestNodeAgentWarning pins the warning every preview and up with the node
// agent prints about the credentials Kopia uploads with.
func TestNodeAgentWarning(t *testing.T) {
	for _, c := range []struct {
		name string
		args VeleroIRSAArgs
		want string
	}{
		{"no node agent", VeleroIRSAArgs{}, ""},
		{"irsa", VeleroIRSAArgs{DeployNodeAgent: true}, "they last one hour with IRSA (the AWS SDK asks STS for its default session; roleMaxSessionDurationSeconds does not lengthen it), and an operation that runs longer fails with \"The provided token has expired\" (velero #8173, #8454, #9949;"},
		{"pod identity", VeleroIRSAArgs{DeployNodeAgent: true, IdentityMode: IdentityModePodIdentity}, "they last as long as the EKS Pod Identity Agent's credentials last, and"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := newSettings(&c.args)
			if err != nil {
				t.Fatal(err)
			}
			got := nodeAgentWarning(s)
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("nodeAgentWarning = %q, want it to contain %q", got, c.want)
			}
			if got != "" && !strings.HasSuffix(got, "docs/configuration.md#file-system-backups-longer-than-the-credentials") {
				t.Errorf("the warning does not end with the docs link: %q", got)
			}
		})
	}
}
