package existing

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// cliCluster is what `velero install --provider aws --secret-file ...
// --use-node-agent` leaves (velero v1.18 pkg/install): Deployment velero
// selecting deploy=velero with the key file mounted from Secret
// cloud-credentials, ServiceAccount velero bound to cluster-admin, the
// node agent, locations named default; plus what it did since: a pod of
// each, a Backup and a Schedule made with the CLI.
func cliCluster(t *testing.T) *fakeAPI {
	t.Helper()
	f := newFakeAPI()
	install := map[string]interface{}{"component": "velero"}
	f.add("/apis/apps/v1/namespaces/velero/deployments/velero", map[string]interface{}{
		"metadata": meta("velero", "velero", install, nil),
		"spec": map[string]interface{}{
			"replicas": 1,
			"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"deploy": "velero"}},
			"template": map[string]interface{}{"spec": map[string]interface{}{
				"serviceAccountName": "velero",
				"initContainers":     []interface{}{map[string]interface{}{"name": "velero-velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:v1.14.3"}},
				"containers": []interface{}{map[string]interface{}{
					"name": "velero", "image": "velero/velero:v1.18.3", "command": []interface{}{"/velero"},
					"args":         []interface{}{"server", "--features=", "--uploader-type=kopia"},
					"env":          []interface{}{map[string]interface{}{"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/credentials/cloud"}},
					"volumeMounts": []interface{}{map[string]interface{}{"name": "cloud-credentials", "mountPath": "/credentials"}},
				}},
				"volumes": []interface{}{map[string]interface{}{"name": "cloud-credentials", "secret": map[string]interface{}{"secretName": "cloud-credentials"}}},
			}},
		},
	})
	f.add("/api/v1/namespaces/velero/pods/velero-7d9c8b6f4-x2k8q", map[string]interface{}{"metadata": meta("velero-7d9c8b6f4-x2k8q", "velero", map[string]interface{}{"deploy": "velero", "component": "velero"}, nil)})
	f.add("/apis/apps/v1/namespaces/velero/daemonsets/node-agent", map[string]interface{}{
		"metadata": meta("node-agent", "velero", install, nil),
		"spec":     map[string]interface{}{"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"name": "node-agent"}}},
	})
	f.add("/api/v1/namespaces/velero/pods/node-agent-5tq2p", map[string]interface{}{"metadata": meta("node-agent-5tq2p", "velero", map[string]interface{}{"name": "node-agent", "component": "velero"}, nil)})
	f.add("/api/v1/namespaces/velero/secrets/cloud-credentials", map[string]interface{}{"metadata": meta("cloud-credentials", "velero", install, nil)})
	f.add("/api/v1/namespaces/velero/serviceaccounts/velero", map[string]interface{}{"metadata": meta("velero", "velero", install, nil)})
	f.add("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/velero", map[string]interface{}{
		"metadata": meta("velero", "", install, nil),
		"subjects": []interface{}{map[string]interface{}{"kind": "ServiceAccount", "name": "velero", "namespace": "velero"}},
		"roleRef":  map[string]interface{}{"kind": "ClusterRole", "name": "cluster-admin"},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default", map[string]interface{}{
		"metadata": meta("default", "velero", install, nil),
		"spec": map[string]interface{}{"provider": "aws", "default": true, "objectStorage": map[string]interface{}{"bucket": "acme-velero", "prefix": "prod"},
			"config": map[string]interface{}{"region": "ap-northeast-2"}},
		"status": map[string]interface{}{"phase": "Available"},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/volumesnapshotlocations/default", map[string]interface{}{
		"metadata": meta("default", "velero", install, nil),
		"spec":     map[string]interface{}{"provider": "aws", "config": map[string]interface{}{"region": "ap-northeast-2"}},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/schedules/nightly", map[string]interface{}{
		"metadata": meta("nightly", "velero", nil, nil),
		"spec":     map[string]interface{}{"schedule": "0 1 * * *"},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/backups/before-switch", map[string]interface{}{
		"metadata": meta("before-switch", "velero", nil, nil),
		"spec":     map[string]interface{}{"storageLocation": "default"},
		"status":   map[string]interface{}{"phase": "Completed", "completionTimestamp": "2026-12-03T01:04:12Z"},
	})
	return f
}

// cliWant describes the install: its location as the main one, its
// snapshot location, the node agent.
func cliWant() Want {
	w := guideWant()
	w.AdoptInstall = true
	w.Locations = map[string]WantLocation{"default": {Bucket: "acme-velero", Prefix: "prod", Region: "ap-northeast-2", Setting: "bucketName/backupPrefix/region"}}
	w.MainLocation, w.SnapshotLocation, w.NodeAgent = "default", "default", true
	w.Schedules = nil
	return w
}

const cliFound = `  Velero installed by ` + "`velero install`" + ` in namespace velero (Deployment velero, label component=velero, no Helm release)
    ServiceAccount velero
    backup location default: bucket acme-velero, prefix prod, region ap-northeast-2, default, Available
    snapshot location default: region ap-northeast-2
    schedule nightly: "0 1 * * *" (not from the release)
    backups: 1, the newest Completed one before-switch at default (completed 2026-12-03T01:04:12Z)
    static AWS keys: AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud from Secret cloud-credentials mounted at /credentials
`

func readCLI(t *testing.T, f *fakeAPI) Cluster {
	t.Helper()
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckVeleroInstall(t *testing.T) {
	c := readCLI(t, cliCluster(t))
	inst := c.Installations[0]
	if inst.Kind != KindCLI || !inst.NodeAgent || len(inst.Plugins) != 0 || strings.Join(inst.ServerFlags, " ") != "--features= --uploader-type=kopia" {
		t.Fatalf("read %+v", inst)
	}

	// Without the setting: refused, with the setting to use.
	w := cliWant()
	w.AdoptInstall = false
	_, err := Check(c, w)
	want := "Velero already runs on cluster prod-apne2, outside this stack; nothing was created or changed.\n" + cliFound +
		"To move it to the role (its locations, backups and schedules kept; its Deployment replaced by the chart's, whose selector differs), set velero-irsa:adoptVeleroInstall: true in the stack, and velero-irsa:readBackBackup: before-switch (its newest Completed backup) to prove that the backups taken before the switch are readable through the role; see docs/adopting.md."
	if err == nil || err.Error() != want {
		t.Fatalf("refusal:\n%v\nwant:\n%s", err, want)
	}

	// With it, and the stack describing the install: adopted.
	v, err := Check(c, cliWant())
	if err != nil || v.Adopt == nil || v.Adopt.Kind != KindCLI || v.Managed {
		t.Fatalf("adopting: %+v, %v", v, err)
	}

	// adoptRelease instead: there is no release to adopt.
	w = cliWant()
	w.AdoptInstall, w.AdoptRelease = false, "velero"
	if _, err := Check(c, w); err == nil || !strings.Contains(err.Error(), "velero-irsa:adoptRelease is velero, but this Velero has no Helm release to adopt. To move it to the role") {
		t.Fatalf("adoptRelease on a velero install: %v", err)
	}
	// Both settings.
	w.AdoptInstall = true
	if _, err := Check(c, w); err == nil || !strings.HasPrefix(err.Error(), "velero-irsa:adoptRelease and velero-irsa:adoptVeleroInstall are both set") {
		t.Fatalf("both settings: %v", err)
	}
	// The setting on a cluster without Velero, or after the hand-over:
	// a fresh install.
	if v, err := Check(Cluster{}, cliWant()); err != nil || v.Adopt != nil {
		t.Fatalf("nothing to adopt: %+v, %v", v, err)
	}
}

func TestCheckVeleroInstallRefusals(t *testing.T) {
	f := cliCluster(t)
	d := f.objects["/apis/apps/v1/namespaces/velero/deployments/velero"]
	spec := mapAt(mapAt(mapAt(d, "spec"), "template"), "spec")
	spec["initContainers"] = append(spec["initContainers"].([]interface{}), map[string]interface{}{"name": "csi", "image": "velero/velero-plugin-for-csi:v0.7.1"})
	w := cliWant()
	w.NodeAgent = false
	w.Locations = map[string]WantLocation{"default": {Bucket: "acme-velero", Prefix: "staging", Region: "ap-northeast-2", Setting: "bucketName/backupPrefix/region"}}
	_, err := Check(readCLI(t, f), w)
	for _, line := range []string{
		"- It runs the node agent (DaemonSet velero/node-agent) and the stack does not: the hand-over would delete it, and file-system backups with it; set velero-irsa:deployNodeAgent: true.",
		"- Its server runs plugin image velero/velero-plugin-for-csi:v0.7.1 (`velero install --plugins`), which the chart's Deployment would not: list it in velero-irsa:valuesOverrides.initContainers after the AWS plugin.",
		`- Backup location default has prefix "prod" in the cluster and "staging" in the stack (bucketName/backupPrefix/region): pointing a location at other storage detaches its backups; set the stack to "prod".`,
	} {
		if err == nil || !strings.Contains(err.Error(), "\n"+line) {
			t.Errorf("refusal:\n%v\nwant a line:\n%s", err, line)
		}
	}
	if err != nil && !strings.HasPrefix(err.Error(), "Cannot adopt the Velero on cluster prod-apne2 as the stack says; nothing was created or changed.\n") {
		t.Errorf("refusal header: %v", err)
	}
}

func TestHandOverInstall(t *testing.T) {
	ctx := context.Background()
	f := cliCluster(t)
	inst := readCLI(t, f).Installations[0]
	h, err := HandOverInstall(ctx, f, inst, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PUT /apis/apps/v1/namespaces/velero/deployments/velero/scale",
		"DELETE /apis/apps/v1/namespaces/velero/daemonsets/node-agent",
		"DELETE /apis/velero.io/v1/namespaces/velero/backupstoragelocations/default",
		"DELETE /apis/velero.io/v1/namespaces/velero/volumesnapshotlocations/default",
		"DELETE /api/v1/namespaces/velero/secrets/cloud-credentials",
		"DELETE /api/v1/namespaces/velero/serviceaccounts/velero",
		"DELETE /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/velero",
		"DELETE /apis/apps/v1/namespaces/velero/deployments/velero",
	}
	if strings.Join(f.writes, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(f.writes, "\n"), strings.Join(want, "\n"))
	}
	if got := strings.Join(h.Removed, ", "); got != "DaemonSet velero/node-agent, BackupStorageLocation velero/default, VolumeSnapshotLocation velero/default, Secret velero/cloud-credentials, ServiceAccount velero/velero, ClusterRoleBinding velero, Deployment velero/velero" {
		t.Errorf("Removed: %s", got)
	}
	// What the user cannot lose stays.
	for _, p := range []string{"/apis/velero.io/v1/namespaces/velero/schedules/nightly", "/apis/velero.io/v1/namespaces/velero/backups/before-switch"} {
		if _, ok := f.objects[p]; !ok {
			t.Errorf("%s was deleted", p)
		}
	}
	// Afterwards nothing of the install is found, and a second run
	// (a hand-over cut short, then `pulumi up` again) changes nothing.
	if c := readCLI(t, f); len(c.Installations) != 0 {
		t.Errorf("after the hand-over: %+v", c.Installations)
	}
	f.writes = nil
	if _, err := HandOverInstall(ctx, f, inst, time.Minute); err != nil || len(f.writes) != 0 {
		t.Errorf("second run: %v, %v", f.writes, err)
	}
}

// TestHandOverInstallKeepsOthers leaves a binding or ServiceAccount that
// is not the install's, and fails, naming the pods, when the old server
// does not stop.
func TestHandOverInstallKeepsOthers(t *testing.T) {
	ctx := context.Background()
	f := cliCluster(t)
	crb := f.objects["/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/velero"]
	crb["subjects"] = append(crb["subjects"].([]interface{}), map[string]interface{}{"kind": "User", "name": "ops"})
	delete(mapAt(f.objects["/api/v1/namespaces/velero/serviceaccounts/velero"], "metadata"), "labels")
	// Keys the user's own Secret gave the server too (envFrom): other
	// workloads may read it.
	server := mapAt(mapAt(mapAt(f.objects["/apis/apps/v1/namespaces/velero/deployments/velero"], "spec"), "template"), "spec")["containers"].([]interface{})[0].(map[string]interface{})
	server["envFrom"] = []interface{}{map[string]interface{}{"secretRef": map[string]interface{}{"name": "shared-aws"}}}
	f.add("/api/v1/namespaces/velero/secrets/shared-aws", map[string]interface{}{"metadata": meta("shared-aws", "velero", nil, nil),
		"data": map[string]interface{}{"AWS_ACCESS_KEY_ID": base64.StdEncoding.EncodeToString([]byte(exampleKeyID))}})
	inst := readCLI(t, f).Installations[0]
	h, err := HandOverInstall(ctx, f, inst, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/velero", "/api/v1/namespaces/velero/serviceaccounts/velero", "/api/v1/namespaces/velero/secrets/shared-aws"} {
		if _, ok := f.objects[p]; !ok {
			t.Errorf("%s was deleted", p)
		}
	}
	if _, ok := f.objects["/api/v1/namespaces/velero/secrets/cloud-credentials"]; ok {
		t.Error("the install's Secret cloud-credentials was kept")
	}
	if fmt.Sprint(h.KeptSecrets) != "[velero/shared-aws]" {
		t.Errorf("kept Secrets %v, want [velero/shared-aws]", h.KeptSecrets)
	}

	// A pod that does not go (a stuck finalizer, a node that is gone).
	f = cliCluster(t)
	inst = readCLI(t, f).Installations[0]
	stuck := "/api/v1/namespaces/velero/pods/velero-7d9c8b6f4-x2k8q"
	pod := f.objects[stuck]
	f.objects["/apis/apps/v1/namespaces/velero/deployments/velero"]["spec"].(map[string]interface{})["selector"] = map[string]interface{}{"matchLabels": map[string]interface{}{"deploy": "other"}}
	f.objects[stuck] = pod
	_, err = HandOverInstall(ctx, f, inst, 0)
	want := "waiting for the pods of Deployment velero/velero to stop: pods velero-7d9c8b6f4-x2k8q still exist after 0s (`kubectl get pods -n velero -l deploy=velero` shows why)"
	if err == nil || err.Error() != want {
		t.Fatalf("stuck pod: %v\nwant: %s", err, want)
	}
	if _, ok := f.objects["/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default"]; !ok {
		t.Error("a location was deleted while the old server still ran")
	}
}
