package awsfake

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const (
	testAccount = "123456789012"
	testIssuer  = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	testBucket  = "acme-velero-backups"
)

// issuer is a test OIDC issuer: an RSA key, its key set and a token minter.
type issuer struct {
	key *rsa.PrivateKey
	url string
}

func newIssuer(t *testing.T, url string) *issuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &issuer{key: k, url: url}
}

func (i *issuer) keys(iss string) (KeySet, error) {
	if iss != i.url {
		return KeySet{}, errors.New("unknown issuer " + iss)
	}
	var set KeySet
	set.Keys = append(set.Keys, struct{ Kty, Kid, Alg, Use, N, E string }{
		Kty: "RSA", Kid: "k1", Alg: "RS256", Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(i.key.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(i.key.E)).Bytes()),
	})
	return set, nil
}

func (i *issuer) token(t *testing.T, sub, aud string, exp time.Time) string {
	t.Helper()
	seg := func(v interface{}) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := seg(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	body := seg(map[string]interface{}{"iss": i.url, "sub": sub, "aud": []string{aud}, "exp": exp.Unix(), "iat": time.Now().Unix()})
	digest := sha256.Sum256([]byte(head + "." + body))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func golden(t *testing.T, kase, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "components", "testdata", "documents", kase, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rig is a cloud with the component's documents for the "prefix" case: an
// OIDC provider, the role with its golden trust and permission policy, and
// the bucket.
type rig struct {
	cloud  *Cloud
	iss    *issuer
	role   *Role
	sts    *httptest.Server
	s3     *httptest.Server
	s3impl *S3
}

func newRig(t *testing.T) *rig {
	t.Helper()
	c := NewCloud()
	iss := newIssuer(t, testIssuer)
	if _, err := c.CreateOpenIDConnectProvider("aws", testAccount, testIssuer, []string{"sts.amazonaws.com"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	role, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: testAccount, NamePrefix: "prod-use1-velero-", TrustPolicy: golden(t, "prefix", "trust.json")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutRolePolicy(role.Name, "velero", golden(t, "prefix", "policy.json")); err != nil {
		t.Fatal(err)
	}
	s := NewS3(c, s3mem.New())
	if err := c.CreateBucket(Bucket{Name: testBucket, Region: "us-east-1", Account: testAccount, Partition: "aws"}, s.Backend()); err != nil {
		t.Fatal(err)
	}
	r := &rig{cloud: c, iss: iss, role: role, s3impl: s}
	r.sts = httptest.NewServer(c.STSHandler(iss.keys))
	r.s3 = httptest.NewTLSServer(s)
	t.Cleanup(func() { r.sts.Close(); r.s3.Close() })
	return r
}

func (r *rig) stsClient() *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.sts.URL), Credentials: aws.AnonymousCredentials{}})
}

// assume gets role credentials through the real SDK client.
func (r *rig) assume(t *testing.T, sub string) aws.Credentials {
	t.Helper()
	out, err := r.stsClient().AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(r.role.ARN), RoleSessionName: aws.String("velero"),
		WebIdentityToken: aws.String(r.iss.token(t, sub, "sts.amazonaws.com", time.Now().Add(time.Hour))),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
}

func (r *rig) s3Client(creds aws.Credentials, region string) *s3.Client {
	return s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(r.s3.URL), UsePathStyle: true, HTTPClient: r.s3.Client(),
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	r := newRig(t)
	creds := r.assume(t, "system:serviceaccount:velero:velero-server")
	id, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.sts.URL), Credentials: credentials.StaticCredentialsProvider{Value: creds}}).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + r.role.Name + "/velero"; *id.Arn != want || *id.Account != testAccount {
		t.Errorf("GetCallerIdentity = %s %s, want %s", *id.Arn, *id.Account, want)
	}

	other := newIssuer(t, "https://oidc.eks.us-east-1.amazonaws.com/id/OTHERCLUSTER")
	forged := newIssuer(t, testIssuer) // same issuer URL, another key
	cases := []struct {
		name, token, want string
	}{
		{"other service account", r.iss.token(t, "system:serviceaccount:velero:default", "sts.amazonaws.com", time.Now().Add(time.Hour)), "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"other audience", r.iss.token(t, "system:serviceaccount:velero:velero-server", "other", time.Now().Add(time.Hour)), "InvalidIdentityToken: Incorrect token audience"},
		{"expired", r.iss.token(t, "system:serviceaccount:velero:velero-server", "sts.amazonaws.com", time.Now().Add(-time.Minute)), "InvalidIdentityToken: token expired"},
		{"forged signature", forged.token(t, "system:serviceaccount:velero:velero-server", "sts.amazonaws.com", time.Now().Add(time.Hour)), "InvalidIdentityToken: token signature does not verify"},
		{"other cluster", other.token(t, "system:serviceaccount:velero:velero-server", "sts.amazonaws.com", time.Now().Add(time.Hour)), "InvalidIdentityToken: fetching the keys of issuer"},
	}
	for _, c := range cases {
		_, err := r.stsClient().AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(r.role.ARN), RoleSessionName: aws.String("velero"), WebIdentityToken: aws.String(c.token),
		})
		if got := apiCode(err); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	calls := r.cloud.Calls()
	if len(calls) != 1+len(cases) || !calls[0].Allowed || calls[0].Subject != "system:serviceaccount:velero:velero-server" || calls[1].Allowed {
		t.Errorf("calls = %+v", calls)
	}
}

