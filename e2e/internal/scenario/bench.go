package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// The benchmark (e2e/run --bench) times the path from nothing to a
// verified backup on the seed's stack two ways, each on a fresh rig of its
// own with the same cluster, OIDC provider and bucket:
//
//   - the product: one `pulumi up` with verifyBackup (role, policy, release,
//     location Available, backup Completed);
//   - the manual path the product replaces, with the same documents and
//     values: `aws iam create-role` and `aws iam put-role-policy`, `helm
//     upgrade --install --wait`, waiting for `kubectl get bsl` to say
//     Available, and `velero backup create --wait`.
//
// The bucket exists beforehand in both (the seed's stack creates it; the
// manual path starts from a bucket the user made). The documents and
// values of the manual path are the ones the product deployed in its first
// run, with the location moved into the chart's values as the chart's own
// users write it.

// benchStack is the seed's stack on a bucket made beforehand.
var benchStack = strings.Replace(seedStack, "  velero-irsa:createBucket: true\n", "", 1)

const (
	benchBucket = "velero-irsa-rig-seed-apne2"
	benchPrefix = "clusters/seed-apne2"
	// benchOIDCID gives every rig of the benchmark the same issuer, so the
	// product's trust document serves the manual path unchanged.
	benchOIDCID = "BE7C4000000000000000000000000001"
)

// benchStep is one timed part of a path.
type benchStep struct {
	what string
	took time.Duration
}

// benchRun is one path's run: its wall time and its parts.
type benchRun struct {
	total time.Duration
	steps []benchStep
}

// manualInputs is what a user of the manual path writes beforehand.
type manualInputs struct {
	roleName, rolePath, policyName string
	trust, policy                  string
	values                         map[string]interface{}
}

// Bench runs both paths runs times, alternately, and prints each run, the
// medians and their ratio.
func Bench(ctx context.Context, e *Env, runs int) error {
	var product, manual []benchRun
	var inputs *manualInputs
	for i := 1; i <= runs; i++ {
		p, in, err := benchProduct(ctx, e, i, inputs == nil)
		if err != nil {
			return fmt.Errorf("product run %d: %w", i, err)
		}
		if inputs == nil {
			inputs = in
		}
		product = append(product, p)
		fmt.Fprintf(e.Out, "product run %d: %s\n", i, p)
		m, err := benchManual(ctx, e, i, inputs)
		if err != nil {
			return fmt.Errorf("manual run %d: %w", i, err)
		}
		manual = append(manual, m)
		fmt.Fprintf(e.Out, "manual run %d: %s\n", i, m)
	}
	pm, mm := medianRun(product), medianRun(manual)
	fmt.Fprintf(e.Out, "\nmedian of %d runs each, from nothing to a Completed backup through the role:\n", runs)
	fmt.Fprintf(e.Out, "  product (pulumi up with verifyBackup): %s\n", pm)
	fmt.Fprintf(e.Out, "  manual (aws iam, helm --wait, bsl wait, velero backup create --wait): %s\n", mm)
	fmt.Fprintf(e.Out, "  ratio product/manual: %.2f\n", pm.total.Seconds()/mm.total.Seconds())
	// The update alone: what `pulumi up` from the CLI runs, without the
	// rig's runner around it.
	var updates []time.Duration
	for _, r := range product {
		u := r.total
		if n := len(r.steps); n > 0 && r.steps[n-1].what == "rig's runner around the update" {
			u -= r.steps[n-1].took
		}
		updates = append(updates, u)
	}
	um := median(updates)
	fmt.Fprintf(e.Out, "  the update alone (pulumi up, without the rig's runner): %.1f s, ratio %.2f\n", um.Seconds(), um.Seconds()/mm.total.Seconds())
	return nil
}

// String is the total and the parts.
func (r benchRun) String() string {
	parts := make([]string, len(r.steps))
	for i, s := range r.steps {
		parts[i] = fmt.Sprintf("%s %.1f s", s.what, s.took.Seconds())
	}
	return fmt.Sprintf("%.1f s (%s)", r.total.Seconds(), strings.Join(parts, "; "))
}

