package runtime

import (
	"context"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	ktesting "k8s.io/client-go/testing"
)

// newRuntime is a runtime over a fake API whose TokenRequests answer a
// token naming the audience, so the tests can see which one was asked.
func newRuntime(t *testing.T, sa *corev1.ServiceAccount, association bool) *Runtime {
	t.Helper()
	client := fake.NewSimpleClientset(sa)
	client.PrependReactor("create", "serviceaccounts", func(a ktesting.Action) (bool, k8sruntime.Object, error) {
		if a.GetSubresource() != "token" {
			return false, nil, nil
		}
		tr := a.(ktesting.CreateAction).GetObject().(*authv1.TokenRequest)
		tr.Status.Token = "token-for-" + strings.Join(tr.Spec.Audiences, ",")
		return true, tr, nil
	})
	return &Runtime{Client: client, Endpoint: "https://127.0.0.1:1", Dir: t.TempDir(), Identity: Identity{
		Region: "ap-northeast-2", STSEndpoint: "http://127.0.0.1:2", S3Endpoint: "https://127.0.0.1:3", CABundle: "/ca.crt",
		PodIdentityAgentURL: "http://127.0.0.1:4/v1/credentials",
		HasAssociation:      func(ns, name string) bool { return association && ns == "velero" && name == "velero-server" },
	}}
}

func newPod(annotations, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "velero-1", Namespace: "velero", UID: "u1", Annotations: annotations, Labels: labels},
		Spec:       corev1.PodSpec{ServiceAccountName: "velero-server", Containers: []corev1.Container{{Name: "velero", Command: []string{"/velero"}, Args: []string{"server"}}}},
	}
}

func sa(annotations map[string]string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "velero-server", Namespace: "velero", Annotations: annotations}}
}

// TestWebhookRules covers the EKS Pod Identity webhook's rules as the
// runtime applies them.
func TestWebhookRules(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/velero"
	cases := []struct {
		name        string
		sa          map[string]string
		pod         *corev1.Pod
		env         []corev1.EnvVar
		association bool
		want        map[string]string // variables and, for token files, the audience asked
	}{
		{name: "irsa", sa: map[string]string{annRoleARN: role}, pod: newPod(nil, nil), want: map[string]string{
			"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": "token-for-sts.amazonaws.com", "AWS_STS_REGIONAL_ENDPOINTS": "regional",
			"AWS_REGION": "ap-northeast-2", "AWS_DEFAULT_REGION": "ap-northeast-2"}},
		{name: "audience annotation", sa: map[string]string{annRoleARN: role, annAudience: "other"}, pod: newPod(nil, nil), want: map[string]string{
			"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": "token-for-other", "AWS_STS_REGIONAL_ENDPOINTS": "regional",
			"AWS_REGION": "ap-northeast-2", "AWS_DEFAULT_REGION": "ap-northeast-2"}},
		{name: "no role", sa: nil, pod: newPod(nil, nil), want: map[string]string{"AWS_REGION": "ap-northeast-2", "AWS_DEFAULT_REGION": "ap-northeast-2"}},
		{name: "skip-containers", sa: map[string]string{annRoleARN: role}, pod: newPod(map[string]string{annSkipContainers: "sidecar,velero"}, nil), want: map[string]string{}},
		{name: "skip label", sa: map[string]string{annRoleARN: role}, pod: newPod(nil, map[string]string{labelSkipWebhook: "true"}), want: map[string]string{}},
		{name: "container sets the role itself", sa: map[string]string{annRoleARN: role}, pod: newPod(nil, nil),
			env:  []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: "x"}, {Name: "AWS_REGION", Value: "us-east-1"}},
			want: map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "regional"}},
		{name: "pod identity", sa: nil, pod: newPod(nil, nil), association: true, want: map[string]string{
			"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:4/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "token-for-pods.eks.amazonaws.com",
			"AWS_REGION": "ap-northeast-2", "AWS_DEFAULT_REGION": "ap-northeast-2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRuntime(t, sa(c.sa), c.association)
			container := c.pod.Spec.Containers[0]
			container.Env = c.env
			got, err := r.webhook(context.Background(), c.pod, &container, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range got {
				if strings.HasSuffix(k, "_TOKEN_FILE") {
					b, err := readFile(v)
					if err != nil {
						t.Fatal(err)
					}
					got[k] = b
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("injected %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestCheckImage(t *testing.T) {
	r := &Runtime{}
	for image, ok := range map[string]bool{
		"velero/velero:v1.18.3":                              true,
		"registry.mirror.acme.example/velero/velero:v1.18.3": true,
		"velero/velero:v1.18.1":                              false,
		"velero/velero":                                      false,
		"evil/velero:v1.18.3":                                false,
		"velero/velero@sha256:0123":                          false,
		"velero/velero-plugin-for-aws:v1.18.3":               false,
	} {
		if err := r.checkImage(image, "v1.18.3", "velero/velero"); (err == nil) != ok {
			t.Errorf("checkImage(%s) = %v, want ok %v", image, err, ok)
		}
	}
}

// TestSecretVolume: a secret volume holds the Secret's keys as files (or
// the listed items at their paths), as the kubelet writes them, so a
// credentials file reaches the process; a missing Secret keeps the pod
// from starting.
func TestSecretVolume(t *testing.T) {
	r := newRuntime(t, sa(nil), false)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "velero", Namespace: "velero"}, Data: map[string][]byte{"cloud": []byte("[default]\n"), "other": []byte("x")}}
	if _, err := r.Client.CoreV1().Secrets("velero").Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := newPod(nil, nil)
	p.Spec.Volumes = []corev1.Volume{
		{Name: "cloud-credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "velero"}}},
		{Name: "picked", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "velero", Items: []corev1.KeyToPath{{Key: "cloud", Path: "aws/credentials"}}}}},
		{Name: "missing", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "gone"}}},
		{Name: "plugins", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	dir := t.TempDir()
	for _, v := range []string{"cloud-credentials", "picked", "plugins"} {
		if err := r.fillSecretVolume(context.Background(), p, v, dir+"/"+v); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
	}
	for path, want := range map[string]string{"cloud-credentials/cloud": "[default]\n", "cloud-credentials/other": "x", "picked/aws/credentials": "[default]\n"} {
		if got, err := readFile(dir + "/" + path); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := readFile(dir + "/picked/other"); err == nil {
		t.Error("a key not listed in items was written")
	}
	if err := r.fillSecretVolume(context.Background(), p, "missing", dir+"/missing"); err == nil || !strings.Contains(err.Error(), "secret volume missing") {
		t.Errorf("missing Secret: %v", err)
	}
}
