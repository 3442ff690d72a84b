package existing

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Want is what a stack is about to install, as Check needs it.
type Want struct {
	Cluster        string // for messages
	Namespace      string
	ReleaseName    string
	ServiceAccount string
	// AdoptRelease names the Helm release the stack takes over ("" for
	// none): the stack then upgrades it in place.
	AdoptRelease string
	// AdoptInstall says the stack takes over a Velero that `velero
	// install` made: its server is replaced by the stack's release.
	AdoptInstall bool
	// ArgoCDReleased says the user has removed the installation from Argo
	// CD (or turned its auto-sync off), so Argo CD will not revert it.
	ArgoCDReleased bool
	// Locations are the backup locations the stack describes, by name;
	// MainLocation names its main one, the default.
	Locations    map[string]WantLocation
	MainLocation string
	// SnapshotLocation names the stack's VolumeSnapshotLocation ("" when
	// snapshots are off); its region is Region.
	SnapshotLocation, Region string
	// Schedules are the stack's schedules, by key.
	Schedules map[string]WantSchedule
	// NodeAgent is true when the stack deploys the node agent.
	NodeAgent bool
	// ReadBackBackup is the backup the stack reads back through the role
	// ("" for none).
	ReadBackBackup string
	// Plugins are the images of the stack's init containers (plugins),
	// the AWS plugin's aside.
	Plugins []string
	// Key renders a setting's name as the user writes it
	// ("velero-irsa:adoptRelease" in a stack file).
	Key func(name string) string
}

// WantLocation is a backup location the stack describes.
type WantLocation struct {
	Bucket, Prefix, Region, AccessMode string
	// Setting is where the stack describes it, for messages.
	Setting string
}

// WantSchedule is a schedule of the stack, with defaults applied
// (StorageLocation "" is the main location).
type WantSchedule struct {
	Cron, TTL                                 string
	IncludedNamespaces, ExcludedNamespaces    []string
	SnapshotVolumes, DefaultVolumesToFsBackup *bool
	StorageLocation                           string
}

// Verdict is what a stack may do with the cluster.
type Verdict struct {
	// Adopt is the installation the stack upgrades in place, nil for a
	// fresh install or a release the stack already manages.
	Adopt *Installation
	// Managed is true when the stack's own release is there (a later up).
	Managed bool
}

// Refusal is Check's error: Velero runs outside the stack, or cannot be
// adopted as the stack says. Its message names what was found and the fix.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

// IsRefusal tells whether err is a Refusal.
func IsRefusal(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}

