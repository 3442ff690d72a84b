package components

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestVersionTable keeps the table self-consistent: every chart major maps
// to a Velero line the table has, each line's server tag is a release of
// that line, and its plugin is of the line the compatibility table pairs
// with it (plugin v1.(N-4).x for Velero 1.N).
func TestVersionTable(t *testing.T) {
	for major, minor := range chartVeleroMinor {
		if _, ok := veleroLines[minor]; !ok {
			t.Errorf("chart %d.x installs Velero 1.%d, which veleroLines lacks", major, minor)
		}
	}
	for minor, line := range veleroLines {
		v, ok := parseVersion(line.Velero)
		if !ok || v[0] != 1 || v[1] != minor || !strings.HasPrefix(line.Velero, "v") {
			t.Errorf("veleroLines[%d].Velero = %q, want a v1.%d.x image tag", minor, line.Velero, minor)
		}
		p, ok := parseVersion(line.Plugin)
		if !ok || p[0] != 1 || p[1] != minor-4 || !strings.HasPrefix(line.Plugin, "v") {
			t.Errorf("veleroLines[%d].Plugin = %q, want a v1.%d.x image tag", minor, line.Plugin, minor-4)
		}
		if minor < minVeleroMinor {
			t.Errorf("veleroLines has Velero 1.%d, older than the oldest supported 1.%d", minor, minVeleroMinor)
		}
	}
	if DefaultVeleroImage != "velero/velero:v1.18.3" || DefaultPluginImage != "velero/velero-plugin-for-aws:v1.14.3" {
		t.Errorf("defaults = %s, %s; a bump updates this test with the docs", DefaultVeleroImage, DefaultPluginImage)
	}
}

