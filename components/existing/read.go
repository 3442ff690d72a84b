package existing

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// API reads the Kubernetes API: Get fetches path (with its query) and
// decodes the JSON answer into out. found is false for a 404 (an API group
// or namespace that does not exist), with no error.
type API interface {
	Get(ctx context.Context, path string, out interface{}) (found bool, err error)
}

// The parts of the Kubernetes objects read here, with the JSON names of the
// API (apps/v1 Deployment, core/v1 Secret, velero.io/v1 kinds).
type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type listMeta struct {
	Continue string `json:"continue"`
}

type envVar struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"secretKeyRef"`
	} `json:"valueFrom"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []envVar `json:"env"`
	EnvFrom []struct {
		SecretRef *struct {
			Name string `json:"name"`
		} `json:"secretRef"`
	} `json:"envFrom"`
	VolumeMounts []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type deployment struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Spec struct {
				ServiceAccountName string      `json:"serviceAccountName"`
				InitContainers     []container `json:"initContainers"`
				Containers         []container `json:"containers"`
				Volumes            []struct {
					Name   string `json:"name"`
					Secret *struct {
						SecretName string `json:"secretName"`
					} `json:"secret"`
				} `json:"volumes"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type credentialRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

func (c *credentialRef) String() string {
	if c == nil || c.Name == "" {
		return ""
	}
	return c.Name + "/" + c.Key
}

type backupLocation struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Provider      string            `json:"provider"`
		Default       bool              `json:"default"`
		AccessMode    string            `json:"accessMode"`
		Config        map[string]string `json:"config"`
		Credential    *credentialRef    `json:"credential"`
		ObjectStorage struct {
			Bucket string `json:"bucket"`
			Prefix string `json:"prefix"`
		} `json:"objectStorage"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

type snapshotLocation struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Provider   string            `json:"provider"`
		Config     map[string]string `json:"config"`
		Credential *credentialRef    `json:"credential"`
	} `json:"spec"`
}

