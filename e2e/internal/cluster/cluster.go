// Package cluster runs a real Kubernetes control plane on 127.0.0.1 for the
// rig: etcd, kube-apiserver (its ServiceAccount issuer an EKS-shaped URL, so
// the TokenRequest API mints the tokens EKS's webhook projects),
// kube-controller-manager, kube-scheduler, and kwok for nodes and pods.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/pki"
	"github.com/velero-irsa/velero-irsa/e2e/internal/proc"
)

// Options choose the binaries and the cluster's identity.
type Options struct {
	Bin    string // directory of etcd, kube-apiserver, ... kwok and kwok-stages.yaml
	Dir    string // work directory: data, certificates, logs
	Issuer string // ServiceAccount issuer, https://oidc.eks.<region>.amazonaws.com/id/<ID>
	// AdminToken is a bearer token the API server maps to a cluster admin:
	// the token the rig's `aws eks get-token` hands out.
	AdminToken string
}

// Cluster is a running control plane.
type Cluster struct {
	Options
	Endpoint   string // https://127.0.0.1:<port>
	CAPEM      []byte
	Kubeconfig string // admin kubeconfig (client certificate)
	procs      []*proc.Process
	admin      *http.Client
}

// Start brings the control plane up and waits until the API server is
// healthy and a node is Ready.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	c := &Cluster{Options: o}
	defer func() {
		if err != nil {
			c.Stop() // what started before the failure
		}
	}()
	pkiDir := filepath.Join(o.Dir, "pki")
	logs := filepath.Join(o.Dir, "logs")
	for _, d := range []string{pkiDir, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	ca, err := pki.NewCA("rig-kubernetes-ca")
	if err != nil {
		return nil, err
	}
	c.CAPEM = ca.CertPEM
	caFile := filepath.Join(pkiDir, "ca.crt")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	files := map[string][2]string{}
	for name, spec := range map[string]struct {
		orgs   []string
		server bool
	}{
		"apiserver": {nil, true}, "admin": {[]string{"system:masters"}, false},
	} {
		pair, err := ca.Issue(name, spec.orgs, spec.server)
		if err != nil {
			return nil, err
		}
		cert, key, err := pair.Write(pkiDir, name)
		if err != nil {
			return nil, err
		}
		files[name] = [2]string{cert, key}
	}
	proxyCA, err := pki.NewCA("rig-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	proxyCAFile := filepath.Join(pkiDir, "front-proxy-ca.crt")
	if err := os.WriteFile(proxyCAFile, proxyCA.CertPEM, 0o644); err != nil {
		return nil, err
	}
	proxyPair, err := proxyCA.Issue("front-proxy-client", nil, false)
	if err != nil {
		return nil, err
	}
	proxyCert, proxyKey, err := proxyPair.Write(pkiDir, "front-proxy-client")
	if err != nil {
		return nil, err
	}
	saKey, saPub, err := pki.ServiceAccountKey(pkiDir)
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(pkiDir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(o.AdminToken+",rig-admin,rig-admin,system:masters\n"), 0o600); err != nil {
		return nil, err
	}

	etcdPort, _ := proc.FreePort()
	peerPort, _ := proc.FreePort()
	etcd, err := proc.Start("etcd", logs, filepath.Join(o.Bin, "etcd"), []string{
		"--name", "rig", "--data-dir", filepath.Join(o.Dir, "etcd"),
		"--listen-client-urls", "http://" + proc.Addr(etcdPort), "--advertise-client-urls", "http://" + proc.Addr(etcdPort),
		"--listen-peer-urls", "http://" + proc.Addr(peerPort), "--initial-advertise-peer-urls", "http://" + proc.Addr(peerPort),
		"--initial-cluster", "rig=http://" + proc.Addr(peerPort), "--unsafe-no-fsync",
		"--listen-metrics-urls", "http://" + proc.Addr(mustPort()),
	}, nil)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, etcd)
	if err := proc.WaitFor(ctx, etcd, 30*time.Second, "etcd healthy", func() error {
		return get(http.DefaultClient, "http://"+proc.Addr(etcdPort)+"/health")
	}); err != nil {
		return nil, err
	}

	apiPort, _ := proc.FreePort()
	c.Endpoint = "https://" + proc.Addr(apiPort)
	api, err := proc.Start("kube-apiserver", logs, filepath.Join(o.Bin, "kube-apiserver"), []string{
		"--etcd-servers", "http://" + proc.Addr(etcdPort),
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(apiPort),
		// A non-loopback address, or the kubernetes Endpoints update fails
		// forever (TEST-NET-1, never routed).
		"--advertise-address", "192.0.2.10",
		"--tls-cert-file", files["apiserver"][0], "--tls-private-key-file", files["apiserver"][1],
		"--client-ca-file", caFile, "--token-auth-file", tokens,
		"--service-account-issuer", o.Issuer,
		"--service-account-key-file", saPub, "--service-account-signing-key-file", saKey,
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--authorization-mode", "RBAC",
		"--requestheader-client-ca-file", proxyCAFile, "--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User", "--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", proxyCert, "--proxy-client-key-file", proxyKey,
		"--enable-priority-and-fairness=false",
	}, nil)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, api)
	c.admin, err = adminClient(ca.CertPEM, files["admin"])
	if err != nil {
		return nil, err
	}
	if err := proc.WaitFor(ctx, api, 90*time.Second, "kube-apiserver ready", func() error {
		return get(c.admin, c.Endpoint+"/readyz")
	}); err != nil {
		return nil, err
	}
	c.Kubeconfig = filepath.Join(o.Dir, "admin.kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, c.kubeconfig(files["admin"]), 0o600); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", []string{
			"--kubeconfig", c.Kubeconfig, "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(mustPort()),
			"--service-account-private-key-file", saKey, "--root-ca-file", caFile, "--use-service-account-credentials=false",
			"--controllers", "*,-nodeipam,-route,-service,-cloud-node-lifecycle",
			"--authentication-kubeconfig", c.Kubeconfig, "--authorization-kubeconfig", c.Kubeconfig,
		}},
		{"kube-scheduler", []string{
			"--kubeconfig", c.Kubeconfig, "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(mustPort()),
			"--authentication-kubeconfig", c.Kubeconfig, "--authorization-kubeconfig", c.Kubeconfig,
		}},
		{"kwok", []string{
			"--kubeconfig", c.Kubeconfig, "--config", filepath.Join(o.Bin, "kwok-stages.yaml"),
			"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
			"--cidr", "10.244.0.0/24", "--node-ip", "10.0.0.1", "--server-address", proc.Addr(mustPort()),
		}},
	} {
		pr, err := proc.Start(p.name, logs, filepath.Join(o.Bin, p.name), p.args, nil)
		if err != nil {
			return nil, err
		}
		c.procs = append(c.procs, pr)
	}
	return c, nil
}

