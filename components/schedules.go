package components

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a Velero backup schedule, rendered to the chart's schedules
// map (one velero.io/v1 Schedule named "<release fullname>-<key>").
type Schedule struct {
	// Schedule is the cron expression, parsed as Velero parses it
	// (robfig/cron ParseStandard: five fields, or @daily, @every 6h, ...;
	// an optional CRON_TZ= prefix). Required.
	Schedule string `pulumi:"schedule"`
	// Ttl is how long backups are kept, a Go duration such as "720h".
	// Default 720h (30 days, Velero's own default).
	Ttl string `pulumi:"ttl,optional"`
	// IncludedNamespaces limits the backup to these namespaces. Default all.
	IncludedNamespaces []string `pulumi:"includedNamespaces,optional"`
	// ExcludedNamespaces leaves these namespaces out. Default none.
	ExcludedNamespaces []string `pulumi:"excludedNamespaces,optional"`
	// SnapshotVolumes takes EBS snapshots of the backed-up volumes. Default:
	// Velero's (snapshots when a snapshot location exists). true conflicts
	// with SnapshotsEnabled false.
	SnapshotVolumes *bool `pulumi:"snapshotVolumes,optional"`
	// DefaultVolumesToFsBackup backs up every pod volume with the node
	// agent (Kopia) unless opted out. Requires DeployNodeAgent.
	DefaultVolumesToFsBackup *bool `pulumi:"defaultVolumesToFsBackup,optional"`
	// StorageLocation is the backup location to write to. Default: the
	// component's location (BackupLocationName).
	StorageLocation string `pulumi:"storageLocation,optional"`
}

// DefaultScheduleTTL is the backup retention of a schedule without Ttl.
const DefaultScheduleTTL = "720h"

// checkSchedules validates every schedule against the settings.
func (s *settings) checkSchedules() error {
	for _, name := range slices.Sorted(maps.Keys(s.schedules)) {
		if err := s.checkSchedule(name, s.schedules[name]); err != nil {
			return err
		}
	}
	return nil
}

func (s *settings) checkSchedule(name string, sc Schedule) error {
	field := "schedules." + name
	if err := validateSubdomain("schedules key", name); err != nil {
		return err
	}
	if strings.TrimSpace(sc.Schedule) == "" {
		return fmt.Errorf("%s.schedule is empty: give a cron expression such as \"0 3 * * *\" (daily at 03:00 UTC)", field)
	}
	if _, err := cron.ParseStandard(sc.Schedule); err != nil {
		return fmt.Errorf("%s.schedule %q is not a cron expression Velero accepts: %v; use five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily", field, sc.Schedule, err)
	}
	if sc.Ttl != "" {
		d, err := time.ParseDuration(sc.Ttl)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s.ttl %q is not a positive duration: write hours, e.g. \"720h\" for 30 days (days are not a unit)", field, sc.Ttl)
		}
	}
	for _, list := range []struct {
		key string
		ns  []string
	}{{"includedNamespaces", sc.IncludedNamespaces}, {"excludedNamespaces", sc.ExcludedNamespaces}} {
		for _, ns := range list.ns {
			if ns == "*" {
				continue
			}
			if err := validateLabel(field+"."+list.key+" entry", ns); err != nil {
				return err
			}
		}
	}
	switch {
	case sc.SnapshotVolumes != nil && *sc.SnapshotVolumes && !s.snapshots:
		return fmt.Errorf("%s.snapshotVolumes is true but snapshotsEnabled is false: there is no snapshot location; drop it or turn snapshots on", field)
	case sc.DefaultVolumesToFsBackup != nil && *sc.DefaultVolumesToFsBackup && !s.nodeAgent:
		return fmt.Errorf("%s.defaultVolumesToFsBackup is true but deployNodeAgent is false: file-system backups need the node agent", field)
	case sc.StorageLocation != "" && sc.StorageLocation != s.locationName && !s.writable(sc.StorageLocation):
		return fmt.Errorf("%s.storageLocation %q is not a writable backup location of this component: use %q or a ReadWrite additional location", field, sc.StorageLocation, s.locationName)
	}
	return nil
}

// scheduleValues renders the schedules to the chart's schedules map.
func scheduleValues(schedules map[string]Schedule, locationName string) map[string]interface{} {
	out := map[string]interface{}{}
	for name, sc := range schedules {
		template := map[string]interface{}{
			"ttl":             cmp.Or(sc.Ttl, DefaultScheduleTTL),
			"storageLocation": cmp.Or(sc.StorageLocation, locationName),
		}
		if len(sc.IncludedNamespaces) > 0 {
			template["includedNamespaces"] = toInterfaces(sc.IncludedNamespaces)
		}
		if len(sc.ExcludedNamespaces) > 0 {
			template["excludedNamespaces"] = toInterfaces(sc.ExcludedNamespaces)
		}
		if sc.SnapshotVolumes != nil {
			template["snapshotVolumes"] = *sc.SnapshotVolumes
		}
		if sc.DefaultVolumesToFsBackup != nil {
			template["defaultVolumesToFsBackup"] = *sc.DefaultVolumesToFsBackup
		}
		out[name] = map[string]interface{}{"schedule": sc.Schedule, "template": template}
	}
	return out
}

func toInterfaces(list []string) []interface{} {
	out := make([]interface{}, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// writable reports whether name is a ReadWrite additional location.
func (s *settings) writable(name string) bool {
	loc, ok := s.locations[name]
	return ok && loc.AccessMode == "ReadWrite"
}
