package existing

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// fakeAPI serves GETs of the paths this package reads from objects held in
// memory, with the Kubernetes API's list and label-selector semantics for
// those paths, and records writes. Anything else is an error, so a read this
// package starts making without a test fails here.
type fakeAPI struct {
	objects map[string]map[string]interface{} // by object path
	writes  []string
	failPUT int // PUTs to refuse, as an API server that went away would
}

func newFakeAPI() *fakeAPI { return &fakeAPI{objects: map[string]map[string]interface{}{}} }

func (f *fakeAPI) add(path string, obj map[string]interface{}) { f.objects[path] = obj }

func (f *fakeAPI) Get(_ context.Context, path string, out interface{}) (bool, error) {
	u, err := url.Parse(path)
	if err != nil {
		return false, err
	}
	var result interface{}
	switch {
	case u.Path == "/apis/apps/v1/deployments":
		result = f.list(`/apis/apps/v1/namespaces/[^/]+/deployments/[^/]+`, "")
	case (strings.HasSuffix(u.Path, "/secrets") || strings.HasSuffix(u.Path, "/pods")) && u.Query().Get("labelSelector") != "":
		result = f.list(regexp.QuoteMeta(u.Path)+`/[^/]+`, u.Query().Get("labelSelector"))
	case strings.HasPrefix(u.Path, "/apis/velero.io/v1/namespaces/") && strings.Count(u.Path, "/") == 6:
		result = f.list(regexp.QuoteMeta(u.Path)+`/[^/]+`, "")
	default:
		obj, ok := f.objects[u.Path]
		if !ok {
			return false, nil
		}
		result = obj
	}
	b, err := json.Marshal(result)
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, out)
}

