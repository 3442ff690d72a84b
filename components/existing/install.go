package existing

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// InstallHandOver is what HandOverInstall removed, for the deploy's log.
type InstallHandOver struct {
	// Removed names each object deleted ("Deployment velero/velero").
	Removed []string
	// ServerDown is how long it waited for the old server's pods to go.
	ServerDown time.Duration
	// KeptSecrets names the Secrets the old pods took keys from that
	// `velero install` did not make (no label component=velero): other
	// workloads may use them, so they stay, and nothing of Velero reads
	// them any more.
	KeptSecrets []string
}

// HandOverInstall takes a `velero install` Velero apart so that the stack's
// Helm release can install the chart in its place, just before that
// release is created. The chart's Deployment has the same name (velero)
// and another selector, which Kubernetes does not let change in place, and
// Helm installs nothing over objects it does not own (checkOwnership in
// helm's pkg/action/validate.go), so the old objects go first:
//
//  1. the server Deployment is scaled to zero, and the hand-over waits
//     until its pods are gone, so the old server and the stack's never run
//     side by side;
//  2. the node agent DaemonSet (it runs with the same static keys) is
//     deleted, and its pods awaited;
//  3. the backup and snapshot locations are deleted: the stack creates them
//     again with the same names, buckets and prefixes (Check made sure), so
//     every Backup stays tied to its location; deleting a location deletes
//     no backup;
//  4. the Secrets that held the static keys, the ServiceAccount and the
//     ClusterRoleBinding `velero install` made (cluster-admin) are deleted,
//     each only when it carries the install's label component=velero (a
//     Secret of the user's, which other workloads may read, stays);
//  5. the Deployment itself is deleted.
//
// Backups, Restores, Schedules, the namespace and the CRDs stay. Every
// step tolerates an object already gone, so a hand-over cut short is
// finished by the next `pulumi up` (the scaled-down Deployment still marks
// the installation). wait bounds each wait for pods to go.
func HandOverInstall(ctx context.Context, w Writer, inst Installation, wait time.Duration) (InstallHandOver, error) {
	if inst.Kind != KindCLI {
		return InstallHandOver{}, fmt.Errorf("the Velero in namespace %s was not made by `velero install`", inst.Namespace)
	}
	ns := inst.Namespace
	var h InstallHandOver
	start := time.Now()
	if inst.Deployment != "" {
		scale := map[string]interface{}{
			"apiVersion": "autoscaling/v1", "kind": "Scale",
			"metadata": map[string]interface{}{"name": inst.Deployment, "namespace": ns},
			"spec":     map[string]interface{}{"replicas": 0},
		}
		if err := w.Send(ctx, "PUT", "/apis/apps/v1/namespaces/"+ns+"/deployments/"+inst.Deployment+"/scale", scale); err != nil {
			return h, fmt.Errorf("scaling Deployment %s/%s to zero: %w", ns, inst.Deployment, err)
		}
		if err := waitNoPods(ctx, w, ns, inst.Selector, wait); err != nil {
			return h, fmt.Errorf("waiting for the pods of Deployment %s/%s to stop: %w", ns, inst.Deployment, err)
		}
	}
	h.ServerDown = time.Since(start)
	del := func(kind, path, name string) error {
		if err := w.Send(ctx, "DELETE", path, map[string]interface{}{"propagationPolicy": "Background"}); err != nil {
			return fmt.Errorf("deleting %s %s: %w", kind, name, err)
		}
		h.Removed = append(h.Removed, kind+" "+name)
		return nil
	}
	if inst.NodeAgent {
		if err := del("DaemonSet", "/apis/apps/v1/namespaces/"+ns+"/daemonsets/"+nodeAgentName, ns+"/"+nodeAgentName); err != nil {
			return h, err
		}
		// Both node agents select name=node-agent (velero's
		// pkg/install/daemonset.go, the chart's node-agent daemonset).
		if err := waitNoPods(ctx, w, ns, map[string]string{"name": nodeAgentName}, wait); err != nil {
			return h, fmt.Errorf("waiting for the node agent's pods to stop: %w", err)
		}
	}
	velero := "/apis/velero.io/v1/namespaces/" + ns + "/"
	for _, l := range inst.Locations {
		if err := del("BackupStorageLocation", velero+"backupstoragelocations/"+l.Name, ns+"/"+l.Name); err != nil {
			return h, err
		}
	}
	for _, l := range inst.SnapshotLocations {
		if err := del("VolumeSnapshotLocation", velero+"volumesnapshotlocations/"+l.Name, ns+"/"+l.Name); err != nil {
			return h, err
		}
	}
	for _, s := range inst.KeySecrets {
		var secret struct {
			Metadata objectMeta `json:"metadata"`
		}
		path := "/api/v1/namespaces/" + ns + "/secrets/" + s
		found, err := w.Get(ctx, path, &secret)
		if err != nil {
			return h, fmt.Errorf("reading Secret %s/%s: %w", ns, s, err)
		}
		if found && secret.Metadata.Labels["component"] != "velero" {
			h.KeptSecrets = append(h.KeptSecrets, ns+"/"+s)
			continue
		}
		if err := del("Secret", path, ns+"/"+s); err != nil {
			return h, err
		}
	}
	if err := removeInstallAccess(ctx, w, inst, del); err != nil {
		return h, err
	}
	if inst.Deployment != "" {
		if err := del("Deployment", "/apis/apps/v1/namespaces/"+ns+"/deployments/"+inst.Deployment, ns+"/"+inst.Deployment); err != nil {
			return h, err
		}
	}
	return h, nil
}

