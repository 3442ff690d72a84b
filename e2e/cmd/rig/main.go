// Command rig runs the end-to-end scenarios; e2e/run builds what it needs
// and calls it. Its last line is "N passed, M failed".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/scenario"
)

func main() {
	var (
		e         scenario.Env
		scenarios = flag.String("scenario", "", "comma-separated scenarios to run (default all): "+strings.Join(scenario.All(), ", "))
	)
	flag.StringVar(&e.Repo, "repo", "", "repository root")
	flag.StringVar(&e.Bin, "bin", "", "directory of the built programs (e2e/build-tools)")
	flag.StringVar(&e.RigBin, "rig-bin", "", "directory of the rig's own programs")
	flag.StringVar(&e.Work, "work", "", "work directory (default: a new one under the system temp dir)")
	flag.StringVar(&e.ChartDir, "chart", "", "serve this chart directory instead of the rig's stand-in chart")
	flag.StringVar(&e.StackFile, "stack-file", "", "run the seed's checks on this stack file only (scenario 8)")
	flag.StringVar(&e.BeforeValues, "before-values", "", "values file of the first install adopt-helm takes over (the rig adds the user's key and creates the buckets it names)")
	flag.DurationVar(&e.IAMDelay, "iam-delay", 15*time.Second, "how long a new role, trust or inline policy stays invisible to the rig's STS and S3 in the scenarios that model IAM's propagation (iam-delay, broken-*)")
	flag.BoolVar(&e.Keep, "keep", false, "leave each scenario's rig running until interrupted, and print how to reach it (use with one --scenario)")
	flag.StringVar(&e.VeleroTag, "velero-tag", "", "the Velero server image tag the rig built")
	flag.StringVar(&e.PluginTag, "plugin-tag", "", "the AWS plugin image tag the rig built")
	flag.StringVar(&e.ChartVersion, "chart-version", "", "the component's default chart version")
	flag.StringVar(&e.AWSPluginVersion, "aws-plugin-version", "", "the pulumi-aws version the program's SDK asks for")
	flag.StringVar(&e.KubernetesPluginVersion, "kubernetes-plugin-version", "", "the pulumi-kubernetes version the program's SDK asks for")
	flag.StringVar(&e.VeleroIRSAPluginVersion, "velero-irsa-plugin-version", "", "the version the multi-language plugin was built as")
	parallel := flag.Int("parallel", scenario.DefaultParallel(), "scenario groups run at once, each on its own rig (default: 4, fewer when memory is short)")
	bench := flag.Int("bench", 0, "instead of the scenarios, time this many runs of the product's path and of the manual path to a verified backup, each on a fresh rig, and print the medians and their ratio")
	flag.Parse()
	e.Out = os.Stdout
	if *parallel < 1 {
		fmt.Printf("--parallel %d: give 1 or more\n0 passed, 1 failed\n", *parallel)
		os.Exit(2)
	}
	if e.Work == "" {
		dir, err := os.MkdirTemp("", "velero-irsa-rig-")
		if err != nil {
			fmt.Println(err)
			fmt.Println("0 passed, 1 failed")
			os.Exit(1)
		}
		e.Work = dir
	}
	selected := map[string]bool{}
	known := map[string]bool{}
	for _, n := range scenario.All() {
		known[n] = true
	}
	for _, n := range strings.Split(*scenarios, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !known[n] {
			fmt.Printf("unknown scenario %q; known: %s\n", n, strings.Join(scenario.All(), ", "))
			fmt.Println("0 passed, 1 failed")
			os.Exit(2)
		}
		selected[n] = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *bench > 0 {
		fmt.Printf("rig work directory: %s; benchmark, %d runs of each path\n", e.Work, *bench)
		if err := scenario.Bench(ctx, &e, *bench); err != nil {
			fmt.Printf("benchmark failed: %v (logs under %s)\n", err, e.Work)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("rig work directory: %s; %d scenario groups at a time\n", e.Work, *parallel)
	start := time.Now()
	results := scenario.Run(ctx, &e, selected, *parallel)
	passed, failed := 0, 0
	var failures []string
	for _, r := range results {
		if r.Err == nil {
			passed++
		} else {
			failed++
			failures = append(failures, r.Name)
		}
	}
	sort.Strings(failures)
	fmt.Printf("--- summary: %d scenarios in %s; %s\n", len(results), time.Since(start).Round(time.Second), scenario.Slowest(results, 5))
	if failed > 0 {
		fmt.Printf("failed: %s (logs under %s)\n", strings.Join(failures, ", "), e.Work)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}
