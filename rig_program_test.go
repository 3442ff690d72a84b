//go:build e2e

package main

// The end-to-end rig (e2e/) runs this program for real through this test:
// the Automation API hosts `program` in-process and drives the Pulumi CLI,
// engine and providers against the rig's stand-ins. `go test ./...` skips it
// (build tag e2e), and it does nothing unless the rig calls it.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// TestRigProgram runs one Pulumi operation on one stack, as the rig asks
// through the environment:
//
//	VELERO_IRSA_RIG_WORKDIR  a directory with Pulumi.yaml and stacks/Pulumi.<stack>.yaml
//	VELERO_IRSA_RIG_STACK    the stack
//	VELERO_IRSA_RIG_OP       up, preview, preview-no-changes, refresh, cancel, destroy or export
//	                         (export: `pulumi stack export --show-secrets` into export-<stack>.json in the workdir)
//	VELERO_IRSA_RIG_REPLACE  with up: URNs to replace (pulumi up --replace), space-separated
//
// The CLI, the backend, the plugins and the passphrase come from the usual
// Pulumi variables (PATH, PULUMI_BACKEND_URL, PULUMI_HOME, ...). The
// operation's output goes to stdout; outputs of an up are printed as
// "output <name>=<value>" lines.
func TestRigProgram(t *testing.T) {
	dir, stack, op := os.Getenv("VELERO_IRSA_RIG_WORKDIR"), os.Getenv("VELERO_IRSA_RIG_STACK"), os.Getenv("VELERO_IRSA_RIG_OP")
	if dir == "" || stack == "" || op == "" {
		t.Skip("run by the end-to-end rig (e2e/run), which sets VELERO_IRSA_RIG_WORKDIR, _STACK and _OP")
	}
	// The program reads the rig's cluster for real (TestMain gives the
	// mock tests an empty one).
	readCluster = readLiveCluster
	ctx := context.Background()
	cmd, err := auto.NewPulumiCommand(nil)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Program(program), auto.Pulumi(cmd))
	if err != nil {
		t.Fatal(err)
	}
	s, err := auto.UpsertStack(ctx, stack, ws)
	if err != nil {
		t.Fatal(err)
	}
	switch op {
	case "up":
		steps := stepTimes()
		opts := []optup.Option{optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stdout), optup.Diff(), optup.EventStreams(steps.events)}
		if replace := strings.Fields(os.Getenv("VELERO_IRSA_RIG_REPLACE")); len(replace) > 0 {
			opts = append(opts, optup.Replace(replace))
		}
		res, err := s.Up(ctx, opts...)
		steps.print()
		if err != nil {
			t.Fatalf("pulumi up failed: %v", err)
		}
		for k, v := range res.Outputs {
			fmt.Printf("output %s=%v\n", k, v.Value)
		}
	case "preview", "preview-no-changes":
		opts := []optpreview.Option{optpreview.ProgressStreams(os.Stdout), optpreview.ErrorProgressStreams(os.Stdout), optpreview.Diff()}
		if op == "preview-no-changes" {
			opts = append(opts, optpreview.ExpectNoChanges())
		}
		res, err := s.Preview(ctx, opts...)
		if err != nil {
			t.Fatalf("pulumi preview failed: %v", err)
		}
		fmt.Printf("changes %s\n", summary(res.ChangeSummary))
	case "refresh":
		if _, err := s.Refresh(ctx, optrefresh.ProgressStreams(os.Stdout), optrefresh.ErrorProgressStreams(os.Stdout)); err != nil {
			t.Fatalf("pulumi refresh failed: %v", err)
		}
	case "cancel":
		if err := s.Cancel(ctx); err != nil {
			t.Fatalf("pulumi cancel failed: %v", err)
		}
		fmt.Println("pulumi cancel: the stack's locks removed")
	case "destroy":
		if _, err := s.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout), optdestroy.ErrorProgressStreams(os.Stdout)); err != nil {
			t.Fatalf("pulumi destroy failed: %v", err)
		}
	case "export":
		state, err := ws.ExportStack(ctx, stack)
		if err != nil {
			t.Fatalf("pulumi stack export failed: %v", err)
		}
		path := filepath.Join(dir, "export-"+stack+".json")
		if err := os.WriteFile(path, state.Deployment, 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("exported %d bytes (secrets shown) to %s\n", len(state.Deployment), path)
	default:
		t.Fatalf("VELERO_IRSA_RIG_OP %q: use up, preview, preview-no-changes, refresh, cancel, destroy or export", op)
	}
}

func summary[K ~string](m map[K]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	return strings.Join(parts, " ")
}

// stepTiming records when each resource step of an operation began and
// ended, as the engine's events arrive (one goroutine reads them; print
// waits for it to finish); the rig's benchmark reads the
// lines it prints ("step <seconds from the start> <seconds taken> <op>
// <type> <name>").
type stepTiming struct {
	start  time.Time
	events chan events.EngineEvent
	done   chan struct{}
	began  map[string]time.Duration
	lines  []string
}

func stepTimes() *stepTiming {
	t := &stepTiming{start: time.Now(), events: make(chan events.EngineEvent), done: make(chan struct{}), began: map[string]time.Duration{}}
	go func() {
		defer close(t.done)
		for e := range t.events {
			at := time.Since(t.start)
			switch {
			case e.ResourcePreEvent != nil:
				t.began[e.ResourcePreEvent.Metadata.URN] = at
			case e.ResOutputsEvent != nil:
				m := e.ResOutputsEvent.Metadata
				if from, ok := t.began[m.URN]; ok && m.Op != "same" {
					name := m.URN[strings.LastIndex(m.URN, "::")+2:]
					t.lines = append(t.lines, fmt.Sprintf("step %.1f %.1f %s %s %s", from.Seconds(), (at-from).Seconds(), m.Op, m.Type, name))
				}
			}
		}
	}()
	return t
}

// print writes the steps once the operation has closed the event channel,
// or after 10 s: an operation the CLI refused before it began (a stack
// locked by a killed update, say) writes no event log, and the
// Automation API then never closes the channel.
func (t *stepTiming) print() {
	select {
	case <-t.done:
	case <-time.After(10 * time.Second):
		fmt.Println("(no engine events: the operation did not begin)")
		return
	}
	for _, l := range t.lines {
		fmt.Println(l)
	}
	fmt.Printf("step-total %.1f\n", time.Since(t.start).Seconds())
}
