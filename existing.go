package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components"
	"github.com/velero-irsa/velero-irsa/components/existing"
)

// readCluster reads what Velero runs on the stack's cluster; the unit tests
// replace it with a fixed cluster.
var readCluster = readLiveCluster

// readLiveCluster connects to the cluster as the kubernetes provider will
// and reads its Velero installations.
func readLiveCluster(ctx context.Context, c stackConfig, info clusterInfo) (existing.Cluster, existing.Writer, error) {
	api, err := info.connect(ctx, c)
	if err != nil {
		return existing.Cluster{}, nil, err
	}
	found, err := existing.Read(ctx, api, c.Namespace)
	return found, api, err
}

// adoption is what checkExisting decided the stack takes over.
type adoption struct {
	// release is true when the component imports and upgrades a Helm
	// release (adoptRelease).
	release bool
	// install is the `velero install` Velero the stack replaces
	// (adoptVeleroInstall), nil otherwise; writer reaches its cluster.
	install *existing.Installation
	writer  existing.Writer
	// readBackGone is true when the stack manages Velero and the backup
	// readBackBackup names is gone (or being deleted): the deploy reads
	// nothing back, and Pulumi drops the Restore Velero deleted with it.
	readBackGone bool
}

// checkExisting looks at the cluster before anything is created: a Velero
// that runs outside this stack is refused with what was found, unless the
// stack adopts it; an adoption that would lose a location or a schedule is
// refused too. On an up that adopts a release whose values hold static
// keys, it first records a revision without them (existing.HandOverRelease),
// so the import of the release never brings the keys into the stack's
// state.
//
// A preview that cannot reach the cluster warns and goes on (a pull
// request's preview may run without cluster access); an up fails.
func checkExisting(ctx *pulumi.Context, c stackConfig, info clusterInfo) (adoption, error) {
	readCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	found, writer, err := readCluster(readCtx, c, info)
	if err != nil {
		err = fmt.Errorf("reading cluster %s to find a Velero already running there: %w", c.ClusterName, err)
		if ctx.DryRun() {
			_ = ctx.Log.Warn(err.Error()+"; the preview goes on as if none runs, and `pulumi up` will check again", nil)
			return adoption{}, nil
		}
		return adoption{}, err
	}
	want := wantOf(ctx, c)
	verdict, err := existing.Check(found, want)
	if err != nil {
		return adoption{}, err
	}
	warning, gone, err := checkReadBack(readCtx, writer, c, verdict.Managed)
	if err != nil {
		return adoption{}, err
	}
	if warning != "" {
		_ = ctx.Log.Warn(warning, nil)
	}
	if err := checkAlertCRDs(readCtx, writer, c); err != nil {
		return adoption{}, err
	}
	if verdict.Adopt == nil {
		return adoption{readBackGone: gone}, nil
	}
	if hint := existing.ReadBackHint(want, *verdict.Adopt); hint != "" {
		_ = ctx.Log.Warn("nothing in this deploy reads a backup taken before the switch: set"+strings.TrimPrefix(hint, ", and"), nil)
	}
	if verdict.Adopt.Kind == existing.KindCLI {
		inst := verdict.Adopt
		msg := fmt.Sprintf("adopting the `velero install` Velero in namespace %s: just before the stack's Helm release is installed, `pulumi up` scales Deployment %s to zero, waits for its pods to stop, "+
			"and deletes it (the chart's Deployment has the same name and another selector, which cannot change in place), with its node agent, locations (created again by the stack under the same names), key Secrets %s, ServiceAccount %s and cluster-admin binding; backups, schedules and restores stay",
			inst.Namespace, inst.Deployment, strings.Join(inst.KeySecrets, ", "), inst.ServiceAccount)
		if flags := droppedFlags(inst.ServerFlags); len(flags) > 0 {
			msg += fmt.Sprintf(". The server's flags %s are not carried over: the stack's values decide the chart's server arguments (valuesOverrides.configuration)", strings.Join(flags, " "))
		}
		_ = ctx.Log.Warn(msg, nil)
		return adoption{install: inst, writer: writer}, nil
	}
	rel := verdict.Adopt.Release
	if kept := existing.SecretsOutsideRelease(*verdict.Adopt); len(kept) > 0 {
		_ = ctx.Log.Warn(fmt.Sprintf("Secrets %s hold the static AWS keys Velero used and are not made by release %s: the upgrade stops Velero reading them but leaves them in place; delete them once the key is retired (docs/adopting.md#retiring-the-old-key)",
			strings.Join(kept, ", "), rel.Name), nil)
	}
	if ctx.DryRun() {
		_ = ctx.Log.Warn(fmt.Sprintf("adopting Helm release %s/%s (revision %d): `pulumi up` takes it into the stack and upgrades it to the role; "+
			"this preview shows the release as created, and the backup locations the release rendered as replaced by the stack's", rel.Namespace, rel.Name, rel.Revision), nil)
		return adoption{release: true}, nil
	}
	stack := ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
	h, err := existing.HandOverRelease(readCtx, writer, rel, stack)
	if err != nil {
		return adoption{}, fmt.Errorf("handing Helm release %s/%s over to the stack: %w", rel.Namespace, rel.Name, err)
	}
	if h.Recorded {
		_ = ctx.Log.Info(fmt.Sprintf("Helm release %s/%s: revision %d records revision %d's values without %s (nothing in the cluster changed); the stack imports it and upgrades the release to the role",
			rel.Namespace, rel.Name, h.Revision, rel.Revision, strings.Join(h.Removed, ", ")), nil)
	}
	return adoption{release: true}, nil
}