// list returns the objects whose path matches pattern (a regular
// expression of whole paths) that carry selector's label (key=value).
func (f *fakeAPI) list(pattern, selector string) map[string]interface{} {
	re := regexp.MustCompile("^" + pattern + "$")
	var paths []string
	for p := range f.objects {
		if re.MatchString(p) && f.selected(p, selector) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	items := []interface{}{}
	for _, p := range paths {
		items = append(items, f.objects[p])
	}
	return map[string]interface{}{"metadata": map[string]interface{}{}, "items": items}
}

// selected tells whether the object at path carries every label of
// selector (key=value terms, comma-separated; "" selects all).
func (f *fakeAPI) selected(path, selector string) bool {
	labels, _ := mapAt(f.objects[path], "metadata")["labels"].(map[string]interface{})
	for _, term := range strings.Split(selector, ",") {
		if key, value, _ := strings.Cut(term, "="); key != "" && labels[key] != value {
			return false
		}
	}
	return true
}

// deleteOwnedPods removes the pods a workload's selector selects.
func (f *fakeAPI) deleteOwnedPods(workload map[string]interface{}) {
	sel, _ := mapAt(mapAt(workload, "spec"), "selector")["matchLabels"].(map[string]interface{})
	var terms []string
	for k, v := range sel {
		terms = append(terms, fmt.Sprintf("%s=%v", k, v))
	}
	f.deletePods(mapAt(workload, "metadata")["namespace"].(string), strings.Join(terms, ","))
}

// deletePods removes the pods of namespace ns that selector selects, as
// the controllers do when their owner scales down or goes.
func (f *fakeAPI) deletePods(ns, selector string) {
	re := regexp.MustCompile("^/api/v1/namespaces/" + ns + "/pods/[^/]+$")
	for p := range f.objects {
		if re.MatchString(p) && f.selected(p, selector) {
			delete(f.objects, p)
		}
	}
}

func (f *fakeAPI) Send(_ context.Context, method, path string, body interface{}) error {
	if method == "DELETE" {
		return f.delete(path)
	}
	if strings.HasSuffix(path, "/scale") {
		return f.scale(path, body)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var obj map[string]interface{}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	name, _ := mapAt(obj, "metadata")["name"].(string)
	switch method {
	case "POST":
		path = path + "/" + name
		if _, ok := f.objects[path]; ok {
			return fmt.Errorf("POST %s: 409 Conflict: already exists", path)
		}
	case "PUT":
		if f.failPUT > 0 {
			f.failPUT--
			return fmt.Errorf("PUT %s: 503 Service Unavailable", path)
		}
		if _, ok := f.objects[path]; !ok {
			return fmt.Errorf("PUT %s: 404 Not Found", path)
		}
	default:
		return fmt.Errorf("method %s is not modelled", method)
	}
	f.objects[path] = obj
	f.writes = append(f.writes, method+" "+path)
	return nil
}

// delete removes an object; an absent one is no error, as the cluster
// reader treats a 404. Deleting a DaemonSet takes its pods with it.
func (f *fakeAPI) delete(path string) error {
	obj, ok := f.objects[path]
	if !ok {
		return nil
	}
	delete(f.objects, path)
	f.writes = append(f.writes, "DELETE "+path)
	if strings.Contains(path, "/daemonsets/") {
		f.deleteOwnedPods(obj)
	}
	return nil
}

// scale models a Deployment's scale subresource going to zero: the
// Deployment's pods go.
func (f *fakeAPI) scale(path string, body interface{}) error {
	b, _ := json.Marshal(body)
	var s struct {
		Kind string
		Spec struct{ Replicas *int }
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Kind != "Scale" || s.Spec.Replicas == nil || *s.Spec.Replicas != 0 {
		return fmt.Errorf("PUT %s: only a Scale to zero replicas is modelled: %s", path, b)
	}
	d, ok := f.objects[strings.TrimSuffix(path, "/scale")]
	if !ok {
		return nil // a 404, which the cluster reader does not count as an error
	}
	mapAt(d, "spec")["replicas"] = 0
	f.deleteOwnedPods(d)
	f.writes = append(f.writes, "PUT "+path)
	return nil
}

// The guide's installation: the chart with an IAM user's key in
// credentials.secretContents, locations velero-s3-bsl / velero-s3-dsl, a
// daily schedule from the release and one made with `velero schedule
// create`. The key is the AWS documentation's example.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func guideValues() map[string]interface{} {
	return map[string]interface{}{
		"credentials": map[string]interface{}{
			"useSecret":      true,
			"secretContents": map[string]interface{}{"cloud": "[default]\naws_access_key_id=" + exampleKeyID + "\naws_secret_access_key=" + exampleSecret + "\n"},
		},
		"configuration": map[string]interface{}{
			"backupStorageLocation": []interface{}{map[string]interface{}{
				"name": "velero-s3-bsl", "provider": "aws", "bucket": "acme-velero", "prefix": "prod", "default": true,
				"config": map[string]interface{}{"region": "ap-northeast-2"},
			}},
			"volumeSnapshotLocation": []interface{}{map[string]interface{}{
				"name": "velero-s3-dsl", "provider": "aws", "config": map[string]interface{}{"region": "ap-northeast-2"},
			}},
		},
		"schedules": map[string]interface{}{
			"daily": map[string]interface{}{"schedule": "0 3 * * *", "template": map[string]interface{}{"ttl": "168h", "includedNamespaces": []interface{}{"apps"}}},
		},
		"initContainers": []interface{}{map[string]interface{}{"name": "velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:v1.10.0"}},
	}
}

// helmRecordSecret is a release Secret as Helm stores one revision.
// guideManifest is the part of the chart's rendering of the guide's values
// that gives Velero's pods the key: the credentials Secret, mounted, and
// the variable pointing at it.
const guideManifest = `---
# Source: velero/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: velero
  namespace: velero
type: Opaque
data:
  cloud: W2RlZmF1bHRdCg==
---
# Source: velero/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: velero
  namespace: velero
spec:
  template:
    spec:
      containers:
        - name: velero
          image: "velero/velero:v1.14.0"
          env:
            - name: VELERO_SCRATCH_DIR
              value: /scratch
            - name: AWS_SHARED_CREDENTIALS_FILE
              value: /credentials/cloud
          volumeMounts:
            - name: cloud-credentials
              mountPath: /credentials
      volumes:
        - name: cloud-credentials
          secret:
            secretName: velero
`

func helmRecordSecret(t *testing.T, name, ns string, revision int, status string, values map[string]interface{}) map[string]interface{} {
	t.Helper()
	record := map[string]interface{}{
		"name": name, "namespace": ns, "version": revision,
		"info":     map[string]interface{}{"status": status, "description": "Install complete"},
		"chart":    map[string]interface{}{"metadata": map[string]interface{}{"name": "velero", "version": "7.2.1", "appVersion": "1.14.0"}},
		"config":   values,
		"manifest": guideManifest,
	}
	data, err := encodeRecord(record)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]interface{}{
		"metadata": map[string]interface{}{
			"name": recordName(name, revision), "namespace": ns, "resourceVersion": "1",
			"labels": map[string]interface{}{"name": name, "owner": "helm", "status": status, "version": fmt.Sprint(revision)},
		},
		"type": "helm.sh/release.v1",
		"data": map[string]interface{}{"release": data},
	}
}

func meta(name, ns string, labels, annotations map[string]interface{}) map[string]interface{} {
	return map[string]interface{}{"name": name, "namespace": ns, "labels": labels, "annotations": annotations}
}

var helmOwned = map[string]interface{}{"meta.helm.sh/release-name": "velero", "meta.helm.sh/release-namespace": "velero"}

// guideCluster is the guide's installation, Helm revision 3 over an
// older superseded one.
func guideCluster(t *testing.T) *fakeAPI {
	f := newFakeAPI()
	f.add("/apis/apps/v1/namespaces/velero/deployments/velero", map[string]interface{}{
		"metadata": meta("velero", "velero", map[string]interface{}{"app.kubernetes.io/name": "velero", "app.kubernetes.io/instance": "velero"}, helmOwned),
		"spec": map[string]interface{}{
			"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"app.kubernetes.io/name": "velero", "app.kubernetes.io/instance": "velero"}},
			"template": map[string]interface{}{"spec": map[string]interface{}{
				"serviceAccountName": "velero-server",
				"containers": []interface{}{map[string]interface{}{
					"name": "velero", "image": "velero/velero:v1.14.0", "command": []interface{}{"/velero"}, "args": []interface{}{"server"},
					"env":          []interface{}{map[string]interface{}{"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/credentials/cloud"}},
					"volumeMounts": []interface{}{map[string]interface{}{"name": "cloud-credentials", "mountPath": "/credentials"}},
				}},
				"volumes": []interface{}{map[string]interface{}{"name": "cloud-credentials", "secret": map[string]interface{}{"secretName": "velero"}}},
			}},
		},
	})
	// Not Velero: another app's Deployment with a server argument.
	f.add("/apis/apps/v1/namespaces/web/deployments/api", map[string]interface{}{
		"metadata": meta("api", "web", nil, nil),
		"spec": map[string]interface{}{"template": map[string]interface{}{"spec": map[string]interface{}{
			"containers": []interface{}{map[string]interface{}{"name": "api", "image": "acme/api:1", "args": []interface{}{"server"}}},
		}}},
	})
	f.add("/api/v1/namespaces/velero/serviceaccounts/velero-server", map[string]interface{}{"metadata": meta("velero-server", "velero", map[string]interface{}{"app.kubernetes.io/managed-by": "Helm"}, helmOwned)})
	f.add("/api/v1/namespaces/velero/secrets/"+recordName("velero", 2), helmRecordSecret(t, "velero", "velero", 2, "superseded", map[string]interface{}{}))
	f.add("/api/v1/namespaces/velero/secrets/"+recordName("velero", 3), helmRecordSecret(t, "velero", "velero", 3, "deployed", guideValues()))
	f.add("/apis/velero.io/v1/namespaces/velero/backupstoragelocations/velero-s3-bsl", map[string]interface{}{
		"metadata": meta("velero-s3-bsl", "velero", nil, helmOwned),
		"spec": map[string]interface{}{"provider": "aws", "default": true, "objectStorage": map[string]interface{}{"bucket": "acme-velero", "prefix": "prod"},
			"config": map[string]interface{}{"region": "ap-northeast-2"}},
		"status": map[string]interface{}{"phase": "Available"},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/volumesnapshotlocations/velero-s3-dsl", map[string]interface{}{
		"metadata": meta("velero-s3-dsl", "velero", nil, helmOwned),
		"spec":     map[string]interface{}{"provider": "aws", "config": map[string]interface{}{"region": "ap-northeast-2"}},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/schedules/velero-daily", map[string]interface{}{
		"metadata": meta("velero-daily", "velero", nil, helmOwned),
		"spec":     map[string]interface{}{"schedule": "0 3 * * *"},
		"status":   map[string]interface{}{"lastBackup": "2026-12-03T03:00:00Z"},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/schedules/hourly-apps", map[string]interface{}{
		"metadata": meta("hourly-apps", "velero", nil, nil),
		"spec":     map[string]interface{}{"schedule": "@every 1h"},
	})
	// The newest Completed backup at a location of the installation is
	// velero-daily-20261203030000: the one that completed later failed, the
	// other one is at a location that is gone, and zz-manual-0302 completed in
	// the same second but started earlier.
	for _, b := range []struct{ name, location, phase, start, completion string }{
		{"velero-daily-20261202030000", "velero-s3-bsl", "Completed", "2026-12-02T03:00:00Z", "2026-12-02T03:03:55Z"},
		{"zz-manual-0302", "velero-s3-bsl", "Completed", "2026-12-03T03:00:00Z", "2026-12-03T03:04:10Z"},
		{"velero-daily-20261203030000", "velero-s3-bsl", "Completed", "2026-12-03T03:00:01Z", "2026-12-03T03:04:10Z"},
		{"before-move", "old-bucket", "Completed", "2026-12-03T08:00:00Z", "2026-12-03T08:01:00Z"},
		{"manual-failed", "velero-s3-bsl", "Failed", "2026-12-03T09:00:00Z", "2026-12-03T09:00:02Z"},
	} {
		f.add("/apis/velero.io/v1/namespaces/velero/backups/"+b.name, map[string]interface{}{
			"metadata": meta(b.name, "velero", nil, nil),
			"spec":     map[string]interface{}{"storageLocation": b.location},
			"status":   map[string]interface{}{"phase": b.phase, "startTimestamp": b.start, "completionTimestamp": b.completion},
		})
	}
	return f
}

func TestReadGuideInstallation(t *testing.T) {
	c, err := Read(context.Background(), guideCluster(t), "velero")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Installations) != 1 {
		t.Fatalf("found %d installations, want the one in velero: %+v", len(c.Installations), c.Installations)
	}
	inst := c.Installations[0]
	if inst.Kind != KindHelm || inst.Release.Revision != 3 || inst.ManagedByVeleroIRSA {
		t.Errorf("kind %s, revision %d, managed %t; want helm, 3, false", inst.Kind, inst.Release.Revision, inst.ManagedByVeleroIRSA)
	}
	if got := inst.Describe("  "); got != guideFound {
		t.Errorf("Describe:\n%s\nwant:\n%s", got, guideFound)
	}
	if strings.Contains(inst.Describe(""), exampleSecret) || strings.Contains(inst.Describe(""), exampleKeyID) {
		t.Error("the description shows the key")
	}
	if fmt.Sprint(inst.KeySecrets) != "[velero]" {
		t.Errorf("key Secrets %v, want [velero]", inst.KeySecrets)
	}
}

