package runtime

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The EKS Pod Identity webhook's names (amazon-eks-pod-identity-webhook,
// pkg/handler): ServiceAccount annotations, the pod annotations that
// override them, where the token goes, and the pod identity agent's.
const (
	annRoleARN         = "eks.amazonaws.com/role-arn"
	annAudience        = "eks.amazonaws.com/audience"
	annTokenExpiration = "eks.amazonaws.com/token-expiration"
	annSkipContainers  = "eks.amazonaws.com/skip-containers"
	labelSkipWebhook   = "eks.amazonaws.com/skip-pod-identity-webhook"
	irsaTokenPath      = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
	podIdentityToken   = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
	defaultExpiration  = 86400
	minExpiration      = 3600
)

// environment is the container's env as the kubelet would give it, with
// what the webhook injected at the pod's creation, paths under volume
// mounts moved to the pod's directory, and the rig's network (endpoints,
// CA bundle, a kubeconfig with the pod's ServiceAccount token in place of
// the in-cluster one). identity is the injected identity variables.
func (r *Runtime) environment(ctx context.Context, p *corev1.Pod, c *corev1.Container, dir string, mounts map[string]string) (env []string, identity map[string]string, err error) {
	vars := map[string]string{}
	for _, e := range c.Env {
		v, err := r.envValue(ctx, p, e)
		if err != nil {
			return nil, nil, fmt.Errorf("container %s env %s: %v", c.Name, e.Name, err)
		}
		vars[e.Name] = v
	}
	if len(c.EnvFrom) > 0 {
		return nil, nil, fmt.Errorf("container %s takes envFrom, which the rig does not model", c.Name)
	}
	identity, err = r.webhook(ctx, p, c, dir, mounts)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range identity {
		vars[k] = v
	}
	for k, v := range vars {
		vars[k] = hostPath(v, mounts)
	}
	kubeconfig, err := r.podKubeconfig(ctx, p, dir)
	if err != nil {
		return nil, nil, err
	}
	vars["KUBECONFIG"] = kubeconfig
	vars["AWS_ENDPOINT_URL_STS"] = r.Identity.STSEndpoint
	vars["AWS_ENDPOINT_URL_S3"] = r.Identity.S3Endpoint
	vars["AWS_CA_BUNDLE"] = r.Identity.CABundle
	vars["HOME"] = filepath.Join(dir, "home")
	_ = os.MkdirAll(vars["HOME"], 0o755)
	return sortedEnv(vars), identity, nil
}

