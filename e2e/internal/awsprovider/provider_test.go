package awsprovider

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

const account = "123456789012"

func newProvider(t *testing.T) (*Provider, *awsfake.Cloud) {
	t.Helper()
	cloud := awsfake.NewCloud()
	s3 := awsfake.NewS3(cloud, s3mem.New())
	srv := httptest.NewServer(cloud.ControlHandler(s3, func(role string) (awsfake.Identity, error) {
		return awsfake.Identity{Account: account, Partition: "aws", ARN: "arn:aws:iam::" + account + ":role/rig-admin"}, nil
	}))
	t.Cleanup(srv.Close)
	p := &Provider{Control: awsfake.Control{URL: srv.URL}}
	if _, err := p.Configure(context.Background(), plugin.ConfigureRequest{Inputs: resource.NewPropertyMapFromMap(map[string]interface{}{"region": "us-east-1"})}); err != nil {
		t.Fatal(err)
	}
	return p, cloud
}

func TestRoleLifecycle(t *testing.T) {
	p, cloud := newProvider(t)
	ctx := context.Background()
	trust, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", "pod-identity", "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := resource.NewPropertyMapFromMap(map[string]interface{}{
		"assumeRolePolicy": string(trust), "namePrefix": "prod-use1-velero-", "path": "/", "maxSessionDuration": 3600.0,
		"description": "Velero backups",
	})
	check, err := p.Check(ctx, plugin.CheckRequest{Type: "aws:iam/role:Role", News: in})
	if err != nil || len(check.Failures) != 0 {
		t.Fatalf("check: %v %v", check.Failures, err)
	}
	created, err := p.Create(ctx, plugin.CreateRequest{Type: "aws:iam/role:Role", Name: "velero-role", Properties: check.Properties})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Properties["arn"].StringValue()
	if !strings.HasPrefix(arn, "arn:aws:iam::"+account+":role/prod-use1-velero-") || len(created.ID) != len("prod-use1-velero-")+26 {
		t.Errorf("role %s arn %s", created.ID, arn)
	}
	if _, err := cloud.GetRole(string(created.ID)); err != nil {
		t.Fatal(err)
	}
	pol, err := p.Create(ctx, plugin.CreateRequest{Type: "aws:iam/rolePolicy:RolePolicy", Name: "velero-policy", Properties: resource.NewPropertyMapFromMap(map[string]interface{}{
		"role": string(created.ID), "name": "velero", "policy": `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`,
	})})
	if err != nil || pol.ID != created.ID+":velero" {
		t.Fatalf("role policy %s: %v", pol.ID, err)
	}

	moved := in.Copy()
	moved["path"] = resource.NewStringProperty("/velero/")
	d, err := p.Diff(ctx, plugin.DiffRequest{Type: "aws:iam/role:Role", OldInputs: in, NewInputs: moved})
	if err != nil || d.Changes != plugin.DiffSome || len(d.ReplaceKeys) != 1 || d.ReplaceKeys[0] != "path" {
		t.Errorf("path change diff = %+v, %v; want a replacement on path", d, err)
	}
	same, _ := p.Diff(ctx, plugin.DiffRequest{Type: "aws:iam/role:Role", OldInputs: in, NewInputs: in.Copy()})
	if same.Changes != plugin.DiffNone {
		t.Errorf("no-change diff = %+v", same)
	}
	if err := func() error {
		_, err := p.Delete(ctx, plugin.DeleteRequest{Type: "aws:iam/role:Role", ID: created.ID, Outputs: created.Properties})
		return err
	}(); err == nil || !strings.Contains(err.Error(), "DeleteConflict") {
		t.Errorf("deleting a role with an inline policy: %v", err)
	}
}

func TestRefusesWhatItDoesNotModel(t *testing.T) {
	p, _ := newProvider(t)
	ctx := context.Background()
	if _, err := p.Check(ctx, plugin.CheckRequest{Type: "aws:ec2/instance:Instance"}); err == nil || !strings.Contains(err.Error(), "does not model resource type aws:ec2/instance:Instance") {
		t.Errorf("unknown type: %v", err)
	}
	r, err := p.Check(ctx, plugin.CheckRequest{Type: "aws:iam/role:Role", News: resource.NewPropertyMapFromMap(map[string]interface{}{"assumeRolePolicy": "{}", "inlinePolicies": []interface{}{}})})
	if err != nil || len(r.Failures) != 1 || !strings.Contains(r.Failures[0].Reason, `does not model input "inlinePolicies"`) {
		t.Errorf("unknown input: %+v %v", r.Failures, err)
	}
	if _, err := p.Invoke(ctx, plugin.InvokeRequest{Tok: "aws:ec2/getVpc:getVpc"}); err == nil || !strings.Contains(err.Error(), "does not model function") {
		t.Errorf("unknown function: %v", err)
	}
}