type backup struct {
	Metadata struct {
		Name              string `json:"name"`
		CreationTimestamp string `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		StorageLocation string `json:"storageLocation"`
	} `json:"spec"`
	Status struct {
		Phase               string `json:"phase"`
		StartTimestamp      string `json:"startTimestamp"`
		CompletionTimestamp string `json:"completionTimestamp"`
	} `json:"status"`
}

type schedule struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Schedule string `json:"schedule"`
		Paused   bool   `json:"paused"`
	} `json:"spec"`
	Status struct {
		LastBackup string `json:"lastBackup"`
	} `json:"status"`
}

// Read finds every Velero server Deployment on the cluster and describes
// the installation in each namespace that has one, plus a Helm release of
// the velero chart in namespace (the stack's) even when no server runs.
// It needs to list Deployments in all namespaces, and to read Secrets and
// Velero's objects in the namespaces where Velero runs.
func Read(ctx context.Context, api API, namespace string) (Cluster, error) {
	servers, err := veleroDeployments(ctx, api)
	if err != nil {
		return Cluster{}, err
	}
	namespaces := map[string]bool{namespace: true}
	for ns := range servers {
		namespaces[ns] = true
	}
	var c Cluster
	for _, ns := range sortedKeys(namespaces) {
		inst, ok, err := readNamespace(ctx, api, ns, servers[ns])
		if err != nil {
			return Cluster{}, err
		}
		if ok {
			c.Installations = append(c.Installations, inst)
		}
	}
	return c, nil
}

// veleroDeployments lists every Deployment and keeps Velero's servers (a
// container running `/velero server`, or the velero/velero image with the
// server argument), by namespace.
func veleroDeployments(ctx context.Context, api API) (map[string]*deployment, error) {
	out := map[string]*deployment{}
	cont := ""
	for {
		path := "/apis/apps/v1/deployments?limit=500"
		if cont != "" {
			path += "&continue=" + url.QueryEscape(cont)
		}
		var list struct {
			Metadata listMeta     `json:"metadata"`
			Items    []deployment `json:"items"`
		}
		if _, err := api.Get(ctx, path, &list); err != nil {
			return nil, fmt.Errorf("listing Deployments: %w", err)
		}
		for i := range list.Items {
			d := &list.Items[i]
			if serverContainer(d) == nil {
				continue
			}
			if prev, ok := out[d.Metadata.Namespace]; !ok || d.Metadata.Name < prev.Metadata.Name {
				out[d.Metadata.Namespace] = d
			}
		}
		if cont = list.Metadata.Continue; cont == "" {
			return out, nil
		}
	}
}

// serverContainer is the Deployment's Velero server container, or nil.
func serverContainer(d *deployment) *container {
	for i := range d.Spec.Template.Spec.Containers {
		c := &d.Spec.Template.Spec.Containers[i]
		if len(c.Args) == 0 || c.Args[0] != "server" {
			continue
		}
		if (len(c.Command) == 1 && c.Command[0] == "/velero") || imageRepository(c.Image) == "velero/velero" {
			return c
		}
	}
	return nil
}

// awsPluginRepository is the AWS plugin's image repository.
const awsPluginRepository = "velero/velero-plugin-for-aws"

// nodeAgentName is the node agent DaemonSet's name, the same in the chart
// and in `velero install` (pkg/install/daemonset.go).
const nodeAgentName = "node-agent"

// imageRepository is an image's repository without registry, tag or digest
// ("velero/velero" for docker.io/velero/velero:v1.18.3).
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	parts := strings.Split(image, "/")
	if len(parts) >= 2 {
		return strings.Join(parts[len(parts)-2:], "/")
	}
	return image
}

// readNamespace describes the installation in one namespace; ok is false
// when there is neither a server nor a Helm release of the velero chart.
func readNamespace(ctx context.Context, api API, ns string, server *deployment) (Installation, bool, error) {
	releases, err := readReleases(ctx, api, ns)
	if err != nil {
		return Installation{}, false, err
	}
	inst := Installation{Namespace: ns, Kind: KindOther}
	if server != nil {
		inst.Deployment = server.Metadata.Name
		inst.ServiceAccount = server.Spec.Template.Spec.ServiceAccountName
		inst.Selector = server.Spec.Selector.MatchLabels
		if server.Metadata.Labels["component"] == "velero" && server.Spec.Selector.MatchLabels["deploy"] == "velero" {
			inst.Kind = KindCLI
		}
		if name := server.Metadata.Annotations[helmReleaseNameAnnotation]; name != "" {
			if r, ok := releases[name]; ok {
				inst.Release, inst.Kind = r, KindHelm
			}
		}
	}
	if inst.Release == nil {
		// A release of the chart without a running server (a failed
		// install) still blocks a new release of its name.
		for _, name := range sortedKeys(releases) {
			inst.Release, inst.Kind = releases[name], KindHelm
			break
		}
	}
	if server == nil && inst.Release == nil {
		return Installation{}, false, nil
	}
	if inst.Release != nil {
		inst.ManagedByVeleroIRSA = carriesIdentityAnnotation(inst.Release.Values)
	}
	if err := readVeleroObjects(ctx, api, &inst); err != nil {
		return Installation{}, false, err
	}
	if server != nil {
		sources, err := withoutKeylessEnvFrom(ctx, api, ns, staticKeys(server))
		if err != nil {
			return Installation{}, false, err
		}
		for _, src := range sources {
			inst.StaticKeys = append(inst.StaticKeys, src.line)
			if src.secret != "" {
				inst.KeySecrets = appendUnique(inst.KeySecrets, src.secret)
			}
		}
		if inst.Release != nil {
			inst.UnrenderedKeys = unrendered("Deployment", ns, server.Metadata.Name, inst.Release.Manifest, sources)
		}
		inst.ArgoCD = append(argoMarks(&server.Metadata, "Deployment"), inst.ArgoCD...)
		for _, c := range server.Spec.Template.Spec.InitContainers {
			if c.Image != "" && imageRepository(c.Image) != awsPluginRepository {
				inst.Plugins = append(inst.Plugins, c.Image)
			}
		}
		if c := serverContainer(server); c != nil && len(c.Args) > 1 {
			inst.ServerFlags = append([]string(nil), c.Args[1:]...)
		}
	}
	// The node agent has the pod spec of a Deployment's template.
	var agent deployment
	found, err := api.Get(ctx, "/apis/apps/v1/namespaces/"+ns+"/daemonsets/"+nodeAgentName, &agent)
	if err != nil {
		return Installation{}, false, fmt.Errorf("reading DaemonSet %s/%s: %w", ns, nodeAgentName, err)
	}
	inst.NodeAgent = found
	if found {
		sources, err := withoutKeylessEnvFrom(ctx, api, ns, staticKeys(&agent))
		if err != nil {
			return Installation{}, false, err
		}
		for _, src := range sources {
			inst.StaticKeys = appendUnique(inst.StaticKeys, "node agent: "+src.line)
			if src.secret != "" {
				inst.KeySecrets = appendUnique(inst.KeySecrets, src.secret)
			}
		}
		if inst.Release != nil {
			inst.UnrenderedKeys = append(inst.UnrenderedKeys, unrendered("DaemonSet", ns, nodeAgentName, inst.Release.Manifest, sources)...)
		}
	}
	for _, l := range inst.Locations {
		if l.Credential != "" {
			inst.StaticKeys = append(inst.StaticKeys, fmt.Sprintf("backup location %s names credential Secret %s, which Velero prefers to the pod's identity", l.Name, l.Credential))
			inst.KeySecrets = appendUnique(inst.KeySecrets, strings.Split(l.Credential, "/")[0])
		}
	}
	for _, l := range inst.SnapshotLocations {
		if l.Credential != "" {
			inst.StaticKeys = append(inst.StaticKeys, fmt.Sprintf("snapshot location %s names credential Secret %s", l.Name, l.Credential))
			inst.KeySecrets = appendUnique(inst.KeySecrets, strings.Split(l.Credential, "/")[0])
		}
	}
	if inst.ServiceAccount != "" {
		var sa struct {
			Metadata objectMeta `json:"metadata"`
		}
		found, err := api.Get(ctx, "/api/v1/namespaces/"+ns+"/serviceaccounts/"+inst.ServiceAccount, &sa)
		if err != nil {
			return Installation{}, false, fmt.Errorf("reading ServiceAccount %s/%s: %w", ns, inst.ServiceAccount, err)
		}
		if found {
			inst.ArgoCD = append(inst.ArgoCD, argoMarks(&sa.Metadata, "ServiceAccount")...)
			inst.ServiceAccountInRelease = inst.Release != nil && sa.Metadata.Labels["app.kubernetes.io/managed-by"] == "Helm" &&
				sa.Metadata.Annotations[helmReleaseNameAnnotation] == inst.Release.Name && sa.Metadata.Annotations[helmReleaseNamespaceAnnotation] == inst.Release.Namespace
		}
	}
	return inst, true, nil
}

// readVeleroObjects reads the namespace's locations and schedules and marks
// those the release renders.
func readVeleroObjects(ctx context.Context, api API, inst *Installation) error {
	ns := inst.Namespace
	base := "/apis/velero.io/v1/namespaces/" + ns + "/"
	var bsls struct{ Items []backupLocation }
	if _, err := api.Get(ctx, base+"backupstoragelocations", &bsls); err != nil {
		return fmt.Errorf("listing BackupStorageLocations in %s: %w", ns, err)
	}
	var vsls struct{ Items []snapshotLocation }
	if _, err := api.Get(ctx, base+"volumesnapshotlocations", &vsls); err != nil {
		return fmt.Errorf("listing VolumeSnapshotLocations in %s: %w", ns, err)
	}
	var schedules struct{ Items []schedule }
	if _, err := api.Get(ctx, base+"schedules", &schedules); err != nil {
		return fmt.Errorf("listing Schedules in %s: %w", ns, err)
	}
	owned := func(m *objectMeta) bool {
		return inst.Release != nil && m.Annotations[helmReleaseNameAnnotation] == inst.Release.Name &&
			m.Annotations[helmReleaseNamespaceAnnotation] == inst.Release.Namespace
	}
	for _, b := range bsls.Items {
		inst.Locations = append(inst.Locations, Location{
			Name: b.Metadata.Name, Provider: b.Spec.Provider, Bucket: b.Spec.ObjectStorage.Bucket, Prefix: b.Spec.ObjectStorage.Prefix,
			Region: b.Spec.Config["region"], AccessMode: b.Spec.AccessMode, Default: b.Spec.Default,
			Credential: b.Spec.Credential.String(), Config: b.Spec.Config, FromRelease: owned(&b.Metadata), Phase: b.Status.Phase,
		})
		inst.ArgoCD = append(inst.ArgoCD, argoMarks(&b.Metadata, "BackupStorageLocation")...)
	}
	for _, v := range vsls.Items {
		inst.SnapshotLocations = append(inst.SnapshotLocations, SnapshotLocation{
			Name: v.Metadata.Name, Provider: v.Spec.Provider, Region: v.Spec.Config["region"],
			Credential: v.Spec.Credential.String(), Config: v.Spec.Config, FromRelease: owned(&v.Metadata),
		})
	}
	keys := releaseScheduleKeys(inst)
	for _, s := range schedules.Items {
		sc := Schedule{Name: s.Metadata.Name, Cron: s.Spec.Schedule, Paused: s.Spec.Paused, LastBackup: s.Status.LastBackup}
		if owned(&s.Metadata) {
			sc.ReleaseKey = keys[s.Metadata.Name]
		}
		inst.Schedules = append(inst.Schedules, sc)
	}
	if err := readBackups(ctx, api, inst); err != nil {
		return err
	}
	sort.Slice(inst.Locations, func(a, b int) bool { return inst.Locations[a].Name < inst.Locations[b].Name })
	sort.Slice(inst.SnapshotLocations, func(a, b int) bool { return inst.SnapshotLocations[a].Name < inst.SnapshotLocations[b].Name })
	sort.Slice(inst.Schedules, func(a, b int) bool { return inst.Schedules[a].Name < inst.Schedules[b].Name })
	return nil
}

// readBackups counts the namespace's Backups and finds the newest Completed
// one at one of its locations: by completion, then start, then creation
// time (RFC 3339 in UTC, so they order as strings; Velero records whole
// seconds), then name.
func readBackups(ctx context.Context, api API, inst *Installation) error {
	locations := map[string]bool{}
	for _, l := range inst.Locations {
		locations[l.Name] = true
	}
	var newest *backup
	later := func(a, b *backup) bool {
		ka := [4]string{a.Status.CompletionTimestamp, a.Status.StartTimestamp, a.Metadata.CreationTimestamp, a.Metadata.Name}
		kb := [4]string{b.Status.CompletionTimestamp, b.Status.StartTimestamp, b.Metadata.CreationTimestamp, b.Metadata.Name}
		return slices.Compare(ka[:], kb[:]) > 0
	}
	cont := ""
	for {
		path := "/apis/velero.io/v1/namespaces/" + inst.Namespace + "/backups?limit=500"
		if cont != "" {
			path += "&continue=" + url.QueryEscape(cont)
		}
		var list struct {
			Metadata listMeta `json:"metadata"`
			Items    []backup `json:"items"`
		}
		if _, err := api.Get(ctx, path, &list); err != nil {
			return fmt.Errorf("listing Backups in %s: %w", inst.Namespace, err)
		}
		for i := range list.Items {
			b := &list.Items[i]
			inst.Backups++
			if b.Status.Phase == "Completed" && locations[b.Spec.StorageLocation] && (newest == nil || later(b, newest)) {
				newest = b
			}
		}
		if cont = list.Metadata.Continue; cont == "" {
			break
		}
	}
	if newest != nil {
		inst.NewestBackup = &BackupRef{Name: newest.Metadata.Name, Location: newest.Spec.StorageLocation, Completed: newest.Status.CompletionTimestamp}
	}
	return nil
}

// releaseScheduleKeys maps the Schedule names the release renders to their
// keys under the chart's schedules value (the chart names each
// "<fullname>-<key>").
func releaseScheduleKeys(inst *Installation) map[string]string {
	out := map[string]string{}
	if inst.Release == nil {
		return out
	}
	schedules, _ := inst.Release.Values["schedules"].(map[string]interface{})
	full := ChartFullname(inst.Release.Name, inst.Release.Values)
	for key := range schedules {
		out[full+"-"+key] = key
	}
	return out
}

// ChartFullname is the velero chart's "velero.fullname" (_helpers.tpl) for
// a release and its values: fullnameOverride, else the release name when it
// contains the chart's name (or nameOverride), else "<release>-<name>"; at
// most 63 characters. The chart names its Schedules "<fullname>-<key>".
func ChartFullname(release string, values map[string]interface{}) string {
	trunc := func(s string) string {
		if len(s) > 63 {
			s = s[:63]
		}
		return strings.TrimSuffix(s, "-")
	}
	if o, _ := values["fullnameOverride"].(string); o != "" {
		return trunc(o)
	}
	name := "velero"
	if o, _ := values["nameOverride"].(string); o != "" {
		name = o
	}
	if strings.Contains(release, name) {
		return trunc(release)
	}
	return trunc(release + "-" + name)
}

// keySource is one way a workload's pods get static AWS keys.
type keySource struct {
	// line describes it, naming Secrets and variables, never values.
	line string
	// secret is the Secret it reads ("" for a literal value).
	secret string
	// variable is the environment variable it sets, "" for envFrom.
	variable string
	// container is the container it is in.
	container string
}

// staticKeys finds how the pods of a workload (the server Deployment or the
// node agent DaemonSet) get static AWS keys, in any of its containers: a
// credentials or config file from a mounted Secret, the key variables
// (literal or from a Secret), or all keys of a Secret (envFrom).
func staticKeys(d *deployment) []keySource {
	var out []keySource
	mounted := map[string]string{} // volume name → Secret
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			mounted[v.Name] = v.Secret.SecretName
		}
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			switch name := strings.ToUpper(e.Name); {
			case name == "AWS_SHARED_CREDENTIALS_FILE" || name == "AWS_CONFIG_FILE":
				src := keySource{variable: e.Name, container: c.Name}
				for _, m := range c.VolumeMounts {
					if secret, ok := mounted[m.Name]; ok && (e.Value == m.MountPath || strings.HasPrefix(e.Value, strings.TrimSuffix(m.MountPath, "/")+"/")) {
						src.secret = secret
						src.line = fmt.Sprintf("%s=%s from Secret %s mounted at %s", e.Name, e.Value, secret, m.MountPath)
					}
				}
				if src.line == "" {
					src.line = fmt.Sprintf("%s=%s", e.Name, e.Value)
				}
				out = append(out, src)
			case isKeyVariable(name):
				src := keySource{variable: e.Name, container: c.Name, line: fmt.Sprintf("variable %s set in the pod spec", e.Name)}
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					src.secret = e.ValueFrom.SecretKeyRef.Name
					src.line = fmt.Sprintf("variable %s from Secret %s key %s", e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				}
				out = append(out, src)
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil {
				out = append(out, keySource{secret: f.SecretRef.Name, container: c.Name, line: fmt.Sprintf("all keys of Secret %s as variables (envFrom)", f.SecretRef.Name)})
			}
		}
	}
	return out
}

var (
	manifestKindSecret = regexp.MustCompile(`(?m)^kind:\s*Secret\s*$`)
	manifestName       = regexp.MustCompile(`(?m)^  name:\s*"?([^"\s]+)"?\s*$`)
	manifestKind       = regexp.MustCompile(`(?m)^kind:\s*(\S+)\s*$`)
)

