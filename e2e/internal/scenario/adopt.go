package scenario

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// adoptCluster is the cluster of the adoption scenarios, with the guide's
// region.
const (
	adoptCluster = "adopt-apne2"
	adoptRegion  = "ap-northeast-2"
	adoptAccount = "123456789012"
	adoptBucket  = "velero-irsa-rig-adopt"
	// scheduleEvery is how often the installation's schedule runs: short
	// enough that a run falls inside the scenario, so a missed one shows.
	scheduleEvery = 2 * time.Minute
	// rigScheduleKey is that schedule's key in the chart's values (the
	// chart names the Schedule velero-apps in release velero) and its name
	// when `velero schedule create` makes it.
	rigScheduleKey = "apps"
)

// rigSchedules selects the backups of the rig's schedule, made by the chart
// or by the CLI, and no backup of a schedule a --before-values file brings.
const rigSchedules = "velero.io/schedule-name in (velero-" + rigScheduleKey + "," + rigScheduleKey + ")"

// guideValues are the values of a first install the guide's way: the
// chart with an IAM user's key in credentials.secretContents, its location
// names, and a schedule; keyID and secret are the user's key.
func guideValues(e *Env, keyID, secret string) map[string]interface{} {
	return map[string]interface{}{
		"image": map[string]interface{}{"repository": "velero/velero", "tag": e.VeleroTag},
		"initContainers": []interface{}{map[string]interface{}{
			"name": "velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:" + e.PluginTag, "imagePullPolicy": "IfNotPresent",
			"volumeMounts": []interface{}{map[string]interface{}{"mountPath": "/target", "name": "plugins"}},
		}},
		"credentials": map[string]interface{}{
			"useSecret":      true,
			"secretContents": map[string]interface{}{"cloud": "[default]\naws_access_key_id=" + keyID + "\naws_secret_access_key=" + secret + "\n"},
		},
		"configuration": map[string]interface{}{
			"backupStorageLocation": []interface{}{map[string]interface{}{
				"name": "velero-s3-bsl", "provider": "aws", "bucket": adoptBucket, "prefix": "clusters/" + adoptCluster, "default": true,
				"config": map[string]interface{}{"region": adoptRegion},
			}},
			"volumeSnapshotLocation": []interface{}{map[string]interface{}{
				"name": "velero-s3-dsl", "provider": "aws", "config": map[string]interface{}{"region": adoptRegion},
			}},
		},
		"schedules": map[string]interface{}{
			rigScheduleKey: map[string]interface{}{"schedule": fmt.Sprintf("@every %s", scheduleEvery), "template": map[string]interface{}{
				"ttl": "168h0m0s", "includedNamespaces": []interface{}{"apps"},
			}},
		},
	}
}

// firstInstall is what the adoption scenarios know of the first install
// made with a values file: the stack that adopts it and the names the
// checks after the switch look for.
type firstInstall struct {
	stack, region string
	// location, bucket and prefix are the main (default) backup location's.
	location, bucket, prefix string
	serviceAccount           string
}

// stackFromValues is the stack that adopts a first install made with
// values: the cluster and region, the main location (the default one, else
// the first) as bucket, prefix and name, the others as additional
// locations with their access modes, the snapshot location's name (or
// snapshots off), the node agent, the server's ServiceAccount and the
// schedules, each as the stack writes it.
func stackFromValues(values map[string]interface{}, cluster, region string) (firstInstall, error) {
	conf, _ := values["configuration"].(map[string]interface{})
	bsls, _ := conf["backupStorageLocation"].([]interface{})
	if len(bsls) == 0 {
		return firstInstall{}, fmt.Errorf("the values render no backup location (configuration.backupStorageLocation)")
	}
	main := 0
	for i, b := range bsls {
		if m, _ := b.(map[string]interface{}); m["default"] == true {
			main = i
		}
	}
	str := func(m map[string]interface{}, k string) string { s, _ := m[k].(string); return s }
	loc := func(i int) (map[string]interface{}, map[string]interface{}) {
		m, _ := bsls[i].(map[string]interface{})
		c, _ := m["config"].(map[string]interface{})
		return m, c
	}
	m, c := loc(main)
	region = cmp.Or(str(c, "region"), region)
	config := map[string]interface{}{
		"velero-irsa:clusterName": cluster, "velero-irsa:region": cmp.Or(str(c, "region"), region),
		"velero-irsa:bucketName": str(m, "bucket"), "velero-irsa:backupPrefix": str(m, "prefix"),
		"velero-irsa:backupLocationName": cmp.Or(str(m, "name"), "default"),
		"velero-irsa:verifyBackup":       true, "velero-irsa:backupLocationTimeoutSeconds": 120,
	}
	additional := map[string]interface{}{}
	for i := range bsls {
		if i == main {
			continue
		}
		m, c := loc(i)
		additional[cmp.Or(str(m, "name"), "default")] = map[string]interface{}{
			"bucket": str(m, "bucket"), "prefix": str(m, "prefix"), "region": cmp.Or(str(c, "region"), region), "accessMode": cmp.Or(str(m, "accessMode"), "ReadWrite"),
		}
	}
	if len(additional) > 0 {
		config["velero-irsa:additionalBackupLocations"] = additional
	}
	if vsls, _ := conf["volumeSnapshotLocation"].([]interface{}); len(vsls) > 0 && values["snapshotsEnabled"] != false {
		v, _ := vsls[0].(map[string]interface{})
		config["velero-irsa:snapshotLocationName"] = cmp.Or(str(v, "name"), "default")
	} else {
		config["velero-irsa:snapshotsEnabled"] = false
	}
	if values["deployNodeAgent"] == true {
		config["velero-irsa:deployNodeAgent"] = true
	}
	// The chart names the server's ServiceAccount <release>-server, the
	// release being velero here, unless the values name it.
	sa, _ := values["serviceAccount"].(map[string]interface{})
	server, _ := sa["server"].(map[string]interface{})
	serviceAccount := cmp.Or(str(server, "name"), "velero-server")
	if serviceAccount != "velero-server" {
		config["velero-irsa:serviceAccountName"] = serviceAccount
	}
	schedules := map[string]interface{}{}
	raw, _ := values["schedules"].(map[string]interface{})
	for key, v := range raw {
		s, _ := v.(map[string]interface{})
		t, _ := s["template"].(map[string]interface{})
		entry := map[string]interface{}{"schedule": s["schedule"]}
		for k, val := range t {
			entry[k] = val
		}
		schedules[key] = entry
	}
	if len(schedules) > 0 {
		config["velero-irsa:schedules"] = schedules
	}
	// Indented by two, as setConfig edits stack files.
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]interface{}{"config": config}); err != nil {
		return firstInstall{}, err
	}
	return firstInstall{
		stack: "# A first install's values, adopted, in the rig.\n" + b.String(), region: region,
		location: cmp.Or(str(m, "name"), "default"), bucket: str(m, "bucket"), prefix: str(m, "prefix"), serviceAccount: serviceAccount,
	}, nil
}

