package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// kubectl runs the built kubectl against the rig's cluster as an admin.
func (d *Deployment) kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(d.Env.Bin, "kubectl"), append([]string{"--kubeconfig", d.Rig.Cluster.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// velero runs the velero CLI against the rig's cluster.
func (d *Deployment) velero(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(d.Env.Bin, "velero"), append(args, "--kubeconfig", d.Rig.Cluster.Kubeconfig)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("velero %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// show runs a command a user would run and prints it with its output.
func (d *Deployment) show(what string, run func() (string, error)) (string, error) {
	out, err := run()
	fmt.Fprintf(d.Env.Out, "    $ %s\n", what)
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		fmt.Fprintf(d.Env.Out, "      %s\n", line)
	}
	return out, err
}

// outputs reads "output k=v" lines of an up.
func outputs(upOutput string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^output (\w+)=(.*)$`).FindAllStringSubmatch(upOutput, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// jsonpath reads one field of an object.
func (d *Deployment) jsonpath(kind, name, ns, path string) string {
	out, err := d.kubectl("get", kind, name, "-n", ns, "-o", "jsonpath="+path)
	if err != nil {
		return ""
	}
	return out
}

// waitFor polls a check every 2 s until it passes or time is up; a
// failing check means "not yet", and the last failure is the reason given.
func waitFor(ctx context.Context, timeout time.Duration, what string, check func() error) error {
	var last error
	err := pollEvery(ctx, 2*time.Second, timeout, func() (bool, error) {
		last = check()
		return last == nil, nil
	})
	if err != nil && err != ctx.Err() {
		return fmt.Errorf("%s: not within %s: %v", what, timeout, last)
	}
	return err
}

// checkSeed makes the checks the seed makes by hand after an up: the
// location Available, the verification backup Completed, the
// ServiceAccount's role, the backup's objects under the prefix, and STS
// having seen only Velero's ServiceAccount, with this role.
func (d *Deployment) checkSeed(upOutput, namespace, serviceAccount, bucket, prefix string, verify bool) error {
	return d.checkDeployed(upOutput, namespace, serviceAccount, bucket, prefix, verify, true)
}

// checkDeployed is checkSeed for either identity mode: with EKS Pod
// Identity the ServiceAccount carries no role and the calls are the
// agent's.
func (d *Deployment) checkDeployed(upOutput, namespace, serviceAccount, bucket, prefix string, verify, irsa bool) error {
	outs := outputs(upOutput)
	role := outs["roleArn"]
	if role == "" {
		return fmt.Errorf("the up exported no roleArn: %v", outs)
	}
	bsl, _ := d.show("kubectl get backupstoragelocation -n "+namespace, func() (string, error) {
		return d.kubectl("get", "backupstoragelocation", "-n", namespace)
	})
	if !regexp.MustCompile(`(?m)^\S+\s+Available\s`).MatchString(bsl) {
		return fmt.Errorf("no location is Available")
	}
	if err := d.checkLocationStore(namespace, bucket, prefix); err != nil {
		return err
	}
	if verify {
		backups, _ := d.show("velero backup get -n "+namespace, func() (string, error) {
			return d.velero("backup", "get", "-n", namespace)
		})
		if !strings.Contains(backups, "Completed") {
			return fmt.Errorf("no backup is Completed")
		}
	}
	annotations := d.jsonpath("serviceaccount", serviceAccount, namespace, "{.metadata.annotations}")
	var ann map[string]string
	_ = json.Unmarshal([]byte(annotations), &ann)
	fmt.Fprintf(d.Env.Out, "    ServiceAccount %s/%s eks.amazonaws.com/role-arn: %q\n", namespace, serviceAccount, ann["eks.amazonaws.com/role-arn"])
	if want := map[bool]string{true: role, false: ""}[irsa]; ann["eks.amazonaws.com/role-arn"] != want {
		return fmt.Errorf("ServiceAccount %s/%s carries role %q, the up created %q", namespace, serviceAccount, ann["eks.amazonaws.com/role-arn"], role)
	}
	if verify {
		keys, err := d.Rig.S3.Objects(bucket, strings.Trim(prefix+"/backups/", "/")+"/")
		if err != nil {
			return err
		}
		fmt.Fprintf(d.Env.Out, "    s3://%s/%s: %d objects\n", bucket, strings.Trim(prefix+"/backups/", "/")+"/", len(keys))
		for _, k := range keys {
			if strings.HasSuffix(k, "velero-backup.json") {
				fmt.Fprintf(d.Env.Out, "      %s\n", k)
			}
		}
		if len(keys) == 0 {
			return fmt.Errorf("the bucket holds no backup objects under %s/backups/", prefix)
		}
	}
	if err := d.checkNoStaticCredentials(namespace); err != nil {
		return err
	}
	want := "system:serviceaccount:" + namespace + ":" + serviceAccount
	calls := d.Rig.Cloud.Calls()
	if len(calls) == 0 {
		return fmt.Errorf("STS saw no web identity call")
	}
	allowed := 0
	for _, c := range calls {
		if d.Rig.SharesWorld() && !strings.Contains(c.RoleARN, ":"+d.Rig.Account+":") {
			continue // another cluster's, in its own account
		}
		if c.Subject != want {
			return fmt.Errorf("STS saw a %s call for %q; want only %s", c.Action, c.Subject, want)
		}
		if c.Allowed && c.RoleARN == role {
			allowed++
		} else if !d.refusalsExpected {
			return fmt.Errorf("STS saw a %s call for role %s (allowed %v: %s); want only allowed calls for %s", c.Action, c.RoleARN, c.Allowed, c.Reason, role)
		}
	}
	if allowed == 0 {
		return fmt.Errorf("STS allowed no call for %s", role)
	}
	fmt.Fprintf(d.Env.Out, "    STS: %d calls, all for %s\n", len(calls), want)
	return nil
}

// staticKeyEnv are the variables through which the AWS SDK in Velero and
// its plugin would take keys, or a file of them, before the role: the
// chart sets AWS_SHARED_CREDENTIALS_FILE when credentials.useSecret is on.
var staticKeyEnv = map[string]bool{
	"AWS_ACCESS_KEY_ID":           true,
	"AWS_SECRET_ACCESS_KEY":       true,
	"AWS_SESSION_TOKEN":           true,
	"AWS_SHARED_CREDENTIALS_FILE": true,
}

// workloads is what checkNoStaticCredentials reads of `kubectl get -o json`.
type workloads struct {
	Items []struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Spec struct {
					Containers     []container `json:"containers"`
					InitContainers []container `json:"initContainers"`
					Volumes        []struct {
						Name   string `json:"name"`
						Secret *struct {
							SecretName string `json:"secretName"`
						} `json:"secret"`
					} `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	} `json:"items"`
}

type container struct {
	Name string `json:"name"`
	Env  []struct {
		Name      string `json:"name"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `json:"name"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	EnvFrom []struct {
		SecretRef *struct {
			Name string `json:"name"`
		} `json:"secretRef"`
	} `json:"envFrom"`
}

// checkNoStaticCredentials fails when Velero's server or node agent could
// reach AWS with anything but the role: a Secret mounted or read into the
// environment, or a variable of staticKeyEnv. Velero's pods need no Secret
// of their own; the role's token is a projected ServiceAccount token.
func (d *Deployment) checkNoStaticCredentials(namespace string) error {
	raw, err := d.kubectl("get", "deployments,daemonsets", "-n", namespace, "-l", "app.kubernetes.io/name=velero", "-o", "json")
	if err != nil {
		return err
	}
	n, err := staticCredentials([]byte(raw), namespace)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Env.Out, "    Velero's workloads (%d): no Secret mounted or read, no static key variable\n", n)
	return nil
}

// staticCredentials reads a list of Velero's workloads and returns how many
// it read, or an error naming every way one of them could take static
// credentials.
func staticCredentials(raw []byte, namespace string) (int, error) {
	var list workloads
	if err := json.Unmarshal(raw, &list); err != nil {
		return 0, fmt.Errorf("reading Velero's workloads: %v", err)
	}
	if len(list.Items) == 0 {
		return 0, fmt.Errorf("no Deployment or DaemonSet labelled app.kubernetes.io/name=velero in namespace %s", namespace)
	}
	var found []string
	for _, w := range list.Items {
		at := w.Kind + " " + namespace + "/" + w.Metadata.Name
		spec := w.Spec.Template.Spec
		for _, v := range spec.Volumes {
			if v.Secret != nil {
				found = append(found, fmt.Sprintf("%s: volume %s from Secret %s", at, v.Name, v.Secret.SecretName))
			}
		}
		for _, c := range append(spec.Containers, spec.InitContainers...) {
			for _, e := range c.Env {
				switch {
				case staticKeyEnv[e.Name]:
					found = append(found, fmt.Sprintf("%s: container %s sets %s", at, c.Name, e.Name))
				case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
					found = append(found, fmt.Sprintf("%s: container %s reads %s from Secret %s", at, c.Name, e.Name, e.ValueFrom.SecretKeyRef.Name))
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					found = append(found, fmt.Sprintf("%s: container %s reads its environment from Secret %s", at, c.Name, e.SecretRef.Name))
				}
			}
		}
	}
	if len(found) > 0 {
		return 0, fmt.Errorf("Velero could reach AWS without the role: %s", strings.Join(found, "; "))
	}
	return len(list.Items), nil
}

// checkLocationStore fails unless a location of the namespace stores in the
// bucket under the prefix the stack names: an Available location proves
// the role may list the bucket, which the policy grants without a prefix,
// not that backups go where the policy lets them be written.
func (d *Deployment) checkLocationStore(namespace, bucket, prefix string) error {
	if bucket == "" {
		return nil
	}
	raw, err := d.kubectl("get", "backupstoragelocations", "-n", namespace, "-o",
		`jsonpath={range .items[*]}{.metadata.name}{"\t"}{.spec.objectStorage.bucket}{"\t"}{.spec.objectStorage.prefix}{"\n"}{end}`)
	if err != nil {
		return err
	}
	return locationStores(raw, namespace, bucket, prefix)
}

// locationStores reads "name<TAB>bucket<TAB>prefix" lines.
func locationStores(raw, namespace, bucket, prefix string) error {
	var seen []string
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		if f[1] == bucket && f[2] == prefix {
			return nil
		}
		seen = append(seen, fmt.Sprintf("%s in s3://%s/%s", f[0], f[1], f[2]))
	}
	return fmt.Errorf("no location in namespace %s stores in s3://%s/%s, where the stack's policy lets Velero write; found: %s", namespace, bucket, prefix, strings.Join(seen, ", "))
}
