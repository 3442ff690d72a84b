// Command aws is the rig's stand-in for the AWS CLI calls the rig makes:
// `aws eks get-token`, the one the program's kubeconfig makes, which checks
// the arguments against the rig's cluster and prints the ExecCredential
// the API server accepts; and `aws iam create-role` and `aws iam
// put-role-policy`, the manual path the benchmark times, which go to the
// rig's IAM through its control API. Any other call, or argument, is
// refused.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "aws (rig):", err)
		os.Exit(252)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("only `aws eks get-token`, `aws iam create-role` and `aws iam put-role-policy` are modelled, not `aws %v`", args)
	}
	switch args[0] + " " + args[1] {
	case "eks get-token":
		return getToken(args[2:])
	case "iam create-role":
		return createRole(args[2:])
	case "iam put-role-policy":
		return putRolePolicy(args[2:])
	}
	return fmt.Errorf("only `aws eks get-token`, `aws iam create-role` and `aws iam put-role-policy` are modelled, not `aws %v`", args)
}

// parseFlags reads --name value pairs, refusing a flag not in known.
func parseFlags(args []string, known ...string) (map[string]string, error) {
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		name, value, inline := strings.Cut(args[i], "=")
		if !strings.HasPrefix(name, "--") || !contains(known, name) {
			return nil, fmt.Errorf("argument %q is not modelled", args[i])
		}
		if !inline {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s needs a value", name)
			}
			value = args[i+1]
			i++
		}
		flags[name] = value
	}
	return flags, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// document reads a policy document argument: file://PATH or the JSON.
func document(arg string) (string, error) {
	if path, ok := strings.CutPrefix(arg, "file://"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("Error parsing parameter: Unable to load paramfile %s: %v", arg, err)
		}
		return string(b), nil
	}
	return arg, nil
}

// control calls one operation of the rig's control API.
func control(op string, in, out interface{}) error {
	url := os.Getenv("VELERO_IRSA_RIG_AWS_CONTROL")
	if url == "" {
		return fmt.Errorf("VELERO_IRSA_RIG_AWS_CONTROL is not set: this command only runs inside the rig")
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := http.Post(strings.TrimSuffix(url, "/")+"/"+op, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("An error occurred (%s) when calling the %s operation: %s", e.Code, op, e.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// createRole is `aws iam create-role`: the role in the account of the
// rig's default credentials; it prints {"Role": ...} as the CLI does.
func createRole(args []string) error {
	flags, err := parseFlags(args, "--role-name", "--path", "--assume-role-policy-document", "--description", "--max-session-duration")
	if err != nil {
		return err
	}
	if flags["--role-name"] == "" || flags["--assume-role-policy-document"] == "" {
		return fmt.Errorf("the following arguments are required: --role-name, --assume-role-policy-document")
	}
	trust, err := document(flags["--assume-role-policy-document"])
	if err != nil {
		return err
	}
	var who struct{ Account, Partition string }
	if err := control("CallerIdentity", map[string]string{}, &who); err != nil {
		return err
	}
	in := map[string]interface{}{"Partition": who.Partition, "Account": who.Account, "Name": flags["--role-name"],
		"Path": flags["--path"], "TrustPolicy": trust, "Description": flags["--description"]}
	if d := flags["--max-session-duration"]; d != "" {
		var seconds int
		if _, err := fmt.Sscanf(d, "%d", &seconds); err != nil {
			return fmt.Errorf("--max-session-duration %q: give seconds", d)
		}
		in["MaxSessionDuration"] = seconds
	}
	var role struct {
		Name, Path, ARN, RoleID string
		Created                 time.Time
	}
	if err := control("CreateRole", in, &role); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"Role": map[string]interface{}{
		"Path": role.Path, "RoleName": role.Name, "RoleId": role.RoleID, "Arn": role.ARN,
		"CreateDate": role.Created.UTC().Format(time.RFC3339), "AssumeRolePolicyDocument": json.RawMessage(trust),
	}})
}

// putRolePolicy is `aws iam put-role-policy`; it prints nothing.
func putRolePolicy(args []string) error {
	flags, err := parseFlags(args, "--role-name", "--policy-name", "--policy-document")
	if err != nil {
		return err
	}
	if flags["--role-name"] == "" || flags["--policy-name"] == "" || flags["--policy-document"] == "" {
		return fmt.Errorf("the following arguments are required: --role-name, --policy-name, --policy-document")
	}
	doc, err := document(flags["--policy-document"])
	if err != nil {
		return err
	}
	return control("PutRolePolicy", map[string]string{"Role": flags["--role-name"], "Name": flags["--policy-name"], "Policy": doc}, nil)
}

// getToken is `aws eks get-token`.
func getToken(args []string) error {
	flags, err := parseFlags(args, "--cluster-name", "--region", "--output", "--role-arn")
	if err != nil {
		return err
	}
	want := map[string]string{"--cluster-name": os.Getenv("VELERO_IRSA_RIG_CLUSTER"), "--region": os.Getenv("VELERO_IRSA_RIG_REGION")}
	for k, v := range want {
		if v == "" {
			return fmt.Errorf("VELERO_IRSA_RIG_CLUSTER and VELERO_IRSA_RIG_REGION are not set: this command only runs inside the rig")
		}
		if flags[k] != v {
			return fmt.Errorf("An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: %s (%s %q; the rig's cluster is %s in %s)", flags["--cluster-name"], k, flags[k], want["--cluster-name"], want["--region"])
		}
	}
	if o := flags["--output"]; o != "" && o != "json" {
		return fmt.Errorf("--output %s is not modelled", o)
	}
	if role := flags["--role-arn"]; role != "" && role != os.Getenv("VELERO_IRSA_RIG_DEPLOY_ROLE") {
		return fmt.Errorf("--role-arn %s is not the deploy role the rig knows", role)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "spec": map[string]interface{}{},
		"status": map[string]interface{}{
			"expirationTimestamp": time.Now().Add(14 * time.Minute).UTC().Format(time.RFC3339),
			"token":               os.Getenv("VELERO_IRSA_RIG_EKS_TOKEN"),
		},
	})
}