func TestAssumeRoleNeedsTheProvider(t *testing.T) {
	r := newRig(t)
	if err := r.cloud.DeleteOpenIDConnectProvider("arn:aws:iam::" + testAccount + ":oidc-provider/" + strings.TrimPrefix(testIssuer, "https://")); err != nil {
		t.Fatal(err)
	}
	_, err := r.stsClient().AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(r.role.ARN), RoleSessionName: aws.String("v"),
		WebIdentityToken: aws.String(r.iss.token(t, "system:serviceaccount:velero:velero-server", "sts.amazonaws.com", time.Now().Add(time.Hour))),
	})
	if got := apiCode(err); got != "InvalidIdentityToken: No OpenIDConnect provider found in your account for "+testIssuer {
		t.Errorf("without the provider: %q", got)
	}
	if _, err := r.cloud.CreateRole(CreateRoleInput{Partition: "aws", Account: testAccount, Name: "x", TrustPolicy: golden(t, "prefix", "trust.json")}); err == nil || !strings.Contains(err.Error(), "Invalid principal in policy") {
		t.Errorf("a trust on a missing provider: %v", err)
	}
}

func TestS3Authorization(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	client := r.s3Client(r.assume(t, "system:serviceaccount:velero:velero-server"), "us-east-1")
	put := func(key string) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: strings.NewReader("{}")})
		return err
	}
	if err := put("clusters/prod-use1/backups/b1/velero-backup.json"); err != nil {
		t.Fatalf("put under the prefix: %v", err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/backups/b1/velero-backup.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != "{}" {
		t.Errorf("get = %q", body)
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String("clusters/prod-use1/"), Delimiter: aws.String("/")})
	if err != nil || len(list.CommonPrefixes) != 1 || *list.CommonPrefixes[0].Prefix != "clusters/prod-use1/backups/" {
		t.Errorf("list = %+v, %v", list, err)
	}
	if got := apiCode(put("clusters/other/x")); !strings.HasPrefix(got, "AccessDenied: User: arn:aws:sts::"+testAccount+":assumed-role/"+r.role.Name+"/velero is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::acme-velero-backups/clusters/other/x\" because no identity-based policy allows the s3:PutObject action") {
		t.Errorf("put outside the prefix: %q", got)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/t"), Body: strings.NewReader("x"), Tagging: aws.String("a=b")})
	if got := apiCode(err); !strings.Contains(got, "s3:PutObjectTagging") {
		t.Errorf("put with tags and no tagging permission: %q", got)
	}

	if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing-bucket")}); !strings.HasPrefix(apiCode(err), "NoSuchBucket") {
		t.Errorf("missing bucket: %q", apiCode(err))
	}
	if err := r.cloud.CreateBucket(Bucket{Name: "acme-west", Region: "us-west-2", Account: testAccount}, r.s3impl.Backend()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("acme-west")}); apiCode(err) != "AuthorizationHeaderMalformed: The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'us-west-2'" {
		t.Errorf("bucket in another region: %q", apiCode(err))
	}

	bad := r.assume(t, "system:serviceaccount:velero:velero-server")
	bad.SecretAccessKey = "wrong"
	if _, err := r.s3Client(bad, "us-east-1").ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)}); !strings.HasPrefix(apiCode(err), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %q", apiCode(err))
	}
	static := aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "x"}
	if _, err := r.s3Client(static, "us-east-1").ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)}); !strings.HasPrefix(apiCode(err), "InvalidAccessKeyId") {
		t.Errorf("static keys: %q", apiCode(err))
	}

	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoProd","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::acme-velero-backups/clusters/prod-use1/*"}]}`
	if err := r.cloud.UpdateBucket(testBucket, func(b *Bucket) { b.Policy = deny }); err != nil {
		t.Fatal(err)
	}
	if got := apiCode(put("clusters/prod-use1/y")); !strings.HasSuffix(got, "with an explicit deny in a resource-based policy") {
		t.Errorf("bucket policy deny: %q", got)
	}
}

// TestS3ChunkedUpload is the upload the AWS SDK makes over TLS with a
// checksum: an aws-chunked body with a trailing CRC32, which S3 decodes
// and checks.
func TestS3ChunkedUpload(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	client := r.s3Client(r.assume(t, "system:serviceaccount:velero:velero-server"), "us-east-1")
	body := strings.Repeat("velero backup contents ", 5000)
	_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/c"),
		Body: strings.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/c")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	if string(b) != body {
		t.Errorf("read back %d bytes starting %q, want the %d bytes written", len(b), b[:min(len(b), 40)], len(body))
	}
}

func TestS3KMS(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	r.cloud.CreateKey(Key{ARN: key, Region: "us-east-1", Account: testAccount})
	if err := r.cloud.UpdateBucket(testBucket, func(b *Bucket) { b.DefaultKMSKey = key }); err != nil {
		t.Fatal(err)
	}
	client := r.s3Client(r.assume(t, "system:serviceaccount:velero:velero-server"), "us-east-1")
	put := func() error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/k"), Body: strings.NewReader("x")})
		return err
	}
	if got := apiCode(put()); !strings.Contains(got, "kms:GenerateDataKey on resource: "+key) {
		t.Errorf("put without key permissions: %q", got)
	}
	if err := r.cloud.PutRolePolicy(r.role.Name, "velero", golden(t, "kms", "policy.json")); err != nil {
		t.Fatal(err)
	}
	// The kms case has no prefix: its object statement covers the bucket.
	if err := put(); err != nil {
		t.Fatalf("put with the bucket key statement: %v", err)
	}
	if err := r.cloud.SetKeyDenials(key, []string{"kms:Decrypt"}); err != nil {
		t.Fatal(err)
	}
	_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/k")})
	if got := apiCode(err); !strings.Contains(got, "kms:Decrypt on resource: "+key+" with an explicit deny") {
		t.Errorf("get with decrypt denied: %q", got)
	}
	// A HEAD reads metadata only: S3 asks for s3:GetObject, not the key.
	if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/k")}); err != nil {
		t.Errorf("head with decrypt denied: %v", err)
	}
}

func TestS3RefusesWhatItDoesNotModel(t *testing.T) {
	r := newRig(t)
	client := r.s3Client(r.assume(t, "system:serviceaccount:velero:velero-server"), "us-east-1")
	_, err := client.GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("clusters/prod-use1/x")})
	if got := apiCode(err); !strings.HasPrefix(got, `NotImplemented: the rig does not model the S3 sub-resource or parameter "tagging"`) {
		t.Errorf("GetObjectTagging: %q", got)
	}
	resp, err := http.Get(r.sts.URL + "/?Action=GetSessionToken")
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("STS GET: %v %v", resp, err)
	}
}

// TestBoundaryAndKeyAccount covers two refusals AWS makes whatever the role's
// policy says: a permissions boundary that does not allow the action (also
// against a bucket policy naming the role), and another account's KMS key
// under its default key policy.
func TestBoundaryAndKeyAccount(t *testing.T) {
	c := NewCloud()
	if err := c.CreatePolicy("arn:aws:iam::123456789012:policy/boundary", `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyList","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Sid":"T","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	r, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: testAccount, Name: "bounded", TrustPolicy: trust, PermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutRolePolicy("bounded", "p", `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	s := c.newSession(r.ARN, "s", time.Hour, nil)
	bucketPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"` + r.ARN + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`
	if e := c.authorize(s, "s3:ListBucket", "arn:aws:s3:::b", nil, ""); e != nil {
		t.Errorf("allowed by the policy and the boundary: %v", e)
	}
	if e := c.authorize(s, "s3:PutObject", "arn:aws:s3:::b/k", nil, bucketPolicy); e == nil || !strings.Contains(e.Message, "because no permissions boundary allows the s3:PutObject action") {
		t.Errorf("outside the boundary, granted by the bucket policy: %v", e)
	}
	c.CreateKey(Key{ARN: "arn:aws:kms:us-east-1:999999999999:key/k", Region: "us-east-1", Account: "999999999999"})
	if e := c.authorizeKMS(s, "kms:Decrypt", "arn:aws:kms:us-east-1:999999999999:key/k"); e == nil || !strings.Contains(e.Message, "because no resource-based policy allows the kms:Decrypt action") {
		t.Errorf("another account's key: %v", e)
	}
}

// TestIAMPropagation: with a propagation delay, STS and S3 see a new role,
// a changed trust and a changed inline policy only once it has passed,
// acting on what was in force before until then, while IAM's own API
// shows every change at once.
func TestIAMPropagation(t *testing.T) {
	r := newRig(t)
	c := r.cloud
	clock := time.Now()
	c.mu.Lock()
	c.now = func() time.Time { return clock }
	c.mu.Unlock()
	c.SetPropagationDelay(15 * time.Second)
	ctx := context.Background()
	assume := func(roleARN, sub string) (aws.Credentials, string) {
		out, err := r.stsClient().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("velero"),
			WebIdentityToken: aws.String(r.iss.token(t, sub, "sts.amazonaws.com", time.Now().Add(time.Hour))),
		})
		if err != nil {
			return aws.Credentials{}, apiCode(err)
		}
		return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}, ""
	}
	const denied = "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
	const velero, other = "system:serviceaccount:velero:velero-server", "system:serviceaccount:velero:other"

	// A new role: unknown to STS until the delay has passed.
	fresh, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: testAccount, Name: "fresh", TrustPolicy: golden(t, "prefix", "trust.json")})
	if err != nil {
		t.Fatal(err)
	}
	if _, got := assume(fresh.ARN, velero); got != denied {
		t.Errorf("a role created 0 s ago: %q, want %q", got, denied)
	}
	if _, err := c.GetRole("fresh"); err != nil {
		t.Errorf("GetRole of the new role: %v; IAM's own API sees it at once", err)
	}
	clock = clock.Add(15 * time.Second)
	if _, got := assume(fresh.ARN, velero); got != "" {
		t.Errorf("a role created 15 s ago: %q, want credentials", got)
	}

	// A changed trust: the old one is in force until the delay has passed.
	if _, err := c.UpdateRole(r.role.Name, func(role *Role) error {
		role.TrustPolicy = strings.ReplaceAll(role.TrustPolicy, velero, other)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, got := assume(r.role.ARN, velero); got != "" {
		t.Errorf("the old trust 5 s after the change: %q, want credentials", got)
	}
	if _, got := assume(r.role.ARN, other); got != denied {
		t.Errorf("the new trust at once: %q, want %q", got, denied)
	}
	clock = clock.Add(15 * time.Second)
	if _, got := assume(r.role.ARN, velero); got != denied {
		t.Errorf("the old trust 15 s after the change: %q, want %q", got, denied)
	}
	creds, got := assume(r.role.ARN, other)
	if got != "" {
		t.Fatalf("the new trust 15 s after the change: %q, want credentials", got)
	}

	// A changed inline policy: S3 acts on the old one until then.
	list := func() string {
		_, err := r.s3Client(creds, "us-east-1").ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String("clusters/prod-use1/")})
		return apiCode(err)
	}
	if got := list(); got != "" {
		t.Fatalf("listing with the role's policy: %q", got)
	}
	none := `{"Version":"2012-10-17","Statement":[{"Sid":"Nothing","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}]}`
	if err := c.PutRolePolicy(r.role.Name, "velero", none); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "" {
		t.Errorf("listing 0 s after the policy lost it: %q, want the old policy in force", got)
	}
	clock = clock.Add(15 * time.Second)
	if got := list(); !strings.Contains(got, "because no identity-based policy allows the s3:ListBucket action") {
		t.Errorf("listing 15 s after the policy lost it: %q, want AccessDenied", got)
	}
}