// Check decides what a stack may do on a cluster where c was found: install
// fresh, update its own release, or adopt the installation it names. Any
// other Velero on the cluster is refused, as is an adoption that would lose
// a location, a schedule or a backup's link to its location.
func Check(c Cluster, w Want) (Verdict, error) {
	var v Verdict
	if w.AdoptRelease != "" && w.AdoptInstall {
		return Verdict{}, &Refusal{Message: fmt.Sprintf("%s and %s are both set: a stack adopts either a Helm release or a `velero install` Velero; keep the one that matches `helm list -n %s` (a release there means %s).",
			w.Key("adoptRelease"), w.Key("adoptVeleroInstall"), w.Namespace, w.Key("adoptRelease"))}
	}
	for i := range c.Installations {
		inst := c.Installations[i]
		switch {
		case inst.Namespace != w.Namespace:
			return Verdict{}, refuse(w, inst, fmt.Sprintf("It runs in namespace %s, and this stack installs Velero in namespace %s: two Velero servers on one cluster share its CRDs and fight over its backups. "+
				"To move that Velero to the role instead, set %s: %s and %s: %s.",
				inst.Namespace, w.Namespace, w.Key("namespace"), inst.Namespace, w.Key("adoptRelease"), releaseNameOr(inst, "<release>")))
		case inst.ManagedByVeleroIRSA && inst.Release != nil && inst.Release.Name == w.ReleaseName && HasKeyMaterial(inst.Release.Values):
			// The stack's release, its newest values changed outside the
			// stack to hold keys (a rollback, an upgrade with
			// --reuse-values): handed over again before the stack reads it.
			if w.AdoptRelease == "" {
				return Verdict{}, refuse(w, inst, fmt.Sprintf("Its newest revision's values hold static AWS keys (a `helm rollback` or `helm upgrade` outside the stack): set %s: %s to take it back without them.", w.Key("adoptRelease"), inst.Release.Name))
			}
			if err := checkAdoption(inst, w); err != nil {
				return Verdict{}, err
			}
			v.Adopt = &inst
		case inst.ManagedByVeleroIRSA && inst.Release != nil && inst.Release.Name == w.ReleaseName:
			if p := unrenderedProblem(inst); p != "" {
				return Verdict{}, &Refusal{Message: fmt.Sprintf("Velero on cluster %s, installed by this stack, has static AWS keys added outside it; nothing was created or changed.\n%s- %s",
					w.Cluster, inst.Describe("  "), p)}
			}
			v.Managed = true
		case inst.ManagedByVeleroIRSA && inst.Release != nil:
			return Verdict{}, refuse(w, inst, fmt.Sprintf("Another velero-irsa stack installed it as release %s; this stack's release is %s. Destroy that stack first, or deploy this cluster from that stack.", inst.Release.Name, w.ReleaseName))
		case inst.Kind == KindCLI && w.AdoptInstall && inst.Namespace == w.Namespace:
			if err := checkInstallAdoption(inst, w); err != nil {
				return Verdict{}, err
			}
			v.Adopt = &inst
		case w.AdoptRelease == "":
			return Verdict{}, refuse(w, inst, adoptHint(w, inst))
		default:
			if err := checkAdoption(inst, w); err != nil {
				return Verdict{}, err
			}
			v.Adopt = &inst
		}
	}
	if w.AdoptRelease != "" && v.Adopt == nil && !v.Managed {
		return Verdict{}, &Refusal{Message: fmt.Sprintf("%s is %s, but no Helm release of that name runs Velero in namespace %s on cluster %s: check the name (`helm list -n %s`), or remove the setting for a fresh install.",
			w.Key("adoptRelease"), w.AdoptRelease, w.Namespace, w.Cluster, w.Namespace)}
	}
	return v, nil
}

func releaseNameOr(inst Installation, def string) string {
	if inst.Release != nil {
		return inst.Release.Name
	}
	return def
}

// refuse builds the refusal: what was found, why, and what to do.
func refuse(w Want, inst Installation, why string) *Refusal {
	return &Refusal{Message: fmt.Sprintf("Velero already runs on cluster %s, outside this stack; nothing was created or changed.\n%s%s",
		w.Cluster, inst.Describe("  "), why)}
}

// adoptHint is the way forward for an installation the stack does not name.
func adoptHint(w Want, inst Installation) string {
	switch inst.Kind {
	case KindHelm:
		return fmt.Sprintf("To move this release to the role in place (the same release at a new revision, its backups, locations and schedules kept), set %s: %s in the stack%s; see docs/adopting.md. To install a separate Velero instead, uninstall this one first.",
			w.Key("adoptRelease"), inst.Release.Name, ReadBackHint(w, inst))
	case KindCLI:
		return fmt.Sprintf("To move it to the role (its locations, backups and schedules kept; its Deployment replaced by the chart's, whose selector differs), set %s: true in the stack%s; see docs/adopting.md.",
			w.Key("adoptVeleroInstall"), ReadBackHint(w, inst))
	}
	if len(inst.ArgoCD) > 0 {
		// Argo CD renders a chart with `helm template` and applies the
		// result: no Helm release exists to adopt.
		return "Argo CD applies it without a Helm release (it renders charts with `helm template`), so there is no release to adopt, and Argo CD would revert any change this stack made, static keys included. " +
			"The stack cannot take such a Velero over in place: hand the application over (`argocd app delete <app> --cascade=false`, which keeps Velero running), then follow \"From Argo CD without a Helm release\" in docs/adopting.md, which keeps its backups and schedules."
	}
	return "It does not come from a Helm release this stack could adopt; remove it first (its backups stay in the bucket), see docs/adopting.md."
}

