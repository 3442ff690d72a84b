package runtime

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeletedPodStaysUntilStopped follows a pod through the runtime's
// hold: the finalizer is on the pod before anything runs, a deleted pod
// keeps it while it is tracked, and sync removes it only after stopping
// the pod (here a start the runtime refused, so nothing runs: the
// image is not one the rig built).
func TestDeletedPodStaysUntilStopped(t *testing.T) {
	r := newRuntime(t, sa(nil), false)
	r.Images = Images{VeleroTag: "v1.18.3", PluginTag: "v1.14.3"}
	r.running = map[string]*pod{}
	p := newPod(nil, nil)
	p.Spec.Containers[0].Image = "velero/velero:v1.17.0"
	p.Status.Phase = corev1.PodRunning
	ctx := context.Background()
	pods := r.Client.CoreV1().Pods("velero")
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	finalizers := func() []string {
		t.Helper()
		cur, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cur.Finalizers
	}

	r.sync(ctx)
	if got := finalizers(); !slices.Equal(got, []string{Finalizer}) {
		t.Fatalf("after the pod started, finalizers = %q, want [%s]", got, Finalizer)
	}
	if len(r.running) != 1 {
		t.Fatalf("the runtime tracks %d pods, want 1", len(r.running))
	}
	events := r.Events()
	if len(events) != 1 || events[0].What != "refused: container velero: image velero/velero:v1.17.0: the rig built velero/velero:v1.18.3 only" {
		t.Fatalf("events = %+v", events)
	}

	// The API server marks the pod deleted and keeps it for the finalizer.
	cur, _ := pods.Get(ctx, p.Name, metav1.GetOptions{})
	now := metav1.Now()
	cur.DeletionTimestamp = &now
	if _, err := pods.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.sync(ctx)
	if got := finalizers(); len(got) != 0 {
		t.Fatalf("after the deleted pod stopped, finalizers = %q, want none", got)
	}
	if len(r.running) != 0 {
		t.Fatalf("the runtime still tracks %d pods", len(r.running))
	}
	events = r.Events()
	if last := events[len(events)-1]; last.Pod != "velero/velero-1" || last.What != "stopped: the pod is being deleted" {
		t.Fatalf("last event = %+v", last)
	}

	// Once the pod is gone, releasing it again is harmless.
	if err := pods.Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.removeFinalizer(ctx, p); err != nil {
		t.Fatalf("releasing a gone pod: %v", err)
	}
}
