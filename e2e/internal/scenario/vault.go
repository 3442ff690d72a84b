package scenario

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// The vault scenarios' world: a backup account whose vault is in
// eu-central-1 with its replica in us-west-2; cluster A (vault-a) in its
// own account in eu-central-1, cluster B (vault-b) in another in
// eu-west-1, both writing to the vault; and, for the region's loss, a DR
// cluster in a third account in us-west-2 that restores A's backups from
// the replica.
const (
	vaultAccount   = "999999999999"
	vaultAccountA  = "111111111111"
	vaultAccountB  = "222222222222"
	vaultAccountDR = "333333333333"
	rigVault       = "velero-irsa-rig-vault-euc1"
	rigReplica     = "velero-irsa-rig-vault-usw2"
	rigDRBucket    = "velero-irsa-rig-dr-usw2"
	vaultRegion    = "eu-central-1"
	// canarySchedule is A's schedule as Velero names it (release velero,
	// key canary); its backups carry the canary the DR drill restores.
	canarySchedule = "velero-canary"
)

// vaultStackFile is the vault stack, deployed with the backup account's
// deploy role.
const vaultStackFile = `# The backup vault, in the rig.
config:
  velero-irsa:assumeRoleArn: arn:aws:iam::` + vaultAccount + `:role/pulumi-deploy
  velero-irsa:vault:
    bucketName: ` + rigVault + `
    region: ` + vaultRegion + `
    replicaBucketName: ` + rigReplica + `
    replicaRegion: us-west-2
    account: "` + vaultAccount + `"
    objectLock:
      mode: GOVERNANCE
      retentionDays: 7
    clusters:
      vault-a:
        account: "` + vaultAccountA + `"
        roleArnPattern: arn:aws:iam::` + vaultAccountA + `:role/vault-a-velero-*
        prefix: clusters/vault-a
      vault-b:
        account: "` + vaultAccountB + `"
        roleArnPattern: arn:aws:iam::` + vaultAccountB + `:role/vault-b-velero-*
        prefix: clusters/vault-b
    restorers:
      dr-usw2:
        account: "` + vaultAccountDR + `"
        roleArnPattern: arn:aws:iam::` + vaultAccountDR + `:role/dr-usw2-velero-*
        clusters: [vault-a]
`

// vaultClusterStack is a cluster writing to the vault, with the gate's
// backup and restore drill, and (A) the canary's schedule.
func vaultClusterStack(cluster, region, account string, schedule bool) string {
	s := `# A cluster writing to the vault, in the rig.
config:
  velero-irsa:clusterName: ` + cluster + `
  velero-irsa:region: ` + region + `
  velero-irsa:assumeRoleArn: arn:aws:iam::` + account + `:role/pulumi-deploy
  velero-irsa:vaultStack: organization/velero-irsa/vault
  velero-irsa:snapshotsEnabled: false
  velero-irsa:verifyBackup: true
  velero-irsa:verifyRestore: true
  velero-irsa:backupLocationTimeoutSeconds: 120
`
	if schedule {
		s += `  velero-irsa:schedules:
    canary:
      schedule: "0 3 * * *"
      ttl: 720h
      includedNamespaces: [payments]
`
	}
	return s
}

// drStackFile is the DR cluster: its own bucket, the vault's replica
// location for A, and the drill of A's canary schedule.
const drStackFile = `# The disaster-recovery cluster, in the rig.
config:
  velero-irsa:clusterName: dr-usw2
  velero-irsa:region: us-west-2
  velero-irsa:assumeRoleArn: arn:aws:iam::` + vaultAccountDR + `:role/pulumi-deploy
  velero-irsa:bucketName: ` + rigDRBucket + `
  velero-irsa:backupPrefix: clusters/dr-usw2
  velero-irsa:vaultStack: organization/velero-irsa/vault
  velero-irsa:snapshotsEnabled: false
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 180
  velero-irsa:disasterRecoveryDrill:
    location: vault-a
    schedule: ` + canarySchedule + `
    canaryNamespace: payments
`

// vaultWorld is what the three scenarios share, in order.
type vaultWorld struct {
	e          *Env
	world      *rig.World
	a, b       *Deployment
	canary     string                  // A's scheduled backup with the canary
	canaryKeys []awsfake.ObjectVersion // its object versions in the vault
	stolen     aws.Credentials         // A's role's credentials
	aRole      string                  // A's role ARN
	rigs       []*rig.Rig
}

