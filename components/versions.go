package components

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Defaults for the Velero install. The chart, server and plugin versions are
// pinned so that a preview never shows a surprise upgrade; renovate.json
// proposes their bumps, one pull request for the chart and its images.
const (
	// DefaultChartVersion is the Velero chart version installed by default.
	// Its own default server image is its appVersion (v1.18.1); the
	// component installs the newest patch of that line instead (see
	// veleroLines).
	DefaultChartVersion = "12.1.0"
	// DefaultChartRepository is the Velero chart's Helm repository.
	DefaultChartRepository = "https://vmware-tanzu.github.io/helm-charts"
	// DefaultVeleroRepository is the image repository of the Velero server,
	// as each release's changelog names it ("Container Image").
	DefaultVeleroRepository = "velero/velero"
	// DefaultPluginRepository is the image repository of the AWS plugin.
	DefaultPluginRepository = "velero/velero-plugin-for-aws"
)

// chartVeleroMinor maps a Velero chart major version to the Velero minor
// version (1.x) it installs, read from each chart release's appVersion in
// https://github.com/vmware-tanzu/helm-charts (tags velero-7.0.0 … velero-12.1.0:
// 7.x 1.14, 8.x 1.15, 9.x and 10.x 1.16, 11.x 1.17, 12.x 1.18).
var chartVeleroMinor = map[int]int{7: 14, 8: 15, 9: 16, 10: 16, 11: 17, 12: 18}

// veleroLine is what the component installs for one Velero minor version:
// the newest patch release of the server and the newest AWS plugin release
// made for it.
type veleroLine struct {
	Velero string // server image tag
	Plugin string // AWS plugin image tag
}

// veleroLines is the one table of installed versions, by Velero minor
// version. Where each figure comes from:
//
//   - Velero: the newest patch whose source the Go module proxy serves, with
//     its changelog (changelogs/CHANGELOG-1.<minor>.md of that release,
//     "Container Image" velero/velero:<tag>): v1.14.1 (2024-08-26),
//     v1.15.2 (2025-01-15), v1.16.2 (2025-07-24), v1.17.2 (2026-01-09),
//     v1.18.3 (2026-09-08). Each is newer than or equal to the appVersion of
//     the newest chart of its line (7.2.2: 1.14.1, 8.7.2: 1.15.2,
//     10.1.3: 1.16.2, 11.4.0: 1.17.1, 12.1.0: 1.18.1).
//   - Plugin: the plugin README's compatibility table pairs plugin v1.(N-4).x
//     with Velero 1.N (https://github.com/vmware-tanzu/velero-plugin-for-aws#compatibility);
//     the newest release of each line is from that repository's tags
//     (v1.10.1, v1.11.1, v1.12.2, v1.13.2) and, for v1.14.3 (2026-09-07),
//     from the Go module proxy.
//
// The chart's CRD-upgrade hook job (templates/upgrade-crds/upgrade-crds.yaml)
// takes the CRDs from this same server image, image.repository:image.tag (or
// @image.digest), so they stay in step with the server: in charts 7.0.0 to
// 11.4.0 that container prints them (velero install --crds-only --dry-run
// -o yaml) for a kubectl copied in by an init container to apply; from 12.0.0
// it applies them itself (velero install --crds-only --apply).
var veleroLines = map[int]veleroLine{
	14: {Velero: "v1.14.1", Plugin: "v1.10.1"},
	15: {Velero: "v1.15.2", Plugin: "v1.11.1"},
	16: {Velero: "v1.16.2", Plugin: "v1.12.2"},
	17: {Velero: "v1.17.2", Plugin: "v1.13.2"},
	18: {Velero: "v1.18.3", Plugin: "v1.14.3"},
}

// minVeleroMinor is the oldest Velero this component installs: 1.14 is the
// first release whose AWS SDK reaches the EKS Pod Identity agent, and the
// oldest line in the plugin compatibility table kept here.
const minVeleroMinor = 14

// oldestChartVersion is the first chart release of the oldest supported line.
const oldestChartVersion = "7.0.0"

// pluginEBSKeyIDSince is the first AWS plugin release that takes
// ebsKmsKeyId in a VolumeSnapshotLocation's config (volume_snapshotter.go,
// ebsKmsKeyIDKey, in velero-plugin-for-aws v1.14.2 and v1.14.3; absent from
// v1.14.0-rc.1 and every older release). The plugin refuses config keys it
// does not know, so an older one would fail the snapshot location.
var pluginEBSKeyIDSince = version{1, 14, 2}