func TestReadVeleroInstallAndArgoCD(t *testing.T) {
	f := newFakeAPI()
	f.add("/apis/apps/v1/namespaces/velero/deployments/velero", map[string]interface{}{
		"metadata": meta("velero", "velero", map[string]interface{}{"component": "velero", "argocd.argoproj.io/instance": "velero"}, nil),
		"spec": map[string]interface{}{
			"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"deploy": "velero"}},
			"template": map[string]interface{}{"spec": map[string]interface{}{
				"serviceAccountName": "velero",
				"containers": []interface{}{map[string]interface{}{
					"name": "velero", "image": "velero/velero:v1.16.2", "command": []interface{}{"/velero"}, "args": []interface{}{"server", "--features="},
					"envFrom": []interface{}{map[string]interface{}{"secretRef": map[string]interface{}{"name": "aws-keys"}}},
				}},
			}},
		},
	})
	f.add("/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default", map[string]interface{}{
		"metadata": meta("default", "velero", map[string]interface{}{"component": "velero"}, map[string]interface{}{"argocd.argoproj.io/tracking-id": "velero:velero.io/BackupStorageLocation:velero/default"}),
		"spec": map[string]interface{}{"provider": "velero.io/aws", "objectStorage": map[string]interface{}{"bucket": "b"},
			"credential": map[string]interface{}{"name": "bsl-keys", "key": "cloud"}},
	})
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	inst := c.Installations[0]
	want := `Velero installed by ` + "`velero install`" + ` in namespace velero (Deployment velero, label component=velero, no Helm release)
  ServiceAccount velero
  backup location default: bucket b, prefix (none), region (none), credential Secret bsl-keys/cloud
  backups: none
  static AWS keys: all keys of Secret aws-keys as variables (envFrom)
  static AWS keys: backup location default names credential Secret bsl-keys/cloud, which Velero prefers to the pod's identity
  managed by Argo CD: label argocd.argoproj.io/instance=velero on Deployment velero/velero
  managed by Argo CD: annotation argocd.argoproj.io/tracking-id=velero:velero.io/BackupStorageLocation:velero/default on BackupStorageLocation velero/default
`
	if got := inst.Describe(""); got != want {
		t.Errorf("Describe:\n%s\nwant:\n%s", got, want)
	}
}