// ReadBackHint is the clause that proposes reading the installation's
// newest Completed backup back through the role, "" when the stack already
// reads one back or there is none.
func ReadBackHint(w Want, inst Installation) string {
	if w.ReadBackBackup != "" || inst.NewestBackup == nil {
		return ""
	}
	return fmt.Sprintf(", and %s: %s (its newest Completed backup) to prove that the backups taken before the switch are readable through the role",
		w.Key("readBackBackup"), inst.NewestBackup.Name)
}

// checkAdoption refuses an adoption that is not the installation found, is
// in a state Helm cannot upgrade, is still managed by Argo CD, or would
// lose or move a location or schedule.
func checkAdoption(inst Installation, w Want) error {
	if inst.Release == nil {
		return refuse(w, inst, fmt.Sprintf("%s is %s, but this Velero has no Helm release to adopt. %s", w.Key("adoptRelease"), w.AdoptRelease, adoptHint(w, inst)))
	}
	r := inst.Release
	var problems []string
	if r.Name != w.AdoptRelease {
		problems = append(problems, fmt.Sprintf("%s is %s, but the release here is %s: set it to %s.", w.Key("adoptRelease"), w.AdoptRelease, r.Name, r.Name))
	}
	if r.Status != "deployed" {
		problems = append(problems, fmt.Sprintf("Revision %d of release %s is %s, not deployed: finish or undo the last Helm operation first (`helm history %s -n %s`, then `helm rollback %s <revision> -n %s`).",
			r.Revision, r.Name, r.Status, r.Name, r.Namespace, r.Name, r.Namespace))
	}
	problems = append(problems, argoProblems(inst, w)...)
	if p := unrenderedProblem(inst); p != "" {
		problems = append(problems, p)
	}
	if inst.ServiceAccount != "" && inst.ServiceAccount != w.ServiceAccount {
		problems = append(problems, fmt.Sprintf("Velero runs as ServiceAccount %s and the stack's is %s: set %s: %s, so the role trusts the ServiceAccount the release keeps.",
			inst.ServiceAccount, w.ServiceAccount, w.Key("serviceAccountName"), inst.ServiceAccount))
	}
	problems = append(problems, valueProblems(inst, w)...)
	problems = append(problems, locationProblems(inst, w)...)
	problems = append(problems, scheduleProblems(inst, w)...)
	return adoptionRefusal(inst, w, problems)
}

// unrenderedProblem names the key sources of Velero's pods that the
// release does not render, "" when there are none: Helm's upgrade patches
// only what its manifests set, so they would stay, and the AWS SDK reads
// them before the role's web identity.
func unrenderedProblem(inst Installation) string {
	if len(inst.UnrenderedKeys) == 0 {
		return ""
	}
	return fmt.Sprintf("Velero's pods get static AWS keys that release %s does not render (added with kubectl or another tool): %s. A Helm upgrade changes only what the release renders, so they would stay, and the AWS SDK would use them instead of the role. "+
		"Remove them first: `kubectl set env deployment/%s -n %s <VARIABLE>-` for a variable (`daemonset/%s` for the node agent), `kubectl edit` for envFrom.",
		inst.Release.Name, strings.Join(inst.UnrenderedKeys, "; "), orDefault(inst.Deployment, "velero"), inst.Namespace, nodeAgentName)
}

