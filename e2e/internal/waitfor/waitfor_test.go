// Package waitfor checks the component's pulumi.com/waitFor conditions
// with the JSONPath library, and version, the pulumi-kubernetes provider
// evaluates them with (github.com/theory/jsonpath v0.9.0, in the provider's
// pkg/jsonpath), the way the provider parses and compares them.
package waitfor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/theory/jsonpath"
)

// condition reads a waitFor annotation from one of the component's golden
// objects.
func condition(t *testing.T, kase, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", kase, file))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"pulumi.com/waitFor": "([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s/%s has no waitFor annotation", kase, file)
	}
	var s string
	if err := json.Unmarshal([]byte(`"`+string(m[1])+`"`), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// evaluate is the provider's jsonpath= condition: the expression in
// brackets, one "=" before the expected value, the first selected value
// compared as a string; it returns whether it holds and what it found.
func evaluate(t *testing.T, cond string, obj map[string]any) (bool, string) {
	t.Helper()
	raw, ok := strings.CutPrefix(cond, "jsonpath=")
	if !ok {
		t.Fatalf("%q lacks the jsonpath= prefix", cond)
	}
	parts := strings.Split(strings.ReplaceAll(raw, "==", "\x00"), "=")
	if len(parts) != 2 {
		t.Fatalf("%q does not split into one path and one value", cond)
	}
	path, want := strings.ReplaceAll(parts[0], "\x00", "=="), parts[1]
	inner := regexp.MustCompile(`\{\s*(.*?)\s*\}`).FindStringSubmatch(path)
	if inner == nil {
		t.Fatalf("%q is not in brackets", path)
	}
	p, err := jsonpath.Parse("$" + inner[1])
	if err != nil {
		t.Fatalf("%q does not parse: %v", path, err)
	}
	got := slices.Collect(p.Select(obj).All())
	if len(got) == 0 {
		return false, ""
	}
	found, _ := got[0].(string)
	return found == want, found
}

func TestLocationConditionPrintsVelerosReason(t *testing.T) {
	cond := condition(t, "default", "locations.json")
	reason := `BackupStorageLocation "default" is unavailable: rpc error: code = Unknown desc = operation error S3: ListObjectsV2, api error NoSuchBucket: The specified bucket does not exist`
	for _, c := range []struct {
		status map[string]any
		holds  bool
		found  string
	}{
		{map[string]any{"phase": "Available", "lastValidationTime": "2026-12-01T00:00:00Z"}, true, "Available"},
		{map[string]any{"phase": "Unavailable", "message": reason}, false, reason},
		{map[string]any{"phase": "Unavailable"}, false, "Unavailable"},
		{nil, false, ""},
	} {
		obj := map[string]any{"spec": map[string]any{}}
		if c.status != nil {
			obj["status"] = c.status
		}
		holds, found := evaluate(t, cond, obj)
		if holds != c.holds || found != c.found {
			t.Errorf("%s on status %v: holds %v found %q; want %v %q", cond, c.status, holds, found, c.holds, c.found)
		}
	}
}

func TestBackupConditionPrintsTheFailureReason(t *testing.T) {
	cond := condition(t, "verify-backup", "verify-backup.json")
	for _, c := range []struct {
		status map[string]any
		holds  bool
		found  string
	}{
		{map[string]any{"phase": "Completed", "progress": map[string]any{"itemsBackedUp": 12.0}}, true, "Completed"},
		{map[string]any{"phase": "Failed", "failureReason": "error checking if backup already exists in object storage"}, false, "error checking if backup already exists in object storage"},
		{map[string]any{"phase": "PartiallyFailed", "errors": 2.0}, false, "PartiallyFailed"},
		{map[string]any{"phase": "InProgress"}, false, "InProgress"},
	} {
		holds, found := evaluate(t, cond, map[string]any{"status": c.status})
		if holds != c.holds || found != c.found {
			t.Errorf("%s on status %v: holds %v found %q; want %v %q", cond, c.status, holds, found, c.holds, c.found)
		}
	}
}
