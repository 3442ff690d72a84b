package components

import (
	"fmt"
	"regexp"
	"strings"
)

// Partitions this component knows the ARN and region layout of.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
var knownPartitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// oidcProvider is an IAM OIDC identity provider ARN taken apart:
// arn:<partition>:iam::<account>:oidc-provider/<issuer host+path>.
type oidcProvider struct {
	ARN       string
	Partition string
	Account   string
	Issuer    string // host and path, no scheme, no trailing slash
}

// parseOIDCProviderARN reads partition, account and issuer from an IAM OIDC
// provider ARN, so that the policies need no lookup to learn them.
func parseOIDCProviderARN(arn string) (oidcProvider, error) {
	const fix = "use the ARN of the cluster's IAM OIDC provider, " +
		"e.g. arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return oidcProvider{}, fmt.Errorf("oidcProviderArn %q is not an ARN: %s", arn, fix)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if service != "iam" || region != "" || !strings.HasPrefix(resource, "oidc-provider/") {
		return oidcProvider{}, fmt.Errorf("oidcProviderArn %q is not an IAM oidc-provider ARN: %s", arn, fix)
	}
	if !knownPartitions[partition] {
		return oidcProvider{}, fmt.Errorf("oidcProviderArn %q has partition %q; supported partitions are aws, aws-cn and aws-us-gov", arn, partition)
	}
	if !accountPattern.MatchString(account) {
		return oidcProvider{}, fmt.Errorf("oidcProviderArn %q has account %q; an AWS account ID is 12 digits", arn, account)
	}
	issuer := strings.TrimPrefix(resource, "oidc-provider/")
	if issuer == "" || !strings.Contains(issuer, "/") {
		return oidcProvider{}, fmt.Errorf("oidcProviderArn %q names no issuer host and path after oidc-provider/: %s", arn, fix)
	}
	return oidcProvider{ARN: arn, Partition: partition, Account: account, Issuer: issuer}, nil
}

// regionPartition is the partition a region belongs to.
func regionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// s3BucketARN is the ARN of a bucket; S3 bucket ARNs carry no region or account.
func s3BucketARN(partition, bucket string) string {
	return fmt.Sprintf("arn:%s:s3:::%s", partition, bucket)
}

// s3ObjectsARN covers every object under prefix in bucket (the whole bucket
// when prefix is empty).
func s3ObjectsARN(partition, bucket, prefix string) string {
	if prefix == "" {
		return s3BucketARN(partition, bucket) + "/*"
	}
	return s3BucketARN(partition, bucket) + "/" + prefix + "/*"
}

// ec2VolumesARN covers the account's EBS volumes in one region.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-resources-for-iam-policies
func ec2VolumesARN(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:volume/*", partition, region, account)
}

// ec2SnapshotsARN covers EBS snapshots in one region. EC2 snapshot ARNs have
// an empty account field (same reference as above), so the account cannot be
// part of the pattern.
func ec2SnapshotsARN(partition, region string) string {
	return fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", partition, region)
}

// arnLike is IAM's ArnLike: the six colon-separated parts of pattern and
// arn are matched part by part, '*' matching any run of characters ('/'
// included) and '?' any one, within the part.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
func arnLike(pattern, arn string) bool {
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// globMatch matches value against pattern with '*' (any run) and '?' (any
// one character), by the usual backtracking over the last '*'.
func globMatch(pattern, value string) bool {
	p, v, star, mark := 0, 0, -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p, v = p+1, v+1
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