// valuesBuckets are the buckets the values' backup locations name, with
// their regions.
func valuesBuckets(values map[string]interface{}, region string) map[string]string {
	out := map[string]string{}
	conf, _ := values["configuration"].(map[string]interface{})
	bsls, _ := conf["backupStorageLocation"].([]interface{})
	for _, b := range bsls {
		m, _ := b.(map[string]interface{})
		c, _ := m["config"].(map[string]interface{})
		name, _ := m["bucket"].(string)
		r, _ := c["region"].(string)
		if name != "" {
			out[name] = cmp.Or(r, region)
		}
	}
	return out
}

// helm runs the built helm against the rig's cluster, trusting the rig's
// CA (the chart repository is served with it).
func (d *Deployment) helm(args ...string) (string, error) {
	home := filepath.Join(d.Rig.Dir, "helm")
	cmd := exec.Command(filepath.Join(d.Env.Bin, "helm"), append(args, "--kubeconfig", d.Rig.Cluster.Kubeconfig)...)
	cmd.Env = []string{"HOME=" + home, "HELM_CACHE_HOME=" + home + "/cache", "HELM_CONFIG_HOME=" + home + "/config", "HELM_DATA_HOME=" + home + "/data",
		"SSL_CERT_FILE=" + d.Rig.CAFile, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("helm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// releaseRevision is the newest revision of the release and its status.
func (d *Deployment) releaseRevision() (int, string, error) {
	out, err := d.helm("history", "velero", "-n", "velero", "-o", "json")
	if err != nil {
		return 0, "", err
	}
	var history []struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &history); err != nil || len(history) == 0 {
		return 0, "", fmt.Errorf("helm history: %v: %s", err, out)
	}
	last := history[len(history)-1]
	return last.Revision, last.Status, nil
}

// installTheGuidesWay makes the first install: the IAM user and its key,
// the buckets, `helm upgrade --install` with values (the key added), a
// Schedule made with the CLI, a canary in namespace apps and two backups,
// one of them holding it. It returns the key.
func (d *Deployment) installTheGuidesWay(ctx context.Context, values func(keyID, secret string) map[string]interface{}, first firstInstall) (awsfake.AccessKey, error) {
	r := d.Rig
	key, err := d.userWithKey(valuesBuckets(values("AKIAEXAMPLEEXAMPLE00", "x"), r.Region))
	if err != nil {
		return key, err
	}
	raw, err := yaml.Marshal(values(key.ID, key.Secret))
	if err != nil {
		return key, err
	}
	file := filepath.Join(r.Dir, "first-install-values.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		return key, err
	}
	if _, err := d.show("helm upgrade --install velero velero --repo <rig chart repository> -n velero --create-namespace -f first-install-values.yaml --wait", func() (string, error) {
		return d.helm("upgrade", "--install", "velero", "velero", "--repo", d.repo.URL, "--version", d.Env.ChartVersion,
			"-n", "velero", "--create-namespace", "-f", file, "--wait", "--timeout", "5m")
	}); err != nil {
		return key, err
	}
	// A Schedule made outside the chart, as users add them: the adoption
	// keeps it as it is.
	if _, err := d.show("velero schedule create weekly-by-hand --schedule '0 4 * * 0' --include-namespaces apps --ttl 720h0m0s", func() (string, error) {
		return d.velero("schedule", "create", "weekly-by-hand", "--schedule", "0 4 * * 0", "--include-namespaces", "apps", "--ttl", "720h0m0s", "-n", "velero")
	}); err != nil {
		return key, err
	}
	return key, d.seedBackups(ctx, first.location, key)
}

// userWithKey creates the IAM user velero with the policy such guides
// give it (the buckets, their objects, EBS snapshots) and an access key,
// and the buckets (name → region).
func (d *Deployment) userWithKey(buckets map[string]string) (awsfake.AccessKey, error) {
	r := d.Rig
	if _, err := r.Cloud.CreateUser(r.Partition, r.Account, "velero"); err != nil {
		return awsfake.AccessKey{}, err
	}
	var objects, names []string
	for _, name := range sortedKeys(buckets) {
		if err := r.CreateBucket(name, buckets[name]); err != nil {
			return awsfake.AccessKey{}, err
		}
		objects = append(objects, `"arn:aws:s3:::`+name+`/*"`)
		names = append(names, `"arn:aws:s3:::`+name+`"`)
	}
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["ec2:DescribeVolumes","ec2:DescribeSnapshots","ec2:CreateTags","ec2:CreateVolume","ec2:CreateSnapshot","ec2:DeleteSnapshot"],"Resource":"*"},` +
		`{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject","s3:PutObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":[` + strings.Join(objects, ",") + `]},` +
		`{"Effect":"Allow","Action":"s3:ListBucket","Resource":[` + strings.Join(names, ",") + `]}]}`
	if err := r.Cloud.PutUserPolicy("velero", "velero", policy); err != nil {
		return awsfake.AccessKey{}, err
	}
	return r.Cloud.CreateAccessKey("velero")
}

// seedBackups waits for location to be Available with the user's key, then
// makes a canary in namespace apps and two backups, before-velero and
// before-canary (which holds it), and checks the key was used.
func (d *Deployment) seedBackups(ctx context.Context, location string, key awsfake.AccessKey) error {
	if err := waitFor(ctx, 3*time.Minute, "location "+location+" Available with the user's key", func() error {
		if p := d.jsonpath("backupstoragelocations.velero.io", location, "velero", "{.status.phase}"); p != "Available" {
			return fmt.Errorf("phase %q: %s", p, d.jsonpath("backupstoragelocations.velero.io", location, "velero", "{.status.message}"))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"create", "namespace", "apps"},
		{"create", "configmap", "adopt-canary", "-n", "apps", "--from-literal=written=before-the-switch"},
	} {
		if _, err := d.kubectl(args...); err != nil {
			return err
		}
	}
	// The canary's backup first: the restore after the switch reads the
	// older backup, the deploy's read-back the newer one.
	for _, b := range []struct{ name, ns string }{{"before-canary", "apps"}, {"before-velero", "velero"}} {
		if _, err := d.show("velero backup create "+b.name+" --include-namespaces "+b.ns+" --wait", func() (string, error) {
			return d.velero("backup", "create", b.name, "--include-namespaces", b.ns, "--wait", "-n", "velero")
		}); err != nil {
			return err
		}
		if p := d.jsonpath("backups.velero.io", b.name, "velero", "{.status.phase}"); p != "Completed" {
			return fmt.Errorf("backup %s with the user's key: %s", b.name, p)
		}
	}
	if len(d.Rig.Cloud.KeyUses(key.ID)) == 0 {
		return fmt.Errorf("the first install made no request with the user's key")
	}
	return nil
}

// adoptHelm is the adopt-helm scenario: a release installed the guide's
// way with an IAM user's key is refused without adoptRelease, and taken
// over in place with it.
func adoptHelm(ctx context.Context, e *Env) error {
	values := func(id, secret string) map[string]interface{} { return guideValues(e, id, secret) }
	if e.BeforeValues != "" {
		var err error
		if values, err = valuesFromFile(e.BeforeValues, e); err != nil {
			return err
		}
	}
	first, err := stackFromValues(values("AKIAEXAMPLEEXAMPLE00", "x"), adoptCluster, adoptRegion)
	if err != nil {
		return err
	}
	r, err := startRig(ctx, e, "adopt-helm", adoptAccount, first.region, adoptCluster)
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, adoptCluster, first.stack)
	if err != nil {
		return err
	}
	key, err := d.installTheGuidesWay(ctx, values, first)
	if err != nil {
		return fmt.Errorf("the first install: %w", err)
	}
	refusal := []string{
		"Velero already runs on cluster " + adoptCluster + ", outside this stack; nothing was created or changed.",
		"set velero-irsa:adoptRelease: velero in the stack, and velero-irsa:readBackBackup: ",
		"static AWS keys: AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud",
	}
	// The stack takes the refusal's advice: adoptRelease, and the read-back
	// of the newest backup it names.
	return d.adopt(ctx, key, first, refusal, func(readBack string) error {
		if err := d.SetConfig("adoptRelease", "velero"); err != nil {
			return err
		}
		return d.SetConfig("readBackBackup", readBack)
	}, afterChecks{readBack: true, restore: true})
}

// adoptArgoCD is the adopt-argocd scenario: the guide's release, its
// objects tracked by Argo CD (the label the guide's ServiceAccount
// carries) and keys set on its Deployment by hand, is refused even with
// adoptRelease, and adopted once the keys are gone and the stack says Argo
// CD has let go of it.
func adoptArgoCD(ctx context.Context, e *Env) error {
	values := func(id, secret string) map[string]interface{} { return guideValues(e, id, secret) }
	first, err := stackFromValues(values("AKIAEXAMPLEEXAMPLE00", "x"), adoptCluster, adoptRegion)
	if err != nil {
		return err
	}
	r, err := startRig(ctx, e, "adopt-argocd", adoptAccount, first.region, adoptCluster)
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, adoptCluster, setConfig(first.stack, "adoptRelease", "velero"))
	if err != nil {
		return err
	}
	key, err := d.installTheGuidesWay(ctx, values, first)
	if err != nil {
		return fmt.Errorf("the first install: %w", err)
	}
	// What Argo CD's label tracking leaves on what it applies.
	for _, obj := range []string{"deployment/velero", "serviceaccount/velero-server"} {
		if _, err := d.kubectl("label", obj, "-n", "velero", "argocd.argoproj.io/instance=velero"); err != nil {
			return err
		}
	}
	// And keys set on the Deployment by hand, outside the release, which a
	// Helm upgrade would keep.
	if _, err := d.kubectl("set", "env", "deployment/velero", "-n", "velero", "AWS_ACCESS_KEY_ID="+key.ID, "AWS_SECRET_ACCESS_KEY="+key.Secret); err != nil {
		return err
	}
	refusal := []string{
		"Cannot adopt the Velero on cluster " + adoptCluster + " as the stack says; nothing was created or changed.",
		"Argo CD manages this Velero (label argocd.argoproj.io/instance=velero on Deployment velero/velero; label argocd.argoproj.io/instance=velero on ServiceAccount velero/velero-server)",
		"then set velero-irsa:argoCDReleased: true.",
		"Velero's pods get static AWS keys that release velero does not render (added with kubectl or another tool): Deployment velero/velero, container velero: variable AWS_ACCESS_KEY_ID set in the pod spec; Deployment velero/velero, container velero: variable AWS_SECRET_ACCESS_KEY set in the pod spec.",
	}
	// The read-back and the restore of the old backups are adopt-helm's to
	// prove; here the adopting up warns that nothing reads them back.
	return d.adopt(ctx, key, first, refusal, func(string) error {
		if _, err := d.kubectl("set", "env", "deployment/velero", "-n", "velero", "AWS_ACCESS_KEY_ID-", "AWS_SECRET_ACCESS_KEY-"); err != nil {
			return err
		}
		if _, err := d.kubectl("rollout", "status", "deployment/velero", "-n", "velero", "--timeout", "2m"); err != nil {
			return err
		}
		return d.SetConfig("argoCDReleased", "true")
	}, afterChecks{})
}

// afterChecks says which of the checks that follow a switch an adoption
// scenario makes besides those all make (the schedule's next backup with
// the role and the runs missed, the key in no Secret, request or state).
type afterChecks struct {
	// readBack: the deploy read back the backup the refusal named.
	readBack bool
	// restore: the backup holding the canary is restored with the role.
	restore bool
}

// adopt runs the two ups of an adoption: the first (without the settings
// enable makes) fails with the refusal's lines and changes nothing; the
// second succeeds, the release is at a higher revision and the deploy
// gate's checks pass. Then it checks what comes after the switch (see
// afterSwitch). enable is given the backup the refusal proposes to read
// back ("" when it names none).
func (d *Deployment) adopt(ctx context.Context, key awsfake.AccessKey, first firstInstall, refusal []string, enable func(readBack string) error, checks afterChecks) error {
	rev0, _, err := d.releaseRevision()
	if err != nil {
		return err
	}
	schedules, err := d.scheduleSpecs()
	if err != nil {
		return err
	}
	before := time.Now()
	refused, err := d.refusedUp(ctx, refusal)
	if err != nil {
		return err
	}
	readBack, err := d.proposedReadBack(refused, checks.readBack, before)
	if err != nil {
		return err
	}
	if rev, _, _ := d.releaseRevision(); rev != rev0 {
		return fmt.Errorf("the refused up changed the release: revision %d, was %d", rev, rev0)
	}
	fmt.Fprintf(d.Env.Out, "    refused as it should: release at revision %d, no role, Deployment unchanged\n", rev0)

	if err := enable(readBack); err != nil {
		return err
	}
	out, gap, took, switched, err := d.watchedUp(ctx)
	if err != nil {
		return err
	}
	rev, status, err := d.releaseRevision()
	if err != nil || rev <= rev0 || status != "deployed" {
		return fmt.Errorf("after the adoption the release is at revision %d (%s), was %d: %v", rev, status, rev0, err)
	}
	fmt.Fprintf(d.Env.Out, "    release velero: revision %d, was %d; the adopting up took %s\n", rev, rev0, took.Round(time.Second))
	if err := d.checkDeployed(out, "velero", first.serviceAccount, first.bucket, first.prefix, true, true); err != nil {
		return err
	}
	if err := d.schedulesKept(schedules); err != nil {
		return err
	}
	if !checks.readBack {
		if warning := "nothing in this deploy reads a backup taken before the switch: set velero-irsa:readBackBackup: "; !strings.Contains(out, warning) {
			return fmt.Errorf("the adopting up without readBackBackup does not say %q", warning)
		}
		fmt.Fprintf(d.Env.Out, "    the adopting up warned that no backup from before the switch is read back\n")
	}
	if err := d.afterSwitch(ctx, key, first.location, gap, switched, readBack, checks); err != nil {
		return err
	}
	// The settings stay in the stack; running it again changes nothing.
	if _, err := d.Run(ctx, "preview-no-changes", upTimeout); err != nil {
		return fmt.Errorf("a preview after the adoption: %v", err)
	}
	fmt.Fprintf(d.Env.Out, "    a preview after it, the adoption settings kept, shows no changes\n")
	return nil
}

// refusedUp runs an up that must be refused with the lines of refusal,
// and checks it created no role and left Velero's Deployment as it was;
// it returns the up's output.
func (d *Deployment) refusedUp(ctx context.Context, refusal []string) (string, error) {
	deployGen := d.jsonpath("deployment", "velero", "velero", "{.metadata.generation}")
	out, err := d.Run(ctx, "up", upTimeout)
	if err == nil {
		return out, fmt.Errorf("pulumi up succeeded on a cluster where Velero runs outside the stack")
	}
	for _, want := range refusal {
		if !strings.Contains(out, want) {
			return out, fmt.Errorf("the refused up does not say %q", want)
		}
	}
	if roles := d.Rig.Cloud.Roles(); len(roles) != 0 {
		return out, fmt.Errorf("the refused up created role %s", roles[0].ARN)
	}
	if gen := d.jsonpath("deployment", "velero", "velero", "{.metadata.generation}"); gen != deployGen {
		return out, fmt.Errorf("the refused up changed Velero's Deployment (generation %s, was %s)", gen, deployGen)
	}
	return out, nil
}

// readBackHint finds the backup a refusal proposes to read back.
var readBackHint = regexp.MustCompile(`velero-irsa:readBackBackup: (\S+) \(its newest Completed backup\)`)

// proposedReadBack is the backup the refused up's output proposes to read
// back through the role, checked against the cluster: a Completed backup
// that completed no earlier than any backup that had completed before the
// refused up began (one of the rig's schedule may complete while it runs).
// With want false the refusal need not name one, and "" is returned.
func (d *Deployment) proposedReadBack(refused string, want bool, before time.Time) (string, error) {
	m := readBackHint.FindStringSubmatch(refused)
	if !want {
		return "", nil
	}
	if m == nil {
		return "", fmt.Errorf("the refused up proposes no backup to read back (readBackBackup)")
	}
	out, err := d.kubectl("get", "backups.velero.io", "-n", "velero", "-o", "json")
	if err != nil {
		return "", err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Status   struct {
				Phase               string `json:"phase"`
				CompletionTimestamp string `json:"completionTimestamp"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return "", err
	}
	cutoff := before.UTC().Truncate(time.Second).Format(time.RFC3339)
	named, latest := "", ""
	for _, b := range list.Items {
		if b.Status.Phase != "Completed" {
			continue
		}
		if b.Status.CompletionTimestamp < cutoff {
			latest = max(latest, b.Status.CompletionTimestamp)
		}
		if b.Metadata.Name == m[1] {
			named = b.Status.CompletionTimestamp
		}
	}
	if named == "" || named < latest {
		return "", fmt.Errorf("the refusal proposes to read back %s (completed %q), and a Completed backup completed at %s, before the refused up", m[1], named, latest)
	}
	fmt.Fprintf(d.Env.Out, "    the refusal proposes to read back %s, the newest Completed backup (completed %s)\n", m[1], named)
	return m[1], nil
}

// watchedUp runs the adopting up while watching Velero's server pods and
// processes; it prints the pods' transitions and returns the up's output,
// the windows, how long the up took and when it ended.
func (d *Deployment) watchedUp(ctx context.Context) (string, windows, time.Duration, time.Time, error) {
	watch := watchServer(ctx, d)
	start := time.Now()
	out, err := d.Run(ctx, "up", upTimeout)
	switched := time.Now()
	if err != nil {
		watch.stop(ctx, d)
		return out, windows{}, 0, switched, fmt.Errorf("the adopting up: %v", err)
	}
	gap := watch.stop(ctx, d)
	for _, t := range gap.transitions {
		fmt.Fprintf(d.Env.Out, "      %s\n", t)
	}
	return out, gap, switched.Sub(start), switched, nil
}

// afterSwitch checks what follows an adoption: the backups taken before it
// Completed at their location, the schedule's next backup Completed and no
// run missed, no Secret (Helm's records of the revisions before the switch
// aside) holding the user's key, no request signed with it after the old
// server stopped, and neither part of it in the stack's state; with
// checks, the deploy's read-back of readBack and a restore of the canary's
// backup with the role. It prints the window without a ready server.
func (d *Deployment) afterSwitch(ctx context.Context, key awsfake.AccessKey, location string, gap windows, switched time.Time, readBack string, checks afterChecks) error {
	for _, b := range []string{"before-velero", "before-canary"} {
		phase := d.jsonpath("backups.velero.io", b, "velero", "{.status.phase}")
		loc := d.jsonpath("backups.velero.io", b, "velero", "{.spec.storageLocation}")
		if phase != "Completed" || loc != location {
			return fmt.Errorf("backup %s after the adoption: %s at %q", b, phase, loc)
		}
	}
	if checks.readBack {
		if err := d.readBackDone(readBack); err != nil {
			return err
		}
	}
	if checks.restore {
		if err := d.restoreCanary(ctx); err != nil {
			return err
		}
	}
	scheduled, err := d.nextScheduledBackup(ctx, switched)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Env.Out, "    scheduled backup %s after the switch: Completed\n", scheduled)
	fmt.Fprintf(d.Env.Out, "    window with no ready Velero server pod: %s (polled every 0.5 s); the new server process started %s after the old one stopped\n",
		gap.noReadyPod.Round(100*time.Millisecond), gap.noProcess.Round(time.Millisecond))
	missed, err := d.missedScheduleRuns()
	if err != nil {
		return err
	}
	failed, err := d.failedScheduleRuns(gap.oldStopped)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Env.Out, "    schedule runs missed: %d; runs failed since the old server stopped: %d%s\n", missed, len(failed), listed(failed))
	if missed > 0 {
		return fmt.Errorf("%d schedule runs were missed across the adoption", missed)
	}
	if err := d.noKeyLeft(key, gap.oldStopped); err != nil {
		return err
	}
	return d.stateHoldsNoKey(ctx, key)
}

// readBackDone checks the deploy's read-back of backup (readBackBackup):
// a Restore of it, Completed, that restored nothing.
func (d *Deployment) readBackDone(backup string) error {
	out, err := d.kubectl("get", "restores.velero.io", "-n", "velero", "-o", "json")
	if err != nil {
		return err
	}
	var list struct {
		Items []struct {
			Spec struct {
				BackupName    string `json:"backupName"`
				LabelSelector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"labelSelector"`
			} `json:"spec"`
			Status struct {
				Phase    string `json:"phase"`
				Progress struct {
					ItemsRestored int `json:"itemsRestored"`
				} `json:"progress"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return err
	}
	var seen []string
	for _, r := range list.Items {
		if r.Spec.LabelSelector.MatchLabels["velero-irsa/read-back"] == "" {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s %s %d", r.Spec.BackupName, r.Status.Phase, r.Status.Progress.ItemsRestored))
	}
	if len(seen) != 1 || seen[0] != backup+" Completed 0" {
		return fmt.Errorf("the deploy's read-backs: %q, want one of %s, Completed, nothing restored", seen, backup)
	}
	fmt.Fprintf(d.Env.Out, "    the deploy read back %s through the role: its Restore Completed, nothing restored\n", backup)
	return nil
}

// restoreCanary restores the backup holding the canary, taken before the
// switch, into another namespace with the role.
func (d *Deployment) restoreCanary(ctx context.Context) error {
	if _, err := d.show("velero restore create adopt-restore --from-backup before-canary --namespace-mappings apps:apps-restored --wait", func() (string, error) {
		return d.velero("restore", "create", "adopt-restore", "--from-backup", "before-canary", "--namespace-mappings", "apps:apps-restored", "--wait", "-n", "velero")
	}); err != nil {
		return err
	}
	if p := d.jsonpath("restores.velero.io", "adopt-restore", "velero", "{.status.phase}"); p != "Completed" {
		return fmt.Errorf("the restore of the backup taken before the switch: %s", p)
	}
	if v := d.jsonpath("configmap", "adopt-canary", "apps-restored", "{.data.written}"); v != "before-the-switch" {
		return fmt.Errorf("the canary restored from before the switch reads %q", v)
	}
	fmt.Fprintf(d.Env.Out, "    the older backup taken before the switch (before-canary) restored with the role: canary in apps-restored\n")
	return nil
}

// scheduleSpecs describes each Schedule in Velero's namespace by what the
// adoption must keep: its cron expression, TTL and namespaces.
func (d *Deployment) scheduleSpecs() (map[string]string, error) {
	out, err := d.kubectl("get", "schedules.velero.io", "-n", "velero", "-o", "json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Spec     struct {
				Schedule string `json:"schedule"`
				Template struct {
					TTL                string   `json:"ttl"`
					IncludedNamespaces []string `json:"includedNamespaces"`
				} `json:"template"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
	}
	specs := map[string]string{}
	for _, it := range list.Items {
		specs[it.Metadata.Name] = fmt.Sprintf("%q ttl %s namespaces %v", it.Spec.Schedule, it.Spec.Template.TTL, it.Spec.Template.IncludedNamespaces)
	}
	return specs, nil
}

// schedulesKept checks that every Schedule there was before the adoption
// is still there under its name, with the same cron expression, TTL and
// namespaces.
func (d *Deployment) schedulesKept(before map[string]string) error {
	after, err := d.scheduleSpecs()
	if err != nil {
		return err
	}
	if len(before) == 0 {
		return fmt.Errorf("there was no Schedule before the adoption: nothing to keep was checked")
	}
	var kept []string
	for _, name := range sortedKeys(before) {
		if after[name] != before[name] {
			return fmt.Errorf("Schedule %s after the adoption: %q, before: %s", name, after[name], before[name])
		}
		kept = append(kept, name+" "+before[name])
	}
	fmt.Fprintf(d.Env.Out, "    every Schedule kept under its name, as it was: %s\n", strings.Join(kept, "; "))
	return nil
}

// scheduledBackups lists the backups of the rig's schedule by creation time.
func (d *Deployment) scheduledBackups() ([]scheduledBackup, error) {
	out, err := d.kubectl("get", "backups.velero.io", "-n", "velero", "-l", rigSchedules, "-o", "json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string    `json:"name"`
				CreationTimestamp time.Time `json:"creationTimestamp"`
			} `json:"metadata"`
			Status struct {
				Phase string `json:"phase"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
	}
	var b []scheduledBackup
	for _, it := range list.Items {
		b = append(b, scheduledBackup{it.Metadata.Name, it.Metadata.CreationTimestamp, it.Status.Phase})
	}
	sort.Slice(b, func(i, j int) bool { return b[i].created.Before(b[j].created) })
	return b, nil
}

type scheduledBackup struct {
	name    string
	created time.Time
	phase   string
}

// nextScheduledBackup waits for the schedule's first backup after the
// switch to complete.
func (d *Deployment) nextScheduledBackup(ctx context.Context, after time.Time) (string, error) {
	var name string
	err := waitFor(ctx, scheduleEvery+2*time.Minute, "the schedule's next backup Completed", func() error {
		list, err := d.scheduledBackups()
		if err != nil {
			return err
		}
		for _, b := range list {
			if !b.created.Before(after.Truncate(time.Second)) {
				name = b.name
				if b.phase != "Completed" {
					return fmt.Errorf("%s is %s", b.name, b.phase)
				}
				return nil
			}
		}
		return fmt.Errorf("none yet")
	})
	return name, err
}

// failedScheduleRuns lists the runs of the rig's schedule made since the
// old server stopped that failed (a run that came due while no
// location existed ends FailedValidation: docs/adopting.md says when, and
// how to run it again). They are reported, not failed on: the product
// does not prevent them.
func (d *Deployment) failedScheduleRuns(since time.Time) ([]string, error) {
	list, err := d.scheduledBackups()
	if err != nil {
		return nil, err
	}
	var failed []string
	for _, b := range list {
		if !b.created.Before(since.Truncate(time.Second)) && (b.phase == "FailedValidation" || b.phase == "Failed" || b.phase == "PartiallyFailed") {
			failed = append(failed, b.name+" "+b.phase)
		}
	}
	return failed, nil
}

func listed(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + strings.Join(items, ", ") + ")"
}

// missedScheduleRuns counts the runs the schedule should have made and did
// not, from its backups' creation times: a gap of n intervals between two
// runs means n-1 missed (Velero runs a late schedule once, right away).
func (d *Deployment) missedScheduleRuns() (int, error) {
	list, err := d.scheduledBackups()
	if err != nil {
		return 0, err
	}
	missed := 0
	for i := 1; i < len(list); i++ {
		gap := list[i].created.Sub(list[i-1].created)
		// A minute of slack: Velero checks schedules once a minute.
		if n := int((gap - time.Minute) / scheduleEvery); n > 0 {
			missed += n
		}
	}
	return missed, nil
}

// noKeyLeft checks that no Secret but Helm's records of old revisions
// holds the user's key, and that no request signed with it reached AWS
// after the old server stopped.
func (d *Deployment) noKeyLeft(key awsfake.AccessKey, oldStopped time.Time) error {
	out, err := d.kubectl("get", "secrets", "-A", "-o", "json")
	if err != nil {
		return err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
			Type     string                           `json:"type"`
			Data     map[string][]byte                `json:"data"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return err
	}
	var holding, clean []string
	for _, s := range list.Items {
		if s.Type == "helm.sh/release.v1" {
			// Helm's record of a revision: its values, encoded.
			rec, err := decodeHelmRecord(s.Data["release"])
			if err != nil {
				return fmt.Errorf("Secret %s/%s: %v", s.Metadata.Namespace, s.Metadata.Name, err)
			}
			what := fmt.Sprintf("%d (%s)", rec.Version, rec.Info.Status)
			if !holdsKey(rec.raw, key) {
				clean = append(clean, what)
				continue
			}
			if rec.Info.Status == "deployed" {
				return fmt.Errorf("Helm's record of the deployed revision %d of release %s holds the user's key", rec.Version, rec.Name)
			}
			holding = append(holding, what)
			continue
		}
		for k, v := range s.Data {
			if holdsKey(v, key) {
				return fmt.Errorf("Secret %s/%s key %s holds the user's key after the adoption", s.Metadata.Namespace, s.Metadata.Name, k)
			}
		}
	}
	fmt.Fprintf(d.Env.Out, "    no Secret holds the user's key but Helm's records of revisions from before the switch (kept for helm rollback): %s; without it: %s\n",
		cmp.Or(strings.Join(holding, ", "), "none"), cmp.Or(strings.Join(clean, ", "), "none"))
	var after []string
	for _, u := range d.Rig.Cloud.KeyUses(key.ID) {
		if u.Time.After(oldStopped) {
			after = append(after, u.Time.Format(time.RFC3339)+" "+u.Service+" "+u.Request)
		}
	}
	if oldStopped.IsZero() {
		return fmt.Errorf("the old Velero server process was never seen stopping")
	}
	if len(after) > 0 {
		return fmt.Errorf("%d requests signed with the user's key after the old server stopped, first %s", len(after), after[0])
	}
	last, _ := d.Rig.Cloud.AccessKeyLastUsed(key.ID)
	fmt.Fprintf(d.Env.Out, "    the user's key was last used %s (%s), before the old server stopped at %s\n", last.LastUsed.Format(time.RFC3339), last.LastService, oldStopped.UTC().Format(time.RFC3339))
	return nil
}

// base64Token is a run of base64 long enough to hold a key (a Secret's
// data in a manifest, a value encoded by hand).
var base64Token = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)

// holdsKey tells whether b holds the key's ID or secret, as they are or
// inside a base64-encoded run (the standard alphabet, padded or not).
func holdsKey(b []byte, key awsfake.AccessKey) bool {
	has := func(b []byte) bool { return bytes.Contains(b, []byte(key.ID)) || bytes.Contains(b, []byte(key.Secret)) }
	if has(b) {
		return true
	}
	for _, tok := range base64Token.FindAll(b, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if dec, err := enc.DecodeString(string(tok)); err == nil && has(dec) {
				return true
			}
		}
	}
	return false
}