// vaultScenarios runs vault, stolen-role and region-loss on one world.
func vaultScenarios(ctx context.Context, e *Env, report func(string, error)) {
	names := []string{"vault", "stolen-role", "region-loss"}
	fail := func(err error) {
		for _, n := range names {
			report(n, err)
		}
	}
	w, err := rig.NewWorld(filepath.Join(e.Work, "vault-world"), vaultAccount, vaultRegion, 0)
	if err != nil {
		fail(fmt.Errorf("starting the rig's world: %w", err))
		return
	}
	defer w.Stop()
	v := &vaultWorld{e: e, world: w}
	defer func() {
		for _, r := range v.rigs {
			e.done(ctx, r)
		}
	}()
	err = v.vault(ctx)
	report("vault", err)
	if err != nil {
		report("stolen-role", fmt.Errorf("not run: the vault scenario failed"))
		report("region-loss", fmt.Errorf("not run: the vault scenario failed"))
		return
	}
	report("stolen-role", v.stolenRole(ctx))
	report("region-loss", v.regionLoss(ctx))
}

// cluster starts one cluster of the world, with its IAM OIDC provider.
func (v *vaultWorld) cluster(ctx context.Context, name, account, region string) (*rig.Rig, error) {
	r, err := startRigIn(ctx, v.e, v.world, name, account, region, name, "", 0)
	if err != nil {
		return nil, fmt.Errorf("starting cluster %s: %w", name, err)
	}
	v.rigs = append(v.rigs, r)
	return r, r.AssociateOIDCProvider()
}

// vault: the vault stack, then A and B writing to it, each passing the
// gate (locations Available, a backup and a restore across accounts and,
// for B, regions); A's scheduled backup of a canary; and A's role held to
// its prefix, unable to delete a version or change a lock.
func (v *vaultWorld) vault(ctx context.Context) error {
	ra, err := v.cluster(ctx, "vault-a", vaultAccountA, vaultRegion)
	if err != nil {
		return err
	}
	rb, err := v.cluster(ctx, "vault-b", vaultAccountB, "eu-west-1")
	if err != nil {
		return err
	}
	vault, err := NewDeployment(v.e, ra, "vault", vaultStackFile)
	if err == nil {
		v.a, err = NewDeployment(v.e, ra, "vault-a", vaultClusterStack("vault-a", vaultRegion, vaultAccountA, true))
	}
	if err == nil {
		v.b, err = NewDeployment(v.e, rb, "vault-b", vaultClusterStack("vault-b", "eu-west-1", vaultAccountB, false))
	}
	if err != nil {
		return err
	}
	v.a.deployRole = "arn:aws:iam::" + vaultAccountA + ":role/pulumi-deploy"
	v.b.deployRole = "arn:aws:iam::" + vaultAccountB + ":role/pulumi-deploy"
	if err := v.vaultUp(ctx, vault); err != nil {
		return err
	}
	for _, d := range []*Deployment{v.a, v.b} {
		out, err := d.Run(ctx, "up", upTimeout)
		if err != nil {
			return err
		}
		if err := d.checkDeployed(out, "velero", "velero-server", rigVault, "clusters/"+d.Stack, true, true); err != nil {
			return fmt.Errorf("%s: %w", d.Stack, err)
		}
		if d == v.a {
			v.aRole = outputs(out)["roleArn"]
		}
	}
	if err := v.canaryBackup(ctx); err != nil {
		return err
	}
	return v.isolation(ctx)
}