// checkInstallAdoption refuses to take over a `velero install` Velero when
// Argo CD still manages it, or when replacing its Deployment with the
// chart's would drop its node agent, a plugin, or a location the stack
// does not describe as it is. Its Schedules are plain objects the
// hand-over keeps.
func checkInstallAdoption(inst Installation, w Want) error {
	problems := argoProblems(inst, w)
	if inst.NodeAgent && !w.NodeAgent {
		problems = append(problems, fmt.Sprintf("It runs the node agent (DaemonSet %s/%s) and the stack does not: the hand-over would delete it, and file-system backups with it; set %s: true.", inst.Namespace, nodeAgentName, w.Key("deployNodeAgent")))
	}
	for _, image := range inst.Plugins {
		if !slices.Contains(w.Plugins, image) {
			problems = append(problems, fmt.Sprintf("Its server runs plugin image %s (`velero install --plugins`), which the chart's Deployment would not: list it in %s.initContainers after the AWS plugin.", image, w.Key("valuesOverrides")))
		}
	}
	problems = append(problems, locationProblems(inst, w)...)
	return adoptionRefusal(inst, w, problems)
}

func argoProblems(inst Installation, w Want) []string {
	if len(inst.ArgoCD) == 0 || w.ArgoCDReleased {
		return nil
	}
	return []string{fmt.Sprintf("Argo CD manages this Velero (%s): it would revert every change this stack makes, and put the static keys back. "+
		"Hand it over first: delete the Argo CD Application without cascading (`argocd app delete <app> --cascade=false`, which keeps Velero running) or turn its auto-sync off, then set %s: true.",
		strings.Join(inst.ArgoCD, "; "), w.Key("argoCDReleased"))}
}

// adoptionRefusal is nil without problems, else the refusal that lists them.
func adoptionRefusal(inst Installation, w Want, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &Refusal{Message: fmt.Sprintf("Cannot adopt the Velero on cluster %s as the stack says; nothing was created or changed.\n%s%s",
		w.Cluster, inst.Describe("  "), "- "+strings.Join(problems, "\n- "))}
}

