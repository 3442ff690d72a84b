package scenario

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// cliStack adopts what installVeleroTheCLIWay makes: its bucket, prefix and
// region, its location names (default), its node agent, no schedules of
// the chart's (the CLI's Schedule is a plain object the hand-over keeps).
var cliStack = `# A velero install, adopted, in the rig.
config:
  velero-irsa:clusterName: ` + adoptCluster + `
  velero-irsa:region: ` + adoptRegion + `
  velero-irsa:bucketName: ` + adoptBucket + `
  velero-irsa:backupPrefix: clusters/` + adoptCluster + `
  velero-irsa:backupLocationName: default
  velero-irsa:snapshotLocationName: default
  velero-irsa:deployNodeAgent: true
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 120
`

// adoptCLI is the adopt-cli scenario: Velero installed with `velero
// install --secret-file` (the real CLI the rig built), a Schedule made with
// `velero schedule create` and two backups; `pulumi up` is refused without
// adoptVeleroInstall and replaces the installation with the stack's
// release with it, keeping every location name, backup and schedule.
func adoptCLI(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "adopt-cli", adoptAccount, adoptRegion, adoptCluster)
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, adoptCluster, cliStack)
	if err != nil {
		return err
	}
	key, err := d.installVeleroTheCLIWay(ctx)
	if err != nil {
		return fmt.Errorf("the first install: %w", err)
	}
	schedules, err := d.scheduleSpecs()
	if err != nil {
		return err
	}

	before := time.Now()
	refused, err := d.refusedUp(ctx, []string{
		"Velero already runs on cluster " + adoptCluster + ", outside this stack; nothing was created or changed.",
		"Velero installed by `velero install` in namespace velero (Deployment velero, label component=velero, no Helm release)",
		"static AWS keys: AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud from Secret cloud-credentials mounted at /credentials",
		"set velero-irsa:adoptVeleroInstall: true in the stack, and velero-irsa:readBackBackup: ",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Env.Out, "    refused as it should: no role, Deployment unchanged\n")
	readBack, err := d.proposedReadBack(refused, true, before)
	if err != nil {
		return err
	}

	for k, v := range map[string]string{"adoptVeleroInstall": "true", "readBackBackup": readBack} {
		if err := d.SetConfig(k, v); err != nil {
			return err
		}
	}
	out, gap, took, switched, err := d.watchedUp(ctx)
	if err != nil {
		return err
	}
	for _, want := range []string{"adopting the `velero install` Velero in namespace velero", "the `velero install` server stopped after", "Secret velero/cloud-credentials", "ClusterRoleBinding velero"} {
		if !strings.Contains(out, want) {
			return fmt.Errorf("the adopting up does not say %q", want)
		}
	}
	rev, status, err := d.releaseRevision()
	if err != nil || rev != 1 || status != "deployed" {
		return fmt.Errorf("after the adoption release velero is at revision %d (%s): %v", rev, status, err)
	}
	fmt.Fprintf(d.Env.Out, "    release velero: revision 1, deployed; the adopting up took %s\n", took.Round(time.Second))
	if err := d.checkDeployed(out, "velero", "velero-server", adoptBucket, "clusters/"+adoptCluster, true, true); err != nil {
		return err
	}
	// The node agent the CLI made is gone, and the chart's runs in its place.
	if rel := d.jsonpath("daemonset", "node-agent", "velero", `{.metadata.annotations.meta\.helm\.sh/release-name}`); rel != "velero" {
		return fmt.Errorf("DaemonSet node-agent after the adoption is not release velero's (release-name annotation %q)", rel)
	}
	for _, obj := range []string{"serviceaccount/velero", "secret/cloud-credentials"} {
		if got, _ := d.kubectl("get", obj, "-n", "velero", "--ignore-not-found", "-o", "name"); strings.TrimSpace(got) != "" {
			return fmt.Errorf("%s of velero install is still there", obj)
		}
	}
	if got, _ := d.kubectl("get", "clusterrolebinding", "velero", "--ignore-not-found", "-o", "name"); strings.TrimSpace(got) != "" {
		return fmt.Errorf("velero install's cluster-admin binding is still there")
	}
	if sel := d.jsonpath("deployment", "velero", "velero", "{.spec.selector.matchLabels}"); strings.Contains(sel, "deploy") {
		return fmt.Errorf("Deployment velero still selects %s", sel)
	}
	if err := d.schedulesKept(schedules); err != nil {
		return err
	}
	if err := d.afterSwitch(ctx, key, "default", gap, switched, readBack, afterChecks{readBack: true, restore: true}); err != nil {
		return err
	}
	// Rerunning it changes nothing.
	if _, err := d.Run(ctx, "preview-no-changes", upTimeout); err != nil {
		return fmt.Errorf("a preview after the adoption: %v", err)
	}
	fmt.Fprintf(d.Env.Out, "    a preview after it shows no changes\n")
	return nil
}

// installVeleroTheCLIWay makes the first install with the velero CLI: the
// IAM user and its key in a credentials file, `velero install
// --secret-file --use-node-agent` with the images the rig built, a
// Schedule, the canary and two backups. It returns the key.
func (d *Deployment) installVeleroTheCLIWay(ctx context.Context) (awsfake.AccessKey, error) {
	r := d.Rig
	k, err := d.userWithKey(map[string]string{adoptBucket: adoptRegion})
	if err != nil {
		return k, err
	}
	file := filepath.Join(r.Dir, "credentials-velero")
	if err := os.WriteFile(file, []byte("[default]\naws_access_key_id="+k.ID+"\naws_secret_access_key="+k.Secret+"\n"), 0o600); err != nil {
		return k, err
	}
	args := []string{"install", "--provider", "aws", "--image", "velero/velero:" + d.Env.VeleroTag,
		"--plugins", "velero/velero-plugin-for-aws:" + d.Env.PluginTag,
		"--bucket", adoptBucket, "--prefix", "clusters/" + adoptCluster,
		"--backup-location-config", "region=" + adoptRegion, "--snapshot-location-config", "region=" + adoptRegion,
		"--use-node-agent", "--secret-file", file, "--wait"}
	if _, err := d.show("velero "+strings.Join(args[:len(args)-3], " ")+" --secret-file ./credentials-velero --wait", func() (string, error) {
		return d.velero(args...)
	}); err != nil {
		return k, err
	}
	if _, err := d.show(fmt.Sprintf("velero schedule create apps --schedule '@every %s' --include-namespaces apps --ttl 168h0m0s", scheduleEvery), func() (string, error) {
		return d.velero("schedule", "create", "apps", "--schedule", "@every "+scheduleEvery.String(), "--include-namespaces", "apps", "--ttl", "168h0m0s", "-n", "velero")
	}); err != nil {
		return k, err
	}
	return k, d.seedBackups(ctx, "default", k)
}
