// Package scenario runs the rig's scenarios: the program, for real, through
// the Pulumi CLI and engine against the rig's stand-ins, and the checks a
// user would make by hand afterwards.
package scenario

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// Env is what the scenarios need from e2e/run.
type Env struct {
	Repo      string // the repository root (Pulumi.yaml, stacks/)
	Bin       string // built programs: pulumi, pulumi-resource-kubernetes, velero, ...
	RigBin    string // the rig's own: program.test, pulumi-resource-aws, aws
	Work      string // a fresh work directory for this run
	ChartDir  string // --chart: a chart directory to serve instead of the stand-in
	StackFile string // --stack-file: run scenario 8's checks on this stack only
	// BeforeValues is --before-values: the values of the first install the
	// adoption scenarios take over.
	BeforeValues string
	Keep         bool // --keep: leave the rig running after its scenario
	// IAMDelay is --iam-delay: how long IAM changes stay invisible to STS
	// and S3 in the scenarios that model IAM's propagation.
	IAMDelay  time.Duration
	VeleroTag string
	PluginTag string
	// ChartVersion and the SDK versions the program asks plugins for.
	ChartVersion, AWSPluginVersion, KubernetesPluginVersion string
	// VeleroIRSAPluginVersion is the version the multi-language plugin
	// (RigBin/pulumi-resource-velero-irsa) was built as.
	VeleroIRSAPluginVersion string
	Out                     io.Writer
}

// done stops a scenario's rig or, with --keep, prints how to reach it and
// waits for an interrupt first.
func (e *Env) done(ctx context.Context, r *rig.Rig) {
	if e.Keep {
		fmt.Fprintf(e.Out, "\nthe rig of this scenario is running; interrupt (Ctrl-C) to stop it:\n"+
			"  export KUBECONFIG=%s\n  kubectl get backupstoragelocations,backups -n velero\n"+
			"  %s backup get -n velero --kubeconfig $KUBECONFIG\n  logs: %s\n",
			r.Cluster.Kubeconfig, filepath.Join(e.Bin, "velero"), filepath.Join(r.Dir, "logs"))
		<-ctx.Done()
	}
	r.Stop()
}

// Deployment is one stack of the program on one rig.
type Deployment struct {
	Env   *Env
	Rig   *rig.Rig
	Stack string
	Dir   string // the Pulumi work directory
	repo  *rig.ChartRepo
	n     int
	// refusalsExpected lets the checks accept refused STS calls, from a
	// broken wiring before its fix.
	refusalsExpected bool
	// deployRole is the stack's assumeRoleArn, which its kubeconfig passes
	// to aws eks get-token.
	deployRole string
}

// NewDeployment prepares a Pulumi work directory for a stack: the
// repository's Pulumi.yaml (so its config schema applies), the stack file
// as given, the rig's chart repository, and the plugins installed for the
// versions the program's SDKs ask for.
func NewDeployment(e *Env, r *rig.Rig, stack, stackFile string) (*Deployment, error) {
	d := &Deployment{Env: e, Rig: r, Stack: stack, Dir: filepath.Join(r.Dir, "pulumi-"+stack)}
	if err := os.MkdirAll(filepath.Join(d.Dir, "stacks"), 0o755); err != nil {
		return nil, err
	}
	project, err := os.ReadFile(filepath.Join(e.Repo, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "Pulumi.yaml"), project, 0o644); err != nil {
		return nil, err
	}
	version := e.ChartVersion
	if m := regexp.MustCompile(`(?m)^\s*velero-irsa:chartVersion:\s*"?([0-9.]+)"?`).FindStringSubmatch(stackFile); m != nil {
		version = m[1]
	}
	if err := d.serveChart(version); err != nil {
		return nil, err
	}
	stackFile = setConfig(stackFile, "chartRepository", d.repo.URL)
	if err := d.WriteStack(stackFile); err != nil {
		return nil, err
	}
	if err := d.installCLI(); err != nil {
		return nil, err
	}
	return d, nil
}

// serveChart serves chart `velero` at version from the rig's chart
// repository: the rig's stand-in chart, or the --chart directory.
func (d *Deployment) serveChart(version string) error {
	chart, standIn := filepath.Join(d.Env.Repo, "e2e", "chart", "velero"), true
	if d.Env.ChartDir != "" {
		chart, standIn = d.Env.ChartDir, false
	}
	var err error
	d.repo, err = d.Rig.ServeChart(chart, version, standIn)
	return err
}

// plugin is a plugin binary installed in PULUMI_HOME.
type plugin struct{ kind, name, version, bin string }

