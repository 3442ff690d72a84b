package components

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// TestComponentBackupLocations checks that every location is registered by
// the component (and none by the chart) with the exact object, the wait
// annotations, the cluster's provider, and a dependency on the release; and
// that the verification backup waits for all of them.
func TestComponentBackupLocations(t *testing.T) {
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		k8sProvider, err := kubernetes.NewProvider(ctx, "k8s-prod", &kubernetes.ProviderArgs{Context: pulumi.String("prod")})
		if err != nil {
			return err
		}
		args := testArgs()
		args.BackupPrefix = "clusters/prod-use1"
		args.AdditionalBackupLocations = map[string]BackupLocation{
			"dr-usw2":         {Bucket: "acme-velero-backups-usw2", Region: "us-west-2", Prefix: "clusters/prod-use1", AccessMode: "ReadWrite", KmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"},
			"old-cluster.src": {Bucket: "acme-velero-backups-legacy", Prefix: "clusters/legacy"},
		}
		args.Schedules = map[string]Schedule{"dr-copy": {Schedule: "0 4 * * *", StorageLocation: "dr-usw2"}}
		args.VerifyBackup = true
		args.BackupLocationTimeoutSeconds = 600
		args.Namespace = "backup"
		_, err = NewVeleroIRSA(ctx, "velero", args, pulumi.Providers(k8sProvider))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	componentURN := pulumimock.URN(testProject, testStack, "", VeleroIRSAType, "velero")
	k8sURN := pulumimock.URN(testProject, testStack, "", "pulumi:providers:kubernetes", "k8s-prod")
	releaseURN := pulumimock.URN(testProject, testStack, VeleroIRSAType, helmReleaseType, "velero-release")

	// The release renders no location: the component owns them all.
	release := rec.MustFind(t, helmReleaseType, "velero-release")
	values := release.Inputs["values"].Mappable().(map[string]interface{})
	if values["backupsEnabled"] != false || len(values["configuration"].(map[string]interface{})["backupStorageLocation"].([]interface{})) != 0 {
		t.Errorf("chart values still render locations: backupsEnabled=%v configuration=%v", values["backupsEnabled"], values["configuration"])
	}

	// The same objects as the reviewed golden file of the documents test,
	// with this test's namespace and timeout, and labelled with the hash of
	// the role ARN and the documents registered here.
	roleARN := values["serviceAccount"].(map[string]interface{})["server"].(map[string]interface{})["annotations"].(map[string]interface{})[roleARNAnnotation]
	identity, err := wiringHash(roleARN,
		rec.MustFind(t, "aws:iam/role:Role", "velero-role").Inputs["assumeRolePolicy"].StringValue(),
		rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy").Inputs["policy"].StringValue())
	if err != nil {
		t.Fatal(err)
	}
	var want []veleroObject
	readGoldenJSON(t, filepath.Join("testdata", "documents", "additional-locations", "locations.json"), &want)
	var locationURNs []string
	for i, name := range []string{"default", "dr-usw2", "old-cluster.src"} {
		bsl := rec.MustFind(t, backupStorageLocationType, "velero-location-"+name)
		w := want[i]
		w.Metadata["namespace"] = "backup"
		w.Metadata["annotations"].(map[string]interface{})[timeoutAnnotation] = "600"
		w.Metadata["labels"].(map[string]interface{})[wiringLabel] = identity
		pulumimock.AssertInputs(t, bsl, map[string]interface{}{
			"apiVersion": "velero.io/v1",
			"kind":       "BackupStorageLocation",
			"metadata":   w.Metadata,
			"spec":       w.Spec,
		})
		if bsl.Parent != componentURN || !strings.HasPrefix(bsl.Provider, k8sURN+"::") {
			t.Errorf("%s: parent %q provider %q; want the component and the cluster's provider", bsl.Name, bsl.Parent, bsl.Provider)
		}
		if !contains(bsl.DependsOn, releaseURN) {
			t.Errorf("%s depends on %v; want the release, which brings the CRDs and the server", bsl.Name, bsl.DependsOn)
		}
		if !bsl.DeleteBeforeReplace || !reflect.DeepEqual(bsl.ReplaceOnChanges, []string{"spec", "metadata.labels"}) {
			t.Errorf("%s: deleteBeforeReplace %v replaceOnChanges %v; want a fresh object (and a fresh verdict) on every spec or wiring change", bsl.Name, bsl.DeleteBeforeReplace, bsl.ReplaceOnChanges)
		}
		if bsl.Version != kubernetesPackageVersion {
			t.Errorf("%s requests provider version %q, want %q", bsl.Name, bsl.Version, kubernetesPackageVersion)
		}
		locationURNs = append(locationURNs, pulumimock.URN(testProject, testStack, VeleroIRSAType, backupStorageLocationType, bsl.Name))
	}

	backup := rec.MustFind(t, backupType, "velero-verify")
	metadata := backup.Inputs["metadata"].Mappable().(map[string]interface{})
	if name, named := metadata["name"]; named {
		t.Errorf("verification backup has the fixed name %v; pulumi-kubernetes must name it (a fixed name is taken again after destroy and up)", name)
	}
	labels, _ := metadata["labels"].(map[string]interface{})
	if hash, _ := labels[wiringLabel].(string); len(hash) != 12 || len(labels) != 2 {
		t.Errorf("verification backup labels = %v, want app.kubernetes.io/managed-by and %s: <12 hex digits>", labels, wiringLabel)
	}
	if !reflect.DeepEqual(backup.ReplaceOnChanges, []string{"*"}) || backup.DeleteBeforeReplace {
		t.Errorf("verification backup replaceOnChanges %v deleteBeforeReplace %v; want a new backup (created before the old one is released) on any change and after a failed one", backup.ReplaceOnChanges, backup.DeleteBeforeReplace)
	}
	pulumimock.AssertInputs(t, backup, map[string]interface{}{
		"kind": "Backup",
		"spec": map[string]interface{}{
			"includedNamespaces":       []interface{}{"backup"},
			"includeClusterResources":  false,
			"storageLocation":          "default",
			"snapshotVolumes":          false,
			"defaultVolumesToFsBackup": false,
			"snapshotMoveData":         false,
			"ttl":                      "24h0m0s",
		},
	})
	if got := metadata["annotations"]; !reflect.DeepEqual(got, map[string]interface{}{waitForAnnotation: backupCompleted, timeoutAnnotation: "600"}) {
		t.Errorf("verification backup annotations = %v", got)
	}
	for _, urn := range locationURNs {
		if !contains(backup.DependsOn, urn) {
			t.Errorf("verification backup depends on %v; want every location, %s included", backup.DependsOn, urn)
		}
	}
	if !backup.RetainOnDelete {
		t.Errorf("verification backup is deleted by Pulumi; Velero's TTL must expire it (a deleted Backup object is re-synced from the bucket)")
	}
}

// TestVerificationBackupWiring checks that the wiring label follows the
// role, its documents, every location and what runs Velero (chart, server
// image, plugin), and not the rest of the values, such as schedules.
func TestVerificationBackupWiring(t *testing.T) {
	s, err := newSettings(&VeleroIRSAArgs{VerifyBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := resolve(s, defaultInputs())
	if err != nil {
		t.Fatal(err)
	}
	name := func(r resolved, role string) string {
		wiring, err := verificationWiring(r, role, s)
		if err != nil {
			t.Fatal(err)
		}
		return verificationBackup(r, wiring, s).Metadata["labels"].(map[string]interface{})[wiringLabel].(string)
	}
	base := name(r, testRoleARN)
	if again := name(r, testRoleARN); again != base {
		t.Errorf("same wiring, different hashes: %s and %s", base, again)
	}
	changes := map[string]func(resolved) (resolved, string){
		"role":   func(r resolved) (resolved, string) { return r, testRoleARN + "-2" },
		"trust":  func(r resolved) (resolved, string) { r.trustPolicy += " "; return r, testRoleARN },
		"policy": func(r resolved) (resolved, string) { r.permissionPolicy += " "; return r, testRoleARN },
		"location": func(r resolved) (resolved, string) {
			r.locations = []storageLocation{{Name: "default", Bucket: "other-bucket"}}
			return r, testRoleARN
		},
		"additional location": func(r resolved) (resolved, string) {
			r.locations = append(slices.Clone(r.locations), storageLocation{Name: "archive", Bucket: "archive-bucket", Region: "us-east-1", AccessMode: "ReadOnly"})
			return r, testRoleARN
		},
		"server image": func(r resolved) (resolved, string) { r.values.VeleroImageTag = "v1.18.2"; return r, testRoleARN },
		"plugin image": func(r resolved) (resolved, string) {
			r.values.PluginImage = "velero/velero-plugin-for-aws:v1.14.2"
			return r, testRoleARN
		},
		"image mirror": func(r resolved) (resolved, string) {
			r.values.Overrides = map[string]interface{}{"image": map[string]interface{}{"repository": "mirror.example.com/velero/velero"}}
			return r, testRoleARN
		},
	}
	for what, change := range changes {
		if got := name(change(r)); got == base {
			t.Errorf("changing the %s keeps the wiring hash %s; a new verification must run", what, got)
		}
	}
	r2 := r
	r2.values.Schedules = map[string]Schedule{"hourly": {Schedule: "0 * * * *"}}
	if got := name(r2, testRoleARN); got != base {
		t.Errorf("adding a schedule changes the wiring hash (%s, was %s): a schedule is no part of the backup path", got, base)
	}
	chart := s
	chart.chartVersion = "12.0.0"
	if got, err := verificationWiring(r, testRoleARN, chart); err != nil || got == base {
		t.Errorf("another chart version keeps the wiring hash %s (%v); a new verification must run", got, err)
	}
	// Turning the restore drill on takes a new backup: the one before
	// holds no canary for the drill to restore.
	s.verifyRestore = true
	if got := name(r, testRoleARN); got == base {
		t.Errorf("turning verifyRestore on keeps the wiring hash %s; the drill would restore a backup without its canary", got)
	}
}

// TestVerificationName refuses, with verifyBackup, a component name that
// would give the verification backup an invalid Kubernetes name.
func TestVerificationName(t *testing.T) {
	s, err := newSettings(&VeleroIRSAArgs{VerifyBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `the component's name "Velero_Prod" cannot name the verification backup ("Velero_Prod-verify-0a1b2c3d" would not be a valid Kubernetes name)`
	if err := checkVerificationName("Velero_Prod", s); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("checkVerificationName = %v, want %q", err, want)
	}
	if err := checkVerificationName("velero-prod", s); err != nil {
		t.Errorf("checkVerificationName refused a valid name: %v", err)
	}
	s.verifyBackup = false
	if err := checkVerificationName("Velero_Prod", s); err != nil {
		t.Errorf("checkVerificationName refused a name without verifyBackup: %v", err)
	}
}

// TestLocationIdentity checks that a location's wiring label follows the
// role and its documents, and not the location itself (its spec is the
// other replacement trigger).
func TestLocationIdentity(t *testing.T) {
	s, err := newSettings(&VeleroIRSAArgs{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := resolve(s, defaultInputs())
	if err != nil {
		t.Fatal(err)
	}
	label := func(r resolved, role string) string {
		identity, err := identityHash(r, role)
		if err != nil {
			t.Fatal(err)
		}
		return r.locations[0].object(s.namespace, s.locationTimeout, identity, locationAvailable).Metadata["labels"].(map[string]interface{})[wiringLabel].(string)
	}
	base := label(r, testRoleARN)
	for what, change := range map[string]func(resolved) (resolved, string){
		"role":   func(r resolved) (resolved, string) { return r, testRoleARN + "-2" },
		"trust":  func(r resolved) (resolved, string) { r.trustPolicy += " "; return r, testRoleARN },
		"policy": func(r resolved) (resolved, string) { r.permissionPolicy += " "; return r, testRoleARN },
	} {
		if got := label(change(r)); got == base {
			t.Errorf("changing the %s keeps the location's wiring label %s; Velero must validate the location again", what, got)
		}
	}
	moved := r
	moved.locations = []storageLocation{{Name: "default", Bucket: "other-bucket"}}
	if got := label(moved, testRoleARN); got != base {
		t.Errorf("changing the location's bucket changed its wiring label (%s to %s); the spec alone already replaces it", base, got)
	}
}

func TestVerificationSettings(t *testing.T) {
	for _, tc := range []struct {
		args VeleroIRSAArgs
		want string
	}{
		{VeleroIRSAArgs{VerifyBackup: true, BackupAccessMode: "ReadOnly"}, "verifyBackup is true but backupAccessMode is ReadOnly"},
		{VeleroIRSAArgs{BackupLocationTimeoutSeconds: 30}, "backupLocationTimeoutSeconds 30 is out of range: use 60–3600 (default 300)"},
		{VeleroIRSAArgs{ValuesOverrides: map[string]interface{}{"backupsEnabled": true}}, "valuesOverrides.backupsEnabled: the component registers the backup locations itself"},
	} {
		if _, err := newSettings(&tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("newSettings(%+v) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func readGoldenJSON(t *testing.T, path string, v interface{}) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(fmt.Errorf("reading %s: %w", path, err))
	}
}
