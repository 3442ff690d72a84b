package components

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// TestComponentRestoreDrill checks, under mocks, that with verifyBackup and
// verifyRestore the canary is registered before the verification backup,
// and the backup and the scratch namespace before the Restore, with the exact objects of
// the reviewed golden file, the waits, and the dependencies that make the
// backup capture the canary and the Restore wait for the backup.
func TestComponentRestoreDrill(t *testing.T) {
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		args := testArgs()
		args.VerifyBackup, args.VerifyRestore = true, true
		_, err := NewVeleroIRSA(ctx, "velero", args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Canary    struct{ Metadata, Data map[string]interface{} }
		Namespace struct{ Metadata map[string]interface{} }
		Restore   veleroObject
	}
	readGoldenJSON(t, filepath.Join("testdata", "documents", "verify-restore", "restore-drill.json"), &golden)

	order := map[string]int{}
	for i, r := range rec.Resources() {
		order[r.Type+" "+r.Name] = i
	}
	canary := rec.MustFind(t, configMapType, "velero-drill-canary")
	namespace := rec.MustFind(t, namespaceType, "velero-drill-namespace")
	backup := rec.MustFind(t, backupType, "velero-verify")
	restore := rec.MustFind(t, restoreType, "velero-drill")
	// The mocks see a registration once its inputs and dependencies are
	// resolved, so the order they record is the order the engine creates
	// in wherever one resource depends on another.
	for _, pair := range [][2]string{
		{configMapType + " velero-drill-canary", backupType + " velero-verify"},
		{backupType + " velero-verify", restoreType + " velero-drill"},
		{namespaceType + " velero-drill-namespace", restoreType + " velero-drill"},
	} {
		if order[pair[0]] >= order[pair[1]] {
			t.Errorf("%s registered at %d, not before %s at %d", pair[0], order[pair[0]], pair[1], order[pair[1]])
		}
	}

	// The backup the drill restores holds no DataUpload, which Velero
	// would restore whatever the Restore's filters say.
	if got := backup.Inputs["spec"].Mappable().(map[string]interface{})["excludedResources"]; !reflect.DeepEqual(got, []interface{}{"datauploads.velero.io"}) {
		t.Errorf("verification backup excludedResources = %v, want [datauploads.velero.io]", got)
	}

	// The canary holds the wiring hash the verification backup is labelled
	// with (the golden's hash is for another role ARN and key).
	wiring := backup.Inputs["metadata"].Mappable().(map[string]interface{})["labels"].(map[string]interface{})[wiringLabel]
	golden.Canary.Data["wiring"] = wiring
	pulumimock.AssertInputs(t, canary, map[string]interface{}{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": golden.Canary.Metadata, "data": golden.Canary.Data,
	})
	pulumimock.AssertInputs(t, namespace, map[string]interface{}{
		"apiVersion": "v1", "kind": "Namespace", "metadata": golden.Namespace.Metadata,
	})
	// The Restore restores the backup pulumi-kubernetes named (the mocks
	// name it as the golden file does).
	pulumimock.AssertInputs(t, restore, map[string]interface{}{
		"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": golden.Restore.Metadata, "spec": golden.Restore.Spec,
	})
	annotations := restore.Inputs["metadata"].Mappable().(map[string]interface{})["annotations"]
	want := map[string]interface{}{
		waitForAnnotation: `["jsonpath={.status[?@ == 'Completed', 'failureReason', 'phase']}=Completed","jsonpath={.status.progress.itemsRestored}=1"]`,
		timeoutAnnotation: "300",
	}
	if !reflect.DeepEqual(annotations, want) {
		t.Errorf("restore annotations = %v, want %v", annotations, want)
	}

	urn := func(typ, name string) string {
		return pulumimock.URN(testProject, testStack, VeleroIRSAType, typ, name)
	}
	releaseURN := urn(helmReleaseType, "velero-release")
	for _, c := range []struct {
		res  pulumimock.Resource
		deps []string
		why  string
	}{
		{canary, []string{releaseURN}, "the release creates Velero's namespace"},
		{backup, []string{urn(configMapType, "velero-drill-canary")}, "the backup must capture the canary"},
		{restore, []string{urn(backupType, "velero-verify"), urn(configMapType, "velero-drill-canary"), urn(namespaceType, "velero-drill-namespace")}, "the drill restores the backup into the scratch namespace"},
	} {
		for _, d := range c.deps {
			if !contains(c.res.DependsOn, d) {
				t.Errorf("%s depends on %v, not %s: %s", c.res.Name, c.res.DependsOn, d, c.why)
			}
		}
	}
	if restore.RetainOnDelete || !reflect.DeepEqual(restore.ReplaceOnChanges, []string{"*"}) || restore.DeleteBeforeReplace {
		t.Errorf("restore retainOnDelete %v replaceOnChanges %v deleteBeforeReplace %v; want it deleted by Pulumi while Velero runs (a Restore left behind keeps Velero's finalizer and blocks its namespace's deletion), and a new drill, created before the old one is deleted, on any change and after a failed one",
			restore.RetainOnDelete, restore.ReplaceOnChanges, restore.DeleteBeforeReplace)
	}
	if canary.RetainOnDelete || namespace.RetainOnDelete {
		t.Errorf("the canary or the scratch namespace is retained on delete; pulumi destroy must remove them and what the drills restored")
	}
}

// TestComponentRestoreDrillOnlyWhenAsked registers no drill resource unless
// both switches are on, and refuses the drill alone or on a read-only
// location before anything is registered.
func TestComponentRestoreDrillOnlyWhenAsked(t *testing.T) {
	drillTypes := map[string]bool{configMapType: true, namespaceType: true, restoreType: true}
	for _, c := range []struct {
		name           string
		backup, drill  bool
		accessMode     string
		namespace      string
		wantErr        string
		wantDrillTypes int
	}{
		{name: "off", wantDrillTypes: 0},
		{name: "verifyBackup only", backup: true, wantDrillTypes: 0},
		{name: "both", backup: true, drill: true, wantDrillTypes: 3},
		{name: "verifyRestore alone", drill: true,
			wantErr: `VeleroIRSA "velero": verifyRestore is true but verifyBackup is false: the restore drill restores the verification backup; set verifyBackup to true as well, or turn verifyRestore off`},
		{name: "read-only location", backup: true, drill: true, accessMode: "ReadOnly",
			wantErr: "verifyRestore is true but backupAccessMode is ReadOnly: the drill restores the verification backup, and Velero writes no backup into a read-only location"},
		{name: "long namespace", backup: true, drill: true, namespace: strings.Repeat("n", 50),
			wantErr: `its scratch namespace "` + strings.Repeat("n", 50) + `-restore-drill" would exceed 63 characters; use a namespace of at most 49 characters`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := runMocks(t, func(ctx *pulumi.Context) error {
				args := testArgs()
				args.VerifyBackup, args.VerifyRestore = c.backup, c.drill
				args.BackupAccessMode, args.Namespace = c.accessMode, c.namespace
				_, err := NewVeleroIRSA(ctx, "velero", args)
				return err
			})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
				}
				if n := len(rec.Resources()); n != 0 {
					t.Errorf("registered %d resources before refusing, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rec.Resources() {
				if drillTypes[r.Type] {
					n++
				}
			}
			if n != c.wantDrillTypes {
				t.Errorf("registered %d drill resources, want %d", n, c.wantDrillTypes)
			}
		})
	}
}
