package overrides

import (
	"reflect"
	"strings"
	"testing"
)

// m and l keep the override tables readable.
type m = map[string]interface{}
type l = []interface{}

// envName is a named string type, as a Go program's own types (or the
// Pulumi SDK's pulumi.String) are.
type envName string

func env(name string) m { return m{"name": name, "value": "x"} }

// testWiring is what the component wires with its defaults: chart 12.1.0
// (Velero 1.18), IRSA, namespace velero, ServiceAccount velero-server.
func testWiring() Wiring {
	return Wiring{
		Namespace: "velero", ServiceAccount: "velero-server", IRSA: true, LocationName: "default",
		FSGroup: 65534, PluginImage: "velero/velero-plugin-for-aws:v1.14.3", VeleroMinor: 18, VeleroTag: "v1.18.3",
	}
}

// args are the component's arguments that change the wiring, named as
// VeleroIRSAArgs names them, and the overrides.
type args struct {
	IdentityMode       string
	DeployNodeAgent    bool
	BackupLocationName string
	ValuesOverrides    map[string]interface{}
}

func (a args) wiring() Wiring {
	w := testWiring()
	w.IRSA = a.IdentityMode != "podIdentity"
	w.NodeAgent = a.DeployNodeAgent
	if a.BackupLocationName != "" {
		w.LocationName = a.BackupLocationName
	}
	return w
}

// check runs the guard as the component does: Plain, then Check.
func check(a args) error {
	plain, err := Plain(a.ValuesOverrides)
	if err != nil {
		return err
	}
	return Check(plain, a.wiring())
}

// expectRefused fails unless the guard refuses a's overrides with an error
// containing want.
func expectRefused(t *testing.T, a args, want string) {
	t.Helper()
	err := check(a)
	if err == nil {
		t.Fatalf("overrides %v accepted; want an error containing %q", a.ValuesOverrides, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q\nwant it to contain %q", err, want)
	}
}

func TestMerge(t *testing.T) {
	base := map[string]interface{}{
		"a":    map[string]interface{}{"keep": 1, "replace": "x"},
		"list": []interface{}{"base"},
		"gone": "soon",
	}
	overrides := map[string]interface{}{
		"a":    map[string]interface{}{"replace": "y", "add": true},
		"list": []interface{}{"override"},
		"gone": nil,
	}
	got := Merge(base, overrides)
	want := map[string]interface{}{
		"a":    map[string]interface{}{"keep": 1, "replace": "y", "add": true},
		"list": []interface{}{"override"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if base["a"].(map[string]interface{})["replace"] != "x" || base["gone"] != "soon" {
		t.Errorf("Merge changed its base: %v", base)
	}
	got["list"].([]interface{})[0] = "changed"
	if overrides["list"].([]interface{})[0] != "override" {
		t.Errorf("Merge shares lists with its overrides")
	}
}