func mustPort() int {
	p, err := proc.FreePort()
	if err != nil {
		panic(err)
	}
	return p
}

// Stop stops every process, the API server and etcd last.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop(20 * time.Second)
	}
	c.procs = nil
}

// Admin is an HTTP client that authenticates as a cluster admin.
func (c *Cluster) Admin() *http.Client { return c.admin }

// JWKS fetches the issuer's key set from the API server, as STS fetches it
// from the issuer's jwks_uri on EKS.
func (c *Cluster) JWKS() ([]byte, error) {
	resp, err := c.admin.Get(c.Endpoint + "/openid/v1/jwks")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /openid/v1/jwks: %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func adminClient(caPEM []byte, admin [2]string) (*http.Client, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(admin[0], admin[1])
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}, nil
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func (c *Cluster) kubeconfig(admin [2]string) []byte {
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return base64.StdEncoding.EncodeToString(b)
	}
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: rig
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: rig
  context: {cluster: rig, user: admin}
current-context: rig
`, c.Endpoint, base64.StdEncoding.EncodeToString(c.CAPEM), read(admin[0]), read(admin[1])))
}

// AddNode registers a kwok-managed node and waits until it is Ready.
func (c *Cluster) AddNode(ctx context.Context, name string) error {
	node := fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},"labels":{"kubernetes.io/hostname":%q,"kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},"status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},"capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}`, name, name)
	resp, err := c.admin.Post(c.Endpoint+"/api/v1/nodes", "application/json", strings.NewReader(node))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("creating node %s: %s %s", name, resp.Status, body)
	}
	return proc.WaitFor(ctx, c.procs[len(c.procs)-1], 60*time.Second, "node "+name+" Ready", func() error {
		resp, err := c.admin.Get(c.Endpoint + "/api/v1/nodes/" + name)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), `"type":"Ready","status":"True"`) {
			return fmt.Errorf("not Ready yet")
		}
		return nil
	})
}
