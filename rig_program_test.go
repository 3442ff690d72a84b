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
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// TestRigProgram runs one Pulumi operation on one stack, as the rig asks
// through the environment:
//
//	VELERO_IRSA_RIG_WORKDIR  a directory with Pulumi.yaml and stacks/Pulumi.<stack>.yaml
//	VELERO_IRSA_RIG_STACK    the stack
//	VELERO_IRSA_RIG_OP       up, preview, preview-no-changes or destroy
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
		res, err := s.Up(ctx, optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stdout), optup.Diff())
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
	case "destroy":
		if _, err := s.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout), optdestroy.ErrorProgressStreams(os.Stdout)); err != nil {
			t.Fatalf("pulumi destroy failed: %v", err)
		}
	default:
		t.Fatalf("VELERO_IRSA_RIG_OP %q: use up, preview, preview-no-changes or destroy", op)
	}
}

func summary[K ~string](m map[K]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	return strings.Join(parts, " ")
}
