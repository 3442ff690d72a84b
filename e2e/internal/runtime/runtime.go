// Package runtime is the rig's container runtime for Velero: for each
// running pod of Velero's server (and node agent), it starts the real velero
// binary as a process with that pod's container args and env, the plugins
// its init containers name, and what EKS's pod identity webhook would
// inject for the pod's ServiceAccount when the pod was created. The process
// stops when the pod goes, so a changed pod template restarts Velero as a
// rollout does on EKS. An image the rig did not build is refused.
package runtime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/velero-irsa/velero-irsa/e2e/internal/proc"
)

// Images are the images the rig built, by repository suffix and tag.
type Images struct {
	VeleroTag, PluginTag string
	Velero, Plugin       string // paths of the built binaries
	PodNet               string // the rig's podnet, which gives each pod its own network
}

// Identity is what the webhook environment needs from the rig.
type Identity struct {
	Region              string // the cluster's region (the webhook's AWS_REGION)
	STSEndpoint         string // AWS_ENDPOINT_URL_STS: the rig's "network"
	S3Endpoint          string // AWS_ENDPOINT_URL_S3
	CABundle            string // AWS_CA_BUNDLE: the rig CA for the S3 endpoint
	PodIdentityAgentURL string // http://127.0.0.1:<port>/v1/credentials
	// HasAssociation tells whether an EKS Pod Identity association exists
	// for a ServiceAccount, as the webhook asks EKS.
	HasAssociation func(namespace, serviceAccount string) bool
}

// Runtime runs Velero's pods.
type Runtime struct {
	Client   kubernetes.Interface
	Endpoint string // the API server, for the pods' kubeconfigs
	CAPEM    []byte
	Dir      string
	Images   Images
	Identity Identity
	Log      func(format string, args ...interface{})

	mu      sync.Mutex
	running map[string]*pod // by pod UID
	events  []Event
}

// Event is something the runtime did or refused, for the rig's checks.
type Event struct {
	Time      time.Time
	Pod, What string
	Env       map[string]string // the identity variables injected
}

type pod struct {
	name    string
	kind    string // server or node-agent
	metrics string // the --metrics-address it listens on, in its network
	process *proc.Process
	network *podNetwork
	cancel  context.CancelFunc
}

// stop ends the pod's process and its network.
func (p *pod) stop() {
	p.cancel()
	if p.process != nil {
		p.process.Stop(20 * time.Second)
	}
	if p.network != nil {
		p.network.close()
	}
}

// Events returns what happened so far.
func (r *Runtime) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *Runtime) event(pod, what string, env map[string]string) {
	r.mu.Lock()
	r.events = append(r.events, Event{Time: time.Now(), Pod: pod, What: what, Env: env})
	r.mu.Unlock()
	if r.Log != nil {
		r.Log("runtime: %s: %s", pod, what)
	}
}

// Run watches pods until ctx ends, then stops every process.
func (r *Runtime) Run(ctx context.Context) {
	r.running = map[string]*pod{}
	defer r.stopAll()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		r.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (r *Runtime) stopAll() {
	r.mu.Lock()
	pods := r.running
	r.running = map[string]*pod{}
	r.mu.Unlock()
	for _, p := range pods {
		p.stop()
	}
}

// sync stops the processes whose pod is being deleted or has gone, then
// starts a process for each new running Velero pod.
//
// kwok deletes a pod at once, while on a node the pod stays Terminating
// until its containers have exited, and a Recreate rollout (the chart's
// Deployment strategy) creates the new pod only once no old pod is left
// (the deployment controller's oldPodsRunning counts Terminating pods).
// The runtime keeps that order with a finalizer of its own on every pod it
// runs: the pod stays until its process has stopped, so an old server
// never works beside its successor, and the deployment is reported rolled
// out only when the old server is gone, as on a node.
func (r *Runtime) sync(ctx context.Context) {
	list, err := r.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	seen := map[string]bool{}
	var fresh []*corev1.Pod
	var release []*corev1.Pod // deleted pods whose finalizer the runtime holds
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp != nil && slices.Contains(p.Finalizers, Finalizer) {
			release = append(release, p)
			continue
		}
		c, _ := veleroContainer(p)
		if c == nil || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		uid := string(p.UID)
		seen[uid] = true
		r.mu.Lock()
		_, ok := r.running[uid]
		r.mu.Unlock()
		if !ok {
			fresh = append(fresh, p)
		}
	}
	r.mu.Lock()
	var gone []*pod
	for uid, p := range r.running {
		if !seen[uid] {
			gone = append(gone, p)
			delete(r.running, uid)
		}
	}
	r.mu.Unlock()
	for _, p := range gone {
		p.stop()
		r.event(p.name, "stopped: the pod is being deleted", nil)
	}
	for _, p := range release {
		if err := r.removeFinalizer(ctx, p); err != nil {
			r.event(p.Namespace+"/"+p.Name, "could not release the pod: "+err.Error(), nil)
		}
	}
	for _, p := range fresh {
		c, kind := veleroContainer(p)
		r.start(ctx, p, c, kind)
	}
}

