package main

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newAWSProvider is the explicit AWS provider for the stack's region, and
// for the role or profile given for multi-account setups.
func newAWSProvider(ctx *pulumi.Context, c stackConfig) (*aws.Provider, error) {
	return awsProvider(ctx, "aws", c.Region, c.AwsProfile, c.AssumeRoleArn)
}

// awsProvider is an explicit AWS provider named name for one region, with
// the stack's profile or role.
func awsProvider(ctx *pulumi.Context, name, region, profile, assumeRoleArn string) (*aws.Provider, error) {
	args := &aws.ProviderArgs{Region: pulumi.String(region)}
	if profile != "" {
		args.Profile = pulumi.String(profile)
	}
	if assumeRoleArn != "" {
		args.AssumeRole = &aws.ProviderAssumeRoleArgs{
			RoleArn:     pulumi.String(assumeRoleArn),
			SessionName: pulumi.String("velero-irsa-" + ctx.Stack()),
		}
	}
	p, err := aws.NewProvider(ctx, name, args)
	if err != nil {
		return nil, fmt.Errorf("creating AWS provider for %s: %w", region, err)
	}
	return p, nil
}

// newKubernetesProvider is the explicit kubernetes provider for exactly this
// cluster. It never uses the ambient kubeconfig's current context: in a repo
// of per-cluster stacks that would install Velero into whatever cluster the
// shell happens to point at. A stack may name a kubeconfig context instead.
func newKubernetesProvider(ctx *pulumi.Context, c stackConfig, info clusterInfo) (*kubernetes.Provider, error) {
	args := &kubernetes.ProviderArgs{}
	if c.KubeconfigContext != "" {
		args.Context = pulumi.String(c.KubeconfigContext)
	} else {
		args.Kubeconfig = pulumi.All(info.Endpoint, info.CertificateAuthority).ApplyT(func(v []interface{}) (string, error) {
			return kubeconfig(c, v[0].(string), v[1].(string))
		}).(pulumi.StringOutput)
	}
	p, err := kubernetes.NewProvider(ctx, "cluster", args)
	if err != nil {
		return nil, fmt.Errorf("creating kubernetes provider: %w", err)
	}
	return p, nil
}

// kubeconfig renders a kubeconfig for one cluster that authenticates with
// `aws eks get-token`, the exec plugin eksctl and pulumi-eks also generate.
// It holds no credentials: the token is fetched on each use.
func kubeconfig(c stackConfig, endpoint, ca string) (string, error) {
	if endpoint == "" || ca == "" {
		return "", fmt.Errorf("cluster %q has no API endpoint or certificate authority to connect to: check config velero-irsa:clusterName, or the outputs named in velero-irsa:clusterStackOutputs", c.ClusterName)
	}
	args := []interface{}{}
	for _, a := range getTokenArgs(c) {
		args = append(args, a)
	}
	exec := map[string]interface{}{
		"apiVersion": "client.authentication.k8s.io/v1beta1",
		"command":    "aws",
		"args":       args,
	}
	if c.AwsProfile != "" {
		exec["env"] = []interface{}{map[string]interface{}{"name": "AWS_PROFILE", "value": c.AwsProfile}}
	}
	name := c.ClusterName
	doc := map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []interface{}{map[string]interface{}{
			"name":    name,
			"cluster": map[string]interface{}{"server": endpoint, "certificate-authority-data": ca},
		}},
		"users": []interface{}{map[string]interface{}{
			"name": name,
			"user": map[string]interface{}{"exec": exec},
		}},
		"contexts": []interface{}{map[string]interface{}{
			"name":    name,
			"context": map[string]interface{}{"cluster": name, "user": name},
		}},
		"current-context": name,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("rendering kubeconfig: %w", err)
	}
	return string(b), nil
}

// getTokenArgs are the arguments of `aws eks get-token` for the stack's
// cluster, as the role or profile Pulumi uses.
func getTokenArgs(c stackConfig) []string {
	args := []string{"eks", "get-token", "--output", "json", "--cluster-name", c.ClusterName, "--region", c.Region}
	if c.AssumeRoleArn != "" {
		args = append(args, "--role-arn", c.AssumeRoleArn)
	}
	return args
}
