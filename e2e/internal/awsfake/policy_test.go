package awsfake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenPolicy reads one of the component's golden documents: the rig
// evaluates exactly what the component writes.
func goldenPolicy(t *testing.T, kase, file string) Policy {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", kase, file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(string(raw))
	if err != nil {
		t.Fatalf("%s/%s: %v", kase, file, err)
	}
	return p
}

func TestEvaluatePermissionPolicy(t *testing.T) {
	p := goldenPolicy(t, "prefix", "policy.json")
	cases := []struct {
		action, resource string
		ctx              map[string]string
		want             Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::acme-velero-backups/clusters/prod-use1/backups/b1/velero-backup.json", nil, Allow},
		{"S3:getobject", "arn:aws:s3:::acme-velero-backups/clusters/prod-use1/x", nil, Allow},
		{"s3:GetObject", "arn:aws:s3:::acme-velero-backups/clusters/other/x", nil, ImplicitDeny},
		{"s3:GetObject", "arn:aws:s3:::acme-velero-backups/clusters/prod-use1", nil, ImplicitDeny},
		{"s3:PutObjectTagging", "arn:aws:s3:::acme-velero-backups/clusters/prod-use1/x", nil, ImplicitDeny},
		{"s3:ListBucket", "arn:aws:s3:::acme-velero-backups", map[string]string{"s3:prefix": "clusters/prod-use1/"}, Allow},
		{"s3:ListBucket", "arn:aws:s3:::acme-velero-backups", nil, Allow}, // not scoped by prefix
		{"s3:ListBucket", "arn:aws:s3:::acme-velero-backups-other", map[string]string{"s3:prefix": "clusters/prod-use1/"}, ImplicitDeny},
		{"ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-1", map[string]string{"aws:ResourceTag/velero.io/backup": "b1"}, Allow},
		{"ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-1", nil, ImplicitDeny},
		{"ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", map[string]string{"ec2:CreateAction": "CreateVolume"}, Allow},
		{"ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", nil, ImplicitDeny},
		{"ec2:CreateSnapshot", "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1", nil, ImplicitDeny},
	}
	for _, c := range cases {
		got, sid, err := p.Evaluate(Request{Action: c.action, Resource: c.resource, Context: c.ctx}, false)
		if err != nil || got != c.want {
			t.Errorf("%s on %s %v: %v by %q (err %v), want %v", c.action, c.resource, c.ctx, got, sid, err, c.want)
		}
	}
}

func TestEvaluateTrustPolicies(t *testing.T) {
	const issuer = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	provider := "arn:aws:iam::123456789012:oidc-provider/" + issuer
	irsa := goldenPolicy(t, "default", "trust.json")
	web := func(sub, aud string) Request {
		return Request{Action: "sts:AssumeRoleWithWebIdentity", PrincipalKind: "Federated", Principal: provider,
			Context: map[string]string{issuer + ":sub": sub, issuer + ":aud": aud}}
	}
	for _, c := range []struct {
		r    Request
		want Decision
	}{
		{web("system:serviceaccount:velero:velero-server", "sts.amazonaws.com"), Allow},
		{web("system:serviceaccount:velero:default", "sts.amazonaws.com"), ImplicitDeny},
		{web("system:serviceaccount:velero:velero-server", "other"), ImplicitDeny},
		{Request{Action: "sts:AssumeRoleWithWebIdentity", PrincipalKind: "Federated", Principal: strings.Replace(provider, "EXAMPLE", "OTHER", 1),
			Context: web("system:serviceaccount:velero:velero-server", "sts.amazonaws.com").Context}, ImplicitDeny},
		{Request{Action: "sts:AssumeRole", PrincipalKind: "Federated", Principal: provider, Context: web("system:serviceaccount:velero:velero-server", "sts.amazonaws.com").Context}, ImplicitDeny},
	} {
		if got, _, err := irsa.Evaluate(c.r, true); err != nil || got != c.want {
			t.Errorf("IRSA trust, %+v: %v (err %v), want %v", c.r, got, err, c.want)
		}
	}

	pod := goldenPolicy(t, "pod-identity", "trust.json")
	tags := map[string]string{
		"aws:RequestTag/eks-cluster-arn":            "arn:aws:eks:us-east-1:123456789012:cluster/prod-use1",
		"aws:RequestTag/kubernetes-namespace":       "velero",
		"aws:RequestTag/kubernetes-service-account": "velero-server",
		"aws:SourceAccount":                         "123456789012",
	}
	assume := Request{Action: "sts:AssumeRole", PrincipalKind: "Service", Principal: "pods.eks.amazonaws.com", Context: tags}
	if got, _, err := pod.Evaluate(assume, true); err != nil || got != Allow {
		t.Errorf("pod identity trust: %v, %v; want allow", got, err)
	}
	other := map[string]string{}
	for k, v := range tags {
		other[k] = v
	}
	other["aws:RequestTag/kubernetes-namespace"] = "default"
	if got, _, _ := pod.Evaluate(Request{Action: "sts:TagSession", PrincipalKind: "Service", Principal: "pods.eks.amazonaws.com", Context: other}, true); got != ImplicitDeny {
		t.Errorf("pod identity trust for another namespace: %v; want implicit deny", got)
	}
	if got, _, _ := pod.Evaluate(Request{Action: "sts:AssumeRole", PrincipalKind: "Service", Principal: "ec2.amazonaws.com", Context: tags}, true); got != ImplicitDeny {
		t.Errorf("pod identity trust for another service: %v; want implicit deny", got)
	}
}

func TestEvaluateDenyWins(t *testing.T) {
	p, err := ParsePolicy(`{"Version":"2012-10-17","Statement":[
		{"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
		{"Sid":"NoPrefix","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/velero/*"},
		{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	r := func(key, tls string) Request {
		return Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/" + key, PrincipalKind: "AWS", Principal: "arn:aws:iam::1:role/r", Context: map[string]string{"aws:SecureTransport": tls}}
	}
	for _, c := range []struct {
		r    Request
		want Decision
		sid  string
	}{
		{r("other/x", "true"), Allow, "All"},
		{r("velero/x", "true"), ExplicitDeny, "NoPrefix"},
		{r("other/x", "false"), ExplicitDeny, "TLS"},
	} {
		got, sid, err := p.Evaluate(c.r, true)
		if err != nil || got != c.want || sid != c.sid {
			t.Errorf("%s tls=%s: %v by %q (err %v), want %v by %q", c.r.Resource, c.r.Context["aws:SecureTransport"], got, sid, err, c.want, c.sid)
		}
	}
}

func TestParsePolicyRefusesWhatItDoesNotModel(t *testing.T) {
	for doc, want := range map[string]string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`:                                                   "NotAction",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4"}}}]}`: `condition operator "IpAddress" is not modelled`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"k":"v"}}}]}`:   `condition operator "ForAnyValue:StringEquals" is not modelled`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`:                       "policy variable",
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`:                                                      "only 2012-10-17",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`:                                                      `Effect "Maybe"`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"x"},"Action":"s3:*","Resource":"*"}]}`:                    `principal type "CanonicalUser"`,
	} {
		_, err := ParsePolicy(doc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePolicy(%s) = %v, want an error with %q", doc, err, want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		p, v string
		want bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b/p?/*", "arn:aws:s3:::b/p1/x", true},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", true},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	} {
		if got := wildcardMatch(c.p, c.v); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.p, c.v, got)
		}
	}
}
