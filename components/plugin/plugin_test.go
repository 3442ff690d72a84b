package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/velero-irsa/velero-irsa/components"
	"github.com/velero-irsa/velero-irsa/components/plugin/internal/docgen"
	"github.com/velero-irsa/velero-irsa/internal/golden"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.json")

// The same fixtures as the library's tests (components/documents_test.go).
const (
	testOIDCID   = "EXAMPLED539D4633E53DE1B71EXAMPLE"
	testIssuer   = "https://oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
	testProvider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/" + testOIDCID
	testRoleARN  = "arn:aws:iam::123456789012:role/prod-use1-velero-20261126000000000000000001"
	documents    = "../testdata/documents/default"
)

func newServer(t *testing.T, rec *pulumimock.Recorder) integration.Server {
	t.Helper()
	prov, err := newProvider()
	if err != nil {
		t.Fatal(err)
	}
	opts := []integration.ServerOption{integration.WithProvider(prov)}
	if rec != nil {
		opts = append(opts, integration.WithMocks(rec))
	}
	server, err := integration.NewServer(context.Background(), packageName, semver.MustParse("0.1.0"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return server
}

func servedSchema(t *testing.T) []byte {
	t.Helper()
	resp, err := newServer(t, nil).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(resp.Schema), "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// TestSchemaGolden keeps the served schema under review: every API change
// shows as a diff of testdata/schema.json.
func TestSchemaGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "schema.json"), servedSchema(t), *update, "go test . -update (in components/plugin)")
}

// TestSchema checks what the other languages rely on: the token, a
// description everywhere, plain values where the library takes plain Go
// values, and a schema Pulumi's own binder accepts.
func TestSchema(t *testing.T) {
	raw := servedSchema(t)
	var spec pschema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if _, diags, err := pschema.BindSpec(spec, noPackages{}, pschema.ValidationOptions{}); err != nil || diags.HasErrors() {
		t.Fatalf("binding the schema: %v %v", err, diags)
	}
	res, ok := spec.Resources[components.VeleroIRSAType]
	if !ok || !res.IsComponent {
		t.Fatalf("the schema has no component %s (resources: %v)", components.VeleroIRSAType, keys(spec.Resources))
	}
	if res.Description == "" {
		t.Error("the component has no description")
	}
	for name, prop := range res.InputProperties {
		if prop.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if strings.Contains(prop.Description, "VeleroIRSAArgs") || goFieldName(prop.Description) {
			t.Errorf("input %s description names a Go field: %q", name, prop.Description)
		}
	}
	outputs := inputKinds()
	for name, isInput := range outputs {
		if plain := res.InputProperties[name].Plain; plain == isInput {
			t.Errorf("input %s: plain = %v, want %v (the library's field is an Input: %v)", name, plain, !isInput, isInput)
		}
	}
	for name, prop := range res.Properties {
		if prop.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	for token, typ := range spec.Types {
		if typ.Description == "" {
			t.Errorf("type %s has no description", token)
		}
		for name, prop := range typ.Properties {
			if prop.Description == "" || !prop.Plain {
				t.Errorf("%s.%s: description %q, plain %v; want a description and plain", token, name, prop.Description, prop.Plain)
			}
		}
	}
}

// noPackages is a schema loader for a package that references no other
// package: any request is an error.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema references package %s", pkg)
}

func (noPackages) LoadPackageV2(_ context.Context, d *pschema.PackageDescriptor) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema references package %s", d.Name)
}