// veleroContainer finds the container that runs Velero's server or node
// agent: command /velero with args server or node-agent server.
func veleroContainer(p *corev1.Pod) (*corev1.Container, string) {
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		if len(c.Command) != 1 || c.Command[0] != "/velero" || len(c.Args) == 0 {
			continue
		}
		switch {
		case c.Args[0] == "server":
			return c, "server"
		case c.Args[0] == "node-agent" && len(c.Args) > 1 && c.Args[1] == "server":
			return c, "node-agent"
		}
	}
	return nil, ""
}

// start prepares the pod's directory, plugins, identity and kubeconfig and
// runs the process; a refusal is recorded as an event and nothing runs.
func (r *Runtime) start(ctx context.Context, p *corev1.Pod, c *corev1.Container, kind string) {
	name := p.Namespace + "/" + p.Name
	podCtx, cancel := context.WithCancel(ctx)
	entry := &pod{name: name, cancel: cancel}
	r.mu.Lock()
	r.running[string(p.UID)] = entry
	r.mu.Unlock()
	if err := r.addFinalizer(ctx, p); err != nil {
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	dir := filepath.Join(r.Dir, p.Namespace+"_"+p.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	if err := r.checkImage(c.Image, r.Images.VeleroTag, "velero/velero"); err != nil {
		r.event(name, "refused: container "+c.Name+": "+err.Error(), nil)
		return
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		host := filepath.Join(dir, "volumes", m.Name)
		_ = os.MkdirAll(host, 0o755)
		mounts[m.MountPath] = host
		if err := r.fillSecretVolume(ctx, p, m.Name, host); err != nil {
			r.event(name, "refused: container "+c.Name+": "+err.Error(), nil)
			return
		}
	}
	pluginDir := mounts["/plugins"]
	if kind == "server" {
		if pluginDir == "" {
			r.event(name, "refused: the server container mounts no /plugins volume", nil)
			return
		}
		if err := r.installPlugins(p, pluginDir); err != nil {
			r.event(name, "refused: "+err.Error(), nil)
			return
		}
	}
	env, identity, err := r.environment(podCtx, p, c, dir, mounts)
	if err != nil {
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	args := append([]string(nil), c.Args...)
	metrics := proc.Addr(mustPort())
	args = append(args, "--metrics-address", metrics)
	if kind == "server" {
		args = append(args, "--plugin-dir", pluginDir, "--profiler-address", proc.Addr(mustPort()))
	}
	ports, err := endpointPorts(r.Endpoint, r.Identity.STSEndpoint, r.Identity.S3Endpoint, r.Identity.PodIdentityAgentURL)
	if err != nil {
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	network, err := newPodNetwork(ports)
	if err != nil {
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	program, wrapped := network.command(r.Images.PodNet, r.Images.Velero, args)
	process, err := proc.Start(strings.ReplaceAll(name, "/", "_"), filepath.Join(r.Dir, "logs"), lookPath(program), wrapped, env)
	if err != nil {
		network.close()
		r.event(name, "refused: "+err.Error(), nil)
		return
	}
	r.mu.Lock()
	entry.process, entry.network = process, network
	entry.kind, entry.metrics = kind, metrics
	r.mu.Unlock()
	r.event(name, fmt.Sprintf("started %s (%s)", kind, strings.Join(args, " ")), identity)
}

// Metrics reads the Prometheus metrics page of each running pod of a kind
// (server or node-agent) in a namespace, by pod, from inside the pod's
// network, at the --metrics-address the runtime gave it (the pod's
// declared port 8085 is not where the process listens here).
func (r *Runtime) Metrics(ctx context.Context, namespace, kind string) (map[string]string, error) {
	type target struct {
		name, addr string
		pid        int
	}
	var targets []target
	r.mu.Lock()
	for _, p := range r.running {
		if p.kind == kind && p.process != nil && strings.HasPrefix(p.name, namespace+"/") {
			targets = append(targets, target{p.name, p.metrics, p.process.Pid()})
		}
	}
	r.mu.Unlock()
	pages := map[string]string{}
	for _, t := range targets {
		nsenter := []string{"--target", strconv.Itoa(t.pid), "--net"}
		if os.Geteuid() != 0 {
			// The pod's network belongs to the user namespace
			// unshare --map-root-user made (podNetwork.command).
			nsenter = append(nsenter, "--user", "--preserve-credentials")
		}
		nsenter = append(nsenter, "--", r.Images.PodNet, "-get", "http://"+t.addr+"/metrics")
		out, err := exec.CommandContext(ctx, "nsenter", nsenter...).Output()
		if err != nil {
			var stderr []byte
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = exit.Stderr
			}
			return nil, fmt.Errorf("reading the metrics of pod %s at %s: %v: %s", t.name, t.addr, err, strings.TrimSpace(string(stderr)))
		}
		pages[t.name] = string(out)
	}
	return pages, nil
}

// Finalizer is the runtime's hold on a pod it runs: it removes it once the
// pod's process has stopped.
const Finalizer = "rig.velero-irsa.dev/process"

// addFinalizer puts the runtime's finalizer on the pod before its process
// starts.
func (r *Runtime) addFinalizer(ctx context.Context, p *corev1.Pod) error {
	return r.updateFinalizers(ctx, p, func(f []string) []string {
		if slices.Contains(f, Finalizer) {
			return f
		}
		return append(f, Finalizer)
	})
}

// removeFinalizer lets the API server remove a deleted pod whose process
// has stopped.
func (r *Runtime) removeFinalizer(ctx context.Context, p *corev1.Pod) error {
	return r.updateFinalizers(ctx, p, func(f []string) []string {
		return slices.DeleteFunc(f, func(s string) bool { return s == Finalizer })
	})
}

func (r *Runtime) updateFinalizers(ctx context.Context, p *corev1.Pod, change func([]string) []string) error {
	pods := r.Client.CoreV1().Pods(p.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && cur.UID != p.UID) {
			return nil // a gone pod needs no change
		}
		if err != nil {
			return err
		}
		cur.Finalizers = change(slices.Clone(cur.Finalizers))
		_, err = pods.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// fillSecretVolume writes a secret volume's keys as files, as the kubelet
// does (each key a file, or only the listed items at their paths); other
// volumes stay empty directories. A missing Secret keeps the pod from
// starting, as on a node.
func (r *Runtime) fillSecretVolume(ctx context.Context, p *corev1.Pod, volume, host string) error {
	for _, v := range p.Spec.Volumes {
		if v.Name != volume || v.Secret == nil {
			continue
		}
		s, err := r.Client.CoreV1().Secrets(p.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
		if err != nil {
			if v.Secret.Optional != nil && *v.Secret.Optional {
				return nil
			}
			return fmt.Errorf("secret volume %s: %v", volume, err)
		}
		files := map[string][]byte{}
		if len(v.Secret.Items) == 0 {
			for k, b := range s.Data {
				files[k] = b
			}
		}
		for _, it := range v.Secret.Items {
			b, ok := s.Data[it.Key]
			if !ok {
				return fmt.Errorf("secret volume %s: Secret %s has no key %s", volume, s.Name, it.Key)
			}
			files[it.Path] = b
		}
		for path, b := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(host, path)), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(host, path), b, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkImage accepts only an image the rig built: its repository ends in
// repo (any registry or mirror in front) and its tag is the built one.
func (r *Runtime) checkImage(image, tag, repo string) error {
	base, _, digest := strings.Cut(image, "@")
	if i := strings.LastIndex(base, ":"); i > strings.LastIndex(base, "/") {
		if base[i+1:] != tag {
			return fmt.Errorf("image %s: the rig built %s:%s only", image, repo, tag)
		}
		base = base[:i]
	} else {
		return fmt.Errorf("image %s has no tag; the rig built %s:%s only", image, repo, tag)
	}
	if digest {
		return fmt.Errorf("image %s is pinned by digest, which the rig cannot match with what it built", image)
	}
	if base != repo && !strings.HasSuffix(base, "/"+repo) {
		return fmt.Errorf("image %s is not %s, which is all the rig built", image, repo)
	}
	return nil
}

// installPlugins copies the plugin of each init container into the plugin
// directory, as the plugin images' entrypoint copies it to /target.
func (r *Runtime) installPlugins(p *corev1.Pod, dir string) error {
	for _, c := range p.Spec.InitContainers {
		if err := r.checkImage(c.Image, r.Images.PluginTag, "velero/velero-plugin-for-aws"); err != nil {
			return fmt.Errorf("init container %s: %v", c.Name, err)
		}
		target := false
		for _, m := range c.VolumeMounts {
			if m.MountPath == "/target" && m.Name == "plugins" {
				target = true
			}
		}
		if !target {
			return fmt.Errorf("init container %s does not mount the plugins volume at /target, so its plugin would not reach Velero", c.Name)
		}
		b, err := os.ReadFile(r.Images.Plugin)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "velero-plugin-for-aws"), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

func mustPort() int {
	p, err := proc.FreePort()
	if err != nil {
		panic(err)
	}
	return p
}

// sortedEnv renders an env map as KEY=value lines in name order.
func sortedEnv(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
