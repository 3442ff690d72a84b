// Command aws is the rig's stand-in for the one AWS CLI call the program's
// kubeconfig makes: `aws eks get-token`. It checks the arguments against
// the rig's cluster and prints the ExecCredential the API server accepts;
// any other call is refused.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "aws (rig):", err)
		os.Exit(252)
	}
}

func run(args []string) error {
	if len(args) < 2 || args[0] != "eks" || args[1] != "get-token" {
		return fmt.Errorf("only `aws eks get-token` is modelled, not `aws %v`", args)
	}
	flags := map[string]string{}
	for i := 2; i < len(args); i++ {
		switch args[i] {
		case "--cluster-name", "--region", "--output", "--role-arn":
			if i+1 >= len(args) {
				return fmt.Errorf("%s needs a value", args[i])
			}
			flags[args[i]] = args[i+1]
			i++
		default:
			return fmt.Errorf("argument %q is not modelled", args[i])
		}
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
