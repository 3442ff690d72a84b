package existing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// guideWant is a stack that describes the guide's installation exactly.
func guideWant() Want {
	return Want{
		Cluster: "prod-apne2", Namespace: "velero", ReleaseName: "velero", ServiceAccount: "velero-server",
		Locations:    map[string]WantLocation{"velero-s3-bsl": {Bucket: "acme-velero", Prefix: "prod", Region: "ap-northeast-2", Setting: "bucketName/backupPrefix/region"}},
		MainLocation: "velero-s3-bsl", SnapshotLocation: "velero-s3-dsl", Region: "ap-northeast-2",
		Schedules: map[string]WantSchedule{"daily": {Cron: "0 3 * * *", TTL: "168h0m0s", IncludedNamespaces: []string{"apps"}, StorageLocation: "velero-s3-bsl"}},
		Key:       func(k string) string { return "velero-irsa:" + k },
	}
}

func readGuide(t *testing.T) Cluster {
	t.Helper()
	c, err := Read(context.Background(), guideCluster(t), "velero")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const guideFound = `  Helm release velero in namespace velero: chart velero 7.2.1, revision 3 (deployed)
    server Deployment velero/velero, ServiceAccount velero-server
    backup location velero-s3-bsl: bucket acme-velero, prefix prod, region ap-northeast-2, default, Available
    snapshot location velero-s3-dsl: region ap-northeast-2
    schedule hourly-apps: "@every 1h" (not from the release)
    schedule velero-daily: "0 3 * * *" (the release's schedules.daily)
    backups: 5, the newest Completed one velero-daily-20261203030000 at velero-s3-bsl (completed 2026-12-03T03:04:10Z)
    static AWS keys: AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud from Secret velero mounted at /credentials
`

func TestCheckRefusals(t *testing.T) {
	cases := []struct {
		name   string
		change func(w *Want)
		want   string
	}{
		{
			name:   "not adopted",
			change: func(w *Want) {},
			want: "Velero already runs on cluster prod-apne2, outside this stack; nothing was created or changed.\n" + guideFound +
				"To move this release to the role in place (the same release at a new revision, its backups, locations and schedules kept), set velero-irsa:adoptRelease: velero in the stack, and velero-irsa:readBackBackup: velero-daily-20261203030000 (its newest Completed backup) to prove that the backups taken before the switch are readable through the role; see docs/adopting.md. To install a separate Velero instead, uninstall this one first.",
		},
		{
			name:   "not adopted, reading a backup back",
			change: func(w *Want) { w.ReadBackBackup = "zz-manual-0302" },
			want: "Velero already runs on cluster prod-apne2, outside this stack; nothing was created or changed.\n" + guideFound +
				"To move this release to the role in place (the same release at a new revision, its backups, locations and schedules kept), set velero-irsa:adoptRelease: velero in the stack; see docs/adopting.md. To install a separate Velero instead, uninstall this one first.",
		},
		{
			name:   "another namespace",
			change: func(w *Want) { w.Namespace = "backup" },
			want: "Velero already runs on cluster prod-apne2, outside this stack; nothing was created or changed.\n" + guideFound +
				"It runs in namespace velero, and this stack installs Velero in namespace backup: two Velero servers on one cluster share its CRDs and fight over its backups. To move that Velero to the role instead, set velero-irsa:namespace: velero and velero-irsa:adoptRelease: velero.",
		},
		{
			name: "location moved, snapshot location renamed, schedule differs",
			change: func(w *Want) {
				w.AdoptRelease = "velero"
				w.Locations = map[string]WantLocation{"velero-s3-bsl": {Bucket: "acme-velero-2", Prefix: "prod/", Region: "ap-northeast-2", Setting: "bucketName/backupPrefix/region"}}
				w.SnapshotLocation = "default"
				w.Schedules = map[string]WantSchedule{"daily": {Cron: "0 4 * * *"}}
			},
			want: "Cannot adopt the Velero on cluster prod-apne2 as the stack says; nothing was created or changed.\n" + guideFound +
				"- Backup location velero-s3-bsl has bucket \"acme-velero\" in the cluster and \"acme-velero-2\" in the stack (bucketName/backupPrefix/region): pointing a location at other storage detaches its backups; set the stack to \"acme-velero\".\n" +
				"- Snapshot location velero-s3-dsl would be replaced by the stack's default: restores of EBS snapshots look the location up by the name the backup recorded; set velero-irsa:snapshotLocationName: velero-s3-dsl.\n" +
				"- The release's schedules daily would be deleted or changed by the upgrade: describe them in the stack exactly, e.g.\n" +
				"  velero-irsa:schedules:\n    daily:\n      schedule: \"0 3 * * *\"\n      ttl: 168h\n      includedNamespaces: [apps]",
		},
		{
			name: "location not described",
			change: func(w *Want) {
				w.AdoptRelease = "velero"
				w.Locations = map[string]WantLocation{"default": {Bucket: "acme-velero", Region: "ap-northeast-2"}}
			},
			want: "- Backup location velero-s3-bsl (bucket acme-velero, prefix prod, region ap-northeast-2) is not described by the stack, and its backups would lose their location: make it the main one (velero-irsa:backupLocationName: velero-s3-bsl, velero-irsa:bucketName: acme-velero, velero-irsa:backupPrefix: \"prod\", velero-irsa:region: ap-northeast-2) or add it under velero-irsa:additionalBackupLocations.",
		},
		{
			name: "schedule writes elsewhere",
			change: func(w *Want) {
				w.AdoptRelease = "velero"
				w.Locations["dr"] = WantLocation{Bucket: "acme-dr", Region: "us-west-2", AccessMode: "ReadWrite"}
				s := w.Schedules["daily"]
				s.StorageLocation = "dr"
				w.Schedules["daily"] = s
			},
			want: "- The release's schedules daily would be deleted or changed by the upgrade: describe them in the stack exactly, e.g.",
		},
		{
			name: "default location not the main one",
			change: func(w *Want) {
				w.AdoptRelease = "velero"
				w.MainLocation = "default"
			},
			want: "- Backup location velero-s3-bsl is the default one and the stack's main location is default: set velero-irsa:backupLocationName: velero-s3-bsl.",
		},
		{
			name:   "wrong release name",
			change: func(w *Want) { w.AdoptRelease = "velero-prod" },
			want:   "- velero-irsa:adoptRelease is velero-prod, but the release here is velero: set it to velero.",
		},
		{
			name:   "another ServiceAccount",
			change: func(w *Want) { w.AdoptRelease, w.ServiceAccount = "velero", "velero" },
			want:   "- Velero runs as ServiceAccount velero-server and the stack's is velero: set velero-irsa:serviceAccountName: velero-server, so the role trusts the ServiceAccount the release keeps.",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := guideWant()
			tc.change(&w)
			_, err := Check(readGuide(t), w)
			if err == nil || !IsRefusal(err) {
				t.Fatalf("Check passed or failed otherwise: %v", err)
			}
			if strings.HasPrefix(tc.want, "- ") {
				if !strings.Contains(err.Error(), "\n"+tc.want) {
					t.Errorf("refusal:\n%s\nwant a line:\n%s", err, tc.want)
				}
				return
			}
			if err.Error() != tc.want {
				t.Errorf("refusal:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestCheckArgoCD(t *testing.T) {
	f := guideCluster(t)
	sa := f.objects["/api/v1/namespaces/velero/serviceaccounts/velero-server"]
	mapAt(sa, "metadata")["labels"] = map[string]interface{}{"argocd.argoproj.io/instance": "velero"}
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	w := guideWant()
	w.AdoptRelease = "velero"
	_, err = Check(c, w)
	want := "- Argo CD manages this Velero (label argocd.argoproj.io/instance=velero on ServiceAccount velero/velero-server): it would revert every change this stack makes, and put the static keys back. " +
		"Hand it over first: delete the Argo CD Application without cascading (`argocd app delete <app> --cascade=false`, which keeps Velero running) or turn its auto-sync off, then set velero-irsa:argoCDReleased: true."
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal:\n%v\nwant a line:\n%s", err, want)
	}
	w.ArgoCDReleased = true
	v, err := Check(c, w)
	if err != nil || v.Adopt == nil {
		t.Fatalf("with argoCDReleased, Check = %+v, %v; want an adoption", v, err)
	}
}

// TestCheckLocationsOutsideTheRelease: a location the release does not
// render, or one pointed at another endpoint, is refused.
func TestCheckLocationsOutsideTheRelease(t *testing.T) {
	f := guideCluster(t)
	bsl := f.objects["/apis/velero.io/v1/namespaces/velero/backupstoragelocations/velero-s3-bsl"]
	mapAt(bsl, "spec")["config"] = map[string]interface{}{"region": "ap-northeast-2", "s3Url": "https://minio.local", "s3ForcePathStyle": "true"}
	f.add("/apis/velero.io/v1/namespaces/velero/backupstoragelocations/by-hand", map[string]interface{}{
		"metadata": meta("by-hand", "velero", nil, nil),
		"spec":     map[string]interface{}{"provider": "aws", "objectStorage": map[string]interface{}{"bucket": "acme-velero", "prefix": "by-hand"}, "config": map[string]interface{}{"region": "ap-northeast-2"}},
	})
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	w := guideWant()
	w.AdoptRelease = "velero"
	w.Locations["by-hand"] = WantLocation{Bucket: "acme-velero", Prefix: "by-hand", Region: "ap-northeast-2"}
	_, err = Check(c, w)
	for _, want := range []string{
		"- Backup location by-hand was made outside the release (`velero backup-location create` or kubectl), and the stack creates its locations itself: delete it first (`kubectl delete backupstoragelocations.velero.io by-hand -n velero`; deleting a location deletes no backup, and its Backups stay tied to its name), then describe it in the stack.",
		"- Backup location velero-s3-bsl sets config s3ForcePathStyle, s3Url, which the stack does not set: the upgrade would drop it and point the location elsewhere (an S3-compatible endpoint, a profile); this stack manages locations on AWS S3 only.",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal:\n%v\nwant a line:\n%s", err, want)
		}
	}
}

// TestCheckReleaseValues: values the upgrade would drop are refused.
func TestCheckReleaseValues(t *testing.T) {
	f := guideCluster(t)
	values := guideValues()
	values["deployNodeAgent"] = true
	values["fullnameOverride"] = "backups"
	values["initContainers"] = append(values["initContainers"].([]interface{}), map[string]interface{}{"name": "csi", "image": "velero/velero-plugin-for-csi:v0.7.0"})
	f.add("/api/v1/namespaces/velero/secrets/"+recordName("velero", 3), helmRecordSecret(t, "velero", "velero", 3, "deployed", values))
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	w := guideWant()
	w.AdoptRelease = "velero"
	_, err = Check(c, w)
	want := "- The release sets fullnameOverride \"backups\", which names its objects; the stack's release names them from the release name, so the upgrade would replace them. The stack cannot take this release over: keep it, or uninstall it and let the stack install its own (backups stay in the bucket; describe its locations and schedules in the stack first).\n" +
		"- The release runs the node agent (deployNodeAgent: true) and the stack does not: the upgrade would delete it, and file-system backups with it; set velero-irsa:deployNodeAgent: true.\n" +
		"- The release installs plugin image velero/velero-plugin-for-csi:v0.7.0, which the upgrade would drop: list it in velero-irsa:valuesOverrides.initContainers after the AWS plugin, or remove it from the release first."
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal:\n%v\nwant lines:\n%s", err, want)
	}
	w.NodeAgent, w.Plugins = true, []string{"velero/velero-plugin-for-csi:v0.7.0"}
	if _, err = Check(c, w); err == nil || strings.Contains(err.Error(), "deployNodeAgent") || strings.Contains(err.Error(), "plugin image") {
		t.Errorf("with the node agent in the stack: %v", err)
	}
}

// TestCheckManagedWithKeys: the stack's own release whose newest values
// hold keys again (a rollback outside the stack) is refused, and taken
// back with adoptRelease.
func TestCheckManagedWithKeys(t *testing.T) {
	values := guideValues()
	values["podAnnotations"] = map[string]interface{}{"velero-irsa/identity": "irsa arn:aws:iam::123456789012:role/x sts.amazonaws.com"}
	c := Cluster{Installations: []Installation{{Namespace: "velero", Kind: KindHelm, ManagedByVeleroIRSA: true, ServiceAccount: "velero-server",
		Locations: []Location{{Name: "velero-s3-bsl", Provider: "aws", Bucket: "acme-velero", Prefix: "prod", Region: "ap-northeast-2", Default: true, FromRelease: true}},
		Release:   &Release{Name: "velero", Namespace: "velero", Revision: 6, Status: "deployed", Chart: "velero", Values: values}}}}
	_, err := Check(c, guideWant())
	if err == nil || !strings.Contains(err.Error(), "Its newest revision's values hold static AWS keys (a `helm rollback` or `helm upgrade` outside the stack): set velero-irsa:adoptRelease: velero to take it back without them.") {
		t.Fatalf("refusal: %v", err)
	}
	w := guideWant()
	w.AdoptRelease = "velero"
	v, err := Check(c, w)
	if err != nil || v.Adopt == nil {
		t.Fatalf("with adoptRelease: %+v, %v", v, err)
	}
}

func TestCheckVerdicts(t *testing.T) {
	w := guideWant()
	w.AdoptRelease = "velero"
	v, err := Check(readGuide(t), w)
	if err != nil || v.Adopt == nil || v.Adopt.Release.Revision != 3 || v.Managed {
		t.Fatalf("adopting the guide's release: %+v, %v", v, err)
	}

	// Nothing on the cluster: a fresh install; adoptRelease then names
	// nothing.
	v, err = Check(Cluster{}, guideWant())
	if err != nil || v.Adopt != nil || v.Managed {
		t.Fatalf("empty cluster: %+v, %v", v, err)
	}
	_, err = Check(Cluster{}, w)
	if err == nil || err.Error() != "velero-irsa:adoptRelease is velero, but no Helm release of that name runs Velero in namespace velero on cluster prod-apne2: check the name (`helm list -n velero`), or remove the setting for a fresh install." {
		t.Fatalf("adoptRelease on an empty cluster: %v", err)
	}

	// The stack's own release: a later up, with or without adoptRelease.
	managed := Cluster{Installations: []Installation{{Namespace: "velero", Kind: KindHelm, ManagedByVeleroIRSA: true,
		Release: &Release{Name: "velero", Namespace: "velero", Revision: 5, Status: "deployed", Chart: "velero"}}}}
	for _, wa := range []Want{guideWant(), w} {
		v, err = Check(managed, wa)
		if err != nil || !v.Managed || v.Adopt != nil {
			t.Fatalf("own release: %+v, %v", v, err)
		}
	}
	// Another velero-irsa stack's release of another name.
	managed.Installations[0].Release.Name = "velero-b"
	if _, err = Check(managed, guideWant()); err == nil || !strings.Contains(err.Error(), "Another velero-irsa stack installed it as release velero-b; this stack's release is velero.") {
		t.Fatalf("another stack's release: %v", err)
	}
}

func TestScrubValues(t *testing.T) {
	values := guideValues()
	values["configuration"].(map[string]interface{})["extraEnvVars"] = map[string]interface{}{"AWS_ACCESS_KEY_ID": exampleKeyID, "TZ": "UTC"}
	values["nodeAgent"] = map[string]interface{}{"extraEnvVars": []interface{}{
		map[string]interface{}{"name": "AWS_SECRET_ACCESS_KEY", "value": exampleSecret},
		map[string]interface{}{"name": "GOGC", "value": "50"},
	}}
	values["podAnnotations"] = map[string]interface{}{"note": "rotated " + exampleKeyID}
	values["configuration"].(map[string]interface{})["extraEnvVars"].(map[string]interface{})["aws_secret_access_key"] = exampleSecret
	values["extraObjects"] = []interface{}{map[string]interface{}{"kind": "Secret", "data": map[string]interface{}{
		"cloud": base64.StdEncoding.EncodeToString([]byte("[default]\naws_access_key_id=" + exampleKeyID + "\naws_secret_access_key=" + exampleSecret + "\n")),
	}}}
	scrubbed, removed := ScrubValues(values)
	want := "configuration.extraEnvVars.AWS_ACCESS_KEY_ID configuration.extraEnvVars.aws_secret_access_key credentials.secretContents extraObjects.data.cloud nodeAgent.extraEnvVars[name=AWS_SECRET_ACCESS_KEY] podAnnotations.note"
	if got := strings.Join(removed, " "); got != want {
		t.Errorf("removed %s\nwant    %s", got, want)
	}
	raw, _ := json.Marshal(scrubbed)
	if strings.Contains(string(raw), exampleKeyID) || strings.Contains(string(raw), exampleSecret) || strings.Contains(string(raw), base64.StdEncoding.EncodeToString([]byte("[default]"))[:8]) {
		t.Errorf("the scrubbed values still hold the key: %s", raw)
	}
	if scrubbed["credentials"].(map[string]interface{})["useSecret"] != true ||
		scrubbed["configuration"].(map[string]interface{})["extraEnvVars"].(map[string]interface{})["TZ"] != "UTC" ||
		len(scrubbed["nodeAgent"].(map[string]interface{})["extraEnvVars"].([]interface{})) != 1 {
		t.Errorf("ScrubValues dropped more than the keys: %v", scrubbed)
	}
	if !HasKeyMaterial(values) || values["credentials"].(map[string]interface{})["secretContents"] == nil {
		t.Error("ScrubValues changed its input")
	}
}

// TestChartFullname: the names the chart gives its objects and Schedules.
func TestChartFullname(t *testing.T) {
	cases := []struct {
		release   string
		overrides map[string]interface{}
		want      string
	}{
		{"velero", nil, "velero"},
		{"backup", nil, "backup-velero"},
		{"prod-velero", nil, "prod-velero"},
		{"backup", map[string]interface{}{"nameOverride": "vel"}, "backup-vel"},
		{"velero", map[string]interface{}{"fullnameOverride": "dr"}, "dr"},
		{strings.Repeat("a", 53), map[string]interface{}{"nameOverride": "velero-for-this-one"}, strings.Repeat("a", 53) + "-velero-fo"},
	}
	for _, c := range cases {
		if got := ChartFullname(c.release, c.overrides); got != c.want {
			t.Errorf("ChartFullname(%q, %v) = %q, want %q", c.release, c.overrides, got, c.want)
		}
	}
}

// TestReadBackHint proposes the newest Completed backup only when there is
// one and the stack reads none back yet.
func TestReadBackHint(t *testing.T) {
	inst := readGuide(t).Installations[0]
	w := guideWant()
	if got, want := ReadBackHint(w, inst), ", and velero-irsa:readBackBackup: velero-daily-20261203030000 (its newest Completed backup) to prove that the backups taken before the switch are readable through the role"; got != want {
		t.Errorf("hint %q, want %q", got, want)
	}
	w.ReadBackBackup = "zz-manual-0302"
	if got := ReadBackHint(w, inst); got != "" {
		t.Errorf("with readBackBackup set: %q", got)
	}
	inst.NewestBackup = nil
	if got := ReadBackHint(guideWant(), inst); got != "" {
		t.Errorf("without a Completed backup: %q", got)
	}
}

// TestCheckUnrenderedKeys: key sources added to Velero's pods outside the
// release (kubectl set env on the server, envFrom on the node agent) would
// survive Helm's upgrade; the adoption is refused naming each, and so is an
// up of the stack's own release that has them.
func TestCheckUnrenderedKeys(t *testing.T) {
	f := guideCluster(t)
	server := f.objects["/apis/apps/v1/namespaces/velero/deployments/velero"]
	podSpec := mapAt(mapAt(mapAt(server, "spec"), "template"), "spec")
	velero := podSpec["containers"].([]interface{})[0].(map[string]interface{})
	velero["env"] = append(velero["env"].([]interface{}), map[string]interface{}{"name": "AWS_ACCESS_KEY_ID", "value": exampleKeyID})
	f.add("/apis/apps/v1/namespaces/velero/daemonsets/node-agent", map[string]interface{}{
		"metadata": meta("node-agent", "velero", nil, helmOwned),
		"spec": map[string]interface{}{"template": map[string]interface{}{"spec": map[string]interface{}{
			"containers": []interface{}{map[string]interface{}{"name": "node-agent", "image": "velero/velero:v1.14.0",
				"envFrom": []interface{}{map[string]interface{}{"secretRef": map[string]interface{}{"name": "aws-keys"}}}}},
		}}},
	})
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	w := guideWant()
	w.AdoptRelease, w.NodeAgent = "velero", true
	_, err = Check(c, w)
	want := "- Velero's pods get static AWS keys that release velero does not render (added with kubectl or another tool): " +
		"Deployment velero/velero, container velero: variable AWS_ACCESS_KEY_ID set in the pod spec; " +
		"DaemonSet velero/node-agent, container node-agent: all keys of Secret aws-keys as variables (envFrom). " +
		"A Helm upgrade changes only what the release renders, so they would stay, and the AWS SDK would use them instead of the role. " +
		"Remove them first: `kubectl set env deployment/velero -n velero <VARIABLE>-` for a variable (`daemonset/node-agent` for the node agent), `kubectl edit` for envFrom.\n"
	if err == nil || !strings.Contains(err.Error()+"\n", want) {
		t.Fatalf("refusal:\n%v\nwant the line:\n%s", err, want)
	}
	// What the release renders (the credentials file from its Secret) is
	// not among them: the upgrade removes it.
	if strings.Contains(err.Error(), "container velero: AWS_SHARED_CREDENTIALS_FILE") {
		t.Errorf("the rendered credentials file is named as added outside the release:\n%v", err)
	}
	if !strings.Contains(err.Error(), "static AWS keys: node agent: all keys of Secret aws-keys as variables (envFrom)") {
		t.Errorf("the description does not name the node agent's keys:\n%v", err)
	}

	// A Secret of proxy settings given to the server by envFrom holds no
	// key: not a key source.
	velero["envFrom"] = []interface{}{map[string]interface{}{"secretRef": map[string]interface{}{"name": "proxy"}}}
	f.add("/api/v1/namespaces/velero/secrets/proxy", map[string]interface{}{"metadata": meta("proxy", "velero", nil, nil),
		"data": map[string]interface{}{"HTTPS_PROXY": base64.StdEncoding.EncodeToString([]byte("http://proxy:3128"))}})
	withProxy, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(withProxy.Installations[0].StaticKeys, "; "); strings.Contains(got, "proxy") {
		t.Errorf("the proxy Secret is named as a key source: %s", got)
	}

	// The release renders AWS_ACCESS_KEY_ID in the node agent only: the
	// same variable added to the server is still not the release's.
	inst0 := c.Installations[0]
	inst0.Release.Manifest += "---\n# Source: velero/templates/node-agent.yaml\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-agent\n  namespace: velero\nspec:\n  template:\n    spec:\n      containers:\n        - name: node-agent\n          env:\n            - name: AWS_ACCESS_KEY_ID\n              valueFrom:\n                secretKeyRef:\n                  name: velero\n                  key: id\n"
	delete(velero, "envFrom")
	var d deployment
	raw, _ := json.Marshal(server)
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if got := unrendered("Deployment", "velero", "velero", inst0.Release.Manifest, staticKeys(&d)); len(got) != 1 || !strings.Contains(got[0], "variable AWS_ACCESS_KEY_ID set in the pod spec") {
		t.Errorf("a variable the release renders only in the node agent, added to the server: %v", got)
	}

	// The stack's own release, changed with kubectl after a deploy.
	inst := c.Installations[0]
	inst.ManagedByVeleroIRSA = true
	inst.Release.Values = map[string]interface{}{}
	_, err = Check(Cluster{Installations: []Installation{inst}}, guideWant())
	if err == nil || !strings.HasPrefix(err.Error(), "Velero on cluster prod-apne2, installed by this stack, has static AWS keys added outside it; nothing was created or changed.\n") ||
		!strings.Contains(err.Error()+"\n", want) {
		t.Fatalf("the stack's own release with keys added: %v", err)
	}
}

// TestSecretsOutsideRelease names the key Secrets the release does not
// make: the chart's credentials Secret is the release's, a location's
// credential Secret is not.
func TestSecretsOutsideRelease(t *testing.T) {
	inst := readGuide(t).Installations[0]
	if got := SecretsOutsideRelease(inst); len(got) != 0 {
		t.Errorf("the guide's install: %v, want none (Secret velero is the release's)", got)
	}
	inst.KeySecrets = append(inst.KeySecrets, "bsl-keys")
	if got := fmt.Sprint(SecretsOutsideRelease(inst)); got != "[velero/bsl-keys]" {
		t.Errorf("with a location's credential Secret: %s", got)
	}
}

// TestCheckMoreRefusals covers the refusals of what the cluster holds that
// the stack cannot keep, each with its exact message.
func TestCheckMoreRefusals(t *testing.T) {
	cases := []struct {
		name   string
		change func(inst *Installation, w *Want)
		want   string
	}{
		{
			name: "made some other way",
			change: func(inst *Installation, w *Want) {
				inst.Kind, inst.Release = KindOther, nil
			},
			want: "It does not come from a Helm release this stack could adopt; remove it first (its backups stay in the bucket), see docs/adopting.md.",
		},
		{
			name: "applied by Argo CD without a release",
			change: func(inst *Installation, w *Want) {
				inst.Kind, inst.Release = KindOther, nil
				inst.ArgoCD = []string{"label argocd.argoproj.io/instance=velero on Deployment velero/velero"}
			},
			want: "  managed by Argo CD: label argocd.argoproj.io/instance=velero on Deployment velero/velero\n" +
				"Argo CD applies it without a Helm release (it renders charts with `helm template`), so there is no release to adopt, and Argo CD would revert any change this stack made, static keys included. " +
				"The stack cannot take such a Velero over in place: hand the application over (`argocd app delete <app> --cascade=false`, which keeps Velero running), then follow \"From Argo CD without a Helm release\" in docs/adopting.md, which keeps its backups and schedules.",
		},
		{
			name: "revision not deployed",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.Release.Status = "pending-upgrade"
			},
			want: "- Revision 3 of release velero is pending-upgrade, not deployed: finish or undo the last Helm operation first (`helm history velero -n velero`, then `helm rollback velero <revision> -n velero`).",
		},
		{
			name: "access mode",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.Locations[0].AccessMode = "ReadOnly"
			},
			want: "- Backup location velero-s3-bsl is ReadOnly in the cluster and ReadWrite in the stack (bucketName/backupPrefix/region): set the stack's access mode to ReadOnly.",
		},
		{
			name: "another provider",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.Locations[0].Provider = "gcp"
			},
			want: "- Backup location velero-s3-bsl uses provider \"gcp\"; this stack manages AWS S3 locations (provider aws) only and cannot take it over: keep this Velero, or delete the location first (`kubectl delete backupstoragelocations.velero.io velero-s3-bsl -n velero`; its Backups stay, without a location).",
		},
		{
			name: "snapshots turned off",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				w.SnapshotLocation = ""
			},
			want: "- Snapshot location velero-s3-dsl exists and the stack turns snapshots off: restores of the EBS snapshots its backups hold look it up by name; keep velero-irsa:snapshotsEnabled: true.",
		},
		{
			name: "snapshot location in another region",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.SnapshotLocations[0].Region = "us-east-1"
			},
			want: "- Snapshot location velero-s3-dsl is in region us-east-1 and the stack's region is ap-northeast-2: the stack keeps its snapshot location in its own region; set velero-irsa:region: us-east-1 if the cluster runs there, or delete the location first (its snapshots stay in EC2, and restores of them need a location of that name and region).",
		},
		{
			name: "schedule the stack cannot describe",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.Release.Values = copyMap(inst.Release.Values)
				inst.Release.Values["schedules"] = map[string]interface{}{"daily": map[string]interface{}{"schedule": "0 3 * * *", "template": map[string]interface{}{"hooks": map[string]interface{}{}}}}
			},
			want: "- Schedule velero-daily (the release's schedules.daily) sets template.hooks: this stack cannot describe it; recreate it outside the chart (`velero schedule create`) before adopting.",
		},
		{
			name: "snapshot location made outside the release",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.SnapshotLocations[0].FromRelease = false
			},
			want: "- Snapshot location velero-s3-dsl was made outside the release (`velero snapshot-location create` or kubectl), and the stack's release renders its own: Helm would refuse to take it over. Delete it first (`kubectl delete volumesnapshotlocations.velero.io velero-s3-dsl -n velero`; deleting it deletes no snapshot), and keep its name in velero-irsa:snapshotLocationName.",
		},
		{
			name: "snapshot location made outside the release, snapshots off",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease, w.SnapshotLocation = "velero", ""
				inst.SnapshotLocations[0].FromRelease = false
			},
			want: "- Snapshot location velero-s3-dsl exists and the stack turns snapshots off: restores of the EBS snapshots its backups hold look it up by name; keep velero-irsa:snapshotsEnabled: true.",
		},
		{
			name: "ServiceAccount the release does not create",
			change: func(inst *Installation, w *Want) {
				w.AdoptRelease = "velero"
				inst.Release.Values = copyMap(inst.Release.Values)
				inst.Release.Values["serviceAccount"] = map[string]interface{}{"server": map[string]interface{}{"create": false, "name": "velero-server"}}
				inst.ServiceAccountInRelease = false
			},
			want: "- The release runs Velero as ServiceAccount velero-server, which it does not create (serviceAccount.server.create: false), and the stack's release creates it: Helm would refuse to take it over. Mark it as the release's first: `kubectl label serviceaccount velero-server -n velero app.kubernetes.io/managed-by=Helm` and `kubectl annotate serviceaccount velero-server -n velero meta.helm.sh/release-name=velero meta.helm.sh/release-namespace=velero` (the upgrade then sets the role's annotation on it).",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := readGuide(t)
			w := guideWant()
			tc.change(&c.Installations[0], &w)
			_, err := Check(c, w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("refusal:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// TestCheckServiceAccountMarked: a ServiceAccount the release does not
// create, once marked as the release's, is no longer refused.
func TestCheckServiceAccountMarked(t *testing.T) {
	f := guideCluster(t)
	values := guideValues()
	values["serviceAccount"] = map[string]interface{}{"server": map[string]interface{}{"create": false, "name": "velero-server"}}
	f.add("/api/v1/namespaces/velero/secrets/"+recordName("velero", 3), helmRecordSecret(t, "velero", "velero", 3, "deployed", values))
	w := guideWant()
	w.AdoptRelease = "velero"
	c, err := Read(context.Background(), f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Installations[0].ServiceAccountInRelease {
		t.Fatal("the guide's ServiceAccount, annotated by Helm, is not seen as the release's")
	}
	if _, err := Check(c, w); err != nil {
		t.Errorf("marked ServiceAccount: %v", err)
	}
	f.add("/api/v1/namespaces/velero/serviceaccounts/velero-server", map[string]interface{}{"metadata": meta("velero-server", "velero", nil, nil)})
	if c, err = Read(context.Background(), f, "velero"); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(c, w); err == nil || !strings.Contains(err.Error(), "which it does not create (serviceAccount.server.create: false)") {
		t.Errorf("unmarked ServiceAccount: %v", err)
	}
}
