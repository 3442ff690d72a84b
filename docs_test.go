package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

type projectKey struct {
	Type        string      `yaml:"type"`
	Description string      `yaml:"description"`
	Default     interface{} `yaml:"default"`
}

func projectConfig(t *testing.T) map[string]projectKey {
	t.Helper()
	raw, err := os.ReadFile("Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Name           string                `yaml:"name"`
		Runtime        string                `yaml:"runtime"`
		StackConfigDir string                `yaml:"stackConfigDir"`
		Config         map[string]projectKey `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.Name != project || file.Runtime != "go" || file.StackConfigDir != "stacks" {
		t.Errorf("Pulumi.yaml: name %q runtime %q stackConfigDir %q", file.Name, file.Runtime, file.StackConfigDir)
	}
	return file.Config
}

// defaultsSeenByProgram loads the config with only the required keys set and
// returns every field as the string a stack file would hold.
func defaultsSeenByProgram(t *testing.T) map[string]string {
	t.Helper()
	var loaded stackConfig
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, err := loadConfig(ctx)
		loaded = c
		return err
	}, pulumi.WithMocks(project, "defaults", &pulumimock.Recorder{}), func(info *pulumi.RunInfo) {
		info.Config = map[string]string{
			"velero-irsa:clusterName": "c", "velero-irsa:region": "us-east-1", "velero-irsa:bucketName": "b-b-b",
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	v := reflect.ValueOf(loaded)
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		key := strings.ToLower(f.Name[:1]) + f.Name[1:]
		field := v.Field(i)
		switch x := field.Interface().(type) {
		case string:
			out[key] = x
		case bool:
			out[key] = fmt.Sprint(x)
		default:
			if (field.Kind() == reflect.Map || field.Kind() == reflect.Struct) && field.IsZero() {
				out[key] = "{}" // an absent object reads as empty
				continue
			}
			out[key] = mustJSON(t, x)
		}
	}
	return out
}

// TestProjectConfigMatchesProgram keeps Pulumi.yaml, the program and the
// README in step: the same keys, types and defaults everywhere.
func TestProjectConfigMatchesProgram(t *testing.T) {
	declared := projectConfig(t)
	program := defaultsSeenByProgram(t)
	program["vault"] = "{}" // read by a vault stack only (vault.go)
	readme := readmeConfigTable(t)
	required := map[string]bool{"clusterName": true, "region": true, "bucketName": true}

	for key, got := range program {
		decl, ok := declared[key]
		if !ok {
			t.Errorf("the program reads %q but Pulumi.yaml does not declare it", key)
			continue
		}
		row, ok := readme[key]
		if !ok {
			t.Errorf("README's configuration table lacks %q", key)
		}
		switch {
		case required[key]:
			// Required in a cluster stack, absent from a vault stack:
			// Pulumi.yaml gives "" (the CLI would refuse a vault stack
			// without the key), and the program refuses "".
			if decl.Default != "" || row.def != "required" {
				t.Errorf("%s is required: default \"\" in Pulumi.yaml (has %v), 'required' in README (has %q)", key, decl.Default, row.def)
			}
		case decl.Type == "object":
			// Every object key needs a default: the CLI treats a key
			// without one as required.
			if want := mustJSON(t, decl.Default); decl.Default == nil || want != got {
				t.Errorf("default of %s: Pulumi.yaml says %s, the program uses %s", key, want, got)
			}
			if strings.HasPrefix(row.def, "`") && strings.Trim(row.def, "`") != got {
				t.Errorf("default of %s: README says %s, the program uses %s", key, row.def, got)
			}
		default:
			want := fmt.Sprint(decl.Default)
			if decl.Default == nil {
				t.Errorf("Pulumi.yaml declares no default for optional key %s (the program uses %q)", key, got)
			} else if want != got {
				t.Errorf("default of %s: Pulumi.yaml says %q, the program uses %q", key, want, got)
			}
			readmeDefault := strings.Trim(row.def, "`")
			if readmeDefault == `""` {
				readmeDefault = ""
			}
			if readmeDefault != got {
				t.Errorf("default of %s: README says %q, the program uses %q", key, row.def, got)
			}
		}
		if row.typ != decl.Type {
			t.Errorf("type of %s: README says %q, Pulumi.yaml %q", key, row.typ, decl.Type)
		}
		if decl.Description == "" {
			t.Errorf("Pulumi.yaml has no description for %s", key)
		}
	}
	for key := range declared {
		if _, ok := program[key]; !ok {
			t.Errorf("Pulumi.yaml declares %q but the program does not read it", key)
		}
	}
	for key := range readme {
		if _, ok := declared[key]; !ok {
			t.Errorf("README documents %q, which Pulumi.yaml does not declare", key)
		}
	}
}

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Round trip through a generic value so key order does not matter.
	var generic interface{}
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(generic)
	return string(b)
}