// goFieldName reports a Go field name of VeleroIRSAArgs left in a text
// (other than at the start of a sentence).
func goFieldName(text string) bool {
	for _, name := range []string{"ClusterName", "OidcProviderArn", "BucketName", "SnapshotsEnabled", "DeployNodeAgent", "BackupLocationName", "RoleNamePrefix"} {
		if strings.Contains(text, " "+name) {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDocsUpToDate fails when docs_gen.go no longer matches the doc comments
// of package components.
func TestDocsUpToDate(t *testing.T) {
	want, err := docgen.Generate("..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("docs_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs_gen.go is stale: run `go generate` in components/plugin and commit the result")
	}
}

func componentURN(name string) presource.URN {
	return presource.NewURN("test", "velero-irsa", "", components.VeleroIRSAType, name)
}

func str(s string) property.Value { return property.New(s) }

func irsaInputs() map[string]property.Value {
	return map[string]property.Value{
		"clusterName":     str("prod-use1"),
		"oidcProviderArn": str(testProvider),
		"oidcIssuerUrl":   str(testIssuer),
		"bucketName":      str("acme-velero-backups"),
		"region":          str("us-east-1"),
	}
}

// TestConstruct builds the component through the plugin and finds the same
// resources, documents and outputs as the Go library's own tests.
func TestConstruct(t *testing.T) {
	rec := &pulumimock.Recorder{}
	resp, err := newServer(t, rec).Construct(p.ConstructRequest{
		Urn:    componentURN("velero"),
		Inputs: property.NewMap(irsaInputs()),
	})
	if err != nil {
		t.Fatal(err)
	}
	role := rec.MustFind(t, "aws:iam/role:Role", "velero-role")
	policy := rec.MustFind(t, "aws:iam/rolePolicy:RolePolicy", "velero-policy")
	release := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "velero-release")
	location := rec.MustFind(t, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default")
	assertJSON(t, role.Inputs["assumeRolePolicy"].StringValue(), filepath.Join(documents, "trust.json"))
	assertJSON(t, policy.Inputs["policy"].StringValue(), filepath.Join(documents, "policy.json"))
	assertJSON(t, mustJSON(t, release.Inputs["values"].Mappable()), filepath.Join(documents, "values.json"))
	assertJSON(t, mustJSON(t, []interface{}{map[string]interface{}{
		"metadata": location.Inputs["metadata"].Mappable(),
		"spec":     location.Inputs["spec"].Mappable(),
	}}), filepath.Join(documents, "locations.json"))
	for _, r := range []pulumimock.Resource{role, policy, release, location} {
		if r.Parent != string(resp.Urn) || resp.Urn.Type() != components.VeleroIRSAType {
			t.Errorf("%s parent = %q, want the component", r.Name, r.Parent)
		}
	}

	want := map[string]string{
		"roleArn":            testRoleARN,
		"roleName":           "prod-use1-velero-20261126000000000000000001",
		"namespace":          "velero",
		"serviceAccountName": "velero-server",
		"bucketName":         "acme-velero-backups",
		"releaseName":        "velero",
		"releaseStatus":      "deployed",
	}
	state := resp.State.AsMap()
	if len(state) != len(want) {
		t.Errorf("outputs = %v, want exactly %v", keys(state), keys(want))
	}
	for k, v := range want {
		if got := state[k]; !got.IsString() || got.AsString() != v {
			t.Errorf("output %s = %v, want %q", k, got, v)
		}
	}
}

// TestConstructRefusesBadInput surfaces the library's validation, with the
// field's schema name, and registers nothing.
func TestConstructRefusesBadInput(t *testing.T) {
	inputs := irsaInputs()
	inputs["backupAccessMode"] = str("readonly")
	inputs["valuesOverrides"] = property.New(map[string]property.Value{})
	rec := &pulumimock.Recorder{}
	_, err := newServer(t, rec).Construct(p.ConstructRequest{Urn: componentURN("velero"), Inputs: property.NewMap(inputs)})
	if err == nil || !strings.Contains(err.Error(), `backupAccessMode "readonly" is not a backup location access mode: use ReadWrite or ReadOnly`) {
		t.Fatalf("err = %v, want the backupAccessMode error", err)
	}
	if n := len(rec.Resources()); n != 0 {
		t.Errorf("registered %d resources despite the bad input", n)
	}
}

// TestConstructRefusesAdoption: adopting a release needs the program's
// hand-over, which the plugin does not run.
func TestConstructRefusesAdoption(t *testing.T) {
	inputs := irsaInputs()
	inputs["adoptRelease"] = property.New(true)
	rec := &pulumimock.Recorder{}
	_, err := newServer(t, rec).Construct(p.ConstructRequest{Urn: componentURN("velero"), Inputs: property.NewMap(inputs)})
	if err == nil || !strings.Contains(err.Error(), `VeleroIRSA "velero": adoptRelease is refused through the plugin`) {
		t.Fatalf("err = %v, want the adoptRelease refusal", err)
	}
	if n := len(rec.Resources()); n != 0 {
		t.Errorf("registered %d resources despite the refusal", n)
	}
}

// TestConstructPreviewWithUnknowns runs a preview in which every input that
// may take an Output is unknown: the component and its children are still
// registered, with unknown documents.
func TestConstructPreviewWithUnknowns(t *testing.T) {
	inputs := map[string]property.Value{}
	for name, isInput := range inputKinds() {
		if isInput && name != "oidcProviderArn" && name != "oidcIssuerUrl" {
			inputs[name] = property.New(property.Computed)
		}
	}
	// Pod identity mode takes no OIDC inputs; irsa mode is covered below.
	inputs["identityMode"] = str(components.IdentityModePodIdentity)
	inputs["verifyBackup"] = property.New(true)
	inputs["verifyRestore"] = property.New(true)
	inputs["schedules"] = property.New(map[string]property.Value{
		"daily": property.New(map[string]property.Value{"schedule": str("@daily")}),
	})
	rec := &pulumimock.Recorder{OnInvoke: func(string, presource.PropertyMap) (presource.PropertyMap, error) {
		return presource.PropertyMap{"accountId": presource.NewStringProperty("123456789012")}, nil
	}}
	if _, err := newServer(t, rec).Construct(p.ConstructRequest{Urn: componentURN("velero"), Inputs: property.NewMap(inputs), DryRun: true}); err != nil {
		t.Fatalf("preview with unknown inputs: %v", err)
	}
	for _, r := range []struct{ typ, name string }{
		{"aws:iam/role:Role", "velero-role"},
		{"aws:iam/rolePolicy:RolePolicy", "velero-policy"},
		{"aws:eks/podIdentityAssociation:PodIdentityAssociation", "velero-pod-identity"},
		{"kubernetes:helm.sh/v3:Release", "velero-release"},
		{"kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default"},
		{"kubernetes:velero.io/v1:Backup", "velero-verify"},
		{"kubernetes:core/v1:ConfigMap", "velero-drill-canary"},
		{"kubernetes:core/v1:Namespace", "velero-drill-namespace"},
		{"kubernetes:velero.io/v1:Restore", "velero-drill"},
	} {
		rec.MustFind(t, r.typ, r.name)
	}

	irsa := map[string]property.Value{}
	for name := range irsaInputs() {
		irsa[name] = property.New(property.Computed)
	}
	rec = &pulumimock.Recorder{}
	if _, err := newServer(t, rec).Construct(p.ConstructRequest{Urn: componentURN("velero"), Inputs: property.NewMap(irsa), DryRun: true}); err != nil {
		t.Fatalf("irsa preview with unknown inputs: %v", err)
	}
	rec.MustFind(t, "aws:iam/role:Role", "velero-role")
}

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertJSON compares a JSON document with a golden file, ignoring layout.
func assertJSON(t *testing.T, got, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g, w interface{}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, g) != mustJSON(t, w) {
		t.Errorf("document differs from %s:\ngot  %s\nwant %s", path, mustJSON(t, g), mustJSON(t, w))
	}
}

// TestConstructIsThePlugins makes sure Construct requests reach the plugin's
// own construct, which leaves registering the outputs to the library's
// constructor, and not infer's, which would register them a second time
// (the Go SDK skips a second call today; the engine would refuse it).
func TestConstructIsThePlugins(t *testing.T) {
	urn := presource.NewURN("test", "velero-irsa", "", "velero-irsa:index:Other", "x")
	_, err := newServer(t, &pulumimock.Recorder{}).Construct(p.ConstructRequest{Urn: urn, Inputs: property.NewMap(nil)})
	if err == nil || !strings.Contains(err.Error(), "unknown resource type velero-irsa:index:Other: this package serves velero-irsa:index:VeleroIRSA") {
		t.Fatalf("err = %v; want the plugin's own construct to answer", err)
	}
}