var (
	semverPattern        = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)\.([0-9]+)$`)
	veleroVersionPattern = regexp.MustCompile(`^v?1\.([0-9]+)(\.[0-9]+)?$`)
)

// version is a release's major, minor and patch numbers.
type version [3]int

// parseVersion reads "v1.14.3" or "1.14.3".
func parseVersion(s string) (version, bool) {
	m := semverPattern.FindStringSubmatch(s)
	if m == nil {
		return version{}, false
	}
	var v version
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return v, true
}

func (v version) less(w version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func (v version) String() string { return fmt.Sprintf("v%d.%d.%d", v[0], v[1], v[2]) }

// DefaultVeleroImage and DefaultPluginImage are the server and plugin images
// installed with the default chart.
var (
	DefaultVeleroImage = DefaultVeleroRepository + ":" + veleroLines[chartVeleroMinor[defaultChartMajor()]].Velero
	DefaultPluginImage = DefaultPluginRepository + ":" + veleroLines[chartVeleroMinor[defaultChartMajor()]].Plugin
)

func defaultChartMajor() int {
	v, _ := parseVersion(DefaultChartVersion)
	return v[0]
}

// veleroMinor returns the Velero minor version that a chart version installs.
// veleroVersion, when set ("1.19" or "v1.19.0"), overrides the table, for
// chart versions newer than this component knows.
func veleroMinor(chartVersion, veleroVersion string) (int, error) {
	if veleroVersion != "" {
		m := veleroVersionPattern.FindStringSubmatch(veleroVersion)
		if m == nil {
			return 0, fmt.Errorf("veleroVersion %q is not a Velero version: write it as 1.18 or v1.18.3", veleroVersion)
		}
		minor, _ := strconv.Atoi(m[1])
		if minor < minVeleroMinor {
			return 0, fmt.Errorf("veleroVersion %q is older than Velero 1.%d, the oldest this component supports (and the first whose AWS SDK reaches the EKS Pod Identity agent): use chart %s or later", veleroVersion, minVeleroMinor, oldestChartVersion)
		}
		return minor, nil
	}
	v, ok := parseVersion(chartVersion)
	if !ok {
		return 0, fmt.Errorf("chartVersion %q is not an exact chart version: pin one such as %q (ranges would let previews drift)", chartVersion, DefaultChartVersion)
	}
	minor, ok := chartVeleroMinor[v[0]]
	switch {
	case ok:
		return minor, nil
	case v[0] < 7:
		return 0, fmt.Errorf("chartVersion %q installs a Velero older than 1.%d, the oldest this component supports (and the first whose AWS SDK reaches the EKS Pod Identity agent): use chart %s or later (default %s)", chartVersion, minVeleroMinor, oldestChartVersion, DefaultChartVersion)
	default:
		return 0, fmt.Errorf("chartVersion %q is newer than the charts this component knows (7.x–12.x): set veleroVersion to the chart's appVersion so the AWS plugin version can be checked", chartVersion)
	}
}

// veleroImageTag is the server image tag the component sets for a Velero
// minor version: the line's newest known patch, or "" for a line this
// component does not know (the chart's own default then applies).
func veleroImageTag(veleroMinorVersion int) string {
	return veleroLines[veleroMinorVersion].Velero
}

// pluginImage returns the AWS plugin image to install: image when set, else
// the plugin release made for the Velero minor version. It refuses an image
// whose tag belongs to another Velero line. An image pinned by digest only
// (repo@sha256:…) carries no version and is taken as given.
func pluginImage(image string, veleroMinorVersion int) (string, error) {
	want := veleroLines[veleroMinorVersion].Plugin
	if image == "" {
		if want == "" {
			return "", fmt.Errorf("no AWS plugin release is known for Velero 1.%d: set pluginImage to the plugin image made for it (see https://github.com/vmware-tanzu/velero-plugin-for-aws#compatibility)", veleroMinorVersion)
		}
		return DefaultPluginRepository + ":" + want, nil
	}
	tag, ok := imageTag(image)
	if !ok {
		if strings.Contains(image, "@") {
			return image, nil
		}
		return "", fmt.Errorf("pluginImage %q has no tag, so it would follow :latest: pin a tag such as %s", image, cmp.Or(DefaultPluginRepository+":"+want, DefaultPluginImage))
	}
	v, ok := parseVersion(tag)
	if !ok {
		return "", fmt.Errorf("pluginImage %q has tag %q, which is not a plugin version: use a tag like %s or pin by digest", image, tag, cmp.Or(want, "v1.14.3"))
	}
	if v[0] != 1 || v[1]+4 != veleroMinorVersion {
		return "", fmt.Errorf("pluginImage %q (plugin v%d.%d) does not match Velero 1.%d: the plugin compatibility table pairs Velero 1.%d with plugin v1.%d.x; use %s:%s or leave pluginImage unset",
			image, v[0], v[1], veleroMinorVersion, veleroMinorVersion, veleroMinorVersion-4, DefaultPluginRepository, cmp.Or(want, fmt.Sprintf("v1.%d.0", veleroMinorVersion-4)))
	}
	return image, nil
}

// pluginTakesEBSKeyID reports whether the plugin image takes ebsKmsKeyId in
// its snapshot location's config; known is false for an image pinned by
// digest only, whose version cannot be read.
func pluginTakesEBSKeyID(image string) (takes, known bool) {
	tag, ok := imageTag(image)
	if !ok {
		return false, false
	}
	v, ok := parseVersion(tag)
	if !ok {
		return false, false
	}
	return !v.less(pluginEBSKeyIDSince), true
}

// lineHasEBSKeyID reports whether some plugin release for the Velero minor
// version takes ebsKmsKeyId (true from the plugin v1.14 line, for Velero 1.18,
// on).
func lineHasEBSKeyID(veleroMinorVersion int) bool {
	return veleroMinorVersion-4 >= pluginEBSKeyIDSince[1]
}

// imageTag returns the tag of an image reference, if it has one. A registry
// port (host:5000/repo) is not a tag.
func imageTag(image string) (string, bool) {
	name := image
	if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndex(name, "/")
	colon := strings.LastIndex(name, ":")
	if colon <= slash {
		return "", false
	}
	return name[colon+1:], true
}