// envValue resolves one env entry: a value or a field of the pod.
func (r *Runtime) envValue(ctx context.Context, p *corev1.Pod, e corev1.EnvVar) (string, error) {
	if e.ValueFrom == nil {
		return e.Value, nil
	}
	switch {
	case e.ValueFrom.FieldRef != nil:
		switch e.ValueFrom.FieldRef.FieldPath {
		case "metadata.namespace":
			return p.Namespace, nil
		case "metadata.name":
			return p.Name, nil
		case "metadata.uid":
			return string(p.UID), nil
		case "spec.nodeName":
			return p.Spec.NodeName, nil
		case "spec.serviceAccountName":
			return p.Spec.ServiceAccountName, nil
		}
		return "", fmt.Errorf("field %s is not modelled", e.ValueFrom.FieldRef.FieldPath)
	case e.ValueFrom.SecretKeyRef != nil:
		ref := e.ValueFrom.SecretKeyRef
		s, err := r.Client.CoreV1().Secrets(p.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return string(s.Data[ref.Key]), nil
	case e.ValueFrom.ConfigMapKeyRef != nil:
		ref := e.ValueFrom.ConfigMapKeyRef
		cm, err := r.Client.CoreV1().ConfigMaps(p.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return cm.Data[ref.Key], nil
	}
	return "", fmt.Errorf("valueFrom is not modelled")
}

// hostPath moves a container path under a volume mount into the pod's
// directory; other values stay as they are.
func hostPath(v string, mounts map[string]string) string {
	for mount, host := range mounts {
		if v == mount || strings.HasPrefix(v, mount+"/") {
			return host + strings.TrimPrefix(v, mount)
		}
	}
	return v
}

// webhook is what EKS's pod identity webhook would have injected into this
// container when the pod was created, following its rules: IRSA when the
// ServiceAccount names a role (audience and token expiration from its
// annotations, the pod's expiration annotation first, at least 3600 s),
// not into containers listed in the pod's skip-containers annotation, and
// not where the container already sets the variables; EKS Pod Identity
// when an association exists for the ServiceAccount; nothing for a pod
// labelled to skip the webhook.
func (r *Runtime) webhook(ctx context.Context, p *corev1.Pod, c *corev1.Container, dir string, mounts map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if p.Labels[labelSkipWebhook] == "true" {
		return out, nil
	}
	if skip, ok := p.Annotations[annSkipContainers]; ok {
		names, err := csv.NewReader(strings.NewReader(skip)).Read()
		if err == nil {
			for _, n := range names {
				if n == c.Name {
					return out, nil
				}
			}
		}
	}
	sa, err := r.Client.CoreV1().ServiceAccounts(p.Namespace).Get(ctx, p.Spec.ServiceAccountName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading ServiceAccount %s: %v", p.Spec.ServiceAccountName, err)
	}
	defined := map[string]bool{}
	for _, e := range c.Env {
		defined[e.Name] = true
	}
	if defined["AWS_REGION"] || defined["AWS_DEFAULT_REGION"] {
		// the webhook sets neither when either is set
	} else {
		out["AWS_REGION"], out["AWS_DEFAULT_REGION"] = r.Identity.Region, r.Identity.Region
	}
	if role := sa.Annotations[annRoleARN]; role != "" {
		if !defined["AWS_STS_REGIONAL_ENDPOINTS"] {
			out["AWS_STS_REGIONAL_ENDPOINTS"] = "regional"
		}
		if !defined["AWS_ROLE_ARN"] && !defined["AWS_WEB_IDENTITY_TOKEN_FILE"] {
			audience := sa.Annotations[annAudience]
			if audience == "" {
				audience = "sts.amazonaws.com"
			}
			expiration := int64(defaultExpiration)
			for _, v := range []string{sa.Annotations[annTokenExpiration], p.Annotations[annTokenExpiration]} {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					expiration = n
				}
			}
			if expiration < minExpiration {
				expiration = minExpiration
			}
			path := filepath.Join(dir, "identity", "irsa-token")
			if err := r.writeToken(ctx, p, audience, expiration, path); err != nil {
				return nil, err
			}
			out["AWS_ROLE_ARN"] = role
			out["AWS_WEB_IDENTITY_TOKEN_FILE"] = path
		}
	}
	if r.Identity.HasAssociation != nil && r.Identity.HasAssociation(p.Namespace, p.Spec.ServiceAccountName) {
		path := filepath.Join(dir, "identity", "eks-pod-identity-token")
		if err := r.writeToken(ctx, p, "pods.eks.amazonaws.com", defaultExpiration, path); err != nil {
			return nil, err
		}
		out["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = r.Identity.PodIdentityAgentURL
		out["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = path
	}
	return out, nil
}

// writeToken asks the TokenRequest API for the pod's ServiceAccount token,
// bound to the pod, as the kubelet does for a projected volume.
func (r *Runtime) writeToken(ctx context.Context, p *corev1.Pod, audience string, expiration int64, path string) error {
	tr, err := r.Client.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, p.Spec.ServiceAccountName, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{
			Audiences: []string{audience}, ExpirationSeconds: &expiration,
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("requesting a %s token for %s/%s: %v", audience, p.Namespace, p.Spec.ServiceAccountName, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(tr.Status.Token), 0o600)
}

// podKubeconfig is the in-cluster configuration, as a kubeconfig: the API
// server and the pod's ServiceAccount token (audience the API server's), so
// Velero acts with the RBAC its chart grants, no more.
func (r *Runtime) podKubeconfig(ctx context.Context, p *corev1.Pod, dir string) (string, error) {
	expiration := int64(86400)
	tr, err := r.Client.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, p.Spec.ServiceAccountName, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &expiration,
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID}},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting the in-cluster token of %s/%s: %v", p.Namespace, p.Spec.ServiceAccountName, err)
	}
	path := filepath.Join(dir, "kubeconfig")
	doc := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: in-cluster\n  cluster:\n    server: %s\n    certificate-authority-data: %s\nusers:\n- name: pod\n  user:\n    token: %s\ncontexts:\n- name: in-cluster\n  context: {cluster: in-cluster, user: pod, namespace: %s}\ncurrent-context: in-cluster\n",
		r.Endpoint, base64.StdEncoding.EncodeToString(r.CAPEM), tr.Status.Token, p.Namespace)
	return path, os.WriteFile(path, []byte(doc), 0o600)
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