// locationProblems compares the cluster's locations with the stack's: each
// existing one must be described with the same bucket, prefix and region
// (Velero ties every backup to its location's name, and backup sync drops
// Backups a same-named location no longer holds); the snapshot location
// keeps its name, which restores of EBS snapshots look up.
func locationProblems(inst Installation, w Want) []string {
	var out []string
	for _, l := range inst.Locations {
		// A `velero install` Velero's locations are all handed over: the
		// hand-over deletes them and the stack creates them again.
		if !l.FromRelease && inst.Kind != KindCLI {
			out = append(out, fmt.Sprintf("Backup location %s was made outside the release (`velero backup-location create` or kubectl), and the stack creates its locations itself: delete it first (`kubectl delete backupstoragelocations.velero.io %s -n %s`; deleting a location deletes no backup, and its Backups stay tied to its name), then describe it in the stack.",
				l.Name, l.Name, inst.Namespace))
			continue
		}
		if unknown := unknownConfig(l.Config); len(unknown) > 0 {
			out = append(out, fmt.Sprintf("Backup location %s sets config %s, which the stack does not set: the upgrade would drop it and point the location elsewhere (an S3-compatible endpoint, a profile); this stack manages locations on AWS S3 only.", l.Name, strings.Join(unknown, ", ")))
		}
		if l.Default && l.Name != w.MainLocation {
			out = append(out, fmt.Sprintf("Backup location %s is the default one and the stack's main location is %s: set %s: %s.", l.Name, w.MainLocation, w.Key("backupLocationName"), l.Name))
		}
		want, ok := w.Locations[l.Name]
		if !ok {
			out = append(out, fmt.Sprintf("Backup location %s (bucket %s, prefix %s, region %s) is not described by the stack, and its backups would lose their location: make it the main one (%s: %s, %s: %s, %s: %q, %s: %s) or add it under %s.",
				l.Name, l.Bucket, orNone(l.Prefix), orNone(l.Region), w.Key("backupLocationName"), l.Name, w.Key("bucketName"), l.Bucket, w.Key("backupPrefix"), l.Prefix, w.Key("region"), l.Region, w.Key("additionalBackupLocations")))
			continue
		}
		for _, f := range []struct{ what, have, want string }{
			{"bucket", l.Bucket, want.Bucket}, {"prefix", strings.Trim(l.Prefix, "/"), strings.Trim(want.Prefix, "/")}, {"region", l.Region, want.Region},
		} {
			if f.have != f.want {
				out = append(out, fmt.Sprintf("Backup location %s has %s %q in the cluster and %q in the stack (%s): pointing a location at other storage detaches its backups; set the stack to %q.",
					l.Name, f.what, f.have, f.want, want.Setting, f.have))
			}
		}
		if mode := orDefault(l.AccessMode, "ReadWrite"); mode != orDefault(want.AccessMode, "ReadWrite") {
			out = append(out, fmt.Sprintf("Backup location %s is %s in the cluster and %s in the stack (%s): set the stack's access mode to %s.",
				l.Name, mode, orDefault(want.AccessMode, "ReadWrite"), want.Setting, mode))
		}
		if l.Provider != "aws" && l.Provider != "velero.io/aws" {
			out = append(out, fmt.Sprintf("Backup location %s uses provider %q; this stack manages AWS S3 locations (provider aws) only and cannot take it over: keep this Velero, or delete the location first (`kubectl delete backupstoragelocations.velero.io %s -n %s`; its Backups stay, without a location).", l.Name, l.Provider, l.Name, inst.Namespace))
		}
	}
	for _, l := range inst.SnapshotLocations {
		switch {
		case !l.FromRelease && inst.Kind != KindCLI && w.SnapshotLocation != "":
			// The stack's release renders its snapshot location, and Helm
			// takes over no object another tool made (checkOwnership).
			out = append(out, fmt.Sprintf("Snapshot location %s was made outside the release (`velero snapshot-location create` or kubectl), and the stack's release renders its own: Helm would refuse to take it over. Delete it first (`kubectl delete volumesnapshotlocations.velero.io %s -n %s`; deleting it deletes no snapshot), and keep its name in %s.",
				l.Name, l.Name, inst.Namespace, w.Key("snapshotLocationName")))
		case w.SnapshotLocation == "":
			out = append(out, fmt.Sprintf("Snapshot location %s exists and the stack turns snapshots off: restores of the EBS snapshots its backups hold look it up by name; keep %s: true.", l.Name, w.Key("snapshotsEnabled")))
		case l.Name != w.SnapshotLocation:
			out = append(out, fmt.Sprintf("Snapshot location %s would be replaced by the stack's %s: restores of EBS snapshots look the location up by the name the backup recorded; set %s: %s.", l.Name, w.SnapshotLocation, w.Key("snapshotLocationName"), l.Name))
		case l.Region != w.Region:
			out = append(out, fmt.Sprintf("Snapshot location %s is in region %s and the stack's region is %s: the stack keeps its snapshot location in its own region; set %s: %s if the cluster runs there, or delete the location first (its snapshots stay in EC2, and restores of them need a location of that name and region).", l.Name, orNone(l.Region), w.Region, w.Key("region"), orNone(l.Region)))
		}
	}
	return out
}