// vaultUp deploys the vault stack and checks what it made.
func (v *vaultWorld) vaultUp(ctx context.Context, d *Deployment) error {
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	outs := outputs(out)
	if outs["bucketName"] != rigVault || outs["replicaBucketName"] != rigReplica || !strings.HasPrefix(outs["keyArn"], "arn:aws:kms:"+vaultRegion+":"+vaultAccount+":key/") {
		return fmt.Errorf("the vault stack's outputs: %v", outs)
	}
	for _, name := range []string{rigVault, rigReplica} {
		b, ok := v.world.Cloud.GetBucket(name)
		if !ok || !b.ObjectLock || b.DefaultRetention == nil || b.DefaultRetention.Mode != "GOVERNANCE" || !b.BlockPublicPolicy || b.Account != vaultAccount || b.DefaultKMSKey == "" || b.Policy == "" {
			return fmt.Errorf("bucket %s as made: %+v", name, b)
		}
	}
	if b, _ := v.world.Cloud.GetBucket(rigVault); b.Replication == nil || b.Replication.Destination != rigReplica {
		return fmt.Errorf("the vault replicates to %+v", b.Replication)
	}
	fmt.Fprintf(v.e.Out, "    vault: s3://%s (%s) replicated to s3://%s (us-west-2), both locked GOVERNANCE 7 days, SSE-KMS, public policies blocked\n", rigVault, vaultRegion, rigReplica)
	return nil
}

// canaryBackup puts a canary in A's namespace payments and runs A's
// canary schedule once, waiting for the backup and its replication.
func (v *vaultWorld) canaryBackup(ctx context.Context) error {
	var err error
	v.canary, v.canaryKeys, err = canaryScheduleBackup(ctx, v.a, v.world, rigVault, "clusters/vault-a", canarySchedule, "payments")
	if err != nil {
		return err
	}
	key := ""
	for _, x := range v.canaryKeys {
		key = x.KMSKey
		if x.LockMode != "GOVERNANCE" || x.LockUntil.Before(time.Now().Add(6*24*time.Hour)) {
			return fmt.Errorf("%s is locked %s until %s, want GOVERNANCE for 7 days", x.Key, x.LockMode, x.LockUntil)
		}
	}
	prefix := "clusters/vault-a/backups/" + v.canary + "/"
	replicas, err := v.world.S3.Versions(rigReplica, prefix)
	if err != nil || len(replicas) != len(v.canaryKeys) {
		return fmt.Errorf("the replica holds %d of the %d object versions of %s: %v", len(replicas), len(v.canaryKeys), v.canary, err)
	}
	fmt.Fprintf(v.e.Out, "    %s: %d object versions in the vault, each locked GOVERNANCE for 7 days and encrypted with %s, all replicated (re-encrypted with %s)\n",
		v.canary, len(v.canaryKeys), key, replicas[0].KMSKey)
	return nil
}

// canaryScheduleBackup puts a canary (labelled velero-irsa/dr-canary,
// data.cluster the cluster's name) in namespace on d's cluster, runs the
// Velero Schedule schedule once, and waits for the backup and for its
// objects in the vault (under prefix) to be replicated. It returns the
// backup's name and its object versions in the vault.
func canaryScheduleBackup(ctx context.Context, d *Deployment, world *rig.World, vault, prefix, schedule, namespace string) (string, []awsfake.ObjectVersion, error) {
	for _, args := range [][]string{
		{"create", "namespace", namespace},
		{"-n", namespace, "create", "configmap", "velero-irsa-dr-canary", "--from-literal=purpose=dr-drill", "--from-literal=cluster=" + d.Rig.ClusterName},
		{"-n", namespace, "label", "configmap", "velero-irsa-dr-canary", "velero-irsa/dr-canary=canary"},
	} {
		if _, err := d.kubectl(args...); err != nil {
			return "", nil, err
		}
	}
	if _, err := d.show("velero backup create --from-schedule "+schedule+" -n velero --wait", func() (string, error) {
		return d.velero("backup", "create", "--from-schedule", schedule, "-n", "velero", "--wait")
	}); err != nil {
		return "", nil, err
	}
	out, err := d.kubectl("get", "backups.velero.io", "-n", "velero", "-l", "velero.io/schedule-name="+schedule, "-o", "jsonpath={.items[0].metadata.name}")
	name := strings.TrimSpace(out)
	if err != nil || name == "" {
		return "", nil, fmt.Errorf("no backup of schedule %s: %v", schedule, err)
	}
	if phase := d.jsonpath("backups.velero.io", name, "velero", "{.status.phase}"); phase != "Completed" {
		return "", nil, fmt.Errorf("backup %s is %q", name, phase)
	}
	objects := prefix + "/backups/" + name + "/"
	var versions []awsfake.ObjectVersion
	err = waitFor(ctx, time.Minute, "replication of "+objects, func() error {
		var err error
		versions, err = world.S3.Versions(vault, objects)
		if err != nil || len(versions) == 0 {
			return fmt.Errorf("no versions under %s: %v", objects, err)
		}
		for _, x := range versions {
			if x.Replication != "COMPLETED" {
				return fmt.Errorf("%s: %s", x.Key, x.Replication)
			}
		}
		return nil
	})
	return name, versions, err
}