func TestInvokes(t *testing.T) {
	p, cloud := newProvider(t)
	ctx := context.Background()
	cloud.CreateCluster(awsfake.Cluster{Name: "prod-use1", ARN: "arn:aws:eks:us-east-1:" + account + ":cluster/prod-use1", Region: "us-east-1", Endpoint: "https://127.0.0.1:6443", CertificateAuthority: "Q0E=", Issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X"})
	out, err := p.Invoke(ctx, plugin.InvokeRequest{Tok: "aws:eks/getCluster:getCluster", Args: resource.NewPropertyMapFromMap(map[string]interface{}{"name": "prod-use1"})})
	if err != nil {
		t.Fatal(err)
	}
	issuer := out.Properties["identities"].ArrayValue()[0].ObjectValue()["oidcs"].ArrayValue()[0].ObjectValue()["issuer"].StringValue()
	if out.Properties["endpoint"].StringValue() != "https://127.0.0.1:6443" || issuer != "https://oidc.eks.us-east-1.amazonaws.com/id/X" {
		t.Errorf("getCluster = %v", out.Properties)
	}
	if _, err := p.Invoke(ctx, plugin.InvokeRequest{Tok: "aws:eks/getCluster:getCluster", Args: resource.NewPropertyMapFromMap(map[string]interface{}{"name": "missing"})}); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("missing cluster: %v", err)
	}
	id, err := p.Invoke(ctx, plugin.InvokeRequest{Tok: "aws:index/getCallerIdentity:getCallerIdentity"})
	if err != nil || id.Properties["accountId"].StringValue() != account {
		t.Errorf("getCallerIdentity = %v, %v", id.Properties, err)
	}
}

// The schema declares exactly the functions the provider answers, and the
// version it reports.
func TestSchemaMatchesFunctions(t *testing.T) {
	p, cloud := newProvider(t)
	resp, err := p.GetSchema(context.Background(), plugin.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Name, Version string
		Functions     map[string]json.RawMessage
		Resources     map[string]json.RawMessage
	}
	if err := json.Unmarshal(resp.Schema, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "aws" || s.Version != Version {
		t.Errorf("schema %s %s, want aws %s", s.Name, s.Version, Version)
	}
	for tok := range functions {
		if _, ok := s.Functions[tok]; !ok {
			t.Errorf("function %s is answered but not in the schema", tok)
		}
	}
	for tok := range s.Functions {
		if _, ok := functions[tok]; !ok {
			t.Errorf("function %s is in the schema but not answered", tok)
		}
	}
	if len(s.Resources) != 0 {
		t.Errorf("the schema declares resources: %v", s.Resources)
	}
	// What each function returns is what the schema says it returns.
	cloud.CreateCluster(awsfake.Cluster{Name: "c1", ARN: "arn:aws:eks:us-east-1:" + account + ":cluster/c1", Region: "us-east-1", Endpoint: "https://127.0.0.1:6443", CertificateAuthority: "Q0E=", Issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"})
	oidc, err := cloud.CreateOpenIDConnectProvider("aws", account, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", []string{"sts.amazonaws.com"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]map[string]interface{}{
		"aws:eks/getCluster:getCluster":                             {"name": "c1"},
		"aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {"arn": oidc.ARN},
	}
	for tok, raw := range s.Functions {
		var f struct {
			Outputs struct{ Properties map[string]json.RawMessage }
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		out, err := p.Invoke(context.Background(), plugin.InvokeRequest{Tok: tokens.ModuleMember(tok), Args: resource.NewPropertyMapFromMap(args[tok])})
		if err != nil {
			t.Fatalf("%s: %v", tok, err)
		}
		for k := range out.Properties {
			if _, ok := f.Outputs.Properties[string(k)]; !ok {
				t.Errorf("%s returns %s, which the schema does not declare", tok, k)
			}
		}
		for k := range f.Outputs.Properties {
			if _, ok := out.Properties[resource.PropertyKey(k)]; !ok {
				t.Errorf("the schema declares %s of %s, which it does not return", k, tok)
			}
		}
	}
}
