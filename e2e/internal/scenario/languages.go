package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// Scenario 9, other-languages: the Pulumi YAML example of the
// multi-language plugin, run by the real Pulumi CLI (not the Automation
// API) with the Pulumi YAML language host and the plugin built from
// components/plugin, gets scenario 1's checks in their pod identity flavour,
// and is destroyed.
//
// What the rig maps onto the example, in a copy (the committed example is
// never changed), and why:
//   - Stack config: the example declares clusterName, region and
//     bucketName; the stack file Pulumi.rig.yaml sets them to the rig's
//     cluster (yaml-apne2, ap-northeast-2) and bucket, under the project's
//     namespace (velero-yaml:<key>), as `pulumi config set` would. A key the
//     rig does not map fails the scenario.
//   - The bucket: the example names a bucket it does not create (no
//     createBucket), so the rig creates it first, as a user would.
//   - chartRepository: the example sets none, so the component would use
//     the upstream Helm repository, which is unreachable here; the copy adds
//     chartRepository: <the rig's HTTPS chart repository> to the VeleroIRSA
//     resource's properties, as a user of a mirror would (the Go program's
//     stacks get the same setting in their stack file).
//   - packages: velero-irsa: github.com/velero-irsa/velero-irsa.git/...@v0.1.0
//     is left as it is, and nothing is fetched: the plugin e2e/run built is
//     installed where `pulumi package add` / `pulumi install` leave it (see
//     below).
//
// How the CLI (v3.274.1) finds each piece, from its source:
//   - pulumi-language-yaml is a bundled language host: the CLI looks for it
//     on PATH, then next to its own executable with symlinks resolved
//     (sdk/go/common/workspace/plugins.go, getPluginInfoAndPath,
//     IsPluginBundled). The rig's CLI is a symlink to the built pulumi, and
//     e2e/build-tools puts pulumi-language-yaml beside it; PATH holds only the
//     rig's `aws`, the CLI's symlink and /usr/bin:/bin.
//   - `packages:` in Pulumi.yaml is read at `pulumi up` only for local paths
//     (pkg/resource/plugin/host.go, collectPluginsFromPackages skips a
//     source that is not IsLocalPluginPath; a git source is not); only
//     `pulumi install` and `pulumi package add` fetch the others. The YAML
//     host (pulumi-yaml v1.25.0, GetRequiredPackages) reports the package
//     velero-irsa by name, with no version or server, so the engine loads
//     the newest installed resource plugin of that name. The rig installs
//     the binary e2e/run built in PULUMI_HOME/plugins, as
//     resource-velero-irsa-v<version>/pulumi-resource-velero-irsa, where
//     <version> is the tag the example's packages: entry names, which
//     e2e/run builds it as (-X main.version, as release builds do).
//   - The aws and kubernetes providers come from PULUMI_HOME as for the Go
//     program (installCLI); Pulumi YAML type-checks the program against
//     their schemas, so the rig's aws provider serves one for what it
//     models.

// yamlExample is the example's project file, relative to the repository.
const yamlExample = "components/plugin/examples/yaml/Pulumi.yaml"

// The cluster, region and bucket the example's stack names in the rig.
const (
	yamlStack   = "rig"
	yamlCluster = "yaml-apne2"
	yamlRegion  = "ap-northeast-2"
	yamlBucket  = "velero-irsa-rig-yaml"
)

// pluginPackage is the package the plugin serves and the example's
// packages: entry names.
const pluginPackage = "velero-irsa"

// example is what the rig reads from a Pulumi YAML project file.
type example struct {
	Name     string                 `yaml:"name"`
	Runtime  string                 `yaml:"runtime"`
	Packages map[string]string      `yaml:"packages"`
	Config   map[string]interface{} `yaml:"config"`
}

// readExample parses the example and checks that its packages: entry names
// the plugin at the version e2e/run built it as.
func readExample(raw []byte, pluginVersion string) (example, error) {
	var ex example
	if err := yaml.Unmarshal(raw, &ex); err != nil {
		return ex, err
	}
	if ex.Runtime != "yaml" || ex.Name == "" {
		return ex, fmt.Errorf("the example is project %q with runtime %q; want a named yaml project", ex.Name, ex.Runtime)
	}
	ref := ex.Packages[pluginPackage]
	_, version, _ := strings.Cut(ref, "@")
	if strings.TrimPrefix(version, "v") != pluginVersion || pluginVersion == "" {
		return ex, fmt.Errorf("the example's packages: entry %s is %q; the plugin was built as version %q", pluginPackage, ref, pluginVersion)
	}
	return ex, nil
}

