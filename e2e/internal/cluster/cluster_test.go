package cluster

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// binDir is the rig's built programs; the test needs them and is skipped
// without (e2e/run builds them and sets VELERO_IRSA_E2E_BIN).
func binDir(t *testing.T) string {
	dir := os.Getenv("VELERO_IRSA_E2E_BIN")
	if dir == "" {
		t.Skip("VELERO_IRSA_E2E_BIN is not set: run through e2e/run, which builds the control plane")
	}
	return dir
}

// TestControlPlane starts the control plane, registers a kwok node, and
// checks that a TokenRequest token carries the EKS-shaped issuer and
// verifies against the API server's key set, as STS will verify it.
func TestControlPlane(t *testing.T) {
	bin := binDir(t)
	const issuer = "https://oidc.eks.ap-northeast-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Bin: bin, Dir: t.TempDir(), Issuer: issuer, AdminToken: "k8s-aws-v1.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if err := c.AddNode(ctx, "rig-node-1"); err != nil {
		t.Fatal(err)
	}
	kubectl("", "create", "serviceaccount", "velero-server", "-n", "default")
	out := kubectl(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["sts.amazonaws.com"],"expirationSeconds":3600}}`,
		"create", "--raw", "/api/v1/namespaces/default/serviceaccounts/velero-server/token", "-f", "-")
	var tr struct {
		Status struct{ Token string } `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatal(err)
	}
	tok, err := awsfake.VerifyToken(tr.Status.Token, func(iss string) (awsfake.KeySet, error) {
		var set awsfake.KeySet
		raw, err := c.JWKS()
		if err == nil {
			err = json.Unmarshal(raw, &set)
		}
		return set, err
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Issuer != issuer || tok.Subject != "system:serviceaccount:default:velero-server" || tok.Audience[0] != "sts.amazonaws.com" {
		t.Errorf("token = %+v", tok)
	}
}