// helmRecord is the part of Helm's stored release (helm.sh/helm/v3
// pkg/release.Release) the rig reads, and the record's whole JSON.
type helmRecord struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Info    struct {
		Status string `json:"status"`
	} `json:"info"`
	raw []byte
}

// decodeHelmRecord decodes the release key of a Helm record Secret's data
// (already base64-decoded once by the API's JSON): Helm stores the release
// as JSON, gzipped and base64-encoded (pkg/storage/driver/util.go).
func decodeHelmRecord(data []byte) (helmRecord, error) {
	var rec helmRecord
	zipped, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return rec, fmt.Errorf("decoding Helm's record: %v", err)
	}
	r, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return rec, fmt.Errorf("decoding Helm's record: %v", err)
	}
	if rec.raw, err = io.ReadAll(r); err != nil {
		return rec, fmt.Errorf("decoding Helm's record: %v", err)
	}
	if err := json.Unmarshal(rec.raw, &rec); err != nil {
		return rec, fmt.Errorf("decoding Helm's record: %v", err)
	}
	return rec, nil
}

// stateHoldsNoKey searches every file of the stack's backend (the stack
// file, its .bak, the history and backup copies) and the stack's export
// with its secrets shown (`pulumi stack export --show-secrets`) for the
// key's ID and secret.
func (d *Deployment) stateHoldsNoKey(ctx context.Context, key awsfake.AccessKey) error {
	if _, err := d.Run(ctx, "export", upTimeout); err != nil {
		return err
	}
	exported, err := os.ReadFile(filepath.Join(d.Dir, "export-"+d.Stack+".json"))
	if err != nil {
		return err
	}
	var deployment struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(exported, &deployment); err != nil {
		return fmt.Errorf("the stack's export: %v", err)
	}
	if holdsKey(exported, key) {
		return fmt.Errorf("the stack's export (secrets shown) holds the user's key")
	}
	if !bytes.Contains(exported, []byte(`"kubernetes:helm.sh/v3:Release"`)) {
		return fmt.Errorf("the stack's export has no Helm release: nothing was searched")
	}
	fmt.Fprintf(d.Env.Out, "    pulumi stack export --show-secrets (%d resources, the release's values included, %d bytes) holds neither the key ID nor the secret\n", len(deployment.Resources), len(exported))
	return d.backendHoldsNoKey(key)
}

