package components

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const (
	testProject = "velero-irsa"
	testStack   = "test"
)

func testArgs() *VeleroIRSAArgs {
	return &VeleroIRSAArgs{
		ClusterName:     pulumi.String(testCluster),
		OidcProviderArn: pulumi.String(testProvider),
		OidcIssuerUrl:   pulumi.String(testIssuer),
		BucketName:      pulumi.String(testBucket),
		Region:          pulumi.String(testRegion),
	}
}

func runMocks(t *testing.T, program pulumi.RunFunc) (*pulumimock.Recorder, error) {
	t.Helper()
	rec := &pulumimock.Recorder{}
	err := pulumi.RunErr(program, pulumi.WithMocks(testProject, testStack, rec))
	return rec, err
}

// TestComponentWiring runs the component under mocks with explicit providers
// and checks the exact documents, values and options each child receives.
func TestComponentWiring(t *testing.T) {
	var outputs map[string]string
	var wg sync.WaitGroup
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		awsProvider, err := aws.NewProvider(ctx, "aws-use1", &aws.ProviderArgs{Region: pulumi.String(testRegion)})
		if err != nil {
			return err
		}
		k8sProvider, err := kubernetes.NewProvider(ctx, "k8s-prod", &kubernetes.ProviderArgs{Context: pulumi.String("prod")})
		if err != nil {
			return err
		}
		c, err := NewVeleroIRSA(ctx, "velero", testArgs(), pulumi.Providers(awsProvider, k8sProvider))
		if err != nil {
			return err
		}
		wg.Add(1)
		pulumi.All(c.RoleArn, c.RoleName, c.Namespace, c.ServiceAccountName, c.BucketName, c.ReleaseName, c.ReleaseStatus).
			ApplyT(func(v []interface{}) error {
				defer wg.Done()
				outputs = map[string]string{}
				for i, k := range []string{"roleArn", "roleName", "namespace", "serviceAccountName", "bucketName", "releaseName", "releaseStatus"} {
					outputs[k] = v[i].(string)
				}
				return nil
			})
		return nil
	})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	wg.Wait()

	componentURN := pulumimock.URN(testProject, testStack, "", VeleroIRSAType, "velero")
	role := rec.MustFind(t, "aws:iam/role:Role", "velero-role")
	policy := rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy")
	release := rec.MustFind(t, helmReleaseType, "velero-release")

	t.Run("documents", func(t *testing.T) {
		golden := filepath.Join("testdata", "documents", "default")
		assertJSONEqualsGolden(t, role.Inputs["assumeRolePolicy"].StringValue(), filepath.Join(golden, "trust.json"))
		assertJSONEqualsGolden(t, policy.Inputs["policy"].StringValue(), filepath.Join(golden, "policy.json"))
		values, err := json.Marshal(release.Inputs["values"].Mappable())
		if err != nil {
			t.Fatal(err)
		}
		assertJSONEqualsGolden(t, string(values), filepath.Join(golden, "values.json"))
	})

	t.Run("role", func(t *testing.T) {
		pulumimock.AssertInputs(t, role, map[string]interface{}{
			"namePrefix":         "prod-use1-velero-",
			"path":               "/",
			"maxSessionDuration": 3600.0,
			"description":        "Velero backups of EKS cluster prod-use1 (IRSA for velero/velero-server)",
		})
		if _, ok := role.Inputs["name"]; ok {
			t.Errorf("role has a fixed name %v; the default is a unique name from namePrefix", role.Inputs["name"])
		}
	})

	t.Run("policy", func(t *testing.T) {
		pulumimock.AssertInputs(t, policy, map[string]interface{}{
			"name": "velero",
			"role": "prod-use1-velero-20261126000000000000000001",
		})
	})

	t.Run("release", func(t *testing.T) {
		pulumimock.AssertInputs(t, release, map[string]interface{}{
			"chart":           "velero",
			"version":         DefaultChartVersion,
			"repositoryOpts":  map[string]interface{}{"repo": DefaultChartRepository},
			"name":            "velero",
			"namespace":       "velero",
			"createNamespace": true,
			"cleanupOnFail":   true,
			"timeout":         900.0,
			"maxHistory":      10.0,
			"compat":          "true",
		})
		if release.Version != kubernetesPackageVersion {
			t.Errorf("release requests provider version %q, want %q", release.Version, kubernetesPackageVersion)
		}
		policyURN := pulumimock.URN(testProject, testStack, VeleroIRSAType, "aws:iam/rolePolicy:RolePolicy", "velero-policy")
		if !contains(release.DependsOn, policyURN) {
			t.Errorf("release depends on %v; want it to wait for the role policy %s", release.DependsOn, policyURN)
		}
	})

	t.Run("parents and providers", func(t *testing.T) {
		awsURN := pulumimock.URN(testProject, testStack, "", "pulumi:providers:aws", "aws-use1")
		k8sURN := pulumimock.URN(testProject, testStack, "", "pulumi:providers:kubernetes", "k8s-prod")
		for _, r := range []struct {
			res      pulumimock.Resource
			provider string
		}{{role, awsURN}, {policy, awsURN}, {release, k8sURN}} {
			if r.res.Parent != componentURN {
				t.Errorf("%s parent = %q, want the component %q", r.res.Name, r.res.Parent, componentURN)
			}
			if !strings.HasPrefix(r.res.Provider, r.provider+"::") {
				t.Errorf("%s provider = %q, want the explicit provider %s", r.res.Name, r.res.Provider, r.provider)
			}
		}
	})

	t.Run("outputs", func(t *testing.T) {
		want := map[string]string{
			"roleArn":            testRoleARN,
			"roleName":           "prod-use1-velero-20261126000000000000000001",
			"namespace":          "velero",
			"serviceAccountName": "velero-server",
			"bucketName":         testBucket,
			"releaseName":        "velero",
			"releaseStatus":      "deployed",
		}
		for k, v := range want {
			if outputs[k] != v {
				t.Errorf("output %s = %q, want %q", k, outputs[k], v)
			}
		}
	})
}