// checkReadBack refuses a readBackBackup that names no backup Velero could
// restore from one of the stack's locations, before anything is created
// (the Restore would otherwise wait out backupLocationTimeoutSeconds).
// Once the stack manages Velero (managed), a backup that is gone or being
// deleted (expired at its TTL) only warns, and gone is true: the deploy
// then reads nothing back (Velero deletes a backup's Restores with it), so
// an up that changes nothing else does not fail on it.
func checkReadBack(ctx context.Context, api existing.API, c stackConfig, managed bool) (warning string, gone bool, err error) {
	if c.ReadBackBackup == "" || api == nil {
		return "", false, nil
	}
	var b struct {
		Spec   struct{ StorageLocation string } `json:"spec"`
		Status struct{ Phase string }           `json:"status"`
	}
	found, err := api.Get(ctx, "/apis/velero.io/v1/namespaces/"+c.Namespace+"/backups/"+c.ReadBackBackup, &b)
	if err != nil {
		return "", false, fmt.Errorf("reading backup %s/%s (config readBackBackup): %w", c.Namespace, c.ReadBackBackup, err)
	}
	fix := fmt.Sprintf("name a Completed backup of one of the stack's locations (`velero backup get -n %s`), or remove readBackBackup", c.Namespace)
	switch {
	case managed && (!found || b.Status.Phase == "Deleting"):
		return fmt.Sprintf("config readBackBackup %q: there is no such backup in namespace %s any more (it expired at its TTL, was deleted, or the name is wrong), so this deploy reads nothing back: remove readBackBackup from the stack, or %s",
			c.ReadBackBackup, c.Namespace, strings.TrimSuffix(fix, ", or remove readBackBackup")), true, nil
	case !found:
		return "", false, fmt.Errorf("config readBackBackup %q: there is no such backup in namespace %s: %s", c.ReadBackBackup, c.Namespace, fix)
	case b.Status.Phase != "Completed" && b.Status.Phase != "PartiallyFailed":
		return "", false, fmt.Errorf("config readBackBackup %q: the backup is %s, and only a Completed or PartiallyFailed backup can be restored: %s", c.ReadBackBackup, cmp.Or(b.Status.Phase, "New"), fix)
	}
	if _, ok := c.AdditionalBackupLocations[b.Spec.StorageLocation]; b.Spec.StorageLocation != c.BackupLocationName && !ok {
		return "", false, fmt.Errorf("config readBackBackup %q: the backup is at location %q, which the stack does not describe: %s", c.ReadBackBackup, b.Spec.StorageLocation, fix)
	}
	return "", false, nil
}

