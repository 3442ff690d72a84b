package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeAPI reads the cluster's API with the credentials the kubernetes
// provider uses, so a stack can see what runs there before it changes
// anything (components/existing).
type kubeAPI struct {
	server string
	client *http.Client
	token  func(ctx context.Context) (string, error) // "" for client certificates
}

// Get implements existing.API.
func (k *kubeAPI) Get(ctx context.Context, path string, out interface{}) (bool, error) {
	status, body, err := k.do(ctx, http.MethodGet, path, nil)
	switch {
	case err != nil:
		return false, err
	case status == http.StatusNotFound:
		return false, nil
	}
	return true, json.Unmarshal(body, out)
}

// Send implements existing.Writer: a POST or PUT of body as JSON.
func (k *kubeAPI) Send(ctx context.Context, method, path string, body interface{}) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, _, err = k.do(ctx, method, path, b)
	return err
}

// do sends one request with the cluster's credentials; any answer but a
// success or a 404 is an error naming the API server's message.
func (k *kubeAPI) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(k.server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.token != nil {
		token, err := k.token(ctx)
		if err != nil {
			return 0, nil, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
		var status struct{ Message string }
		_ = json.Unmarshal(out, &status)
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, status.Message)
	}
	return resp.StatusCode, out, nil
}

// eksKubeAPI reaches an EKS endpoint with a token from `aws eks get-token`,
// the same command the provider's kubeconfig runs (kubeconfig in
// providers.go), fetched once: a token is valid for 15 minutes.
func eksKubeAPI(c stackConfig, endpoint, caData string) (*kubeAPI, error) {
	pool, err := caPool([]byte(caData), true)
	if err != nil {
		return nil, fmt.Errorf("cluster %q certificate authority: %w", c.ClusterName, err)
	}
	var cached string
	token := func(ctx context.Context) (string, error) {
		if cached != "" {
			return cached, nil
		}
		var env []string
		if c.AwsProfile != "" {
			env = []string{"AWS_PROFILE=" + c.AwsProfile}
		}
		t, err := execToken(ctx, "aws", getTokenArgs(c), env)
		cached = t
		return t, err
	}
	return &kubeAPI{server: endpoint, client: httpClient(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), token: token}, nil
}

func httpClient(t *tls.Config) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: t, Proxy: http.ProxyFromEnvironment}}
}

// caPool parses PEM certificates, base64-encoded when encoded (as EKS and
// kubeconfig -data fields give them).
func caPool(data []byte, encoded bool) (*x509.CertPool, error) {
	if encoded {
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("not base64: %w", err)
		}
		data = decoded
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no PEM certificate in it")
	}
	return pool, nil
}

// execToken runs a client-go credential plugin and returns the token of its
// ExecCredential.
func execToken(ctx context.Context, command string, args, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("getting a cluster token with `%s %s`: %v: %s", command, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var cred struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal(out, &cred); err != nil || cred.Status.Token == "" {
		return "", fmt.Errorf("`%s %s` printed no ExecCredential with a token", command, strings.Join(args, " "))
	}
	return cred.Status.Token, nil
}

// kubeconfigFile is the part of a kubeconfig read here.
type kubeconfigFile struct {
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string         `yaml:"name"`
		User kubeconfigUser `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

type kubeconfigUser struct {
	Token                 string `yaml:"token"`
	TokenFile             string `yaml:"tokenFile"`
	ClientCertificate     string `yaml:"client-certificate"`
	ClientCertificateData string `yaml:"client-certificate-data"`
	ClientKey             string `yaml:"client-key"`
	ClientKeyData         string `yaml:"client-key-data"`
	Exec                  *struct {
		Command string   `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
	} `yaml:"exec"`
	AuthProvider interface{} `yaml:"auth-provider"`
	Username     string      `yaml:"username"`
}

// resolvePaths makes the file paths in a kubeconfig absolute, relative to
// the file's folder, as kubectl reads them (an exec command without a
// slash stays a name looked up on PATH).
func (k *kubeconfigFile) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for i := range k.Clusters {
		abs(&k.Clusters[i].Cluster.CertificateAuthority)
	}
	for i := range k.Users {
		u := &k.Users[i].User
		abs(&u.TokenFile)
		abs(&u.ClientCertificate)
		abs(&u.ClientKey)
		if u.Exec != nil && strings.Contains(u.Exec.Command, "/") {
			abs(&u.Exec.Command)
		}
	}
}