// medianRun is the median of each part and of the total over the runs
// (each taken on its own, so the parts need not add up to the total).
func medianRun(runs []benchRun) benchRun {
	var out benchRun
	if len(runs) == 0 {
		return out
	}
	var totals []time.Duration
	for _, r := range runs {
		totals = append(totals, r.total)
	}
	out.total = median(totals)
	for i, s := range runs[0].steps {
		var d []time.Duration
		for _, r := range runs {
			if i < len(r.steps) && r.steps[i].what == s.what {
				d = append(d, r.steps[i].took)
			}
		}
		out.steps = append(out.steps, benchStep{s.what, median(d)})
	}
	return out
}

// median is the middle value (the mean of the two middle ones).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// benchRig starts a fresh rig with the benchmark's cluster and bucket.
func benchRig(ctx context.Context, e *Env, name string) (*rig.Rig, *Deployment, error) {
	r, err := startRigWithID(ctx, e, name, "123456789012", "ap-northeast-2", "seed-apne2", benchOIDCID)
	if err != nil {
		return nil, nil, err
	}
	if err := r.AssociateOIDCProvider(); err != nil {
		r.Stop()
		return nil, nil, err
	}
	if err := r.CreateBucket(benchBucket, r.Region); err != nil {
		r.Stop()
		return nil, nil, err
	}
	d, err := NewDeployment(e, r, "seed-apne2", benchStack)
	if err != nil {
		r.Stop()
		return nil, nil, err
	}
	return r, d, nil
}

// benchProduct times one pulumi up, checks what it deployed as the seed
// scenario does, and, when asked, reads back the documents and values it
// deployed for the manual path.
func benchProduct(ctx context.Context, e *Env, i int, harvest bool) (benchRun, *manualInputs, error) {
	r, d, err := benchRig(ctx, e, fmt.Sprintf("bench-product-%d", i))
	if err != nil {
		return benchRun{}, nil, err
	}
	defer r.Stop()
	start := time.Now()
	out, err := d.Run(ctx, "up", upTimeout)
	total := time.Since(start)
	if err != nil {
		return benchRun{}, nil, err
	}
	if err := d.checkSeed(out, "velero", "velero-server", benchBucket, benchPrefix, true); err != nil {
		return benchRun{}, nil, err
	}
	run := benchRun{total: total, steps: productSteps(out, total)}
	if !harvest {
		return run, nil, nil
	}
	in, err := d.manualInputs()
	return run, in, err
}

// productSteps reads the step lines the rig's program runner prints
// ("step <from> <took> <op> <type> <name>", then "step-total <seconds>",
// both from the moment the runner asked for the update) and keeps the
// parts the manual path also has, named alike; with what came before the
// first of them (the CLI and engine starting, the program reading the
// cluster), what came after the last (the update's end), and the rest of
// the run's total (the rig's runner around the update: the Automation
// API's own pulumi commands, which a user's `pulumi up` does not run).
func productSteps(out string, total time.Duration) []benchStep {
	names := map[string]string{
		"aws:iam/role:Role":                             "role",
		"aws:iam/rolePolicy:RolePolicy":                 "policy",
		"kubernetes:helm.sh/v3:Release":                 "release",
		"kubernetes:velero.io/v1:BackupStorageLocation": "location Available",
		"kubernetes:velero.io/v1:Backup":                "backup Completed",
	}
	seconds := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Second))
	}
	var steps []benchStep
	first, last, update := time.Duration(-1), time.Duration(0), time.Duration(0)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) == 2 && f[0] == "step-total" {
			update = seconds(f[1])
		}
		if len(f) != 6 || f[0] != "step" {
			continue
		}
		what, ok := names[f[4]]
		if !ok {
			continue
		}
		from, took := seconds(f[1]), seconds(f[2])
		if first < 0 || from < first {
			first = from
		}
		last = max(last, from+took)
		steps = append(steps, benchStep{what, took})
	}
	if first < 0 || update == 0 {
		return steps
	}
	steps = append([]benchStep{{"engine and program until the role", first}}, steps...)
	return append(steps, benchStep{"update after the backup", update - last}, benchStep{"rig's runner around the update", total - update})
}