// checkAlertCRDs refuses alerts on a cluster without the Prometheus
// Operator's CRDs for what they install (the chart renders these objects
// with autodetect off, so Helm would fail the release after the role was
// created).
func checkAlertCRDs(ctx context.Context, api existing.API, c stackConfig) error {
	if !c.Alerts.Enabled || api == nil {
		return nil
	}
	kinds := []string{"prometheusrules", "servicemonitors"}
	if c.DeployNodeAgent {
		kinds = append(kinds, "podmonitors")
	}
	var missing []string
	for _, kind := range kinds {
		name := kind + ".monitoring.coreos.com"
		found, err := api.Get(ctx, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+name, &struct{}{})
		if err != nil {
			return fmt.Errorf("reading CustomResourceDefinition %s (config alerts): %w", name, err)
		}
		if !found {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("config alerts is set, but cluster %s has no CustomResourceDefinition %s: the alerts are a PrometheusRule, a ServiceMonitor and (with deployNodeAgent) a PodMonitor, kinds of the Prometheus Operator; "+
			"install the Prometheus Operator (kube-prometheus-stack, for example) on the cluster first, or remove alerts from the stack. Nothing was created or changed",
			c.ClusterName, strings.Join(missing, ", "))
	}
	return nil
}

// droppedFlags are a `velero install` server's flags that change how it
// works, other than what velero install always passes with its defaults.
func droppedFlags(flags []string) []string {
	var out []string
	for _, f := range flags {
		if f != "--features=" && f != "--uploader-type=kopia" {
			out = append(out, f)
		}
	}
	return out
}

// installHandOver is the option that runs the `velero install` hand-over
// just before the stack's Helm release is created: a transform gives the
// release a before-create hook (the engine runs it once the role and its
// policy exist, so a failure there leaves the old Velero running), and
// nothing happens on a preview or when the release already exists.
func installHandOver(ctx *pulumi.Context, a adoption) (pulumi.ResourceOption, error) {
	inst := *a.install
	hook, err := ctx.RegisterResourceHook("velero-install-handover", func(*pulumi.ResourceHookArgs) error {
		hctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		h, err := existing.HandOverInstall(hctx, a.writer, inst, 5*time.Minute)
		if err != nil {
			return fmt.Errorf("handing the `velero install` Velero in namespace %s over to the stack: %w; nothing more was removed, and `pulumi up` again goes on from here", inst.Namespace, err)
		}
		_ = ctx.Log.Info(fmt.Sprintf("the `velero install` server stopped after %s; removed %s", h.ServerDown.Round(time.Second), strings.Join(h.Removed, ", ")), nil)
		if len(h.KeptSecrets) > 0 {
			_ = ctx.Log.Warn(fmt.Sprintf("Secrets %s held the static AWS keys the old server used and were not made by `velero install`, so they stay (other workloads may read them); Velero no longer does: delete them once the key is retired (docs/adopting.md#retiring-the-old-key)", strings.Join(h.KeptSecrets, ", ")), nil)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("registering the velero install hand-over: %w", err)
	}
	return pulumi.Transforms([]pulumi.ResourceTransform{func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if args.Type != "kubernetes:helm.sh/v3:Release" {
			return nil
		}
		opts := args.Opts
		if opts.Hooks == nil {
			opts.Hooks = &pulumi.ResourceHookBinding{}
		}
		opts.Hooks.BeforeCreate = append(opts.Hooks.BeforeCreate, hook)
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: opts}
	}}), nil
}

// wantOf is what the stack installs, as existing.Check compares it.
func wantOf(ctx *pulumi.Context, c stackConfig) existing.Want {
	w := existing.Want{
		Cluster: c.ClusterName, Namespace: c.Namespace, ReleaseName: releaseName(c), ServiceAccount: c.ServiceAccountName,
		AdoptRelease: c.AdoptRelease, AdoptInstall: c.AdoptVeleroInstall, ArgoCDReleased: c.ArgoCDReleased, Region: c.Region,
		ReadBackBackup: c.ReadBackBackup,
		Locations: map[string]existing.WantLocation{
			c.BackupLocationName: {Bucket: c.BucketName, Prefix: c.BackupPrefix, Region: c.Region, AccessMode: c.BackupAccessMode,
				Setting: fmt.Sprintf("%[1]s:bucketName, %[1]s:backupPrefix, %[1]s:region", ctx.Project())},
		},
		MainLocation: c.BackupLocationName,
		NodeAgent:    c.DeployNodeAgent,
		Plugins:      overridePlugins(c.ValuesOverrides),
		Schedules:    map[string]existing.WantSchedule{},
		Key:          func(k string) string { return ctx.Project() + ":" + k },
	}
	if c.SnapshotsEnabled {
		w.SnapshotLocation = c.snapshotLocationName()
	}
	for _, name := range slices.Sorted(maps.Keys(c.AdditionalBackupLocations)) {
		l := c.AdditionalBackupLocations[name]
		w.Locations[name] = existing.WantLocation{Bucket: l.Bucket, Prefix: l.Prefix, Region: cmp.Or(l.Region, c.Region), AccessMode: cmp.Or(l.AccessMode, "ReadOnly"),
			Setting: ctx.Project() + ":additionalBackupLocations." + name}
	}
	for key, s := range c.Schedules {
		// existing.Check reads "" as Velero's default TTL, as the
		// component does.
		w.Schedules[key] = existing.WantSchedule{
			Cron: s.Schedule, TTL: s.Ttl, IncludedNamespaces: s.IncludedNamespaces, ExcludedNamespaces: s.ExcludedNamespaces,
			SnapshotVolumes: s.SnapshotVolumes, DefaultVolumesToFsBackup: s.DefaultVolumesToFsBackup,
			StorageLocation: cmp.Or(s.StorageLocation, c.BackupLocationName),
		}
	}
	return w
}

// overridePlugins are the images of the init containers valuesOverrides
// lists.
func overridePlugins(overrides map[string]interface{}) []string {
	var out []string
	list, _ := overrides["initContainers"].([]interface{})
	for _, c := range list {
		m, _ := c.(map[string]interface{})
		if image, _ := m["image"].(string); image != "" {
			out = append(out, image)
		}
	}
	return out
}

// releaseName is the Helm release the stack manages: the adopted one, or
// the component's default.
func releaseName(c stackConfig) string {
	return cmp.Or(c.AdoptRelease, components.DefaultReleaseName)
}
