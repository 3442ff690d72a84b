package scenario

import (
	"context"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/rig"
)

// vaultFacts is what the rig reads of a vault stack file.
type vaultFacts struct {
	BucketName        string `yaml:"bucketName"`
	Region            string `yaml:"region"`
	ReplicaBucketName string `yaml:"replicaBucketName"`
	ReplicaRegion     string `yaml:"replicaRegion"`
	Account           string `yaml:"account"`
	Clusters          map[string]struct {
		Prefix string `yaml:"prefix"`
	} `yaml:"clusters"`
}

// vaultOf reads a stack file's vault setting, if it has one.
func vaultOf(file string) (vaultFacts, bool) {
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if yaml.Unmarshal([]byte(file), &doc) != nil {
		return vaultFacts{}, false
	}
	node, ok := doc.Config["velero-irsa:vault"]
	if !ok {
		return vaultFacts{}, false
	}
	var v vaultFacts
	if node.Decode(&v) != nil {
		return vaultFacts{}, false
	}
	return v, true
}

// anyVaultStack is scenario 8 for a vault stack: an up on a rig (whose
// cluster the stack does not use), then the vault's buckets as S3 holds
// them: locked, encrypted, public policies blocked, replicating.
func anyVaultStack(ctx context.Context, e *Env, name, file string, v vaultFacts) error {
	r, err := startRig(ctx, e, "stack-"+name, v.Account, v.Region, "vault-host")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if _, err := deployVaultStack(ctx, e, r, name, file, v); err != nil {
		return err
	}
	return nil
}

// deployVaultStack deploys a vault stack in r's world and checks its
// buckets; it returns the stack's name as cluster stacks reference it.
func deployVaultStack(ctx context.Context, e *Env, r *rig.Rig, name, file string, v vaultFacts) (string, error) {
	d, err := NewDeployment(e, r, name, file)
	if err != nil {
		return "", err
	}
	if _, err := d.Run(ctx, "up", upTimeout); err != nil {
		return "", err
	}
	for _, bucket := range []string{v.BucketName, v.ReplicaBucketName} {
		b, ok := r.Cloud.GetBucket(bucket)
		if !ok || !b.ObjectLock || b.DefaultRetention == nil || !b.BlockPublicPolicy || b.DefaultKMSKey == "" || b.Policy == "" {
			return "", fmt.Errorf("vault bucket %s as made: %+v", bucket, b)
		}
	}
	if b, _ := r.Cloud.GetBucket(v.BucketName); b.Replication == nil || b.Replication.Destination != v.ReplicaBucketName {
		return "", fmt.Errorf("vault bucket %s replicates to %+v", v.BucketName, b.Replication)
	}
	fmt.Fprintf(e.Out, "    vault %s: s3://%s replicated to s3://%s, both locked, SSE-KMS, public policies blocked\n", name, v.BucketName, v.ReplicaBucketName)
	return "organization/velero-irsa/" + name, nil
}

// vaultFor prepares what a cluster stack with vaultStack needs in the
// rig: the vault stack it names (its file in stacks/, deployed in the
// same world and Pulumi state) and, for a disasterRecoveryDrill, a backup
// with the canary of the cluster it restores, made by that cluster's own
// stack file on a rig of its own and replicated to the vault's replica.
func vaultFor(ctx context.Context, e *Env, r *rig.Rig, d *Deployment, f stackFacts) (v vaultFacts, err error) {
	files, err := StackFiles(e.Repo)
	if err != nil {
		return v, err
	}
	vaultName := f.vaultStack[strings.LastIndex(f.vaultStack, "/")+1:]
	path, ok := files[vaultName]
	if !ok {
		return v, fmt.Errorf("vaultStack %s: stacks/ has no Pulumi.%s.yaml to create it from", f.vaultStack, vaultName)
	}
	raw, err := readFile(path)
	if err != nil {
		return v, err
	}
	if v, ok = vaultOf(raw); !ok {
		return v, fmt.Errorf("vaultStack %s: %s is not a vault stack", f.vaultStack, path)
	}
	ref, err := deployVaultStack(ctx, e, r, vaultName, raw, v)
	if err != nil {
		return v, fmt.Errorf("creating the vault stack %s: %w", vaultName, err)
	}
	if err := d.SetConfig("vaultStack", ref); err != nil {
		return v, err
	}
	drill, ok := f.config["disasterRecoveryDrill"].(map[string]interface{})
	if !ok {
		return v, nil
	}
	location, _ := drill["location"].(string)
	schedule, _ := drill["schedule"].(string)
	namespace, _ := drill["canaryNamespace"].(string)
	for name, p := range files {
		raw, err := readFile(p)
		if err != nil {
			return v, err
		}
		pf, err := readStackFacts(raw)
		if err != nil || pf.cluster != location || pf.vaultStack == "" {
			continue
		}
		pr, err := startRigIn(ctx, e, r.World(), "stack-"+d.Stack+"-"+name, pf.account, pf.region, pf.cluster, pf.oidcID, 0)
		if err != nil {
			return v, err
		}
		defer e.done(ctx, pr)
		if err := pr.AssociateOIDCProvider(); err != nil {
			return v, err
		}
		pd, err := NewDeployment(e, pr, name, raw)
		if err != nil {
			return v, err
		}
		pd.deployRole = pf.deployRole
		if err := pd.SetConfig("vaultStack", ref); err != nil {
			return v, err
		}
		if _, err := pd.Run(ctx, "up", upTimeout); err != nil {
			return v, fmt.Errorf("deploying %s, whose backups the drill restores: %w", name, err)
		}
		backup, _, err := canaryScheduleBackup(ctx, pd, r.World(), v.BucketName, v.Clusters[location].Prefix, schedule, namespace)
		if err != nil {
			return v, err
		}
		fmt.Fprintf(e.Out, "    %s backed up its canary in %s with %s (%s), replicated to s3://%s\n", name, namespace, schedule, backup, v.ReplicaBucketName)
		return v, nil
	}
	return v, fmt.Errorf("disasterRecoveryDrill.location %s: no stack file in stacks/ has that cluster writing to a vault", location)
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