// contextKubeAPI reaches the cluster of a named kubeconfig context, found
// in $KUBECONFIG's files (first definition wins, as kubectl merges them) or
// ~/.kube/config: server, CA, and a token, token file, client certificate
// or exec plugin.
func contextKubeAPI(name string) (*kubeAPI, error) {
	files := filepath.SplitList(os.Getenv("KUBECONFIG"))
	if len(files) == 0 {
		home, _ := os.UserHomeDir()
		files = []string{filepath.Join(home, ".kube", "config")}
	}
	var merged kubeconfigFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		var k kubeconfigFile
		if err := yaml.Unmarshal(b, &k); err != nil {
			return nil, fmt.Errorf("reading kubeconfig %s: %w", f, err)
		}
		k.resolvePaths(filepath.Dir(f))
		merged.Clusters = append(merged.Clusters, k.Clusters...)
		merged.Users = append(merged.Users, k.Users...)
		merged.Contexts = append(merged.Contexts, k.Contexts...)
	}
	for _, ctxEntry := range merged.Contexts {
		if ctxEntry.Name != name {
			continue
		}
		for _, cl := range merged.Clusters {
			if cl.Name != ctxEntry.Context.Cluster {
				continue
			}
			for _, u := range merged.Users {
				if u.Name == ctxEntry.Context.User {
					return userKubeAPI(name, cl.Cluster.Server, cl.Cluster.CertificateAuthorityData, cl.Cluster.CertificateAuthority, cl.Cluster.InsecureSkipTLSVerify, u.User)
				}
			}
			return nil, fmt.Errorf("kubeconfig context %q names user %q, which no kubeconfig file defines", name, ctxEntry.Context.User)
		}
		return nil, fmt.Errorf("kubeconfig context %q names cluster %q, which no kubeconfig file defines", name, ctxEntry.Context.Cluster)
	}
	return nil, fmt.Errorf("no kubeconfig context %q in %s", name, strings.Join(files, ", "))
}

func userKubeAPI(name, server, caData, caFile string, insecure bool, u kubeconfigUser) (*kubeAPI, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} // #nosec G402 -- only when the kubeconfig says so
	switch {
	case caData != "":
		pool, err := caPool([]byte(caData), true)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig context %q certificate-authority-data: %w", name, err)
		}
		t.RootCAs = pool
	case caFile != "":
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := caPool(b, false)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig context %q certificate-authority %s: %w", name, caFile, err)
		}
		t.RootCAs = pool
	}
	api := &kubeAPI{server: server}
	switch {
	case u.Token != "":
		api.token = func(context.Context) (string, error) { return u.Token, nil }
	case u.TokenFile != "":
		api.token = func(context.Context) (string, error) {
			b, err := os.ReadFile(u.TokenFile)
			return strings.TrimSpace(string(b)), err
		}
	case u.Exec != nil:
		var env []string
		for _, e := range u.Exec.Env {
			env = append(env, e.Name+"="+e.Value)
		}
		var cached string
		api.token = func(ctx context.Context) (string, error) {
			if cached != "" {
				return cached, nil
			}
			tok, err := execToken(ctx, u.Exec.Command, u.Exec.Args, env)
			cached = tok
			return tok, err
		}
	case u.ClientCertificateData != "" || u.ClientCertificate != "":
		cert, err := clientCertificate(u)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig context %q client certificate: %w", name, err)
		}
		t.Certificates = []tls.Certificate{cert}
	default:
		return nil, fmt.Errorf("kubeconfig context %q authenticates in a way this program cannot read the cluster with (only token, tokenFile, exec and client certificates are supported)", name)
	}
	api.client = httpClient(t)
	return api, nil
}

func clientCertificate(u kubeconfigUser) (tls.Certificate, error) {
	load := func(data, file string) ([]byte, error) {
		if data != "" {
			return base64.StdEncoding.DecodeString(data)
		}
		return os.ReadFile(file)
	}
	cert, err := load(u.ClientCertificateData, u.ClientCertificate)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := load(u.ClientKeyData, u.ClientKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(cert, key)
}