// exampleStack is the stack file of the example in the rig. Project config
// keys of a YAML program are namespaced by its project name. Every key the
// example declares must be mapped here; a new one fails the scenario rather
// than the up.
func exampleStack(ex example) (string, error) {
	values := map[string]string{"clusterName": yamlCluster, "region": yamlRegion, "bucketName": yamlBucket}
	keys := make([]string, 0, len(ex.Config))
	for k := range ex.Config {
		if _, ok := values[k]; !ok {
			return "", fmt.Errorf("the example declares config %q, which the rig does not map", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# The YAML example's stack, in the rig.\nconfig:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s:%s: %s\n", ex.Name, k, values[k])
	}
	return b.String(), nil
}

// withChartRepository adds chartRepository to the VeleroIRSA resource's
// properties. The example leaves it out, so the component would use the
// upstream Helm repository, which is unreachable here; the rig's HTTPS
// chart repository stands in for it, as a mirror would.
func withChartRepository(raw []byte, url string) ([]byte, error) {
	m := regexp.MustCompile(`(?m)^ +type: ` + regexp.QuoteMeta(pluginPackage+":index:VeleroIRSA") + `\n +properties:\n( +)`).FindSubmatchIndex(raw)
	if m == nil {
		return nil, fmt.Errorf("the example has no %s:index:VeleroIRSA resource with its properties right after its type", pluginPackage)
	}
	if regexp.MustCompile(`(?m)^ +chartRepository:`).Match(raw) {
		return nil, fmt.Errorf("the example sets chartRepository itself")
	}
	indent := string(raw[m[2]:m[3]])
	out := append([]byte{}, raw[:m[2]]...)
	out = append(out, indent+"# The rig's chart repository (not part of the example).\n"+indent+"chartRepository: "+url+"\n"...)
	return append(out, raw[m[2]:]...), nil
}

// newExampleDeployment copies the example into a work directory of the rig
// with what the rig maps (stack config, chart repository; the committed
// example is never changed), and installs the CLI and the plugins.
func newExampleDeployment(e *Env, r *rig.Rig) (*Deployment, error) {
	raw, err := os.ReadFile(filepath.Join(e.Repo, yamlExample))
	if err != nil {
		return nil, err
	}
	ex, err := readExample(raw, e.VeleroIRSAPluginVersion)
	if err != nil {
		return nil, err
	}
	stack, err := exampleStack(ex)
	if err != nil {
		return nil, err
	}
	d := &Deployment{Env: e, Rig: r, Stack: yamlStack, Dir: filepath.Join(r.Dir, "pulumi-yaml")}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := d.serveChart(e.ChartVersion); err != nil {
		return nil, err
	}
	if raw, err = withChartRepository(raw, d.repo.URL); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "Pulumi.yaml"), raw, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "Pulumi."+yamlStack+".yaml"), []byte(stack), 0o644); err != nil {
		return nil, err
	}
	return d, d.installCLI(plugin{"resource", pluginPackage, e.VeleroIRSAPluginVersion, filepath.Join(e.RigBin, "pulumi-resource-"+pluginPackage)})
}

// cli runs the Pulumi CLI itself on the stack, in the deployment's project
// directory, with the deployment's environment; stdout, if not nil, gets
// the command's stdout alone too.
func (d *Deployment) cli(ctx context.Context, op string, stdout io.Writer, args ...string) (string, error) {
	args = append(args, "--stack", d.Stack, "--non-interactive", "--color", "never")
	return d.runLogged(ctx, op, "pulumi "+strings.Join(args, " "), upTimeout, func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, filepath.Join(d.Rig.Dir, "cli", "pulumi"), args...)
		cmd.Dir = d.Dir
		cmd.Env = d.environment(op)
		cmd.Stdout = stdout
		return cmd
	}, nil)
}

// stackOutputs reads the stack's outputs as "output k=v" lines, which the
// checks read from an up of the Go program.
func (d *Deployment) stackOutputs(ctx context.Context) (string, error) {
	var stdout bytes.Buffer
	if _, err := d.cli(ctx, "outputs", &stdout, "stack", "output", "--json"); err != nil {
		return "", err
	}
	var outs map[string]interface{}
	if err := json.Unmarshal(stdout.Bytes(), &outs); err != nil {
		return "", fmt.Errorf("pulumi stack output --json: %v", err)
	}
	var b strings.Builder
	for k, v := range outs {
		fmt.Fprintf(&b, "output %s=%v\n", k, v)
	}
	return b.String(), nil
}

// otherLanguages is scenario 9.
func otherLanguages(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "other-languages", "123456789012", yamlRegion, yamlCluster)
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	// The example expects its bucket to exist (it does not set
	// createBucket).
	if err := r.CreateBucket(yamlBucket, r.Region); err != nil {
		return err
	}
	d, err := newExampleDeployment(e, r)
	if err != nil {
		return err
	}
	if _, err := d.cli(ctx, "stack-init", nil, "stack", "init", "--secrets-provider", "passphrase"); err != nil {
		return err
	}
	if _, err := d.cli(ctx, "up", nil, "up", "--yes", "--diff"); err != nil {
		return err
	}
	outs, err := d.stackOutputs(ctx)
	if err != nil {
		return err
	}
	if err := d.checkDeployed(outs, "velero", "velero-server", yamlBucket, "clusters/"+yamlCluster, true, false); err != nil {
		return err
	}
	if err := podIdentityCallsOnly(r); err != nil {
		return err
	}
	if _, err := d.cli(ctx, "destroy", nil, "destroy", "--yes"); err != nil {
		return err
	}
	if err := d.releaseGone(); err != nil {
		return err
	}
	if a := r.Cloud.Associations(yamlCluster); len(a) != 0 {
		return fmt.Errorf("pod identity associations remain after the destroy: %+v", a)
	}
	fmt.Fprintf(e.Out, "    after destroy: release, locations and the pod identity association gone\n")
	return nil
}