// valueProblems refuses release values whose loss the upgrade would not
// survive quietly: other object names, a node agent the stack would
// delete (and with it file-system backups), plugins besides the AWS one.
func valueProblems(inst Installation, w Want) []string {
	values := inst.Release.Values
	var out []string
	for _, k := range []string{"fullnameOverride", "nameOverride"} {
		if v, _ := values[k].(string); v != "" {
			out = append(out, fmt.Sprintf("The release sets %s %q, which names its objects; the stack's release names them from the release name, so the upgrade would replace them. The stack cannot take this release over: keep it, or uninstall it and let the stack install its own (backups stay in the bucket; describe its locations and schedules in the stack first).", k, v))
		}
	}
	sa, _ := values["serviceAccount"].(map[string]interface{})
	if server, _ := sa["server"].(map[string]interface{}); server["create"] == false && inst.ServiceAccount != "" && !inst.ServiceAccountInRelease {
		// The stack's release creates the ServiceAccount the role trusts;
		// Helm takes over an existing object only with its ownership marks.
		out = append(out, fmt.Sprintf("The release runs Velero as ServiceAccount %[1]s, which it does not create (serviceAccount.server.create: false), and the stack's release creates it: Helm would refuse to take it over. Mark it as the release's first: `kubectl label serviceaccount %[1]s -n %[2]s app.kubernetes.io/managed-by=Helm` and `kubectl annotate serviceaccount %[1]s -n %[2]s meta.helm.sh/release-name=%[3]s meta.helm.sh/release-namespace=%[2]s` (the upgrade then sets the role's annotation on it).",
			inst.ServiceAccount, inst.Namespace, inst.Release.Name))
	}
	if on, _ := values["deployNodeAgent"].(bool); on && !w.NodeAgent {
		out = append(out, fmt.Sprintf("The release runs the node agent (deployNodeAgent: true) and the stack does not: the upgrade would delete it, and file-system backups with it; set %s: true.", w.Key("deployNodeAgent")))
	}
	containers, _ := values["initContainers"].([]interface{})
	for _, c := range containers {
		m, _ := c.(map[string]interface{})
		image, _ := m["image"].(string)
		if image != "" && imageRepository(image) != awsPluginRepository && !slices.Contains(w.Plugins, image) {
			out = append(out, fmt.Sprintf("The release installs plugin image %s, which the upgrade would drop: list it in %s.initContainers after the AWS plugin, or remove it from the release first.", image, w.Key("valuesOverrides")))
		}
	}
	return out
}

// The location config keys the stack sets or leaves to Velero's
// defaults without changing where the location points
// (velero-plugin-for-aws object_store.go).
var knownConfig = map[string]bool{"region": true, "kmsKeyId": true, "serverSideEncryption": true, "tagging": true, "checksumAlgorithm": true}

func unknownConfig(config map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(config) {
		if !knownConfig[k] {
			out = append(out, k)
		}
	}
	return out
}