// removeInstallAccess deletes the ServiceAccount and the cluster-admin
// ClusterRoleBinding `velero install` made for the server (named velero,
// or velero-<namespace> outside namespace velero: pkg/install/resources.go),
// each only when it carries the install's label component=velero and the
// binding names that ServiceAccount and no other subject.
func removeInstallAccess(ctx context.Context, w Writer, inst Installation, del func(kind, path, name string) error) error {
	ns, sa := inst.Namespace, inst.ServiceAccount
	if sa == "" {
		return nil
	}
	var account struct {
		Metadata objectMeta `json:"metadata"`
	}
	found, err := w.Get(ctx, "/api/v1/namespaces/"+ns+"/serviceaccounts/"+sa, &account)
	if err != nil {
		return fmt.Errorf("reading ServiceAccount %s/%s: %w", ns, sa, err)
	}
	if found && account.Metadata.Labels["component"] == "velero" {
		if err := del("ServiceAccount", "/api/v1/namespaces/"+ns+"/serviceaccounts/"+sa, ns+"/"+sa); err != nil {
			return err
		}
	}
	name := "velero"
	if ns != "velero" {
		name = "velero-" + ns
	}
	var binding struct {
		Metadata objectMeta `json:"metadata"`
		Subjects []struct {
			Kind, Name, Namespace string
		} `json:"subjects"`
	}
	path := "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + name
	found, err = w.Get(ctx, path, &binding)
	if err != nil {
		return fmt.Errorf("reading ClusterRoleBinding %s: %w", name, err)
	}
	if !found || binding.Metadata.Labels["component"] != "velero" || len(binding.Subjects) != 1 {
		return nil
	}
	if s := binding.Subjects[0]; s.Kind != "ServiceAccount" || s.Name != sa || s.Namespace != ns {
		return nil
	}
	return del("ClusterRoleBinding", path, name)
}

// waitNoPods waits until no pod in ns matches selector, for at most wait.
func waitNoPods(ctx context.Context, api API, ns string, selector map[string]string, wait time.Duration) error {
	if len(selector) == 0 {
		return fmt.Errorf("no selector to find the pods by")
	}
	var terms []string
	for k, v := range selector {
		terms = append(terms, k+"="+v)
	}
	sort.Strings(terms)
	path := "/api/v1/namespaces/" + ns + "/pods?labelSelector=" + url.QueryEscape(strings.Join(terms, ","))
	deadline := time.Now().Add(wait)
	for {
		var pods struct {
			Items []struct {
				Metadata objectMeta `json:"metadata"`
			} `json:"items"`
		}
		if _, err := api.Get(ctx, path, &pods); err != nil {
			return err
		}
		if len(pods.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			names := make([]string, 0, len(pods.Items))
			for _, p := range pods.Items {
				names = append(names, p.Metadata.Name)
			}
			slices.Sort(names)
			return fmt.Errorf("pods %s still exist after %s (`kubectl get pods -n %s -l %s` shows why)", strings.Join(names, ", "), wait, ns, strings.Join(terms, ","))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