// TestComponentOptions checks that role options reach the role.
func TestComponentOptions(t *testing.T) {
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		args := testArgs()
		args.RoleName = "velero-prod-use1"
		args.RolePath = "/platform/"
		args.RolePermissionsBoundaryArn = "arn:aws:iam::123456789012:policy/platform-boundary"
		args.RoleMaxSessionDurationSeconds = 7200
		args.RoleDescription = "Velero"
		args.Tags = map[string]string{"team": "platform"}
		args.Namespace = "backup"
		args.ServiceAccountName = "velero"
		args.ReleaseName = "backup"
		_, err := NewVeleroIRSA(ctx, "velero", args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	role := rec.MustFind(t, "aws:iam/role:Role", "velero-role")
	pulumimock.AssertInputs(t, role, map[string]interface{}{
		"name":                "velero-prod-use1",
		"path":                "/platform/",
		"permissionsBoundary": "arn:aws:iam::123456789012:policy/platform-boundary",
		"maxSessionDuration":  7200.0,
		"description":         "Velero",
		"tags":                map[string]interface{}{"team": "platform"},
	})
	if !strings.Contains(role.Inputs["assumeRolePolicy"].StringValue(), `"system:serviceaccount:backup:velero"`) {
		t.Errorf("trust policy does not trust backup/velero: %s", role.Inputs["assumeRolePolicy"].StringValue())
	}
	release := rec.MustFind(t, helmReleaseType, "velero-release")
	values := release.Inputs["values"].Mappable().(map[string]interface{})
	sa := values["serviceAccount"].(map[string]interface{})["server"].(map[string]interface{})
	if sa["name"] != "velero" || sa["annotations"].(map[string]interface{})[roleARNAnnotation] != "arn:aws:iam::123456789012:role/platform/velero-prod-use1" {
		t.Errorf("service account values = %v", sa)
	}
	pulumimock.AssertInputs(t, release, map[string]interface{}{"name": "backup", "namespace": "backup"})
}

// TestComponentPodIdentity checks pod identity mode: the association, the
// trust policy, no OIDC inputs, and no role annotation.
func TestComponentPodIdentity(t *testing.T) {
	rec := &pulumimock.Recorder{OnInvoke: func(token string, _ resource.PropertyMap) (resource.PropertyMap, error) {
		if token != "aws:index/getCallerIdentity:getCallerIdentity" {
			return nil, fmt.Errorf("unexpected invoke %s", token)
		}
		return resource.PropertyMap{"accountId": resource.NewStringProperty(testAccount)}, nil
	}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewVeleroIRSA(ctx, "velero", &VeleroIRSAArgs{
			IdentityMode: IdentityModePodIdentity,
			ClusterName:  pulumi.String(testCluster),
			BucketName:   pulumi.String(testBucket),
			Region:       pulumi.String(testRegion),
		})
		return err
	}, pulumi.WithMocks(testProject, testStack, rec))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "documents", "pod-identity")
	role := rec.MustFind(t, "aws:iam/role:Role", "velero-role")
	assertJSONEqualsGolden(t, role.Inputs["assumeRolePolicy"].StringValue(), filepath.Join(golden, "trust.json"))
	policy := rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy")
	assertJSONEqualsGolden(t, policy.Inputs["policy"].StringValue(), filepath.Join(golden, "policy.json"))
	association := rec.MustFind(t, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "velero-pod-identity")
	pulumimock.AssertInputs(t, association, map[string]interface{}{
		"clusterName":    testCluster,
		"namespace":      "velero",
		"serviceAccount": "velero-server",
		"roleArn":        "arn:aws:iam::123456789012:role/prod-use1-velero-20261126000000000000000001",
	})
	release := rec.MustFind(t, helmReleaseType, "velero-release")
	associationURN := pulumimock.URN(testProject, testStack, VeleroIRSAType, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "velero-pod-identity")
	if !contains(release.DependsOn, associationURN) {
		t.Errorf("release depends on %v; want the pod identity association too", release.DependsOn)
	}
	values, _ := json.Marshal(release.Inputs["values"].Mappable())
	assertJSONEqualsGolden(t, string(values), filepath.Join(golden, "values.json"))
	location := rec.MustFind(t, backupStorageLocationType, "velero-location-default")
	assertJSONEqualsGolden(t, mustJSONString(t, []interface{}{map[string]interface{}{
		"metadata": location.Inputs["metadata"].Mappable(),
		"spec":     location.Inputs["spec"].Mappable(),
	}}), filepath.Join(golden, "locations.json"))
	invokes := rec.Invokes()
	if len(invokes) != 1 {
		t.Errorf("invokes = %v, want one sts:GetCallerIdentity", invokes)
	}
}