// manualInputs reads the role, its policy and the release's values from
// the rig the product deployed, and moves the locations into the values.
func (d *Deployment) manualInputs() (*manualInputs, error) {
	var in manualInputs
	for _, role := range d.Rig.Cloud.Roles() {
		for name, doc := range role.Inline {
			in.roleName, in.rolePath, in.policyName, in.trust, in.policy = role.Name, role.Path, name, role.TrustPolicy, doc
		}
	}
	if in.roleName == "" {
		return nil, fmt.Errorf("the product's rig holds no role with an inline policy")
	}
	raw, err := d.helm("get", "values", "velero", "-n", "velero", "-o", "json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw), &in.values); err != nil {
		return nil, fmt.Errorf("helm get values: %v", err)
	}
	out, err := d.kubectl("get", "backupstoragelocations.velero.io", "-n", "velero", "-o", "json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Spec     struct {
				Provider, AccessMode string
				Default              bool
				ObjectStorage        struct{ Bucket, Prefix string }
				Config               map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
	}
	var locations []interface{}
	for _, l := range list.Items {
		locations = append(locations, map[string]interface{}{
			"name": l.Metadata.Name, "provider": l.Spec.Provider, "default": l.Spec.Default, "accessMode": l.Spec.AccessMode,
			"bucket": l.Spec.ObjectStorage.Bucket, "prefix": l.Spec.ObjectStorage.Prefix, "config": l.Spec.Config,
		})
	}
	conf, _ := in.values["configuration"].(map[string]interface{})
	if conf == nil || len(locations) == 0 {
		return nil, fmt.Errorf("the product's release has no configuration (%v) or its rig no location (%d)", conf != nil, len(locations))
	}
	conf["backupStorageLocation"] = locations
	in.values["backupsEnabled"] = true
	return &in, nil
}

// benchManual times the manual path on a fresh rig.
func benchManual(ctx context.Context, e *Env, i int, in *manualInputs) (benchRun, error) {
	r, d, err := benchRig(ctx, e, fmt.Sprintf("bench-manual-%d", i))
	if err != nil {
		return benchRun{}, err
	}
	defer r.Stop()
	files := map[string][]byte{"trust.json": []byte(in.trust), "policy.json": []byte(in.policy)}
	if files["values.yaml"], err = yaml.Marshal(in.values); err != nil {
		return benchRun{}, err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(r.Dir, name), b, 0o600); err != nil {
			return benchRun{}, err
		}
	}
	aws := func(args ...string) func() error {
		return func() error {
			cmd := exec.CommandContext(ctx, filepath.Join(e.RigBin, "path", "aws"), args...)
			cmd.Env = d.environment("bench")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, out)
			}
			return nil
		}
	}
	backup := fmt.Sprintf("bench-%d", i)
	steps := []struct {
		what string
		run  func() error
	}{
		{"role", aws("iam", "create-role", "--role-name", in.roleName, "--path", in.rolePath,
			"--assume-role-policy-document", "file://"+filepath.Join(r.Dir, "trust.json"))},
		{"policy", aws("iam", "put-role-policy", "--role-name", in.roleName, "--policy-name", in.policyName,
			"--policy-document", "file://"+filepath.Join(r.Dir, "policy.json"))},
		{"release", func() error {
			_, err := d.helm("upgrade", "--install", "velero", "velero", "--repo", d.repo.URL, "--version", e.ChartVersion,
				"-n", "velero", "--create-namespace", "-f", filepath.Join(r.Dir, "values.yaml"), "--wait", "--timeout", "5m")
			return err
		}},
		{"location Available", func() error {
			// `kubectl get bsl` once a second, as one watches it.
			return pollEvery(ctx, time.Second, 3*time.Minute, func() (bool, error) {
				phase := d.jsonpath("backupstoragelocations.velero.io", "default", "velero", "{.status.phase}")
				return phase == "Available", nil
			})
		}},
		{"backup Completed", func() error {
			if _, err := d.velero("backup", "create", backup, "--include-namespaces", "velero", "--snapshot-volumes=false",
				"--ttl", "24h0m0s", "--wait", "-n", "velero"); err != nil {
				return err
			}
			if phase := d.jsonpath("backups.velero.io", backup, "velero", "{.status.phase}"); phase != "Completed" {
				return fmt.Errorf("backup %s ended %q", backup, phase)
			}
			return nil
		}},
	}
	var run benchRun
	start := time.Now()
	for _, s := range steps {
		t := time.Now()
		if err := s.run(); err != nil {
			return benchRun{}, fmt.Errorf("%s: %w", s.what, err)
		}
		run.steps = append(run.steps, benchStep{s.what, time.Since(t)})
	}
	run.total = time.Since(start)
	return run, nil
}

// pollEvery checks every interval until done or the timeout.
func pollEvery(ctx context.Context, interval, timeout time.Duration, check func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := check()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