// backendHoldsNoKey searches every file of the stack's backend for the key.
func (d *Deployment) backendHoldsNoKey(key awsfake.AccessKey) error {
	root := d.Rig.StateDir
	files := 0
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if holdsKey(b, key) {
			return fmt.Errorf("%s holds the user's key", path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Env.Out, "    the stack's state (%d files under pulumi-state: stack, .bak, history, backups) holds neither the key ID nor the secret\n", files)
	return nil
}

// serverWatch measures, across an adoption, how long no Velero server pod
// was ready (polled twice a second) and how long no server process ran
// (the runtime's events).
type serverWatch struct {
	cancel func()
	done   chan windows
}

type windows struct {
	noReadyPod  time.Duration
	noProcess   time.Duration // negative when the new process started first
	oldStopped  time.Time     // when the server that ran at the start stopped
	transitions []string
}

func watchServer(ctx context.Context, d *Deployment) *serverWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &serverWatch{cancel: cancel, done: make(chan windows, 1)}
	started := time.Now()
	go func() {
		var res windows
		var down time.Time
		for {
			isReady := d.serverReady()
			now := time.Now()
			switch {
			case !isReady && down.IsZero():
				down = now
				res.transitions = append(res.transitions, fmt.Sprintf("+%s no ready server pod", now.Sub(started).Round(100*time.Millisecond)))
			case isReady && !down.IsZero():
				res.noReadyPod += now.Sub(down)
				down = time.Time{}
				res.transitions = append(res.transitions, fmt.Sprintf("+%s a server pod ready", now.Sub(started).Round(100*time.Millisecond)))
			}
			select {
			case <-ctx.Done():
				if !down.IsZero() {
					res.noReadyPod += now.Sub(down)
				}
				res.noProcess, res.oldStopped = processGap(d.Rig, started)
				w.done <- res
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return w
}

// serverReady tells whether a Velero server pod is ready and not being
// deleted (a kubelet turns a Terminating pod's Ready condition false; kwok
// leaves it).
func (d *Deployment) serverReady() bool {
	// The chart's server pods carry name=velero, velero install's
	// deploy=velero.
	for _, selector := range []string{"name=velero", "deploy=velero"} {
		out, _ := d.kubectl("get", "pods", "-n", "velero", "-l", selector, "-o",
			`jsonpath={range .items[*]}{.metadata.deletionTimestamp}{"/"}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		for _, pod := range strings.Fields(out) {
			if pod == "/True" {
				return true
			}
		}
	}
	return false
}

// stop ends the watch once a server pod is ready again (at most two
// minutes on).
func (w *serverWatch) stop(ctx context.Context, d *Deployment) windows {
	_ = waitFor(ctx, 2*time.Minute, "a ready Velero server pod", func() error {
		if !d.serverReady() {
			return fmt.Errorf("none ready")
		}
		return nil
	})
	w.cancel()
	return <-w.done
}

// processGap reads the runtime's server events since start: the first
// server process to stop, and the first to start around it; the gap is
// from the one to the other (negative would mean the new one started
// first).
func processGap(r *rig.Rig, since time.Time) (time.Duration, time.Time) {
	var stopped, started time.Time
	for _, ev := range r.Runtime.Events() {
		if ev.Time.Before(since) || !strings.HasPrefix(ev.Pod, "velero/velero-") {
			continue
		}
		// The first start after the first stop: a server started before
		// (a rollout that ended just before the watch began) is not the
		// new one.
		switch {
		case strings.HasPrefix(ev.What, "stopped") && stopped.IsZero():
			stopped = ev.Time
		case strings.HasPrefix(ev.What, "started server") && started.IsZero() && !stopped.IsZero() && !ev.Time.Before(stopped):
			started = ev.Time
		}
	}
	if stopped.IsZero() || started.IsZero() {
		return 0, stopped
	}
	return started.Sub(stopped), stopped
}

// valuesFromFile reads --before-values: a user's values file for the first
// install; the rig puts the user's key in credentials.secretContents and
// points the images at the ones it built.
func valuesFromFile(path string, e *Env) (func(id, secret string) map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var base map[string]interface{}
	if err := yaml.Unmarshal(raw, &base); err != nil {
		return nil, fmt.Errorf("--before-values %s: %v", path, err)
	}
	if schedules, _ := base["schedules"].(map[string]interface{}); schedules[rigScheduleKey] != nil {
		return nil, fmt.Errorf("--before-values %s: schedules.%s is the rig's own schedule (every %s, so that a run falls inside the scenario): rename yours", path, rigScheduleKey, scheduleEvery)
	}
	return func(id, secret string) map[string]interface{} {
		var v map[string]interface{}
		b, _ := json.Marshal(base)
		_ = json.Unmarshal(b, &v)
		guide := guideValues(e, id, secret)
		v["credentials"] = guide["credentials"]
		v["image"] = guide["image"]
		v["initContainers"] = guide["initContainers"]
		schedules, _ := v["schedules"].(map[string]interface{})
		if schedules == nil {
			schedules = map[string]interface{}{}
			v["schedules"] = schedules
		}
		schedules[rigScheduleKey] = guide["schedules"].(map[string]interface{})[rigScheduleKey]
		return v
	}, nil
}