// manifestDocs splits a release's manifest into its YAML documents.
func manifestDocs(manifest string) []string {
	return strings.Split(manifest, "\n---")
}

// SecretsOutsideRelease are the Secrets Velero's pods or locations took
// static keys from that the release's manifest does not make (the user's
// own, or another tool's): a Helm upgrade that no longer reads them leaves
// them in place, keys and all.
func SecretsOutsideRelease(inst Installation) []string {
	made := map[string]bool{}
	if inst.Release != nil {
		for _, doc := range manifestDocs(inst.Release.Manifest) {
			if !manifestKindSecret.MatchString(doc) {
				continue
			}
			if m := manifestName.FindStringSubmatch(doc); m != nil {
				made[m[1]] = true
			}
		}
	}
	var out []string
	for _, s := range inst.KeySecrets {
		if !made[s] {
			out = append(out, inst.Namespace+"/"+s)
		}
	}
	return out
}

// workloadDoc is the document of the manifest that renders the workload
// of that kind and name, "" when the release renders none.
func workloadDoc(manifest, kind, name string) string {
	for _, doc := range manifestDocs(manifest) {
		k := manifestKind.FindStringSubmatch(doc)
		n := manifestName.FindStringSubmatch(doc)
		if k != nil && n != nil && k[1] == kind && n[1] == name {
			return doc
		}
	}
	return ""
}

