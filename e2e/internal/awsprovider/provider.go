// Package awsprovider is the rig's Pulumi resource provider for the aws
// package: exactly the resource types and functions the program and the
// component use, with inputs and outputs as pulumi-aws names them, backed by
// the rig's AWS stand-in through its control API. Any other token, and any
// input it does not model, is an error.
package awsprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// Version is the pulumi-aws version the program's SDK asks for.
const Version = "6.83.4"

// Provider implements plugin.Provider.
type Provider struct {
	plugin.UnimplementedProvider
	Control  awsfake.Control
	region   string
	identity awsfake.Identity
}

// resourceType describes one modelled resource type.
type resourceType struct {
	inputs  []string // the inputs modelled; others are refused
	replace []string // inputs whose change replaces the resource
	create  func(p *Provider, name string, in resource.PropertyMap) (string, resource.PropertyMap, error)
	update  func(p *Provider, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error)
	delete  func(p *Provider, id string, outs resource.PropertyMap) error
}

var types = map[string]resourceType{}

func register(token string, t resourceType) { types[token] = t }

// GetPluginInfo reports the version the SDK asks for.
func (p *Provider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v := semver.MustParse(Version)
	return plugin.PluginInfo{Version: &v}, nil
}

// Handshake accepts secrets and resource references.
func (p *Provider) Handshake(context.Context, plugin.ProviderHandshakeRequest) (*plugin.ProviderHandshakeResponse, error) {
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

// Close does nothing.
func (p *Provider) Close() error { return nil }

// SignalCancellation does nothing: every call is short.
func (p *Provider) SignalCancellation(context.Context) error { return nil }

// configKeys are the provider settings the program sets, and the two the
// SDK's NewProvider fills in (skipCredentialsValidation false,
// skipRegionValidation true).
var configKeys = map[string]bool{"region": true, "profile": true, "assumeRole": true, "version": true, "skipCredentialsValidation": true, "skipRegionValidation": true}

// CheckConfig refuses settings the rig does not model and requires a region.
func (p *Provider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	var failures []plugin.CheckFailure
	for k := range req.News {
		if !configKeys[string(k)] {
			failures = append(failures, plugin.CheckFailure{Property: k, Reason: fmt.Sprintf("the rig's aws provider does not model the setting %q", k)})
		}
	}
	if r := req.News["region"]; !r.IsString() && !r.IsComputed() {
		failures = append(failures, plugin.CheckFailure{Property: "region", Reason: "region is required"})
	}
	return plugin.CheckConfigResponse{Properties: req.News, Failures: failures}, nil
}

// DiffConfig reports a change of region or role as a change.
func (p *Provider) DiffConfig(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return diffProperties(req.OldInputs, req.NewInputs, []string{"region", "profile", "assumeRole"}, nil), nil
}

// Configure reads region and role, and asks the stand-in who that is.
func (p *Provider) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	p.region = str(req.Inputs, "region")
	role := ""
	if v, ok := req.Inputs["assumeRole"]; ok {
		switch {
		case v.IsObject():
			role = str(v.ObjectValue(), "roleArn")
		case v.IsString():
			var m map[string]interface{}
			if json.Unmarshal([]byte(v.StringValue()), &m) == nil {
				role, _ = m["roleArn"].(string)
			}
		}
	}
	var id awsfake.Identity
	if err := p.Control.Do("CallerIdentity", map[string]string{"AssumeRoleARN": role}, &id); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	p.identity = id
	return plugin.ConfigureResponse{}, nil
}

// Check refuses unknown types and inputs; inputs pass through unchanged.
func (p *Provider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	t, ok := types[string(req.Type)]
	if !ok {
		return plugin.CheckResponse{}, fmt.Errorf("the rig's aws provider does not model resource type %s", req.Type)
	}
	var failures []plugin.CheckFailure
	for k := range req.News {
		if !contains(t.inputs, string(k)) && k != "__defaults" {
			failures = append(failures, plugin.CheckFailure{Property: k, Reason: fmt.Sprintf("the rig's aws provider does not model input %q of %s", k, req.Type)})
		}
	}
	return plugin.CheckResponse{Properties: req.News, Failures: failures}, nil
}

// Diff compares the modelled inputs.
func (p *Provider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	t, ok := types[string(req.Type)]
	if !ok {
		return plugin.DiffResponse{}, fmt.Errorf("the rig's aws provider does not model resource type %s", req.Type)
	}
	return diffProperties(req.OldInputs, req.NewInputs, t.inputs, t.replace), nil
}

