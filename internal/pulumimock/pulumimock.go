// Package pulumimock records what a Pulumi program registers when it runs
// under pulumi.WithMocks, and answers with plausible provider outputs, so tests
// can assert on exact resource inputs, parents, providers and invokes.
package pulumimock

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Account is the AWS account ID the mocks put in the ARNs they make up.
const Account = "123456789012"

// Resource is one registration seen by the mocks.
type Resource struct {
	Type     string
	Name     string
	Custom   bool
	Parent   string // parent URN
	Provider string // provider reference: "<provider URN>::<provider ID>"
	Version  string // provider plugin version requested
	// DependsOn lists the URNs of explicit dependencies.
	DependsOn []string
	// RetainOnDelete is set when deleting the resource leaves it in place.
	RetainOnDelete bool
	// DeleteBeforeReplace and ReplaceOnChanges are the replacement options.
	DeleteBeforeReplace bool
	ReplaceOnChanges    []string
	// ImportID is the import resource option's ID, "" without one.
	ImportID string
	Inputs   resource.PropertyMap
}

// Invoke is one function call (data source) seen by the mocks.
type Invoke struct {
	Token    string
	Args     resource.PropertyMap
	Provider string
}

// Recorder is a pulumi.MockResourceMonitor that records every registration
// and invoke. OnInvoke answers invokes; without it every invoke fails.
type Recorder struct {
	OnInvoke func(token string, args resource.PropertyMap) (resource.PropertyMap, error)
	// OnProviderInvoke, when set, answers invokes instead of OnInvoke and
	// sees which provider each is sent to; ProviderRegion reads that
	// provider's region.
	OnProviderInvoke func(inv Invoke) (resource.PropertyMap, error)
	// ExtraOutputs adds outputs to every resource of a type token, for
	// outputs the inputs do not echo (a remote component's state, say),
	// or replaces the ones the recorder computes (a Backup's status as a
	// refresh read it back, say).
	ExtraOutputs map[string]resource.PropertyMap

	mu        sync.Mutex
	resources []Resource
	invokes   []Invoke
}

var _ pulumi.MockResourceMonitor = (*Recorder)(nil)

// NewResource records a registration and returns its inputs plus the outputs
// a provider would compute (ARNs, IDs, release status).
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Provider: args.Provider, Inputs: args.Inputs, ImportID: args.ID}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Version = rpc.GetVersion()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		rec.DependsOn = append(rec.DependsOn, rpc.GetDependencies()...)
		sort.Strings(rec.DependsOn)
	}
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.mu.Unlock()

	outputs := args.Inputs.Copy()
	id := args.Name + "-id"
	autoname(args.TypeToken, args.Name, outputs)
	switch args.TypeToken {
	case "aws:iam/role:Role":
		name := str(args.Inputs, "name")
		if name == "" {
			name = str(args.Inputs, "namePrefix") + "20261126000000000000000001"
		}
		id = name
		outputs["name"] = resource.NewStringProperty(name)
		partition, account := trustOwner(args.Inputs)
		outputs["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:iam::%s:role%s%s",
			partition, account, pathOf(args.Inputs), name))
	case "aws:kms/key:Key":
		// A key ARN names the region of the provider that made it.
		outputs["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r.ProviderRegion(args.Provider), Account, id))
	case "aws:s3/bucketV2:BucketV2":
		id = str(args.Inputs, "bucket")
		outputs["arn"] = resource.NewStringProperty("arn:aws:s3:::" + id)
	case "aws:iam/rolePolicy:RolePolicy":
		id = str(args.Inputs, "role") + ":" + str(args.Inputs, "name")
	case "kubernetes:velero.io/v1:BackupStorageLocation":
		// Velero's verdict once it has validated the location.
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{"phase": resource.NewStringProperty("Available")})
	case "kubernetes:velero.io/v1:Backup":
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{"phase": resource.NewStringProperty("Completed")})
	case "kubernetes:velero.io/v1:Restore":
		// A drill that restored exactly one item, as Velero reports it.
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"phase": resource.NewStringProperty("Completed"),
			"progress": resource.NewObjectProperty(resource.PropertyMap{
				"itemsRestored": resource.NewNumberProperty(1), "totalItems": resource.NewNumberProperty(1),
			}),
		})
	case "kubernetes:helm.sh/v3:Release":
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"name":      args.Inputs["name"],
			"namespace": args.Inputs["namespace"],
			"status":    resource.NewStringProperty("deployed"),
			"version":   args.Inputs["version"],
			"revision":  resource.NewNumberProperty(1),
		})
	}
	for k, v := range r.ExtraOutputs[args.TypeToken] {
		outputs[k] = v
	}
	return id, outputs, nil
}

