package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestArnLike(t *testing.T) {
	cases := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:iam::111122223333:role/prod-use1-velero-*", "arn:aws:iam::111122223333:role/prod-use1-velero-20260101000000000000000001", true},
		{"arn:aws:iam::111122223333:role/velero/prod-*", "arn:aws:iam::111122223333:role/velero/prod-use1-velero-x", true},
		// '*' crosses '/' within the resource part.
		{"arn:aws:iam::111122223333:role/*-velero-*", "arn:aws:iam::111122223333:role/velero/prod-use1-velero-x", true},
		{"arn:aws:iam::111122223333:role/prod-use1-velero-*", "arn:aws:iam::444455556666:role/prod-use1-velero-x", false},
		{"arn:aws:iam::111122223333:role/prod-use1-velero-*", "arn:aws:iam::111122223333:role/velero/prod-use1-velero-x", false},
		{"arn:aws:iam::111122223333:role/prod-use?-velero-*", "arn:aws:iam::111122223333:role/prod-use1-velero-x", true},
		{"arn:aws:iam::111122223333:role/prod-use?-velero-*", "arn:aws:iam::111122223333:role/prod-use12-velero-x", false},
		// '*' does not cross ':' into another part.
		{"arn:aws:iam::*", "arn:aws:iam::111122223333:role/x", false},
		{"arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x", true},
		{"not-an-arn", "arn:aws:iam::111122223333:role/x", false},
	}
	for _, c := range cases {
		if got := arnLike(c.pattern, c.arn); got != c.want {
			t.Errorf("arnLike(%q, %q) = %v, want %v", c.pattern, c.arn, got, c.want)
		}
	}
}

// TestComponentVaultLocation checks a cluster writing to a bucket in
// another region and account (a backup vault): the location names the
// bucket's region, the snapshots stay in the cluster's, the key is checked
// against the bucket's region, and the role must match the vault's grant.
func TestComponentVaultLocation(t *testing.T) {
	const vaultKey = "arn:aws:kms:eu-central-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	run := func(mutate func(*VeleroIRSAArgs)) (map[string]interface{}, error) {
		rec, err := runMocks(t, func(ctx *pulumi.Context) error {
			args := testArgs()
			args.BucketName = pulumi.String("acme-velero-vault-euc1")
			args.BucketRegion = pulumi.String("eu-central-1")
			args.BucketKmsKeyArn = pulumi.String(vaultKey)
			args.BackupPrefix = "clusters/prod-use1"
			args.RoleArnPattern = "arn:aws:iam::" + testAccount + ":role/prod-use1-velero-*"
			if mutate != nil {
				mutate(args)
			}
			_, err := NewVeleroIRSA(ctx, "velero", args)
			return err
		})
		if err != nil {
			if len(rec.Resources()) > 1 { // the component itself
				for _, r := range rec.Resources() {
					if r.Custom {
						t.Errorf("%s %s registered despite the error", r.Type, r.Name)
					}
				}
			}
			return nil, err
		}
		bsl := rec.MustFind(t, backupStorageLocationType, "velero-location-default")
		return bsl.Inputs["spec"].Mappable().(map[string]interface{}), nil
	}
	spec, err := run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := spec["config"].(map[string]interface{}); got["region"] != "eu-central-1" || got["kmsKeyId"] != vaultKey {
		t.Errorf("location config = %v, want the vault's region and key", got)
	}
	if spec["objectStorage"].(map[string]interface{})["bucket"] != "acme-velero-vault-euc1" {
		t.Errorf("location objectStorage = %v", spec["objectStorage"])
	}

	for _, c := range []struct {
		name   string
		mutate func(*VeleroIRSAArgs)
		want   string
	}{
		{"role outside the pattern", func(a *VeleroIRSAArgs) { a.RolePath = "/velero/" },
			`roleArnPattern "arn:aws:iam::` + testAccount + `:role/prod-use1-velero-*" does not match the role this cluster gets, arn:aws:iam::` + testAccount + `:role/velero/prod-use1-velero-20260101000000000000000001: set roleName, roleNamePrefix or rolePath to match it`},
		{"pattern of another account", func(a *VeleroIRSAArgs) { a.RoleArnPattern = "arn:aws:iam::111122223333:role/prod-use1-velero-*" },
			`does not match the role this cluster gets, arn:aws:iam::` + testAccount + `:role/prod-use1-velero-`},
		{"key outside the bucket's region", func(a *VeleroIRSAArgs) { a.BucketRegion = pulumi.String("eu-west-1") },
			`bucketKmsKeyArn "` + vaultKey + `" is in region "eu-central-1", but the backups are in "eu-west-1"`},
		{"bucket region of another partition", func(a *VeleroIRSAArgs) { a.BucketRegion = pulumi.String("cn-north-1") },
			`bucketRegion "cn-north-1" is in partition "aws-cn", the cluster in "aws"`},
		{"bad bucket region", func(a *VeleroIRSAArgs) { a.BucketRegion = pulumi.String("Frankfurt") },
			`bucketRegion "Frankfurt" is not an AWS region code`},
		{"bad pattern", func(a *VeleroIRSAArgs) { a.RoleArnPattern = "prod-use1-velero-*" },
			`roleArnPattern "prod-use1-velero-*" is not an IAM role ARN pattern: use arn:<partition>:iam::<account>:role/<path and name, with * and ?>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := run(c.mutate); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
