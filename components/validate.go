package components

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var (
	// EKS cluster names: 1–100 characters, a letter or digit first, then
	// letters, digits, '-' and '_'.
	// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html#API_CreateCluster_RequestSyntax
	clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	// Region codes such as us-east-1, ap-southeast-5, us-gov-west-1, cn-north-1.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// General purpose bucket names: 3–63 characters of lowercase letters,
	// digits, '.' and '-', a letter or digit at both ends.
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// RFC 1123 label (Kubernetes namespaces) and subdomain (ServiceAccounts).
	// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// One segment of a backup prefix. Only characters that are literal in an
	// IAM resource ARN: '*' and '?' would widen the policy, "${" would be read
	// as a policy variable.
	prefixSegment = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// Role names and paths.
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathPattern = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
)

// Bucket name prefixes and suffixes S3 reserves (same naming rules page).
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

func validateClusterName(name string) error {
	if !clusterNamePattern.MatchString(name) {
		return fmt.Errorf("clusterName %q is not an EKS cluster name: use the name shown by `aws eks list-clusters` (1–100 letters, digits, '-' or '_', starting with a letter or digit)", name)
	}
	return nil
}

func validateRegion(field, region string) error {
	if !regionPattern.MatchString(region) {
		return fmt.Errorf("%s %q is not an AWS region code: use a code such as us-east-1 or eu-central-1, not a name or an availability zone", field, region)
	}
	return nil
}

func validateBucketName(field, name string) error {
	switch {
	case strings.HasPrefix(name, "s3://"):
		return fmt.Errorf("%s %q is an S3 URL: give the bare bucket name %q (put any path in backupPrefix)", field, name, strings.SplitN(strings.TrimPrefix(name, "s3://"), "/", 2)[0])
	case strings.HasPrefix(name, "arn:"):
		return fmt.Errorf("%s %q is an ARN: give the bare bucket name %q", field, name, name[strings.LastIndex(name, ":")+1:])
	case strings.Contains(name, "/"):
		return fmt.Errorf("%s %q contains '/': give the bare bucket name %q and put the path in backupPrefix", field, name, strings.SplitN(name, "/", 2)[0])
	case !bucketPattern.MatchString(name):
		return fmt.Errorf("%s %q is not a valid S3 bucket name: use 3–63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit", field, name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%s %q has two adjacent periods, which S3 bucket names may not", field, name)
	case net.ParseIP(name) != nil:
		return fmt.Errorf("%s %q is formatted as an IP address, which S3 bucket names may not be", field, name)
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("%s %q starts with %q, a prefix S3 reserves", field, name, p)
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("%s %q ends with %q, a suffix S3 reserves", field, name, s)
		}
	}
	return nil
}

// validatePrefix checks a backup location prefix: path segments separated by
// single '/', none at either end, nothing that IAM would read as a wildcard.
func validatePrefix(field, prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("%s %q starts or ends with '/': write it as %q", field, prefix, strings.Trim(prefix, "/"))
	}
	for _, seg := range strings.Split(prefix, "/") {
		if !prefixSegment.MatchString(seg) || seg == "." || seg == ".." {
			return fmt.Errorf("%s %q has segment %q: use letters, digits, '.', '_' and '-' between single slashes (no wildcards, no empty, '.' or '..' segments)", field, prefix, seg)
		}
	}
	if len(prefix) > 512 {
		return fmt.Errorf("%s is %d characters long: keep it under 512", field, len(prefix))
	}
	return nil
}

// normalizeIssuer returns the issuer's host and path, the form IAM uses in
// condition keys and provider ARNs: no scheme, no trailing slash.
func normalizeIssuer(issuer string) (string, error) {
	const fix = "use the cluster's OIDC issuer URL, e.g. https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE (`aws eks describe-cluster --query cluster.identity.oidc.issuer`)"
	raw := issuer
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
		return "", fmt.Errorf("oidcIssuerUrl %q is not an https issuer URL with a host and path: %s", issuer, fix)
	}
	path := strings.TrimSuffix(u.Path, "/")
	if path == "" {
		return "", fmt.Errorf("oidcIssuerUrl %q has no path after the host: %s", issuer, fix)
	}
	return strings.ToLower(u.Host) + path, nil
}

