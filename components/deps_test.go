package components

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibraryDependencies keeps the heavy packages out of the library's
// build: pulumi-eks (only its adapter subpackage may import it) and the
// pulumi-kubernetes packages (see package kubebinding for why).
func TestLibraryDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, "github.com/pulumi/pulumi-eks/"),
			strings.HasPrefix(pkg, "github.com/pulumi/pulumi-kubernetes/"):
			t.Errorf("package components depends on %s", pkg)
		}
	}
}
