package components

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Defaults for the Velero install. The chart and plugin versions are pinned so
// that a preview never shows a surprise upgrade.
const (
	// DefaultChartVersion is the Velero chart version installed by default
	// (appVersion 1.18.1).
	DefaultChartVersion = "12.1.0"
	// DefaultChartRepository is the Velero chart's Helm repository.
	DefaultChartRepository = "https://vmware-tanzu.github.io/helm-charts"
	// DefaultPluginRepository is the image repository of the AWS plugin.
	DefaultPluginRepository = "velero/velero-plugin-for-aws"
)

// chartVeleroMinor maps a Velero chart major version to the Velero minor
// version (1.x) it installs, read from each chart release's appVersion in
// https://github.com/vmware-tanzu/helm-charts (tags velero-7.0.0 … velero-12.1.0).
var chartVeleroMinor = map[int]int{7: 14, 8: 15, 9: 16, 10: 16, 11: 17, 12: 18}

// pluginForVelero maps a Velero minor version to the newest AWS plugin release
// made for it. The plugin README's compatibility table pairs plugin v1.(N-4).x
// with Velero v1.N.x: https://github.com/vmware-tanzu/velero-plugin-for-aws#compatibility
var pluginForVelero = map[int]string{
	14: "v1.10.1",
	15: "v1.11.1",
	16: "v1.12.2",
	17: "v1.13.2",
	18: "v1.14.0",
}

// minVeleroMinor is the oldest Velero this component installs: 1.14 is the
// first release whose AWS SDK reaches the EKS Pod Identity agent, and the
// oldest line in the plugin compatibility table kept here.
const minVeleroMinor = 14

var (
	semverPattern        = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)\.([0-9]+)$`)
	veleroVersionPattern = regexp.MustCompile(`^v?1\.([0-9]+)(\.[0-9]+)?$`)
)

// veleroMinor returns the Velero minor version that a chart version installs.
// veleroVersion, when set ("1.19" or "v1.19.0"), overrides the table, for
// chart versions newer than this component knows.
func veleroMinor(chartVersion, veleroVersion string) (int, error) {
	if veleroVersion != "" {
		m := veleroVersionPattern.FindStringSubmatch(veleroVersion)
		if m == nil {
			return 0, fmt.Errorf("veleroVersion %q is not a Velero version: write it as 1.18 or v1.18.1", veleroVersion)
		}
		minor, _ := strconv.Atoi(m[1])
		if minor < minVeleroMinor {
			return 0, fmt.Errorf("veleroVersion %q is older than Velero 1.%d, the oldest this component supports (and the first whose AWS SDK reaches the EKS Pod Identity agent): use chart 7.0.0 or later", veleroVersion, minVeleroMinor)
		}
		return minor, nil
	}
	m := semverPattern.FindStringSubmatch(chartVersion)
	if m == nil {
		return 0, fmt.Errorf("chartVersion %q is not an exact chart version: pin one such as %q (ranges would let previews drift)", chartVersion, DefaultChartVersion)
	}
	major, _ := strconv.Atoi(m[1])
	minor, ok := chartVeleroMinor[major]
	switch {
	case ok:
		return minor, nil
	case major < 7:
		return 0, fmt.Errorf("chartVersion %q installs a Velero older than 1.%d, the oldest this component supports (and the first whose AWS SDK reaches the EKS Pod Identity agent): use chart 7.0.0 or later (default %s)", chartVersion, minVeleroMinor, DefaultChartVersion)
	default:
		return 0, fmt.Errorf("chartVersion %q is newer than the charts this component knows (7.x–12.x): set veleroVersion to the chart's appVersion so the AWS plugin version can be checked", chartVersion)
	}
}

// pluginImage returns the AWS plugin image to install: image when set, else
// the plugin release made for the Velero minor version. It refuses an image
// whose tag belongs to another Velero line. An image pinned by digest only
// (repo@sha256:…) carries no version and is taken as given.
func pluginImage(image string, veleroMinorVersion int) (string, error) {
	want, known := pluginForVelero[veleroMinorVersion]
	if image == "" {
		if !known {
			return "", fmt.Errorf("no AWS plugin release is known for Velero 1.%d: set pluginImage to the plugin image made for it (see https://github.com/vmware-tanzu/velero-plugin-for-aws#compatibility)", veleroMinorVersion)
		}
		return DefaultPluginRepository + ":" + want, nil
	}
	tag, ok := imageTag(image)
	if !ok {
		if strings.Contains(image, "@") {
			return image, nil
		}
		return "", fmt.Errorf("pluginImage %q has no tag, so it would follow :latest: pin a tag such as %s:%s", image, DefaultPluginRepository, or(want, pluginForVelero[18]))
	}
	m := semverPattern.FindStringSubmatch(tag)
	if m == nil {
		return "", fmt.Errorf("pluginImage %q has tag %q, which is not a plugin version: use a tag like %s or pin by digest", image, tag, want)
	}
	pluginMinor, _ := strconv.Atoi(m[2])
	if m[1] != "1" || pluginMinor+4 != veleroMinorVersion {
		return "", fmt.Errorf("pluginImage %q (plugin v1.%d) does not match Velero 1.%d: the plugin compatibility table pairs Velero 1.%d with plugin v1.%d.x; use %s:%s or leave pluginImage unset",
			image, pluginMinor, veleroMinorVersion, veleroMinorVersion, veleroMinorVersion-4, DefaultPluginRepository, or(want, fmt.Sprintf("v1.%d.0", veleroMinorVersion-4)))
	}
	return image, nil
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
