package rig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func golden(t *testing.T, kase, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", kase, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVeleroValidatesThroughTheRole runs the real Velero server in the rig
// with the component's golden "prefix" documents: its location must become
// Available through a web identity token and the role, and STS must have
// seen Velero's ServiceAccount only. Without the role annotation the pod
// gets no identity, and the location stays Unavailable.
func TestVeleroValidatesThroughTheRole(t *testing.T) {
	bin := os.Getenv("VELERO_IRSA_E2E_BIN")
	if bin == "" || os.Getenv("VELERO_IRSA_E2E_RIG_BIN") == "" {
		t.Skip("VELERO_IRSA_E2E_BIN is not set: run through e2e/run, which builds Velero and the control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := Start(ctx, Config{Bin: bin, Dir: t.TempDir(), Account: "123456789012", Region: "us-east-1", ClusterName: "prod-use1",
		OIDCID: "EXAMPLED539D4633E53DE1B71EXAMPLE", VeleroTag: "v1.18.3", PluginTag: "v1.14.3", Log: t.Logf,
		PodNet: filepath.Join(os.Getenv("VELERO_IRSA_E2E_RIG_BIN"), "podnet")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if err := r.AssociateOIDCProvider(); err != nil {
		t.Fatal(err)
	}
	role, err := r.Cloud.CreateRoleForTest(golden(t, "prefix", "trust.json"), golden(t, "prefix", "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CreateBucket("acme-velero-backups", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", r.Cluster.Kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	crds, err := exec.Command(filepath.Join(bin, "velero"), "install", "--crds-only", "--dry-run", "-o", "yaml").Output()
	if err != nil {
		t.Fatal(err)
	}
	kubectl(string(crds), "apply", "-f", "-")
	kubectl(fmt.Sprintf(veleroObjects, role), "apply", "-f", "-")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		phase := kubectl("", "get", "backupstoragelocation", "default", "-n", "velero", "-o", "jsonpath={.status.phase} {.status.message}")
		if strings.HasPrefix(phase, "Available") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("location not Available: %q; runtime events %+v\n%s\n%s", phase, r.Runtime.Events(),
				kubectl("", "get", "pods,deploy,rs,nodes", "-A", "-o", "wide"), kubectl("", "get", "events", "-A"))
		}
		time.Sleep(2 * time.Second)
	}
	calls := r.Cloud.Calls()
	if len(calls) == 0 {
		t.Fatal("STS saw no call")
	}
	for _, c := range calls {
		if !c.Allowed || c.Subject != "system:serviceaccount:velero:velero-server" || c.RoleARN != role {
			t.Errorf("STS call %+v", c)
		}
	}
}

const veleroObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: velero}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: velero-server
  namespace: velero
  annotations: {eks.amazonaws.com/role-arn: %s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: velero-server}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: velero-server, namespace: velero}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: velero, namespace: velero}
spec:
  replicas: 1
  selector: {matchLabels: {name: velero}}
  template:
    metadata: {labels: {name: velero}}
    spec:
      serviceAccountName: velero-server
      containers:
      - name: velero
        image: velero/velero:v1.18.3
        command: [/velero]
        args: [server, --uploader-type=kopia, --default-backup-storage-location=default, --store-validation-frequency=5s]
        env:
        - {name: VELERO_SCRATCH_DIR, value: /scratch}
        - name: VELERO_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - {name: LD_LIBRARY_PATH, value: /plugins}
        volumeMounts:
        - {name: plugins, mountPath: /plugins}
        - {name: scratch, mountPath: /scratch}
      initContainers:
      - name: velero-plugin-for-aws
        image: velero/velero-plugin-for-aws:v1.14.3
        volumeMounts: [{mountPath: /target, name: plugins}]
      volumes:
      - {name: plugins, emptyDir: {}}
      - {name: scratch, emptyDir: {}}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec:
  provider: aws
  default: true
  objectStorage: {bucket: acme-velero-backups, prefix: clusters/prod-use1}
  config: {region: us-east-1}
`