// scheduleProblems requires every schedule the release renders to be one of
// the stack's, with the same settings, so the upgrade keeps it (with its
// name, its history and the schedule-name labels of its backups); it
// prints the stack lines that describe each one that is not.
func scheduleProblems(inst Installation, w Want) []string {
	if inst.Release == nil {
		return nil
	}
	values, _ := inst.Release.Values["schedules"].(map[string]interface{})
	var out []string
	var missing []string
	for _, key := range sortedKeys(values) {
		live, err := liveSchedule(values[key])
		if err != nil {
			out = append(out, fmt.Sprintf("Schedule %s-%s (the release's schedules.%s) %v: this stack cannot describe it; recreate it outside the chart (`velero schedule create`) before adopting.", ChartFullname(inst.Release.Name, inst.Release.Values), key, key, err))
			continue
		}
		if live.disabled {
			continue
		}
		if live.StorageLocation == "" {
			// Velero writes to the default location.
			live.StorageLocation = defaultLocation(inst)
		}
		want, ok := w.Schedules[key]
		if !ok || !sameSchedule(live.WantSchedule, want) {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		var lines []string
		for _, key := range missing {
			live, _ := liveSchedule(values[key])
			lines = append(lines, scheduleLines(key, live.WantSchedule)...)
		}
		out = append(out, fmt.Sprintf("The release's schedules %s would be deleted or changed by the upgrade: describe them in the stack exactly, e.g.\n  %s:\n%s",
			strings.Join(missing, ", "), w.Key("schedules"), strings.Join(lines, "\n")))
	}
	return out
}

// defaultLocation is the installation's default backup location's name
// ("default", the server's own default, when none is marked).
func defaultLocation(inst Installation) string {
	for _, l := range inst.Locations {
		if l.Default {
			return l.Name
		}
	}
	return "default"
}

type liveSched struct {
	WantSchedule
	disabled bool
}

// The chart's schedule fields this stack can express; any other field of a
// release schedule makes it one the stack cannot take over.
var expressibleTemplate = []string{"ttl", "includedNamespaces", "excludedNamespaces", "snapshotVolumes", "defaultVolumesToFsBackup", "storageLocation"}

func liveSchedule(v interface{}) (liveSched, error) {
	m, _ := v.(map[string]interface{})
	var s liveSched
	for k, val := range m {
		switch k {
		case "schedule":
			s.Cron, _ = val.(string)
		case "disabled":
			s.disabled, _ = val.(bool)
		case "template":
		default:
			return s, fmt.Errorf("sets %s", k)
		}
	}
	tmpl, _ := m["template"].(map[string]interface{})
	for k, val := range tmpl {
		if !slices.Contains(expressibleTemplate, k) {
			return s, fmt.Errorf("sets template.%s", k)
		}
		switch k {
		case "ttl":
			s.TTL, _ = val.(string)
		case "storageLocation":
			s.StorageLocation, _ = val.(string)
		case "includedNamespaces":
			s.IncludedNamespaces = strings1(val)
		case "excludedNamespaces":
			s.ExcludedNamespaces = strings1(val)
		case "snapshotVolumes":
			b, _ := val.(bool)
			s.SnapshotVolumes = &b
		case "defaultVolumesToFsBackup":
			b, _ := val.(bool)
			s.DefaultVolumesToFsBackup = &b
		}
	}
	return s, nil
}

func strings1(v interface{}) []string {
	list, _ := v.([]interface{})
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sameSchedule compares a release's schedule with the stack's: a live
// ttl of "" is Velero's default, 720h, as is the stack's.
func sameSchedule(live, want WantSchedule) bool {
	sorted := func(l []string) []string { c := slices.Clone(l); sort.Strings(c); return c }
	return live.Cron == want.Cron &&
		normalTTL(live.TTL) == normalTTL(want.TTL) &&
		slices.Equal(sorted(live.IncludedNamespaces), sorted(want.IncludedNamespaces)) &&
		slices.Equal(sorted(live.ExcludedNamespaces), sorted(want.ExcludedNamespaces)) &&
		sameBool(live.SnapshotVolumes, want.SnapshotVolumes) &&
		sameBool(live.DefaultVolumesToFsBackup, want.DefaultVolumesToFsBackup) &&
		live.StorageLocation == want.StorageLocation
}

// normalTTL renders a Go duration one way ("168h" and "168h0m0s" alike),
// "" as Velero's default of 720h.
func normalTTL(ttl string) string {
	if ttl == "" {
		ttl = "720h"
	}
	if d, err := time.ParseDuration(ttl); err == nil {
		return d.String()
	}
	return ttl
}

func sameBool(a, b *bool) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// scheduleLines renders one schedule as stack file lines under schedules.
func scheduleLines(key string, s WantSchedule) []string {
	lines := []string{"    " + key + ":", fmt.Sprintf("      schedule: %q", s.Cron)}
	if s.TTL != "" {
		lines = append(lines, "      ttl: "+s.TTL)
	}
	if len(s.IncludedNamespaces) > 0 {
		lines = append(lines, "      includedNamespaces: ["+strings.Join(s.IncludedNamespaces, ", ")+"]")
	}
	if len(s.ExcludedNamespaces) > 0 {
		lines = append(lines, "      excludedNamespaces: ["+strings.Join(s.ExcludedNamespaces, ", ")+"]")
	}
	if s.SnapshotVolumes != nil {
		lines = append(lines, fmt.Sprintf("      snapshotVolumes: %t", *s.SnapshotVolumes))
	}
	if s.DefaultVolumesToFsBackup != nil {
		lines = append(lines, fmt.Sprintf("      defaultVolumesToFsBackup: %t", *s.DefaultVolumesToFsBackup))
	}
	if s.StorageLocation != "" {
		lines = append(lines, "      storageLocation: "+s.StorageLocation)
	}
	return lines
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
