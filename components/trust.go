package components

import (
	"fmt"

	"github.com/velero-irsa/velero-irsa/components/internal/iampolicy"
)

// IRSATrustPolicy builds the role trust policy for IAM roles for service
// accounts: only tokens issued by the cluster's OIDC provider for exactly one
// ServiceAccount, with the STS audience, may assume the role.
// https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
//
// issuer is the issuer's host and path (no https://, no trailing slash);
// audience is the token audience, normally DefaultTokenAudience.
func IRSATrustPolicy(providerARN, issuer, namespace, serviceAccount, audience string) (iampolicy.Document, error) {
	if providerARN == "" || issuer == "" || namespace == "" || serviceAccount == "" || audience == "" {
		return iampolicy.Document{}, fmt.Errorf("building trust policy: provider ARN, issuer, namespace, service account and audience are all required (got %q, %q, %q, %q, %q)", providerARN, issuer, namespace, serviceAccount, audience)
	}
	return iampolicy.New(iampolicy.Statement{
		Sid:       "VeleroServiceAccountWebIdentity",
		Effect:    iampolicy.Allow,
		Principal: &iampolicy.Principal{Federated: iampolicy.Values{providerARN}},
		Action:    iampolicy.Values{"sts:AssumeRoleWithWebIdentity"},
		Condition: iampolicy.Condition{
			"StringEquals": {
				issuer + ":aud": {audience},
				issuer + ":sub": {"system:serviceaccount:" + namespace + ":" + serviceAccount},
			},
		},
	}), nil
}

// PodIdentityTrustPolicy builds the role trust policy for EKS Pod Identity:
// the EKS Auth service assumes the role for pods whose ServiceAccount has a
// pod identity association with it, and tags the session with the pod's
// cluster, namespace and ServiceAccount. Without conditions any pod identity
// association in the account (another cluster, namespace or ServiceAccount)
// could hand the role to its pods, so the trust pins the source account and
// the session tags to this cluster's ARN and Velero's namespace and
// ServiceAccount. The tags are on unless an association disables them
// (disableSessionTags); with them off no request matches and the role cannot
// be assumed at all.
// https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
// https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
func PodIdentityTrustPolicy(partition, account, region, cluster, namespace, serviceAccount string) (iampolicy.Document, error) {
	if partition == "" || account == "" || region == "" || cluster == "" || namespace == "" || serviceAccount == "" {
		return iampolicy.Document{}, fmt.Errorf("building trust policy: partition, account, region, cluster, namespace and service account are all required (got %q, %q, %q, %q, %q, %q)", partition, account, region, cluster, namespace, serviceAccount)
	}
	return iampolicy.New(iampolicy.Statement{
		Sid:       "VeleroPodIdentity",
		Effect:    iampolicy.Allow,
		Principal: &iampolicy.Principal{Service: iampolicy.Values{"pods.eks.amazonaws.com"}},
		Action:    iampolicy.Values{"sts:AssumeRole", "sts:TagSession"},
		Condition: iampolicy.Condition{
			"StringEquals": {
				"aws:SourceAccount":                         {account},
				"aws:RequestTag/eks-cluster-arn":            {eksClusterARN(partition, region, account, cluster)},
				"aws:RequestTag/kubernetes-namespace":       {namespace},
				"aws:RequestTag/kubernetes-service-account": {serviceAccount},
			},
		},
	}), nil
}

// eksClusterARN is arn:<partition>:eks:<region>:<account>:cluster/<name>.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html
func eksClusterARN(partition, region, account, cluster string) string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", partition, region, account, cluster)
}
