package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The committed YAML example maps onto the rig: its packages: entry names
// the plugin's version, every config key it declares is mapped (namespaced
// by its project), and chartRepository lands in the component's properties.
func TestExampleMapping(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", yamlExample))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := readExample(raw, "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readExample(raw, "9.9.9"); err == nil {
		t.Error("a plugin of another version than the packages: entry's was accepted")
	}
	stack, err := exampleStack(ex)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  velero-yaml:clusterName: " + yamlCluster, "  velero-yaml:region: " + yamlRegion, "  velero-yaml:bucketName: " + yamlBucket} {
		if !strings.Contains(stack, want+"\n") {
			t.Errorf("stack file lacks %q:\n%s", want, stack)
		}
	}
	mapped, err := withChartRepository(raw, "https://127.0.0.1:1/")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string                 `yaml:"type"`
			Properties map[string]interface{} `yaml:"properties"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(mapped, &doc); err != nil {
		t.Fatalf("the mapped example is not YAML: %v", err)
	}
	found := false
	for name, r := range doc.Resources {
		if r.Type != pluginPackage+":index:VeleroIRSA" {
			continue
		}
		found = true
		if r.Properties["chartRepository"] != "https://127.0.0.1:1/" || r.Properties["identityMode"] != "podIdentity" {
			t.Errorf("resource %s properties after mapping: %v", name, r.Properties)
		}
	}
	if !found {
		t.Error("no VeleroIRSA resource in the mapped example")
	}
	if _, err := withChartRepository(mapped, "https://127.0.0.1:2/"); err == nil {
		t.Error("a second chartRepository was added")
	}
}
