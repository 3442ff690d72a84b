package components

import (
	"strings"
	"testing"
)

func TestPodIdentityTrustPolicyPinsClusterAndServiceAccount(t *testing.T) {
	doc, err := PodIdentityTrustPolicy("aws-cn", testAccount, "cn-northwest-1", "backup-cnw1", "backup", "velero")
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"VeleroPodIdentity","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/eks-cluster-arn":"arn:aws-cn:eks:cn-northwest-1:123456789012:cluster/backup-cnw1","aws:RequestTag/kubernetes-namespace":"backup","aws:RequestTag/kubernetes-service-account":"velero","aws:SourceAccount":"123456789012"}}}]}`
	if got != want {
		t.Errorf("trust policy =\n%s\nwant\n%s", got, want)
	}

	// An empty scope is an error, never an unconditioned trust.
	if _, err := PodIdentityTrustPolicy("aws", testAccount, testRegion, "", "velero", "velero-server"); err == nil || !strings.Contains(err.Error(), "are all required") {
		t.Errorf("empty cluster: err = %v, want a required-field error", err)
	}
}