// roleCredentials are a cluster's Velero credentials, as its pods get
// them: a ServiceAccount token exchanged at STS for the role.
func roleCredentials(d *Deployment, role string) (aws.Credentials, error) {
	token, err := d.kubectl("create", "token", "velero-server", "-n", "velero", "--audience", "sts.amazonaws.com")
	if err != nil {
		return aws.Credentials{}, err
	}
	s, err := d.Rig.Cloud.AssumeRoleWithWebIdentity(role, "stolen", strings.TrimSpace(token), 3600, d.Rig.Keys)
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken}, nil
}

// s3Client is an S3 client of the world's stand-in, as the AWS plugin
// configures it (a checksum on uploads).
func (v *vaultWorld) s3Client(creds aws.Credentials, region string) *s3.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(v.world.CA.CertPEM)
	return s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(v.world.S3URL), UsePathStyle: true,
		HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
	})
}

// refused runs a call that S3 must refuse with a message holding want.
func refused(what string, err error, want string) error {
	var ae smithy.APIError
	msg := fmt.Sprint(err)
	if errors.As(err, &ae) {
		msg = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err == nil || !strings.Contains(msg, want) {
		return fmt.Errorf("%s: got %q, want a refusal with %q", what, msg, want)
	}
	return nil
}

// isolation: with A's own Velero credentials, B's prefix is out of reach,
// and so are A's versions and locks.
func (v *vaultWorld) isolation(ctx context.Context) error {
	creds, err := roleCredentials(v.a, v.aRole)
	if err != nil {
		return err
	}
	v.stolen = creds
	c := v.s3Client(creds, vaultRegion)
	bKeys, err := v.world.S3.Objects(rigVault, "clusters/vault-b/backups/")
	if err != nil || len(bKeys) == 0 {
		return fmt.Errorf("B wrote no backup to the vault: %v", err)
	}
	some := v.canaryKeys[0]
	checks := []error{
		refused("A reads B's backup", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rigVault), Key: aws.String(bKeys[0])})
			return err
		}(), "AccessDenied"),
		refused("A writes into B's prefix", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(rigVault), Key: aws.String("clusters/vault-b/backups/forged/velero-backup.json"), Body: strings.NewReader("{}"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
			return err
		}(), "AccessDenied"),
		refused("A lists B's prefix", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(rigVault), Prefix: aws.String("clusters/vault-b/")})
			return err
		}(), "AccessDenied"),
		refused("A deletes a version of its backup", func() error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(rigVault), Key: aws.String(some.Key), VersionId: aws.String(some.VersionID)})
			return err
		}(), "s3:DeleteObjectVersion"),
		refused("A shortens a lock", func() error {
			_, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(rigVault), Key: aws.String(some.Key), VersionId: aws.String(some.VersionID),
				Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Minute))},
				BypassGovernanceRetention: aws.Bool(true), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
			return err
		}(), "s3:PutObjectRetention"),
		refused("A changes the bucket's lock", func() error {
			_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(rigVault), ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
			return err
		}(), "s3:PutBucketObjectLockConfiguration"),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(v.e.Out, "    with A's role: B's backups unreadable, its prefix unwritable and unlistable; deleting a version, shortening a lock and changing the bucket's lock refused by the vault's bucket policy\n")
	return nil
}

