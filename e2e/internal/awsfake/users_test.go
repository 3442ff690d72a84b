package awsfake

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The policy an IAM user for Velero is usually given: the bucket and its
// objects.
const userPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::acme-velero-backups/*"},
 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-velero-backups"}]}`

func TestUserAccessKeys(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	u, err := r.cloud.CreateUser("aws", testAccount, "velero")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cloud.PutUserPolicy("velero", "velero", userPolicy); err != nil {
		t.Fatal(err)
	}
	key, err := r.cloud.CreateAccessKey("velero")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.ID, "AKIA") || len(key.ID) != 20 {
		t.Errorf("key ID %s is not an AKIA key of 20 characters", key.ID)
	}
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}

	// Signed with the long-term key, no session token: allowed by the
	// user's policy, and refused beyond it with the user named.
	client := r.s3Client(creds, "us-east-1")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("prod/backups/a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PutObject with the user's key: %v", err)
	}
	_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("another-bucket")})
	if got := apiCode(err); !strings.HasPrefix(got, "NoSuchBucket") {
		t.Errorf("another bucket: %s", got)
	}
	if err := r.cloud.PutUserPolicy("velero", "velero", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-velero-backups"}]}`); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("prod/backups/a")})
	if got, want := apiCode(err), "AccessDenied: User: "+u.ARN+" is not authorized to perform: s3:GetObject"; !strings.HasPrefix(got, want) {
		t.Errorf("GetObject beyond the policy: %s\nwant %s", got, want)
	}

	id, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.sts.URL), Credentials: credentials.StaticCredentialsProvider{Value: creds}}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Arn != u.ARN {
		t.Fatalf("GetCallerIdentity with the user's key: %v, %v", id, err)
	}

	uses := r.cloud.KeyUses(key.ID)
	if len(uses) != 4 || uses[0].Service != "s3" || uses[0].Request != "PUT /"+testBucket+"/prod/backups/a" || uses[3].Service != "sts" {
		t.Errorf("key uses: %+v", uses)
	}
	last, ok := r.cloud.AccessKeyLastUsed(key.ID)
	if !ok || last.LastService != "sts" || last.LastRegion != "us-east-1" || !last.LastUsed.Equal(uses[3].Time) {
		t.Errorf("last used: %+v", last)
	}

	// Deactivated, the key authenticates nothing, and is not counted.
	if err := r.cloud.UpdateAccessKey(key.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
	if got := apiCode(err); !strings.HasPrefix(got, "InvalidAccessKeyId") {
		t.Errorf("inactive key: %s", got)
	}
	if n := len(r.cloud.KeyUses(key.ID)); n != 4 {
		t.Errorf("%d key uses after the refusal, want 4", n)
	}
	if _, err := r.cloud.CreateAccessKey("velero"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cloud.CreateAccessKey("velero"); err == nil || !strings.Contains(err.Error(), "AccessKeysPerUser: 2") {
		t.Errorf("a third key: %v", err)
	}
}
