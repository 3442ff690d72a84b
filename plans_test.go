package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/internal/golden"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

var update = flag.Bool("update", false, "rewrite the plan snapshots under stacks/plans/")

// TestPlanSnapshots renders each stack's planned IAM documents and Helm
// release offline (the program under mocks, lookups answered from the stack's
// config or the documented placeholders) and compares them with the
// snapshots committed under stacks/plans/<stack>/. A change to IAM or values
// therefore shows up in the pull request as a plain diff of those files.
// Run `go test . -run TestPlanSnapshots -update` to rewrite them.
func TestPlanSnapshots(t *testing.T) {
	for _, stack := range stackFiles(t) {
		t.Run(stack, func(t *testing.T) {
			rec := &pulumimock.Recorder{ExtraOutputs: map[string]resource.PropertyMap{"pulumi:pulumi:StackReference": clusterStackOutputs}}
			if isVaultStackFile(t, stack) {
				rec.OnProviderInvoke = vaultAWS(rec, "444455556666")
				if _, _, err := runVaultStackWith(t, stackFileConfig(t, stack), rec); err != nil {
					t.Fatalf("program failed: %v", err)
				}
			} else if r := runProgram(t, stack, stackFileConfig(t, stack), rec); r.err != nil {
				t.Fatalf("program failed: %v", r.err)
			}
			files, err := planFiles(rec)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("stacks", "plans", stack)
			for name, content := range files {
				checkPlanFile(t, filepath.Join(dir, name), content)
			}
			if !*update {
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if _, ok := files[e.Name()]; !ok {
						t.Errorf("%s is no longer produced; delete it or run with -update", filepath.Join(dir, e.Name()))
					}
				}
			}
		})
	}
	if !*update {
		entries, _ := os.ReadDir(filepath.Join("stacks", "plans"))
		stacks := map[string]bool{}
		for _, s := range stackFiles(t) {
			stacks[s] = true
		}
		for _, e := range entries {
			if e.IsDir() && !stacks[e.Name()] {
				t.Errorf("stacks/plans/%s has no stack file; delete it", e.Name())
			}
		}
	}
}

// planFiles renders the reviewable parts of one run: the trust and permission
// policies as indented JSON, the role's other settings, the Helm values as
// YAML, and the release options.
func planFiles(rec *pulumimock.Recorder) (map[string][]byte, error) {
	files := map[string][]byte{}
	var locations, drill []pulumimock.Resource
	for _, res := range rec.Resources() {
		switch res.Type {
		case "aws:kms/key:Key", "aws:s3/bucketPolicy:BucketPolicy":
			// A vault's keys and bucket policies, by resource name.
			b, err := indent(res.Inputs["policy"].StringValue())
			if err != nil {
				return nil, err
			}
			files[res.Name+".json"] = b
		case "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
			"aws:s3/bucketReplicationConfig:BucketReplicationConfig":
			b, err := toYAML(res.Inputs.Mappable())
			if err != nil {
				return nil, err
			}
			files[res.Name+".yaml"] = b
		case "aws:iam/role:Role":
			b, err := indent(res.Inputs["assumeRolePolicy"].StringValue())
			if err != nil {
				return nil, err
			}
			files["trust-policy.json"] = b
			// The rest of the role: name or prefix, path, permissions
			// boundary, session length, description and tags.
			role := res.Inputs.Mappable()
			delete(role, "assumeRolePolicy")
			if files["role.yaml"], err = toYAML(role); err != nil {
				return nil, err
			}
		case "aws:iam/rolePolicy:RolePolicy":
			b, err := indent(res.Inputs["policy"].StringValue())
			if err != nil {
				return nil, err
			}
			files["permission-policy.json"] = b
		case "kubernetes:velero.io/v1:BackupStorageLocation":
			locations = append(locations, res)
		case "kubernetes:velero.io/v1:Backup":
			b, err := toYAML(res.Inputs.Mappable())
			if err != nil {
				return nil, err
			}
			files["verify-backup.yaml"] = b
		case "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Namespace", "kubernetes:velero.io/v1:Restore":
			drill = append(drill, res)
		case "kubernetes:helm.sh/v3:Release":
			inputs := res.Inputs.Mappable()
			values, err := toYAML(inputs["values"])
			if err != nil {
				return nil, err
			}
			files["helm-values.yaml"] = values
			delete(inputs, "values")
			release, err := toYAML(inputs)
			if err != nil {
				return nil, err
			}
			files["helm-release.yaml"] = release
		}
	}
	// The backup locations, one file, by name: the mocks see registrations
	// in whatever order they arrive.
	sort.Slice(locations, func(i, j int) bool { return locations[i].Name < locations[j].Name })
	// The restore drill, one file: the canary, the scratch namespace and
	// the Restore, in the order the engine creates them.
	drillOrder := map[string]int{"kubernetes:core/v1:ConfigMap": 0, "kubernetes:core/v1:Namespace": 1, "kubernetes:velero.io/v1:Restore": 2}
	sort.Slice(drill, func(i, j int) bool { return drillOrder[drill[i].Type] < drillOrder[drill[j].Type] })
	for name, list := range map[string][]pulumimock.Resource{"backup-locations.yaml": locations, "verify-restore.yaml": drill} {
		for i, res := range list {
			b, err := toYAML(res.Inputs.Mappable())
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b = append([]byte("---\n"), b...)
			}
			files[name] = append(files[name], b...)
		}
	}
	return files, nil
}

func indent(compact string) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(compact), "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func toYAML(v interface{}) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func checkPlanFile(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Check(t, path, got, *update, "go test . -run TestPlanSnapshots -update")
}
