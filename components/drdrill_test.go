package components

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

// drArgs is a DR cluster restoring prod-use1's backups from a vault's
// replica.
func drArgs() *VeleroIRSAArgs {
	args := testArgs()
	args.AdditionalBackupLocations = map[string]BackupLocation{
		"prod-use1": {Bucket: "acme-velero-vault-usw2", Region: "us-west-2", Prefix: "clusters/prod-use1", AccessMode: "ReadOnly",
			KmsKeyArn: "arn:aws:kms:us-west-2:999999999999:key/2222bbbb-12ab-34cd-56ef-1234567890ab"},
	}
	args.Schedules = map[string]Schedule{"daily": {Schedule: "@daily"}}
	args.DisasterRecoveryDrill = &DisasterRecoveryDrill{Location: "prod-use1", Schedule: "velero-prod-daily", CanaryNamespace: "payments", Run: "2026-12-04"}
	return args
}

// TestComponentDRDrill checks the drill's exact Restore, its scratch
// namespace, and that its location waits until Velero has synced it.
func TestComponentDRDrill(t *testing.T) {
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		_, err := NewVeleroIRSA(ctx, "velero", drArgs())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	restore := rec.MustFind(t, restoreType, "velero-dr-drill")
	pulumimock.AssertInputs(t, restore, map[string]interface{}{
		"apiVersion": "velero.io/v1",
		"kind":       "Restore",
		"metadata": map[string]interface{}{
			"namespace": "velero",
			"labels":    map[string]interface{}{"app.kubernetes.io/managed-by": "pulumi"},
			"annotations": map[string]interface{}{
				waitForAnnotation: `["jsonpath={.status[?@ == 'Completed', 'failureReason', 'phase']}=Completed","jsonpath={.status.progress.itemsRestored}=1"]`,
				timeoutAnnotation: "300",
				drRunAnnotation:   "2026-12-04",
			},
		},
		"spec": map[string]interface{}{
			"scheduleName":            "velero-prod-daily",
			"includedNamespaces":      []interface{}{"payments"},
			"includedResources":       []interface{}{"configmaps"},
			"labelSelector":           map[string]interface{}{"matchLabels": map[string]interface{}{"velero-irsa/dr-canary": "canary"}},
			"namespaceMapping":        map[string]interface{}{"payments": "velero-dr-drill"},
			"restorePVs":              false,
			"includeClusterResources": false,
			"existingResourcePolicy":  "update",
		},
	})
	pulumimock.AssertInputs(t, rec.MustFind(t, namespaceType, "velero-dr-drill-namespace"), map[string]interface{}{
		"metadata": map[string]interface{}{"name": "velero-dr-drill", "labels": map[string]interface{}{"app.kubernetes.io/managed-by": "pulumi"}},
	})
	urn := func(typ, name string) string {
		return pulumimock.URN(testProject, testStack, VeleroIRSAType, typ, name)
	}
	for _, dep := range []string{urn(backupStorageLocationType, "velero-location-prod-use1"), urn(backupStorageLocationType, "velero-location-default"), urn(namespaceType, "velero-dr-drill-namespace")} {
		if !contains(restore.DependsOn, dep) {
			t.Errorf("the drill does not wait for %s: %v", dep, restore.DependsOn)
		}
	}
	if !reflect.DeepEqual(restore.ReplaceOnChanges, []string{"*"}) {
		t.Errorf("drill replaceOnChanges = %v, want a new drill on any change (run included) and after a failed one", restore.ReplaceOnChanges)
	}
	waitFor := func(name string) interface{} {
		return rec.MustFind(t, backupStorageLocationType, name).Inputs["metadata"].Mappable().(map[string]interface{})["annotations"].(map[string]interface{})[waitForAnnotation]
	}
	if got := waitFor("velero-location-prod-use1"); got != `["jsonpath={.status[?@ == 'Available', 'message', 'phase']}=Available","jsonpath={.status.lastSyncedTime}"]` {
		t.Errorf("the drill's location waits for %v, want Available and synced", got)
	}
	if got := waitFor("velero-location-default"); got != locationAvailable {
		t.Errorf("the main location waits for %v, want only Available", got)
	}
}

// TestComponentDRDrillProof checks that a drill which restored no canary
// (the backup lacked it) fails the deploy, naming it.
func TestComponentDRDrillProof(t *testing.T) {
	rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{restoreType: resource.NewPropertyMapFromMap(map[string]interface{}{
		"status": map[string]interface{}{"phase": "Completed", "progress": map[string]interface{}{"itemsRestored": 0}},
	})}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewVeleroIRSA(ctx, "velero", drArgs())
		return err
	}, pulumi.WithMocks(testProject, testStack, rec))
	if err == nil || !strings.Contains(err.Error(), "the disaster-recovery drill velero/velero-dr-drill-0a1b2c3d is Completed in this stack's state but restored 0 items, not exactly 1 (the canary)") {
		t.Fatalf("err = %v", err)
	}
}

func TestDRDrillErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*VeleroIRSAArgs)
		want   string
	}{
		{"unknown location", func(a *VeleroIRSAArgs) { a.DisasterRecoveryDrill.Location = "prod-euw1" },
			`disasterRecoveryDrill.location "prod-euw1" is not one of additionalBackupLocations (prod-use1): name the location that holds the other cluster's backups`},
		{"own schedule", func(a *VeleroIRSAArgs) { a.DisasterRecoveryDrill.Schedule = "velero-daily" },
			`disasterRecoveryDrill.schedule "velero-daily" is also the name of this cluster's own schedule daily: Velero would restore this cluster's newest backup; rename schedules.daily`},
		{"missing canary", func(a *VeleroIRSAArgs) { a.DisasterRecoveryDrill.CanaryNamespace = "" },
			`disasterRecoveryDrill needs location, schedule and canaryNamespace (got "prod-use1", "velero-prod-daily", "")`},
		{"bad canary namespace", func(a *VeleroIRSAArgs) { a.DisasterRecoveryDrill.CanaryNamespace = "Payments" },
			`disasterRecoveryDrill.canaryNamespace "Payments"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := drArgs()
			c.mutate(args)
			rec, err := runMocks(t, func(ctx *pulumi.Context) error {
				_, err := NewVeleroIRSA(ctx, "velero", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if n := len(rec.Resources()); n != 0 {
				t.Errorf("%d resources registered despite the error", n)
			}
		})
	}
}