// unrendered are the key sources of a workload that the release's manifest
// does not render: added with kubectl or another tool after the release.
// Helm's upgrade patches only what its manifests set, so they would survive
// it, and the SDK reads them before the role. A source is rendered when the
// release's document of that workload names its variable (an env entry)
// or, for envFrom, its Secret (a secretRef).
func unrendered(kind, namespace, name, manifest string, sources []keySource) []string {
	doc := workloadDoc(manifest, kind, name)
	var out []string
	for _, src := range sources {
		var re *regexp.Regexp
		if src.variable != "" {
			re = regexp.MustCompile(`(?m)^\s*-?\s*name:\s*"?` + regexp.QuoteMeta(src.variable) + `"?\s*$`)
		} else {
			re = regexp.MustCompile(`(?m)secretRef:\s*\n\s*name:\s*"?` + regexp.QuoteMeta(src.secret) + `"?\s*$`)
		}
		if !re.MatchString(doc) {
			out = append(out, fmt.Sprintf("%s %s/%s, container %s: %s", kind, namespace, name, src.container, src.line))
		}
	}
	return out
}

// withoutKeylessEnvFrom drops the envFrom sources whose Secret the API
// shows holds no AWS key variable (proxy settings, say); a Secret it cannot
// find stays a source.
func withoutKeylessEnvFrom(ctx context.Context, api API, ns string, sources []keySource) ([]keySource, error) {
	var out []keySource
	for _, src := range sources {
		if src.variable == "" && src.secret != "" {
			var secret struct {
				Data map[string]string `json:"data"`
			}
			found, err := api.Get(ctx, "/api/v1/namespaces/"+ns+"/secrets/"+src.secret, &secret)
			if err != nil {
				return nil, fmt.Errorf("reading Secret %s/%s: %w", ns, src.secret, err)
			}
			keyless := found
			for k := range secret.Data {
				if isKeyVariable(k) || strings.EqualFold(k, "AWS_SHARED_CREDENTIALS_FILE") || strings.EqualFold(k, "AWS_CONFIG_FILE") {
					keyless = false
				}
			}
			if keyless {
				continue
			}
		}
		out = append(out, src)
	}
	return out, nil
}

// Argo CD's resource tracking: the label of the label method (configurable,
// app.kubernetes.io/instance by default before Argo CD 3.0, which Helm
// charts set too, so only Argo CD's own keys count here) and the annotation
// of the annotation methods.
// https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/
const (
	argoInstanceLabel      = "argocd.argoproj.io/instance"
	argoTrackingAnnotation = "argocd.argoproj.io/tracking-id"
)

func argoMarks(m *objectMeta, kind string) []string {
	var out []string
	if v, ok := m.Labels[argoInstanceLabel]; ok {
		out = append(out, fmt.Sprintf("label %s=%s on %s %s/%s", argoInstanceLabel, v, kind, m.Namespace, m.Name))
	}
	if v, ok := m.Annotations[argoTrackingAnnotation]; ok {
		out = append(out, fmt.Sprintf("annotation %s=%s on %s %s/%s", argoTrackingAnnotation, v, kind, m.Namespace, m.Name))
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
