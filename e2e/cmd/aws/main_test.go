package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Sid":"Web","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`

const policy = `{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`

// withCloud serves a control API for one account and points the command
// at it.
func withCloud(t *testing.T) *awsfake.Cloud {
	cloud := awsfake.NewCloud()
	srv := httptest.NewServer(cloud.ControlHandler(nil, func(string) (awsfake.Identity, error) {
		return awsfake.Identity{Account: "123456789012", Partition: "aws", ARN: "arn:aws:iam::123456789012:role/rig-deployer"}, nil
	}))
	t.Cleanup(srv.Close)
	t.Setenv("VELERO_IRSA_RIG_AWS_CONTROL", srv.URL)
	return cloud
}

func TestCreateRoleAndPutRolePolicy(t *testing.T) {
	cloud := withCloud(t)
	// IAM refuses a trust naming a provider that does not exist.
	if _, err := cloud.CreateOpenIDConnectProvider("aws", "123456789012", "https://oidc.eks.ap-northeast-2.amazonaws.com/id/ABC", []string{"sts.amazonaws.com"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "trust.json")
	if err := os.WriteFile(file, []byte(trust), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"iam", "create-role", "--role-name", "velero", "--path", "/velero/", "--assume-role-policy-document", "file://" + file}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"iam", "put-role-policy", "--role-name", "velero", "--policy-name", "velero", "--policy-document", policy}); err != nil {
		t.Fatal(err)
	}
	role, err := cloud.GetRole("velero")
	if err != nil {
		t.Fatal(err)
	}
	if role.ARN != "arn:aws:iam::123456789012:role/velero/velero" || role.TrustPolicy != trust || role.Inline["velero"] != policy {
		t.Errorf("role %s, trust %s, inline %v", role.ARN, role.TrustPolicy, role.Inline)
	}
}

func TestRefusals(t *testing.T) {
	withCloud(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"iam", "delete-role", "--role-name", "x"}, "only `aws eks get-token`, `aws iam create-role` and `aws iam put-role-policy` are modelled"},
		{[]string{"iam", "create-role", "--role-name", "x", "--tags", "a=b"}, `argument "--tags" is not modelled`},
		{[]string{"iam", "create-role", "--role-name", "x"}, "the following arguments are required: --role-name, --assume-role-policy-document"},
		{[]string{"iam", "create-role", "--role-name", "x", "--assume-role-policy-document", "file:///nonexistent/trust.json"}, "Unable to load paramfile file:///nonexistent/trust.json"},
		{[]string{"iam", "put-role-policy", "--role-name", "nobody", "--policy-name", "p", "--policy-document", policy}, "An error occurred (NoSuchEntity) when calling the PutRolePolicy operation"},
		{[]string{"eks", "get-token", "--cluster-name"}, "--cluster-name needs a value"},
	} {
		err := run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("aws %s: error %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}
