package kubebinding

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestPackageVersionMatchesGoMod keeps PackageVersion equal to the
// pulumi-kubernetes SDK the main module pins, so the bindings ask the engine
// for the provider the rest of the program uses. (The sdkcheck module checks
// the bindings themselves against that SDK.)
func TestPackageVersionMatchesGoMod(t *testing.T) {
	f, err := os.Open("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == "github.com/pulumi/pulumi-kubernetes/sdk/v4" {
			if fields[1] != "v"+PackageVersion {
				t.Errorf("go.mod pins pulumi-kubernetes %s but PackageVersion is %q: update PackageVersion with the SDK", fields[1], PackageVersion)
			}
			return
		}
	}
	t.Fatal("go.mod does not require github.com/pulumi/pulumi-kubernetes/sdk/v4")
}

func TestObjectType(t *testing.T) {
	if got := ObjectType("velero.io/v1", "BackupStorageLocation"); got != "kubernetes:velero.io/v1:BackupStorageLocation" {
		t.Errorf("ObjectType = %q", got)
	}
}