func validateLabel(field, value string) error {
	if len(value) > 63 || !dns1123Label.MatchString(value) {
		return fmt.Errorf("%s %q is not a valid Kubernetes name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", field, value)
	}
	return nil
}

func validateSubdomain(field, value string) error {
	if len(value) > 253 || !dns1123Subdomain.MatchString(value) {
		return fmt.Errorf("%s %q is not a valid Kubernetes name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", field, value)
	}
	return nil
}

// validateKMSKeyARN requires a KMS key ARN (not an alias or bare key ID: IAM
// grants key use only through the key ARN) in the partition and region given.
// https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html
func validateKMSKeyARN(field, arn, partition, region string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kms" || !strings.HasPrefix(parts[5], "key/") || len(parts[5]) == len("key/") {
		return fmt.Errorf("%s %q is not a KMS key ARN: give the key's ARN (arn:%s:kms:%s:<account>:key/<key-id>); aliases and bare key IDs cannot scope an IAM policy", field, arn, partition, region)
	}
	if parts[1] != partition {
		return fmt.Errorf("%s %q is in partition %q but the cluster is in %q: use a key from the cluster's partition", field, arn, parts[1], partition)
	}
	if parts[3] != region {
		return fmt.Errorf("%s %q is in region %q, but the backups are in %q: S3 and EBS can only use a key from their own region", field, arn, parts[3], region)
	}
	if !accountPattern.MatchString(parts[4]) {
		return fmt.Errorf("%s %q has account %q; an AWS account ID is 12 digits", field, arn, parts[4])
	}
	return nil
}

// validateTags checks IAM tag limits: at most 50 tags, keys up to 128 and
// values up to 256 characters, no aws: prefix.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html#id_tags_rules_creating
func validateTags(field string, tags map[string]string) error {
	if len(tags) > 50 {
		return fmt.Errorf("%s has %d tags; IAM allows at most 50", field, len(tags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		switch {
		case k == "" || len(k) > 128:
			return fmt.Errorf("%s key %q must be 1–128 characters", field, k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("%s key %q uses the aws: prefix, which AWS reserves", field, k)
		case len(tags[k]) > 256:
			return fmt.Errorf("%s value of %q is %d characters; at most 256", field, k, len(tags[k]))
		}
	}
	return nil
}

// validateObjectTags checks S3 object tag limits (at most 10 tags, keys up
// to 128 and values up to 256 characters) and what the AWS plugin accepts
// in a location's config.tagging: it splits the value on '&' and refuses it
// when that gives a single part, so one tag alone makes the location
// Unavailable, and it limits each URL-encoded key to 128 and value to 248
// characters (CheckTags in velero-plugin-for-aws v1.14.3, helpers.go).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
func validateObjectTags(tags map[string]string) error {
	if len(tags) > 10 {
		return fmt.Errorf("backupObjectTags has %d tags; S3 allows at most 10 per object", len(tags))
	}
	if err := validateTags("backupObjectTags", tags); err != nil {
		return err
	}
	if len(tags) == 1 {
		return fmt.Errorf("backupObjectTags has a single tag (%q): the AWS plugin refuses a location whose tagging has no '&' between tags, and Velero would report it Unavailable; add a second tag, such as the cluster's name", slices.Sorted(maps.Keys(tags))[0])
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if n := len([]rune(queryEscape(k))); n > 128 {
			return fmt.Errorf("backupObjectTags key %q is %d characters URL-encoded; the AWS plugin accepts at most 128", k, n)
		}
		if n := len([]rune(queryEscape(tags[k]))); n > 248 {
			return fmt.Errorf("backupObjectTags value of %q is %d characters URL-encoded; the AWS plugin accepts at most 248", k, n)
		}
	}
	return nil
}