func TestReadEmptyCluster(t *testing.T) {
	c, err := Read(context.Background(), newFakeAPI(), "velero")
	if err != nil || len(c.Installations) != 0 {
		t.Fatalf("an empty cluster gave %+v, %v", c, err)
	}
}

func TestImageRepository(t *testing.T) {
	for in, want := range map[string]string{
		"velero/velero:v1.18.3":                     "velero/velero",
		"docker.io/velero/velero:v1.18.3":           "velero/velero",
		"registry.local:5000/velero/velero@sha256:": "velero/velero",
		"velero": "velero",
	} {
		if got := imageRepository(in); got != want {
			t.Errorf("imageRepository(%q) = %q, want %q", in, got, want)
		}
	}
}

// pagedBackups answers the Backups list in two pages, as an API server
// does with limit and continue; other paths are not found.
type pagedBackups struct{ calls []string }

func (p *pagedBackups) Get(_ context.Context, path string, out interface{}) (bool, error) {
	p.calls = append(p.calls, path)
	page := `{"metadata":{"continue":"next"},"items":[{"metadata":{"name":"a"},"spec":{"storageLocation":"default"},"status":{"phase":"Completed","completionTimestamp":"2026-12-01T00:00:00Z"}}]}`
	if strings.Contains(path, "continue=next") {
		page = `{"metadata":{},"items":[{"metadata":{"name":"b"},"spec":{"storageLocation":"default"},"status":{"phase":"Completed","completionTimestamp":"2026-12-02T00:00:00Z"}},{"metadata":{"name":"c"},"spec":{"storageLocation":"default"},"status":{"phase":"Failed","completionTimestamp":"2026-12-03T00:00:00Z"}}]}`
	}
	if !strings.HasPrefix(path, "/apis/velero.io/v1/namespaces/velero/backups?") {
		return false, nil
	}
	return true, json.Unmarshal([]byte(page), out)
}

// TestReadBackupsPages counts the Backups of every page and finds the
// newest Completed one on the last.
func TestReadBackupsPages(t *testing.T) {
	api := &pagedBackups{}
	inst := Installation{Namespace: "velero", Locations: []Location{{Name: "default"}}}
	if err := readBackups(context.Background(), api, &inst); err != nil {
		t.Fatal(err)
	}
	if inst.Backups != 3 || inst.NewestBackup == nil || inst.NewestBackup.Name != "b" || len(api.calls) != 2 {
		t.Errorf("backups %d, newest %+v, calls %v", inst.Backups, inst.NewestBackup, api.calls)
	}
}
