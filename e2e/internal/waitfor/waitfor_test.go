// Package waitfor checks the component's pulumi.com/waitFor conditions
// with the JSONPath library, and version, the pulumi-kubernetes provider
// evaluates them with (github.com/theory/jsonpath v0.9.0, in the provider's
// pkg/jsonpath), the way the provider parses and compares them.
package waitfor

import (
	"encoding/json"
	"fmt"
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
	m := regexp.MustCompile(`"pulumi.com/waitFor": ("(?:[^"\\]|\\.)*")`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s/%s has no waitFor annotation", kase, file)
	}
	var s string
	if err := json.Unmarshal(m[1], &s); err != nil {
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
	switch got[0].(type) {
	case []any, map[string]any:
		t.Fatalf("%q selected a non-primitive value %v, which the provider refuses", cond, got[0])
	}
	// The provider prints what it selected with fmt.Sprint (pkg/jsonpath).
	found := fmt.Sprint(got[0])
	return found == want, found
}

// conditions is the provider's reading of a waitFor annotation: a JSON
// list of conditions, all of which must hold, or one condition.
func conditions(annotation string) []string {
	var list []string
	if err := json.Unmarshal([]byte(annotation), &list); err != nil {
		return []string{annotation}
	}
	return list
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

// TestRestoreDrillConditions checks the drill's two conditions on the
// statuses Velero 1.18.3 writes: both hold only for a Completed restore of
// exactly one item, and while they fail the first prints Velero's reason.
func TestRestoreDrillConditions(t *testing.T) {
	conds := conditions(condition(t, "verify-restore", "restore-drill.json"))
	if len(conds) != 2 {
		t.Fatalf("the drill waits on %d conditions %q, want 2", len(conds), conds)
	}
	reason := "restore execution failed: error downloading backup: rpc error: code = Unknown desc = operation error S3: GetObject, https response error StatusCode: 403, api error AccessDenied: Access Denied"
	for _, c := range []struct {
		status map[string]any
		holds  bool
		found  string // what the first failing condition prints
	}{
		// JSON numbers decode as float64 here and as int64 in the
		// provider's unstructured objects; fmt.Sprint prints both as 1.
		{map[string]any{"phase": "Completed", "progress": map[string]any{"itemsRestored": 1.0, "totalItems": 1.0}}, true, ""},
		{map[string]any{"phase": "Completed", "progress": map[string]any{"itemsRestored": int64(1), "totalItems": int64(1)}}, true, ""},
		{map[string]any{"phase": "Completed", "progress": map[string]any{"itemsRestored": 2.0, "totalItems": 2.0}}, false, "2"},
		{map[string]any{"phase": "Completed"}, false, ""},
		{map[string]any{"phase": "Failed", "failureReason": reason}, false, reason},
		{map[string]any{"phase": "PartiallyFailed", "errors": 1.0, "progress": map[string]any{"itemsRestored": 1.0}}, false, "PartiallyFailed"},
		{map[string]any{"phase": "FailedValidation", "validationErrors": []any{"Error retrieving backup"}}, false, "FailedValidation"},
		{map[string]any{"phase": "InProgress"}, false, "InProgress"},
	} {
		holds, found := true, ""
		for _, cond := range conds {
			if ok, f := evaluate(t, cond, map[string]any{"status": c.status}); !ok {
				holds, found = false, f
				break
			}
		}
		if holds != c.holds || found != c.found {
			t.Errorf("on status %v: holds %v found %q; want %v %q", c.status, holds, found, c.holds, c.found)
		}
	}
}