// TestComponentManagedBucket checks the hardened bucket: every setting, and
// that all of it is kept when the stack is destroyed.
func TestComponentManagedBucket(t *testing.T) {
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		args := testArgs()
		args.BucketKmsKeyArn = pulumi.String(testBucketKey)
		args.CreateBucket = &ManagedBucket{ObjectLockRetentionDays: 14}
		_, err := NewVeleroIRSA(ctx, "velero", args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]interface{}{
		"aws:s3/bucketV2:BucketV2": {"bucket": testBucket, "forceDestroy": false, "objectLockEnabled": true},
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
			"bucket": testBucket, "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
		},
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"rule": map[string]interface{}{"objectOwnership": "BucketOwnerEnforced"}},
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"rules": []interface{}{map[string]interface{}{
			"applyServerSideEncryptionByDefault": map[string]interface{}{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": testBucketKey},
			"bucketKeyEnabled":                   true,
		}}},
		"aws:s3/bucketVersioningV2:BucketVersioningV2": {"versioningConfiguration": map[string]interface{}{"status": "Enabled"}},
		"aws:s3/bucketPolicy:BucketPolicy":             {"policy": `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::acme-velero-backups","arn:aws:s3:::acme-velero-backups/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {"rules": []interface{}{map[string]interface{}{
			"id": "velero-noncurrent-versions-and-incomplete-uploads", "status": "Enabled", "filter": map[string]interface{}{},
			"noncurrentVersionExpiration":    map[string]interface{}{"noncurrentDays": 30.0},
			"abortIncompleteMultipartUpload": map[string]interface{}{"daysAfterInitiation": 7.0},
		}}},
		"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": {"rule": map[string]interface{}{"defaultRetention": map[string]interface{}{"mode": "GOVERNANCE", "days": 14.0}}},
	}
	release := rec.MustFind(t, helmReleaseType, "velero-release")
	for _, r := range rec.Resources() {
		inputs, ok := want[r.Type]
		if !ok {
			continue
		}
		delete(want, r.Type)
		pulumimock.AssertInputs(t, r, inputs)
		if !r.RetainOnDelete {
			t.Errorf("%s %s is not retained on delete; destroying the stack would remove it", r.Type, r.Name)
		}
		urn := pulumimock.URN(testProject, testStack, VeleroIRSAType, r.Type, r.Name)
		if !contains(release.DependsOn, urn) {
			t.Errorf("the release does not wait for %s", r.Name)
		}
	}
	for typ := range want {
		t.Errorf("no %s registered", typ)
	}

	// Without a key the bucket uses SSE-S3 and names no key.
	rec, err = runMocks(t, func(ctx *pulumi.Context) error {
		args := testArgs()
		args.CreateBucket = &ManagedBucket{}
		_, err := NewVeleroIRSA(ctx, "velero", args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pulumimock.AssertInputs(t, rec.MustFind(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "velero-bucket-encryption"),
		map[string]interface{}{"rules": []interface{}{map[string]interface{}{
			"applyServerSideEncryptionByDefault": map[string]interface{}{"sseAlgorithm": "AES256"},
			"bucketKeyEnabled":                   true,
		}}})
	if _, ok := rec.Find("aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "velero-bucket-object-lock"); ok {
		t.Errorf("object lock configured without objectLockRetentionDays")
	}
}

// TestComponentRejects checks that bad input fails the program and registers
// no AWS or Kubernetes resource.
func TestComponentRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*VeleroIRSAArgs) *VeleroIRSAArgs
		want   string
	}{
		{"nil args", func(*VeleroIRSAArgs) *VeleroIRSAArgs { return nil }, `VeleroIRSA "velero": args are nil`},
		{"missing inputs", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.BucketName, a.Region = nil, nil; return a }, `VeleroIRSA "velero": BucketName, Region not set`},
		{"plain field", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.Namespace = "Velero"; return a }, `namespace "Velero" is not a valid Kubernetes name`},
		{"bucket url", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.BucketName = pulumi.String("s3://acme-velero-backups")
			return a
		}, `bucketName "s3://acme-velero-backups" is an S3 URL`},
		{"issuer mismatch", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.OidcIssuerUrl = pulumi.String("https://oidc.eks.us-east-1.amazonaws.com/id/OTHER")
			return a
		}, `does not match oidcProviderArn`},
		{"bucket key alias", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.BucketKmsKeyArn = pulumi.String("alias/backups"); return a }, `bucketKmsKeyArn "alias/backups" is not a KMS key ARN`},
		{"oidc in pod identity mode", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.IdentityMode = IdentityModePodIdentity; return a }, `identityMode "podIdentity" takes no OIDC provider: drop OidcProviderArn and OidcIssuerUrl`},
		{"unknown identity mode", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.IdentityMode = "IRSA"; return a }, `identityMode "IRSA" is not an identity mode: use "irsa"`},
		{"missing oidc in irsa mode", func(a *VeleroIRSAArgs) *VeleroIRSAArgs { a.OidcIssuerUrl = nil; return a }, `VeleroIRSA "velero": OidcIssuerUrl not set`},
		{"location in another partition", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.AdditionalBackupLocations = map[string]BackupLocation{"cn": {Bucket: "acme-cn", Region: "cn-north-1"}}
			return a
		}, `additionalBackupLocations.cn.region "cn-north-1" is in partition "aws-cn", the cluster in "aws"`},
		{"location key in other region", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.AdditionalBackupLocations = map[string]BackupLocation{"dr": {Bucket: "acme-dr", Region: "us-west-2", KmsKeyArn: testBucketKey}}
			return a
		}, `additionalBackupLocations.dr.kmsKeyArn "` + testBucketKey + `" is in region "us-east-1", but the backups are in "us-west-2"`},
		{"bucket lifecycle days", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.CreateBucket = &ManagedBucket{NoncurrentVersionExpirationDays: -1}
			return a
		}, `createBucket.noncurrentVersionExpirationDays -1 is out of range`},
		{"plugin mismatch", func(a *VeleroIRSAArgs) *VeleroIRSAArgs {
			a.PluginImage = "velero/velero-plugin-for-aws:v1.12.0"
			return a
		}, `does not match Velero 1.18`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := runMocks(t, func(ctx *pulumi.Context) error {
				_, err := NewVeleroIRSA(ctx, "velero", tc.mutate(testArgs()))
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			for _, r := range rec.Resources() {
				if r.Custom {
					t.Errorf("registered %s %s despite invalid input", r.Type, r.Name)
				}
			}
		})
	}
}

// assertJSONEqualsGolden compares a JSON document with a golden file,
// ignoring formatting.
func assertJSONEqualsGolden(t *testing.T, got, path string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g, w bytes.Buffer
	if err := json.Compact(&g, []byte(got)); err != nil {
		t.Fatalf("input is not JSON: %v\n%s", err, got)
	}
	if err := json.Compact(&w, want); err != nil {
		t.Fatal(err)
	}
	// encoding/json escapes '&' in the values; compare the decoded forms.
	var gv, wv interface{}
	_ = json.Unmarshal(g.Bytes(), &gv)
	_ = json.Unmarshal(w.Bytes(), &wv)
	gb, _ := json.Marshal(gv)
	wb, _ := json.Marshal(wv)
	if !bytes.Equal(gb, wb) {
		t.Errorf("document differs from %s:\ngot  %s\nwant %s", path, gb, wb)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func mustJSONString(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAdoptRelease: an up imports the release by <namespace>/<name> (and
// upgrades it in the same deployment); a preview registers it without the
// import, so it never reads the release's old values.
func TestAdoptRelease(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		rec := &pulumimock.Recorder{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			args := testArgs()
			args.AdoptRelease, args.ReleaseName, args.Namespace = true, "velero-prod", "backup"
			_, err := NewVeleroIRSA(ctx, "velero", args)
			return err
		}, pulumi.WithMocks(testProject, testStack, rec), func(info *pulumi.RunInfo) { info.DryRun = dryRun })
		if err != nil {
			t.Fatal(err)
		}
		release := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release")
		want := map[bool]string{false: "backup/velero-prod", true: ""}[dryRun]
		if release.ImportID != want {
			t.Errorf("dry run %t: release import ID %q, want %q", dryRun, release.ImportID, want)
		}
		for _, r := range rec.Resources() {
			if r.ImportID != "" && r.Name != "velero-release" {
				t.Errorf("%s %s is imported too", r.Type, r.Name)
			}
		}
	}
}
