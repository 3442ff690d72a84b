// Package golden compares test output with files committed under testdata/
// or stacks/plans/, and rewrites them when a test runs with -update.
package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with the file at path. With update it writes got there
// instead. regenerate is the command that rewrites the file, for the failure
// message.
func Check(t testing.TB, path string, got []byte, update bool, regenerate string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run `%s` and commit the result", err, regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: if the change is intended, run `%s` and commit the diff\n--- got ---\n%s\n--- committed ---\n%s", path, regenerate, got, want)
	}
}