// ProviderRegion is the region input of the aws provider a reference
// ("<provider URN>::<provider ID>") names, "" if none was registered.
func (r *Recorder) ProviderRegion(ref string) string {
	urn := ref
	if i := strings.LastIndex(ref, "::"); i >= 0 {
		urn = ref[:i]
	}
	for _, res := range r.Resources() {
		if res.Type == "pulumi:providers:aws" && strings.HasSuffix(urn, "::"+res.Name) {
			return str(res.Inputs, "region")
		}
	}
	return ""
}

// autoname names a Kubernetes object registered without metadata.name as
// pulumi-kubernetes does, "<resource name>-<8 random characters>"; here the
// characters are always 0a1b2c3d. A Helm release has no metadata.
func autoname(token, name string, outputs resource.PropertyMap) {
	if !strings.HasPrefix(token, "kubernetes:") || strings.HasPrefix(token, "kubernetes:helm.sh/") {
		return
	}
	meta, ok := outputs["metadata"]
	if !ok || !meta.IsObject() {
		return
	}
	m := meta.ObjectValue().Copy()
	if n, named := m["name"]; named && n.IsString() && n.StringValue() != "" {
		return
	}
	m["name"] = resource.NewStringProperty(name + "-0a1b2c3d")
	outputs["metadata"] = resource.NewObjectProperty(m)
}

// Call records an invoke and answers it with OnInvoke.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, Invoke{Token: args.Token, Args: args.Args, Provider: args.Provider})
	r.mu.Unlock()
	if r.OnProviderInvoke != nil {
		return r.OnProviderInvoke(Invoke{Token: args.Token, Args: args.Args, Provider: args.Provider})
	}
	if r.OnInvoke == nil {
		return nil, fmt.Errorf("unexpected invoke %s", args.Token)
	}
	return r.OnInvoke(args.Token, args.Args)
}

// Resources returns the registrations seen so far, in order.
func (r *Recorder) Resources() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Resource(nil), r.resources...)
}

// Invokes returns the invokes seen so far, in order.
func (r *Recorder) Invokes() []Invoke {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Invoke(nil), r.invokes...)
}

// Find returns the registration with the given type and name.
func (r *Recorder) Find(typ, name string) (Resource, bool) {
	for _, res := range r.Resources() {
		if res.Type == typ && res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// Types lists "type name" of every registration, sorted, for readable
// assertions about what was (or was not) created.
func (r *Recorder) Types() []string {
	var out []string
	for _, res := range r.Resources() {
		out = append(out, res.Type+" "+res.Name)
	}
	sort.Strings(out)
	return out
}

// URN is the URN the mocks give a resource of this project and stack.
func URN(project, stack, parentType, typ, name string) string {
	t := typ
	if parentType != "" {
		t = parentType + "$" + typ
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", stack, project, t, name)
}

var oidcProviderARN = regexp.MustCompile(`arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider/`)

// trustOwner reads partition and account from the OIDC provider the role's
// trust policy names, so mocked role ARNs match the cluster's account;
// Account in the aws partition otherwise.
func trustOwner(inputs resource.PropertyMap) (partition, account string) {
	if m := oidcProviderARN.FindStringSubmatch(str(inputs, "assumeRolePolicy")); m != nil {
		return m[1], m[2]
	}
	return "aws", Account
}

func pathOf(inputs resource.PropertyMap) string {
	if p := str(inputs, "path"); p != "" {
		return p
	}
	return "/"
}

// str is a string input's value, or "" when it is absent or not a string.
func str(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := m[key]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// MustFind returns the registration with the given type and name, or fails
// the test listing what was registered.
func (r *Recorder) MustFind(t testing.TB, typ, name string) Resource {
	t.Helper()
	res, ok := r.Find(typ, name)
	if !ok {
		t.Fatalf("no %s %q registered; got %v", typ, name, r.Types())
	}
	return res
}

// AssertInputs compares the listed inputs of res with want, as JSON (numbers
// as float64, objects as map[string]interface{}).
func AssertInputs(t testing.TB, res Resource, want map[string]interface{}) {
	t.Helper()
	got := res.Inputs.Mappable()
	for k, w := range want {
		gj, _ := json.Marshal(got[k])
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("%s input %s = %s, want %s", res.Name, k, gj, wj)
		}
	}
}
