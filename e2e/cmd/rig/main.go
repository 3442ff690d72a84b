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
	flag.BoolVar(&e.Keep, "keep", false, "leave each scenario's rig running until interrupted, and print how to reach it (use with one --scenario)")
	flag.StringVar(&e.VeleroTag, "velero-tag", "", "the Velero server image tag the rig built")
	flag.StringVar(&e.PluginTag, "plugin-tag", "", "the AWS plugin image tag the rig built")
	flag.StringVar(&e.ChartVersion, "chart-version", "", "the component's default chart version")
	flag.StringVar(&e.AWSPluginVersion, "aws-plugin-version", "", "the pulumi-aws version the program's SDK asks for")
	flag.StringVar(&e.KubernetesPluginVersion, "kubernetes-plugin-version", "", "the pulumi-kubernetes version the program's SDK asks for")
	flag.StringVar(&e.VeleroIRSAPluginVersion, "velero-irsa-plugin-version", "", "the version the multi-language plugin was built as")
	flag.Parse()
	e.Out = os.Stdout
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
	fmt.Printf("rig work directory: %s\n", e.Work)
	results := map[string]error{}
	var order []string
	start := time.Now()
	scenario.Run(ctx, &e, selected, func(name string, err error) {
		results[name] = err
		order = append(order, name)
		if err != nil {
			fmt.Printf("--- FAIL %s (%s): %v\n", name, time.Since(start).Round(time.Second), err)
		} else {
			fmt.Printf("--- PASS %s (%s)\n", name, time.Since(start).Round(time.Second))
		}
	})
	passed, failed := 0, 0
	var failures []string
	for _, n := range order {
		if results[n] == nil {
			passed++
		} else {
			failed++
			failures = append(failures, n)
		}
	}
	sort.Strings(failures)
	if failed > 0 {
		fmt.Printf("failed: %s (logs under %s)\n", strings.Join(failures, ", "), e.Work)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}