// stolenRole: someone with A's Velero credentials deletes A's backup with
// Velero and deletes its objects directly; every locked version stays;
// the backup account's administrator removes the delete markers (the
// documented procedure) and A's Velero restores the backup.
func (v *vaultWorld) stolenRole(ctx context.Context) error {
	d := v.a
	if _, err := d.show("velero backup delete "+v.canary+" --confirm -n velero", func() (string, error) {
		return d.velero("backup", "delete", v.canary, "--confirm", "-n", "velero")
	}); err != nil {
		return err
	}
	if err := waitFor(ctx, 2*time.Minute, "backup "+v.canary+" deleted", func() error {
		out, err := d.kubectl("get", "backups.velero.io", v.canary, "-n", "velero", "-o", "name")
		if err != nil && strings.Contains(out, "NotFound") {
			return nil
		}
		return fmt.Errorf("still there: %s", strings.TrimSpace(out))
	}); err != nil {
		return err
	}
	c := v.s3Client(v.stolen, vaultRegion)
	// Whatever Velero left, deleted directly, and every version tried.
	prefix := "clusters/vault-a/backups/" + v.canary + "/"
	left, _ := v.world.S3.Objects(rigVault, prefix)
	for _, k := range left {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(rigVault), Key: aws.String(k)}); err != nil {
			return fmt.Errorf("deleting %s with A's role: %v", k, err)
		}
	}
	for _, x := range v.canaryKeys {
		if err := refused("deleting version "+x.VersionID+" of "+x.Key, func() error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(rigVault), Key: aws.String(x.Key), VersionId: aws.String(x.VersionID)})
			return err
		}(), "AccessDenied"); err != nil {
			return err
		}
	}
	if current, _ := v.world.S3.Objects(rigVault, prefix); len(current) != 0 {
		return fmt.Errorf("after the deletes %d objects are still current: %v", len(current), current)
	}
	versions, err := v.world.S3.Versions(rigVault, prefix)
	if err != nil {
		return err
	}
	before := map[string]bool{}
	for _, x := range v.canaryKeys {
		before[x.Key+"?"+x.VersionID] = true
	}
	kept, markers := 0, 0
	for _, x := range versions {
		switch {
		case x.DeleteMarker:
			markers++
		case before[x.Key+"?"+x.VersionID] && x.LockMode == "GOVERNANCE":
			kept++
		}
	}
	if kept != len(v.canaryKeys) {
		return fmt.Errorf("%d of the backup's %d versions are left: %+v", kept, len(v.canaryKeys), versions)
	}
	fmt.Fprintf(v.e.Out, "    after velero backup delete and direct deletes with A's role: no object current, %d delete markers, all %d locked versions kept\n", markers, kept)

	// The procedure of docs/disaster-recovery.md, as the backup
	// account's administrator: remove the delete markers.
	admin, err := v.vaultAdmin()
	if err != nil {
		return err
	}
	ac := v.s3Client(admin, vaultRegion)
	removed, err := removeDeleteMarkers(ctx, ac, rigVault, prefix)
	if err != nil {
		return err
	}
	fmt.Fprintf(v.e.Out, "    $ aws s3api list-object-versions --bucket %s --prefix %s; aws s3api delete-object --version-id <each delete marker>: %d removed\n", rigVault, prefix, removed)
	if err := waitFor(ctx, 3*time.Minute, "backup "+v.canary+" synced back", func() error {
		if phase := d.jsonpath("backups.velero.io", v.canary, "velero", "{.status.phase}"); phase != "Completed" {
			return fmt.Errorf("phase %q", phase)
		}
		return nil
	}); err != nil {
		return err
	}
	return restoreInto(ctx, d, "stolen-role-restore", v.canary, "payments", "payments-restored")
}

// restoreInto restores backup's namespace into another and checks the
// canary arrived.
func restoreInto(ctx context.Context, d *Deployment, restore, backup, from, to string) error {
	if _, err := d.show("velero restore create "+restore+" --from-backup "+backup+" --namespace-mappings "+from+":"+to+" -n velero --wait", func() (string, error) {
		return d.velero("restore", "create", restore, "--from-backup", backup, "--namespace-mappings", from+":"+to, "-n", "velero", "--wait")
	}); err != nil {
		return err
	}
	if phase := d.jsonpath("restores.velero.io", restore, "velero", "{.status.phase}"); phase != "Completed" {
		return fmt.Errorf("restore %s is %q", restore, phase)
	}
	if got := d.jsonpath("configmap", "velero-irsa-dr-canary", to, "{.data.cluster}"); got != "vault-a" {
		return fmt.Errorf("the canary is not in %s after the restore (data.cluster %q)", to, got)
	}
	fmt.Fprintf(d.Env.Out, "    restore %s Completed: the canary is in namespace %s\n", restore, to)
	return nil
}