// installCLI makes the CLI's own directories, puts the CLI on the PATH the
// operations get, and installs the plugins in PULUMI_HOME for the versions
// the program's SDKs ask for, and the extra ones given.
func (d *Deployment) installCLI(extra ...plugin) error {
	r, e := d.Rig, d.Env
	for _, dir := range []string{"home", "pulumi-state", "cli", "tmp"} {
		if err := os.MkdirAll(filepath.Join(r.Dir, dir), 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(filepath.Join(e.Bin, "pulumi"), filepath.Join(r.Dir, "cli", "pulumi")); err != nil && !os.IsExist(err) {
		return err
	}
	home := filepath.Join(r.Dir, "pulumi-home")
	plugins := append([]plugin{
		{"resource", "aws", e.AWSPluginVersion, filepath.Join(e.RigBin, "pulumi-resource-aws")},
		{"resource", "kubernetes", e.KubernetesPluginVersion, filepath.Join(e.Bin, "pulumi-resource-kubernetes")},
	}, extra...)
	for _, p := range plugins {
		dir := filepath.Join(home, "plugins", fmt.Sprintf("%s-%s-v%s", p.kind, p.name, p.version))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		dst := filepath.Join(dir, "pulumi-"+p.kind+"-"+p.name)
		_ = os.Remove(dst)
		if err := os.Symlink(p.bin, dst); err != nil {
			return err
		}
	}
	return nil
}

// WriteStack replaces the stack's settings file.
func (d *Deployment) WriteStack(content string) error {
	return os.WriteFile(filepath.Join(d.Dir, "stacks", "Pulumi."+d.Stack+".yaml"), []byte(content), 0o644)
}

// StackFile returns the stack's settings as the program reads them.
func (d *Deployment) StackFile() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "stacks", "Pulumi."+d.Stack+".yaml"))
	return string(b)
}

// SetConfig changes one key of the stack file.
func (d *Deployment) SetConfig(key, value string) error {
	return d.WriteStack(setConfig(d.StackFile(), key, value))
}

// setConfig sets a top-level scalar key of a stack file's config.
func setConfig(file, key, value string) string {
	re := regexp.MustCompile(`(?m)^  velero-irsa:` + regexp.QuoteMeta(key) + `:.*$`)
	line := "  velero-irsa:" + key + ": " + value
	if re.MatchString(file) {
		return re.ReplaceAllLiteralString(file, line)
	}
	// Right under config:, since Pulumi adds top-level keys after it
	// (encryptionsalt).
	return regexp.MustCompile(`(?m)^config:\n`).ReplaceAllLiteralString(file, "config:\n"+line+"\n")
}

// Run runs one Pulumi operation (up, preview, preview-no-changes, refresh,
// cancel, destroy) and returns its output; the output also goes to a log file and,
// as it comes, to the run's output, indented.
func (d *Deployment) Run(ctx context.Context, op string, timeout time.Duration) (string, error) {
	return d.RunWith(ctx, op, timeout, RunOptions{})
}

// RunOptions change one operation.
type RunOptions struct {
	// Replace are the URNs an up replaces (pulumi up --replace).
	Replace []string
	// KillWhen, polled every second while the operation runs, kills it
	// (SIGKILL to its process group: the program and the CLI; the CLI
	// starts its providers in groups of their own, and they are left
	// behind as after a machine's crash) once it returns true.
	KillWhen func() bool
}

// RunWith is Run with options.
func (d *Deployment) RunWith(ctx context.Context, op string, timeout time.Duration, o RunOptions) (string, error) {
	shown := "pulumi " + strings.ReplaceAll(strings.ReplaceAll(op, "-no-changes", " --expect-no-changes"), "export", "stack export --show-secrets")
	for _, urn := range o.Replace {
		shown += " --replace '" + urn + "'"
	}
	shown += " --stack " + d.Stack
	if o.KillWhen != nil {
		// The providers the killed CLI started are not in its process
		// group: stop them once the operation is over.
		defer killPlugins(filepath.Join(d.Rig.Dir, "pulumi-home", "plugins"), d.Env.Out)
	}
	return d.runLogged(ctx, op, shown, timeout, func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, filepath.Join(d.Env.RigBin, "program.test"), "-test.run", "^TestRigProgram$", "-test.v", "-test.timeout", timeout.String())
		cmd.Dir = d.Env.Repo
		cmd.Env = append(d.environment(op), "VELERO_IRSA_RIG_REPLACE="+strings.Join(o.Replace, " "))
		if o.KillWhen != nil {
			// A group of its own, so that the kill reaches the CLI too
			// (an interrupt of the rig then does not: the kill does).
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		}
		return cmd
	}, o.KillWhen)
}

