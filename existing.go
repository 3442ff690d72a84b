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

// checkExisting looks at the cluster before anything is created: a Velero
// that runs outside this stack is refused with what was found, unless the
// stack adopts it; an adoption that would lose a location or a schedule is
// refused too. On an up that adopts a release whose values hold static
// keys, it first records a revision without them (existing.HandOverRelease),
// so the import of the release never brings the keys into the stack's
// state. It returns whether the component adopts the release.
//
// A preview that cannot reach the cluster warns and goes on (a pull
// request's preview may run without cluster access); an up fails.
func checkExisting(ctx *pulumi.Context, c stackConfig, info clusterInfo) (bool, error) {
	readCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	found, writer, err := readCluster(readCtx, c, info)
	if err != nil {
		err = fmt.Errorf("reading cluster %s to find a Velero already running there: %w", c.ClusterName, err)
		if ctx.DryRun() {
			_ = ctx.Log.Warn(err.Error()+"; the preview goes on as if none runs, and `pulumi up` will check again", nil)
			return false, nil
		}
		return false, err
	}
	verdict, err := existing.Check(found, wantOf(ctx, c))
	if err != nil {
		return false, err
	}
	if verdict.Adopt == nil {
		return false, nil
	}
	rel := verdict.Adopt.Release
	if ctx.DryRun() {
		_ = ctx.Log.Warn(fmt.Sprintf("adopting Helm release %s/%s (revision %d): `pulumi up` takes it into the stack and upgrades it to the role; "+
			"this preview shows the release as created, and the backup locations the release rendered as replaced by the stack's", rel.Namespace, rel.Name, rel.Revision), nil)
		return true, nil
	}
	stack := ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
	h, err := existing.HandOverRelease(readCtx, writer, rel, stack)
	if err != nil {
		return false, fmt.Errorf("handing Helm release %s/%s over to the stack: %w", rel.Namespace, rel.Name, err)
	}
	if h.Recorded {
		_ = ctx.Log.Info(fmt.Sprintf("Helm release %s/%s: revision %d records revision %d's values without %s (nothing in the cluster changed); the stack imports it and upgrades the release to the role",
			rel.Namespace, rel.Name, h.Revision, rel.Revision, strings.Join(h.Removed, ", ")), nil)
	}
	return true, nil
}

// wantOf is what the stack installs, as existing.Check compares it.
func wantOf(ctx *pulumi.Context, c stackConfig) existing.Want {
	w := existing.Want{
		Cluster: c.ClusterName, Namespace: c.Namespace, ReleaseName: releaseName(c), ServiceAccount: c.ServiceAccountName,
		AdoptRelease: c.AdoptRelease, ArgoCDReleased: c.ArgoCDReleased, Region: c.Region,
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