// vaultAdmin is an IAM user of the backup account with what the restore
// procedure needs: listing versions and deleting delete markers.
func (v *vaultWorld) vaultAdmin() (aws.Credentials, error) {
	c := v.world.Cloud
	if _, err := c.CreateUser("aws", vaultAccount, "vault-admin"); err != nil {
		return aws.Credentials{}, err
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Versions","Effect":"Allow","Action":["s3:ListBucketVersions","s3:DeleteObjectVersion"],"Resource":["arn:aws:s3:::` + rigVault + `","arn:aws:s3:::` + rigVault + `/*"]}]}`
	if err := c.PutUserPolicy("vault-admin", "restore-deleted-backups", policy); err != nil {
		return aws.Credentials{}, err
	}
	k, err := c.CreateAccessKey("vault-admin")
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}, nil
}

// removeDeleteMarkers deletes the delete markers under prefix, by version
// ID: what `aws s3api delete-object --version-id` does.
func removeDeleteMarkers(ctx context.Context, c *s3.Client, bucket, prefix string) (int, error) {
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		return 0, fmt.Errorf("listing versions: %w", err)
	}
	n := 0
	for _, m := range out.DeleteMarkers {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: m.Key, VersionId: m.VersionId}); err != nil {
			return n, fmt.Errorf("deleting marker %s of %s: %w", aws.ToString(m.VersionId), aws.ToString(m.Key), err)
		}
		n++
	}
	return n, nil
}

// regionLoss: the vault's and A's region goes out; a DR cluster in the
// replica's region, in another account, comes up with its drill, which
// restores A's canary from the replica.
func (v *vaultWorld) regionLoss(ctx context.Context) error {
	v.world.Cloud.SetRegionOutage(vaultRegion, true)
	defer v.world.Cloud.SetRegionOutage(vaultRegion, false)
	c := v.s3Client(v.stolen, vaultRegion)
	if err := refused("the vault during the outage", func() error {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(rigVault), Prefix: aws.String("clusters/vault-a/")})
		return err
	}(), "ServiceUnavailable"); err != nil {
		return err
	}
	if resp, err := http.Post(v.a.Rig.STSURL, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity")); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		return fmt.Errorf("A's regional STS during the outage: %v %v", resp, err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fmt.Fprintf(v.e.Out, "    %s is out: the vault bucket, its key and the region's STS refuse\n", vaultRegion)

	r, err := v.cluster(ctx, "dr-usw2", vaultAccountDR, "us-west-2")
	if err != nil {
		return err
	}
	if err := r.CreateBucket(rigDRBucket, r.Region); err != nil {
		return err
	}
	d, err := NewDeployment(v.e, r, "dr-usw2", drStackFile)
	if err != nil {
		return err
	}
	d.deployRole = "arn:aws:iam::" + vaultAccountDR + ":role/pulumi-deploy"
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	if err := d.checkDeployed(out, "velero", "velero-server", rigDRBucket, "clusters/dr-usw2", true, true); err != nil {
		return err
	}
	drills, _ := d.kubectl("get", "restores.velero.io", "-n", "velero", "-o", `jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.scheduleName}{" "}{.spec.backupName}{" "}{.status.phase}{"\n"}{end}`)
	var line string
	for _, l := range strings.Split(strings.TrimSpace(drills), "\n") {
		if strings.Contains(l, " "+canarySchedule+" ") {
			line = l
		}
	}
	f := strings.Fields(line)
	if len(f) != 4 || f[2] != v.canary || f[3] != "Completed" {
		return fmt.Errorf("the DR drill: %q, want a Completed restore of %s by schedule %s (restores: %s)", line, v.canary, canarySchedule, drills)
	}
	if got := d.jsonpath("configmap", "velero-irsa-dr-canary", "velero-dr-drill", "{.data.cluster}"); got != "vault-a" {
		return fmt.Errorf("A's canary is not in velero-dr-drill on the DR cluster (data.cluster %q)", got)
	}
	records, _ := v.world.S3.Objects(rigReplica, "clusters/vault-a/restores/")
	sort.Strings(records)
	fmt.Fprintf(v.e.Out, "    DR drill %s restored %s (A's newest %s backup) from s3://%s in us-west-2: A's canary is in velero-dr-drill; %d restore records written beside it\n",
		f[0], v.canary, canarySchedule, rigReplica, len(records))
	return nil
}
