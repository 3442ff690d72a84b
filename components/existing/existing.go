// Package existing finds a Velero that already runs on a cluster and
// describes it: the Helm release or `velero install` objects it came from,
// its backup and snapshot locations, its schedules, the static AWS keys its
// pods are given and whether Argo CD manages it. A stack reads it before it
// creates anything, so a cluster where Velero runs outside the stack is
// refused with what was found, or adopted when the stack says so.
//
// It talks to the Kubernetes API through the small API interface (GET of
// JSON documents) and imports nothing of Pulumi or client-go, so a program
// can use it with whatever connection it already has.
package existing

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is how a Velero installation was made.
type Kind string

const (
	// KindHelm is a Helm release of the velero chart.
	KindHelm Kind = "helm"
	// KindCLI is what `velero install` creates: a Deployment labelled
	// component=velero with the selector deploy=velero and no Helm release.
	KindCLI Kind = "velero install"
	// KindOther is a Velero server Deployment made some other way (plain
	// manifests, `helm template`, an operator).
	KindOther Kind = "other"
)

// Installation is one Velero found in one namespace.
type Installation struct {
	Namespace string
	Kind      Kind
	// Release is the newest revision of the Helm release that owns the
	// server Deployment (KindHelm), else nil.
	Release *Release
	// Deployment is the server Deployment, "" when the release exists but
	// no server runs (a failed install).
	Deployment     string
	ServiceAccount string
	// ServiceAccountInRelease is true when the server's ServiceAccount
	// carries Helm's ownership marks for the release (Helm can take it over).
	ServiceAccountInRelease bool
	// Selector is the server Deployment's spec.selector.matchLabels.
	Selector          map[string]string
	Locations         []Location
	SnapshotLocations []SnapshotLocation
	Schedules         []Schedule
	// StaticKeys says how the server's pods get static AWS keys: one line
	// each, naming Secrets and variables, never their contents.
	StaticKeys []string
	// UnrenderedKeys are the key sources of the server's and the node
	// agent's pods that the release's manifest does not render (added with
	// kubectl or another tool): a Helm upgrade would keep them.
	UnrenderedKeys []string
	// KeySecrets are the Secrets that hold those keys (the server's mounted
	// credentials, its env sources, the locations' credential Secrets).
	KeySecrets []string
	// ArgoCD lists the Argo CD tracking marks found on the installation's
	// objects ("label argocd.argoproj.io/instance=velero on Deployment
	// velero/velero"); empty when Argo CD does not manage it.
	ArgoCD []string
	// NodeAgent is true when the namespace runs the node agent DaemonSet.
	NodeAgent bool
	// Plugins are the server's plugin images (its init containers), the
	// AWS plugin's aside.
	Plugins []string
	// ServerFlags are the server container's arguments after "server".
	ServerFlags []string
	// Backups is the number of Backup objects in the namespace.
	Backups int
	// NewestBackup is the newest Completed backup at one of its locations
	// (nil when there is none): the one whose read-back through the role
	// proves that the backups taken before a switch stay readable.
	NewestBackup *BackupRef
	// ManagedByVeleroIRSA is true when the release's values carry the
	// identity annotation velero-irsa sets on Velero's pods: a stack of
	// this project made it.
	ManagedByVeleroIRSA bool
}

// Release is one revision of a Helm release, as Helm stores it.
type Release struct {
	Name, Namespace string
	Revision        int
	Status          string // deployed, failed, pending-upgrade, ...
	Description     string // Helm's note on the revision
	Chart           string // the chart's name
	ChartVersion    string
	AppVersion      string
	// Values are the user-supplied values of the revision (Helm's config).
	// They may hold secrets (credentials.secretContents): never print them.
	Values map[string]interface{}
	// Manifest is the revision's rendered manifest; it may hold the
	// chart's credentials Secret: never print it.
	Manifest string
}

// Location is a BackupStorageLocation.
type Location struct {
	Name, Provider, Bucket, Prefix, Region string
	AccessMode                             string
	Default                                bool
	// Credential is "<secret>/<key>" when the location names a Secret of
	// its own (spec.credential), which Velero prefers to the pod's identity.
	Credential string
	Config     map[string]string
	// FromRelease is true when the Helm release renders it (Helm deletes it
	// when a new revision no longer does).
	FromRelease bool
	Phase       string
}

