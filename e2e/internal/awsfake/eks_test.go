package awsfake

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

func TestPodIdentityAgent(t *testing.T) {
	c := NewCloud()
	iss := newIssuer(t, testIssuer)
	c.CreateCluster(Cluster{Name: "prod-use1", ARN: "arn:aws:eks:us-east-1:" + testAccount + ":cluster/prod-use1", Region: "us-east-1", Issuer: testIssuer})
	role, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: testAccount, Name: "velero", TrustPolicy: golden(t, "pod-identity", "trust.json")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePodIdentityAssociation(PodIdentityAssociation{Cluster: "prod-use1", Namespace: "velero", ServiceAccount: "velero-server", RoleARN: role.ARN}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePodIdentityAssociation(PodIdentityAssociation{Cluster: "prod-use1", Namespace: "velero", ServiceAccount: "velero-server", RoleARN: role.ARN}); err == nil || !strings.Contains(err.Error(), "ResourceInUseException") {
		t.Errorf("second association for one ServiceAccount: %v", err)
	}
	// An association of another namespace with the same role: the trust
	// pins the namespace, so the role refuses it.
	if _, err := c.CreatePodIdentityAssociation(PodIdentityAssociation{Cluster: "prod-use1", Namespace: "other", ServiceAccount: "velero-server", RoleARN: role.ARN}); err != nil {
		t.Fatal(err)
	}
	agent := httptest.NewServer(c.PodIdentityAgent("prod-use1", iss.keys))
	defer agent.Close()
	retrieve := func(sub, aud string) error {
		p := endpointcreds.New(agent.URL+"/v1/credentials", func(o *endpointcreds.Options) {
			o.AuthorizationToken = iss.token(t, sub, aud, time.Now().Add(time.Hour))
		})
		creds, err := p.Retrieve(context.Background())
		if err == nil && (creds.AccessKeyID == "" || creds.SessionToken == "") {
			t.Errorf("credentials without keys: %+v", creds)
		}
		return err
	}
	if err := retrieve("system:serviceaccount:velero:velero-server", PodIdentityAudience); err != nil {
		t.Fatalf("velero's ServiceAccount: %v", err)
	}
	for name, c := range map[string]struct{ sub, aud, want string }{
		"other namespace": {"system:serviceaccount:other:velero-server", PodIdentityAudience, "the trust policy does not allow sts:AssumeRole"},
		"no association":  {"system:serviceaccount:velero:default", PodIdentityAudience, "No Pod Identity Association found for velero/default"},
		"sts audience":    {"system:serviceaccount:velero:velero-server", "sts.amazonaws.com", "is not the cluster's"},
	} {
		if err := retrieve(c.sub, c.aud); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	calls := c.Calls()
	if len(calls) != 4 || !calls[0].Allowed || calls[0].RoleARN != role.ARN {
		t.Errorf("calls = %+v", calls)
	}
}