// TestVeleroImage covers the server image the values carry, by chart and
// by override.
func TestVeleroImage(t *testing.T) {
	m := func(kv ...interface{}) map[string]interface{} {
		out := map[string]interface{}{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	cases := []struct {
		name string
		args VeleroIRSAArgs
		want interface{} // the values' image map, or nil for none
	}{
		{"default chart", VeleroIRSAArgs{}, m("repository", "velero/velero", "tag", "v1.18.3")},
		{"oldest chart", VeleroIRSAArgs{ChartVersion: "7.0.0"}, m("repository", "velero/velero", "tag", "v1.14.1")},
		{"chart 10 is Velero 1.16", VeleroIRSAArgs{ChartVersion: "10.0.0"}, m("repository", "velero/velero", "tag", "v1.16.2")},
		{"chart 11", VeleroIRSAArgs{ChartVersion: "11.4.0"}, m("repository", "velero/velero", "tag", "v1.17.2")},
		{"mirror keeps the tag", VeleroIRSAArgs{ValuesOverrides: m("image", m("repository", "registry.example.com/velero/velero"))}, m("repository", "registry.example.com/velero/velero", "tag", "v1.18.3")},
		{"own patch of the line", VeleroIRSAArgs{ValuesOverrides: m("image", m("tag", "v1.18.1"))}, m("repository", "velero/velero", "tag", "v1.18.1")},
		{"digest", VeleroIRSAArgs{ValuesOverrides: m("image", m("digest", "sha256:0123"))}, m("repository", "velero/velero", "tag", "v1.18.3", "digest", "sha256:0123")},
		{"unknown line leaves the chart's image", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "1.19", PluginImage: "velero/velero-plugin-for-aws:v1.15.0"}, nil},
		{"newer chart of a known line", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "1.18"}, m("repository", "velero/velero", "tag", "v1.18.3")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSettings(&tc.args)
			if err != nil {
				t.Fatal(err)
			}
			r, err := resolve(s, defaultInputs())
			if err != nil {
				t.Fatal(err)
			}
			got, ok := HelmValues(r.values)["image"]
			if tc.want == nil {
				if ok {
					t.Errorf("image = %v, want none (the chart's default)", got)
				}
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("image = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVeleroImageRefused(t *testing.T) {
	m := func(k string, v interface{}) map[string]interface{} { return map[string]interface{}{k: v} }
	cases := []struct {
		name string
		args VeleroIRSAArgs
		want string
	}{
		{"other line", VeleroIRSAArgs{ValuesOverrides: m("image", m("tag", "v1.17.2"))},
			`valuesOverrides.image.tag "v1.17.2" is Velero 1.17, but the chart installs Velero 1.18 (its CRDs, templates and the AWS plugin are made for that line): use a 1.18 patch such as v1.18.3, or drop it to install v1.18.3`},
		{"other line, old chart", VeleroIRSAArgs{ChartVersion: "11.4.0", ValuesOverrides: m("image", m("tag", "v1.18.3"))},
			`valuesOverrides.image.tag "v1.18.3" is Velero 1.18, but the chart installs Velero 1.17`},
		{"latest", VeleroIRSAArgs{ValuesOverrides: m("image", m("tag", "latest"))},
			`valuesOverrides.image.tag latest is not a Velero release tag: use a 1.18 patch such as v1.18.3, or drop it to install v1.18.3 (or pin image.digest, which the chart prefers over the tag)`},
		{"number", VeleroIRSAArgs{ValuesOverrides: m("image", m("tag", 1.18))}, `valuesOverrides.image.tag 1.18 is not a Velero release tag`},
		{"null tag", VeleroIRSAArgs{ValuesOverrides: m("image", m("tag", nil))},
			`valuesOverrides.image.tag is null, which removes image.tag, a value the component sets (v1.18.3 is the newest known patch of the chart's Velero line`},
		{"null image", VeleroIRSAArgs{ValuesOverrides: m("image", nil)}, `valuesOverrides.image is null, which removes image.tag`},
		{"unknown line checks against veleroVersion", VeleroIRSAArgs{ChartVersion: "13.0.0", VeleroVersion: "1.19", PluginImage: "velero/velero-plugin-for-aws:v1.15.0", ValuesOverrides: m("image", m("tag", "v1.18.3"))},
			`is Velero 1.18, but the chart installs Velero 1.19 (its CRDs, templates and the AWS plugin are made for that line): use a 1.19 patch such as v1.19.0, or drop it to install the chart's appVersion`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSettings(&tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestSnapshotKeyID covers the snapshot location's ebsKmsKeyId by plugin.
func TestSnapshotKeyID(t *testing.T) {
	const digest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		name    string
		args    VeleroIRSAArgs
		want    string // ebsKmsKeyId, when no error
		wantErr string
	}{
		{name: "default plugin", want: testEBSKey},
		{name: "first plugin that takes it", args: VeleroIRSAArgs{PluginImage: "registry.example.com/velero-plugin-for-aws:v1.14.2"}, want: testEBSKey},
		{name: "tag and digest", args: VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws:v1.14.3" + digest}, want: testEBSKey},
		{name: "older chart: policy only", args: VeleroIRSAArgs{ChartVersion: "11.4.0"}, want: ""},
		{name: "older chart, pinned plugin: policy only", args: VeleroIRSAArgs{ChartVersion: "11.4.0", PluginImage: "velero/velero-plugin-for-aws:v1.13.2"}, want: ""},
		{name: "old patch of the line", args: VeleroIRSAArgs{PluginImage: "registry.mirror.example/velero/velero-plugin-for-aws:v1.14.1"},
			wantErr: `ebsKmsKeyArn "` + testEBSKey + `" is set but pluginImage "registry.mirror.example/velero/velero-plugin-for-aws:v1.14.1" predates plugin v1.14.2, the first that takes the snapshot location's ebsKmsKeyId, so volumes restored from snapshots could not be encrypted with that key: use plugin v1.14.2 or later, e.g. velero/velero-plugin-for-aws:v1.14.3 (the default when pluginImage is unset)`},
		{name: "digest only", args: VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws" + digest},
			wantErr: `is pinned by digest only, so it cannot be told whether it takes the snapshot location's ebsKmsKeyId (plugin v1.14.2 and later do; older ones refuse the location): write the image with its tag, as repo:v1.14.3@sha256:…, or leave pluginImage unset (default velero/velero-plugin-for-aws:v1.14.3)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSettings(&tc.args)
			if err != nil {
				t.Fatal(err)
			}
			in := defaultInputs()
			in.ebsKey = testEBSKey
			r, err := resolve(s, in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error = %v\nwant it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vsl := HelmValues(r.values)["configuration"].(map[string]interface{})["volumeSnapshotLocation"].([]interface{})
			config := vsl[0].(map[string]interface{})["config"].(map[string]interface{})
			got, _ := config["ebsKmsKeyId"].(string)
			if got != tc.want {
				t.Errorf("ebsKmsKeyId = %q, want %q (config %v)", got, tc.want, config)
			}
		})
	}
	// Without the key, no plugin check and no ebsKmsKeyId.
	s, err := newSettings(&VeleroIRSAArgs{PluginImage: "velero/velero-plugin-for-aws:v1.14.0"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := resolve(s, defaultInputs())
	if err != nil || r.values.EBSKMSKeyID != "" {
		t.Errorf("no key: ebsKmsKeyId %q, err %v; want none", r.values.EBSKMSKeyID, err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]version{"v1.14.2": {1, 14, 2}, "1.18.3": {1, 18, 3}} {
		if got, ok := parseVersion(in); !ok || got != want {
			t.Errorf("parseVersion(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"v1.14", "1.14.2-rc.1", "latest", ""} {
		if _, ok := parseVersion(in); ok {
			t.Errorf("parseVersion(%q) accepted it", in)
		}
	}
	if !(version{1, 14, 1}).less(pluginEBSKeyIDSince) || (version{1, 14, 2}).less(pluginEBSKeyIDSince) || (version{1, 15, 0}).less(pluginEBSKeyIDSince) {
		t.Error("version.less orders releases wrongly around v1.14.2")
	}
}

// versionDocs are the files that state the installed versions: a bump of
// versions.go must carry them along.
var versionDocs = []string{
	"../README.md",
	"../docs/configuration.md",
	"../docs/deploy-gate.md",
	"../docs/developing.md",
	"../docs/other-languages.md",
	"../docs/reviewing-changes.md",
	"../docs/security.md",
	"../docs/troubleshooting.md",
	"../Pulumi.yaml",
	"veleroirsa.go",
	"versions.go",
	"plugin/docs_gen.go",
	"plugin/testdata/schema.json",
}

var (
	veleroImageMention  = regexp.MustCompile(`velero/velero:(v[0-9][0-9.]*[0-9])`)
	pluginImageMention  = regexp.MustCompile(`velero-plugin-for-aws:(v[0-9][0-9.]*[0-9])`)
	imageForChart       = regexp.MustCompile(`velero/velero(-plugin-for-aws)?:(v[0-9.]*[0-9])\)? for chart ([0-9]+)\.x`)
	chartVersionMention = regexp.MustCompile("(?:chart `velero`|chart|Default \\\\?\")\\s?([0-9]+\\.[0-9]+\\.[0-9]+)")
	readmeVersionRow    = regexp.MustCompile("(?m)^\\| ([0-9., x]+) \\| `velero/velero:(v[0-9.]+)` \\| `velero/velero-plugin-for-aws:(v[0-9.]+)` \\|$")
)

// TestDocsMatchVersions fails when a document names a server or plugin
// image that is not in the table, pairs an image with the wrong chart, or
// names a default chart version that is not DefaultChartVersion, and when
// the README's version table or the rig's pins differ from versions.go.
func TestDocsMatchVersions(t *testing.T) {
	servers, plugins := map[string]bool{}, map[string]bool{}
	for _, l := range veleroLines {
		servers[l.Velero], plugins[l.Plugin] = true, true
	}
	for _, path := range versionDocs {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		for _, m := range veleroImageMention.FindAllStringSubmatch(text, -1) {
			if !servers[m[1]] {
				t.Errorf("%s names velero/velero:%s, which is no Velero line's image in versions.go", path, m[1])
			}
		}
		for _, m := range pluginImageMention.FindAllStringSubmatch(text, -1) {
			if !plugins[m[1]] {
				t.Errorf("%s names velero-plugin-for-aws:%s, which is no Velero line's plugin in versions.go", path, m[1])
			}
		}
		for _, m := range imageForChart.FindAllStringSubmatch(text, -1) {
			major, _ := strconv.Atoi(m[3])
			line := veleroLines[chartVeleroMinor[major]]
			want := line.Velero
			if m[1] != "" {
				want = line.Plugin
			}
			if m[2] != want {
				t.Errorf("%s: %q, but versions.go installs %s for chart %d.x", path, m[0], want, major)
			}
		}
		for _, m := range chartVersionMention.FindAllStringSubmatch(text, -1) {
			if m[1] != DefaultChartVersion && m[1] != oldestChartVersion {
				t.Errorf("%s: %q names chart %s; the default is %s (and the oldest supported %s)", path, m[0], m[1], DefaultChartVersion, oldestChartVersion)
			}
		}
	}

	raw, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeVersionRow.FindAllStringSubmatch(string(raw), -1)
	seen := map[int]bool{}
	for _, row := range rows {
		for _, chart := range strings.Split(row[1], ",") {
			major, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(chart), ".x"))
			if err != nil {
				t.Errorf("README version table: chart %q is not N.x", chart)
				continue
			}
			line, ok := veleroLines[chartVeleroMinor[major]]
			if !ok || row[2] != line.Velero || row[3] != line.Plugin {
				t.Errorf("README version table: chart %d.x shows %s and %s; versions.go has %s and %s", major, row[2], row[3], line.Velero, line.Plugin)
			}
			seen[major] = true
		}
	}
	for major := range chartVeleroMinor {
		if !seen[major] {
			t.Errorf("README version table has no row for chart %d.x", major)
		}
	}

	// The end-to-end rig runs the Velero and plugin the component installs.
	rig, err := os.ReadFile("../e2e/build-tools")
	if err != nil {
		t.Fatal(err)
	}
	def := veleroLines[chartVeleroMinor[defaultChartMajor()]]
	for name, want := range map[string]string{"VELERO_VERSION": def.Velero, "VELERO_PLUGIN_FOR_AWS_VERSION": def.Plugin} {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)$`).FindStringSubmatch(string(rig))
		if m == nil || m[1] != want {
			t.Errorf("e2e/build-tools pins %s=%v; versions.go installs %s", name, m, want)
		}
	}
}

// renovateConfig is the part of renovate.json the test reads.
type renovateConfig struct {
	CustomManagers []struct {
		Description         string   `json:"description"`
		ManagerFilePatterns []string `json:"managerFilePatterns"`
		MatchStrings        []string `json:"matchStrings"`
		DatasourceTemplate  string   `json:"datasourceTemplate"`
		DepNameTemplate     string   `json:"depNameTemplate"`
	} `json:"customManagers"`
	PackageRules []struct {
		MatchDepNames     []string `json:"matchDepNames"`
		MatchPackageNames []string `json:"matchPackageNames"`
		GroupName         string   `json:"groupName"`
	} `json:"packageRules"`
}

// renovateDep is one dependency a custom manager extracts.
type renovateDep struct{ file, datasource, depName, currentValue string }

// renovateDeps applies renovate.json's custom managers to the repository as
// Renovate would: each file pattern (a /regex/) on repository paths, each
// match string (named groups, which Go's regexp reads too) on the file.
func renovateDeps(t *testing.T) ([]renovateDep, renovateConfig) {
	t.Helper()
	raw, err := os.ReadFile("../renovate.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg renovateConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("renovate.json: %v", err)
	}
	var files []string
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel("..", path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var deps []renovateDep
	for _, m := range cfg.CustomManagers {
		found := 0
		for _, pattern := range m.ManagerFilePatterns {
			if !strings.HasPrefix(pattern, "/") || !strings.HasSuffix(pattern, "/") {
				t.Errorf("%s: file pattern %q is not a /regex/", m.Description, pattern)
				continue
			}
			fileRe := regexp.MustCompile(strings.Trim(pattern, "/"))
			for _, f := range files {
				if !fileRe.MatchString(f) {
					continue
				}
				content, err := os.ReadFile(filepath.Join("..", f))
				if err != nil {
					t.Fatal(err)
				}
				for _, ms := range m.MatchStrings {
					re := regexp.MustCompile(ms)
					for _, sub := range re.FindAllStringSubmatch(string(content), -1) {
						d := renovateDep{file: f, datasource: m.DatasourceTemplate, depName: m.DepNameTemplate}
						for i, name := range re.SubexpNames() {
							switch name {
							case "datasource":
								d.datasource = sub[i]
							case "depName":
								d.depName = sub[i]
							case "currentValue":
								d.currentValue = sub[i]
							}
						}
						deps = append(deps, d)
						found++
					}
				}
			}
		}
		if found == 0 {
			t.Errorf("renovate.json manager %q finds nothing in the repository", m.Description)
		}
	}
	return deps, cfg
}

// TestRenovateFindsPins checks that renovate.json's custom managers extract
// exactly the pins of versions.go, of the rig and of CI, with the values
// they hold, and that the chart and its images share one group.
func TestRenovateFindsPins(t *testing.T) {
	deps, cfg := renovateDeps(t)
	got := map[string]map[string]bool{} // depName → current values
	for _, d := range deps {
		if d.datasource == "" || d.depName == "" || d.currentValue == "" {
			t.Errorf("%s: incomplete dependency %+v", d.file, d)
		}
		if got[d.depName] == nil {
			got[d.depName] = map[string]bool{}
		}
		got[d.depName][d.currentValue] = true
	}
	servers, plugins := map[string]bool{}, map[string]bool{}
	for _, l := range veleroLines {
		servers[l.Velero], plugins[l.Plugin] = true, true
	}
	def := veleroLines[chartVeleroMinor[defaultChartMajor()]]
	want := map[string]map[string]bool{
		"velero":                         {DefaultChartVersion: true},
		"velero/velero":                  servers,
		"velero/velero-plugin-for-aws":   plugins,
		"github.com/vmware-tanzu/velero": {def.Velero: true},
		"github.com/vmware-tanzu/velero-plugin-for-aws": {def.Plugin: true},
		"github.com/rhysd/actionlint":                   {"v1.7.12": true},
		"honnef.co/go/tools":                            {"v0.8.2": true},
		"pulumi/pulumi":                                 {strings.TrimPrefix(sdkVersion(t), "v"): true},
		"github.com/pulumi/pulumi/pkg/v3":               {sdkVersion(t): true},
	}
	for name, values := range want {
		if fmt.Sprint(got[name]) != fmt.Sprint(values) {
			t.Errorf("renovate.json finds %s at %v; the repository pins %v", name, got[name], values)
		}
	}
	grouped := map[string]string{}
	for _, r := range cfg.PackageRules {
		if r.GroupName == "" {
			continue
		}
		for _, n := range r.MatchDepNames {
			grouped[n] = r.GroupName
		}
	}
	for _, n := range []string{"velero", "velero/velero", "velero/velero-plugin-for-aws", "github.com/vmware-tanzu/velero", "github.com/vmware-tanzu/velero-plugin-for-aws"} {
		if grouped[n] != "Velero chart and images" {
			t.Errorf("renovate.json puts %s in group %q; the chart and its images share one pull request", n, grouped[n])
		}
	}
}

// sdkVersion is the Pulumi Go SDK version the library's go.mod requires.
func sdkVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+github\.com/pulumi/pulumi/sdk/v3 (v\S+)`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("go.mod does not require github.com/pulumi/pulumi/sdk/v3")
	}
	return m[1]
}