type readmeRow struct{ typ, def string }

var readmeRowPattern = regexp.MustCompile("^\\| `([A-Za-z]+)` \\| ([a-z]+) \\| ([^|]+) \\|")

func readmeConfigTable(t *testing.T) map[string]readmeRow {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]readmeRow{}
	for _, line := range strings.Split(string(raw), "\n") {
		if m := readmeRowPattern.FindStringSubmatch(line); m != nil {
			rows[m[1]] = readmeRow{typ: m[2], def: strings.TrimSpace(m[3])}
		}
	}
	return rows
}

// TestReadmeEmbeddingExample keeps the README's embedding snippet identical
// to the compiled example in components/example_test.go.
func TestReadmeEmbeddingExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("components/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- example: components/example_test.go -->\n```go\n"
	start := strings.Index(string(readme), marker)
	if start < 0 {
		t.Fatal("README has no embedding example marker")
	}
	snippet := string(readme)[start+len(marker):]
	snippet = snippet[:strings.Index(snippet, "```")]
	// The example indents the snippet by one tab inside its function.
	var indented []string
	for _, line := range strings.Split(strings.TrimRight(snippet, "\n"), "\n") {
		if line != "" {
			line = "\t" + line
		}
		indented = append(indented, line)
	}
	if !strings.Contains(string(example), strings.Join(indented, "\n")+"\n}\n") {
		t.Errorf("README's embedding snippet differs from components/example_test.go; copy the example's body into the README")
	}
}

// TestReadmeTypeScriptExample keeps the README's TypeScript snippet a part of
// the whole example program in components/plugin/examples/typescript.
func TestReadmeTypeScriptExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("components/plugin/examples/typescript/index.ts")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "```typescript\n"
	start := strings.Index(string(readme), marker)
	if start < 0 {
		t.Fatal("README has no TypeScript example")
	}
	snippet := string(readme)[start+len(marker):]
	snippet = snippet[:strings.Index(snippet, "```")]
	if !strings.Contains(string(example), snippet) {
		t.Errorf("README's TypeScript snippet is not part of components/plugin/examples/typescript/index.ts; copy it from there")
	}
}

// TestOtherLanguagesYAMLExample keeps the Pulumi YAML snippet in
// docs/other-languages.md a part of the whole example program in
// components/plugin/examples/yaml.
func TestOtherLanguagesYAMLExample(t *testing.T) {
	readme, err := os.ReadFile("docs/other-languages.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("components/plugin/examples/yaml/Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- example: components/plugin/examples/yaml/Pulumi.yaml -->\n```yaml\n"
	start := strings.Index(string(readme), marker)
	if start < 0 {
		t.Fatal("docs/other-languages.md has no Pulumi YAML example marker")
	}
	snippet := string(readme)[start+len(marker):]
	snippet = snippet[:strings.Index(snippet, "```")]
	if !strings.Contains(string(example), snippet) {
		t.Errorf("the Pulumi YAML snippet in docs/other-languages.md is not part of components/plugin/examples/yaml/Pulumi.yaml; copy it from there")
	}
}