// SnapshotLocation is a VolumeSnapshotLocation.
type SnapshotLocation struct {
	Name, Provider, Region string
	Credential             string
	Config                 map[string]string
	FromRelease            bool
}

// Schedule is a Velero Schedule.
type Schedule struct {
	Name, Cron string
	Paused     bool
	// ReleaseKey is the key under the chart's schedules value that renders
	// it ("" when the release does not).
	ReleaseKey string
	// LastBackup is status.lastBackup, RFC 3339, "" when it never ran.
	LastBackup string
}

// BackupRef names a Backup, its location and when it completed (RFC 3339).
type BackupRef struct {
	Name, Location, Completed string
}

// Cluster is what was found: every Velero installation, sorted by namespace.
type Cluster struct {
	Installations []Installation
}

// In returns the installation in a namespace, if any.
func (c Cluster) In(namespace string) (Installation, bool) {
	for _, i := range c.Installations {
		if i.Namespace == namespace {
			return i, true
		}
	}
	return Installation{}, false
}

// Describe renders an installation for an error message or a log, one fact a
// line, indented by prefix. It names objects, buckets and Secrets, never a
// value that could be a key.
func (i Installation) Describe(prefix string) string {
	var b strings.Builder
	line := func(format string, args ...interface{}) {
		b.WriteString(prefix)
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\n")
	}
	switch {
	case i.Release != nil:
		r := i.Release
		line("Helm release %s in namespace %s: chart %s %s, revision %d (%s)", r.Name, r.Namespace, r.Chart, r.ChartVersion, r.Revision, r.Status)
	case i.Kind == KindCLI:
		line("Velero installed by `velero install` in namespace %s (Deployment %s, label component=velero, no Helm release)", i.Namespace, i.Deployment)
	default:
		line("Velero in namespace %s, not from a Helm release (Deployment %s)", i.Namespace, i.Deployment)
	}
	if i.Deployment != "" && i.Release != nil {
		line("  server Deployment %s/%s, ServiceAccount %s", i.Namespace, i.Deployment, i.ServiceAccount)
	} else if i.Deployment != "" {
		line("  ServiceAccount %s", i.ServiceAccount)
	}
	for _, l := range i.Locations {
		extra := ""
		if l.Default {
			extra += ", default"
		}
		if l.AccessMode != "" && l.AccessMode != "ReadWrite" {
			extra += ", " + l.AccessMode
		}
		if l.Credential != "" {
			extra += ", credential Secret " + l.Credential
		}
		if l.Phase != "" {
			extra += ", " + l.Phase
		}
		line("  backup location %s: bucket %s, prefix %s, region %s%s", l.Name, l.Bucket, orNone(l.Prefix), orNone(l.Region), extra)
	}
	for _, l := range i.SnapshotLocations {
		extra := ""
		if l.Credential != "" {
			extra = ", credential Secret " + l.Credential
		}
		line("  snapshot location %s: region %s%s", l.Name, orNone(l.Region), extra)
	}
	for _, s := range i.Schedules {
		from := "not from the release"
		if s.ReleaseKey != "" {
			from = "the release's schedules." + s.ReleaseKey
		}
		paused := ""
		if s.Paused {
			paused = ", paused"
		}
		line("  schedule %s: %q (%s%s)", s.Name, s.Cron, from, paused)
	}
	switch {
	case i.Backups == 0:
		line("  backups: none")
	case i.NewestBackup == nil:
		line("  backups: %d, none of them Completed at one of its locations", i.Backups)
	default:
		n := i.NewestBackup
		line("  backups: %d, the newest Completed one %s at %s (completed %s)", i.Backups, n.Name, n.Location, n.Completed)
	}
	if len(i.StaticKeys) == 0 {
		line("  static AWS keys: none found")
	}
	for _, k := range i.StaticKeys {
		line("  static AWS keys: %s", k)
	}
	for _, a := range i.ArgoCD {
		line("  managed by Argo CD: %s", a)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