// runLogged runs the command made for one operation, bounded by timeout,
// with its output in a numbered log file, in the returned string and, as it
// comes, in the run's output, indented; shown is the command as printed.
// With killWhen, the command's process group is killed once it holds.
func (d *Deployment) runLogged(ctx context.Context, op, shown string, timeout time.Duration, command func(context.Context) *exec.Cmd, killWhen func() bool) (string, error) {
	d.n++
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	log := filepath.Join(d.Rig.Dir, "logs", fmt.Sprintf("pulumi-%s-%02d-%s.log", d.Stack, d.n, op))
	_ = os.MkdirAll(filepath.Dir(log), 0o755)
	f, err := os.Create(log)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf bytes.Buffer
	cmd := command(ctx)
	w := io.MultiWriter(f, &buf, &indent{w: d.Env.Out})
	stdout := io.Writer(w)
	if cmd.Stdout != nil {
		// The caller reads stdout alone too.
		stdout = io.MultiWriter(w, cmd.Stdout)
	}
	cmd.Stdout, cmd.Stderr = stdout, w
	fmt.Fprintf(d.Env.Out, "    $ %s   (log: %s)\n", shown, log)
	if err = cmd.Start(); err == nil {
		stop := make(chan struct{})
		if killWhen != nil {
			go killOn(cmd, killWhen, stop, d.Env.Out)
		}
		err = cmd.Wait()
		close(stop)
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("%s did not finish within %s", shown, timeout)
	}
	return buf.String(), err
}

// killOn kills cmd's process group once killWhen holds, unless stop is
// closed first.
func killOn(cmd *exec.Cmd, killWhen func() bool, stop <-chan struct{}, out io.Writer) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if killWhen() {
				select {
				case <-stop:
					return // it ended while killWhen ran
				default:
				}
				fmt.Fprintf(out, "    (killing the operation's processes: SIGKILL to process group %d)\n", cmd.Process.Pid)
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				return
			}
		}
	}
}

// killPlugins kills every process whose program lies under dir (the
// plugins of this rig's PULUMI_HOME), as a machine's restart would.
func killPlugins(dir string, out io.Writer) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), dir+string(os.PathSeparator)) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			fmt.Fprintf(out, "    (killed provider process %d, left by the killed operation)\n", pid)
		}
	}
}

func (d *Deployment) environment(op string) []string {
	r := d.Rig
	// The rig's `aws` and the Pulumi CLI; the plugins come from PULUMI_HOME.
	path := filepath.Join(d.Env.RigBin, "path") + string(os.PathListSeparator) + filepath.Join(d.Rig.Dir, "cli") + string(os.PathListSeparator) + "/usr/bin:/bin"
	env := []string{
		"PATH=" + path, "HOME=" + filepath.Join(r.Dir, "home"),
		"PULUMI_HOME=" + filepath.Join(r.Dir, "pulumi-home"),
		"PULUMI_BACKEND_URL=file://" + r.StateDir,
		"PULUMI_CONFIG_PASSPHRASE=rig", "PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true", "PULUMI_SKIP_CONFIRMATIONS=true",
		// The chart repository and the S3 stand-in are served with the rig's
		// CA; the provider's Helm trusts it through Go's SSL_CERT_FILE.
		"SSL_CERT_FILE=" + r.CAFile,
		"VELERO_IRSA_RIG_WORKDIR=" + d.Dir, "VELERO_IRSA_RIG_STACK=" + d.Stack, "VELERO_IRSA_RIG_OP=" + op,
		"VELERO_IRSA_RIG_AWS_CONTROL=" + r.ControlURL,
		"VELERO_IRSA_RIG_CLUSTER=" + r.ClusterName, "VELERO_IRSA_RIG_REGION=" + r.Region,
		"VELERO_IRSA_RIG_EKS_TOKEN=" + r.AdminToken, "VELERO_IRSA_RIG_DEPLOY_ROLE=" + d.deployRole,
		// The kubernetes provider leaves a kubeconfig file in the temporary
		// directory for each Helm release it handles: the rig's own.
		"TMPDIR=" + filepath.Join(r.Dir, "tmp"),
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// indent prefixes each line written with four spaces.
type indent struct {
	w   io.Writer
	mid bool
}

func (i *indent) Write(p []byte) (int, error) {
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !i.mid {
			if _, err := i.w.Write([]byte("      ")); err != nil {
				return 0, err
			}
		}
		if _, err := i.w.Write(line); err != nil {
			return 0, err
		}
		i.mid = !bytes.HasSuffix(line, []byte("\n"))
	}
	return len(p), nil
}