func diffProperties(olds, news resource.PropertyMap, keys, replace []string) plugin.DiffResult {
	r := plugin.DiffResult{Changes: plugin.DiffNone, DetailedDiff: map[string]plugin.PropertyDiff{}}
	for _, k := range keys {
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if o.DeepEquals(n) && !n.ContainsUnknowns() {
			continue
		}
		kind := plugin.DiffUpdate
		switch {
		case o.IsNull():
			kind = plugin.DiffAdd
		case n.IsNull():
			kind = plugin.DiffDelete
		}
		if contains(replace, k) {
			kind += plugin.DiffAddReplace - plugin.DiffAdd
			r.ReplaceKeys = append(r.ReplaceKeys, resource.PropertyKey(k))
		}
		r.Changes = plugin.DiffSome
		r.ChangedKeys = append(r.ChangedKeys, resource.PropertyKey(k))
		r.DetailedDiff[k] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return r
}

// Create creates the resource in the stand-in; a preview returns the inputs
// with the outputs unknown.
func (p *Provider) Create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	t, ok := types[string(req.Type)]
	if !ok {
		return plugin.CreateResponse{}, fmt.Errorf("the rig's aws provider does not model resource type %s", req.Type)
	}
	if req.Preview {
		return plugin.CreateResponse{Properties: req.Properties}, nil
	}
	if req.Properties.ContainsUnknowns() {
		return plugin.CreateResponse{}, fmt.Errorf("%s %s: inputs still unknown at create", req.Type, req.Name)
	}
	id, outs, err := t.create(p, req.Name, req.Properties)
	if err != nil {
		return plugin.CreateResponse{}, fmt.Errorf("creating %s %s: %w", req.Type, req.Name, err)
	}
	return plugin.CreateResponse{ID: resource.ID(id), Properties: outs, Status: resource.StatusOK}, nil
}

// Read returns the state as recorded: the program never refreshes.
func (p *Provider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Outputs: req.State, Inputs: req.Inputs}, Status: resource.StatusOK}, nil
}

// Update changes the resource in place.
func (p *Provider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	t, ok := types[string(req.Type)]
	if !ok {
		return plugin.UpdateResponse{}, fmt.Errorf("the rig's aws provider does not model resource type %s", req.Type)
	}
	if req.Preview {
		return plugin.UpdateResponse{Properties: req.NewInputs}, nil
	}
	outs, err := t.update(p, string(req.ID), req.OldOutputs, req.NewInputs)
	if err != nil {
		return plugin.UpdateResponse{}, fmt.Errorf("updating %s %s: %w", req.Type, req.Name, err)
	}
	return plugin.UpdateResponse{Properties: outs, Status: resource.StatusOK}, nil
}

// Delete deletes the resource from the stand-in.
func (p *Provider) Delete(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	t, ok := types[string(req.Type)]
	if !ok {
		return plugin.DeleteResponse{}, fmt.Errorf("the rig's aws provider does not model resource type %s", req.Type)
	}
	if err := t.delete(p, string(req.ID), req.Outputs); err != nil {
		return plugin.DeleteResponse{}, fmt.Errorf("deleting %s %s: %w", req.Type, req.Name, err)
	}
	return plugin.DeleteResponse{Status: resource.StatusOK}, nil
}

// Invoke answers the functions the program calls.
func (p *Provider) Invoke(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	f, ok := functions[string(req.Tok)]
	if !ok {
		return plugin.InvokeResponse{}, fmt.Errorf("the rig's aws provider does not model function %s", req.Tok)
	}
	out, err := f(p, req.Args)
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	return plugin.InvokeResponse{Properties: out}, nil
}

// Helpers over property maps.

func str(m resource.PropertyMap, k string) string {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(m resource.PropertyMap, k string) int {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

func strMap(m resource.PropertyMap, k string) map[string]string {
	v, ok := m[resource.PropertyKey(k)]
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for kk, vv := range v.ObjectValue() {
		if vv.IsString() {
			out[string(kk)] = vv.StringValue()
		}
	}
	return out
}

func strList(m resource.PropertyMap, k string) []string {
	v, ok := m[resource.PropertyKey(k)]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, x := range v.ArrayValue() {
		if x.IsString() {
			out = append(out, x.StringValue())
		}
	}
	return out
}

// outputs is the inputs plus computed values, as pulumi-aws returns them.
func outputs(in resource.PropertyMap, extra map[string]interface{}) resource.PropertyMap {
	out := in.Copy()
	delete(out, "__defaults")
	for k, v := range extra {
		out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	if tags, ok := in["tags"]; ok {
		out["tagsAll"] = tags
	} else {
		out["tagsAll"] = resource.NewObjectProperty(resource.PropertyMap{})
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Types lists the modelled resource types, for the rig's README and tests.
func Types() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
