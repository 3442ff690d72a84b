package rig

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3/backend/s3bolt"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/pki"
	"github.com/velero-irsa/velero-irsa/e2e/internal/proc"
)

// World is the AWS side the rig's clusters share: one AWS stand-in (every
// account and region of a scenario), its S3 over TLS, its control API, an
// STS endpoint per region (so that a region can be taken out), the CA
// they are served with, and the Pulumi state every stack of the world
// keeps (so stacks can reference one another). A rig started without a
// world makes one of its own.
type World struct {
	Dir string
	// Account and Partition are who the control API works as when a
	// provider assumes no role.
	Account, Partition string
	Cloud              *awsfake.Cloud
	S3                 *awsfake.S3
	CA                 *pki.CA
	CAFile             string
	S3URL, ControlURL  string

	mu      sync.Mutex
	sts     map[string]string // region → STS endpoint URL
	issuers map[string]func() ([]byte, error)
	servers []*http.Server
}

// NewWorld starts the AWS stand-in's servers, in dir.
func NewWorld(dir, account, region string, iamPropagation time.Duration) (w *World, err error) {
	w = &World{Dir: dir, Account: account, Partition: Partition(region), sts: map[string]string{}, issuers: map[string]func() ([]byte, error){}}
	defer func() {
		if err != nil {
			w.Stop()
		}
	}()
	if err := os.MkdirAll(filepath.Join(dir, "pulumi-state"), 0o755); err != nil {
		return nil, err
	}
	if w.CA, err = pki.NewCA("velero-irsa-rig-ca"); err != nil {
		return nil, err
	}
	w.CAFile = filepath.Join(dir, "rig-ca.crt")
	if err := os.WriteFile(w.CAFile, w.CA.CertPEM, 0o644); err != nil {
		return nil, err
	}
	w.Cloud = awsfake.NewCloud()
	w.Cloud.SetPropagationDelay(iamPropagation)
	backend, err := s3bolt.NewFile(filepath.Join(dir, "s3.bolt"))
	if err != nil {
		return nil, err
	}
	w.S3 = awsfake.NewS3(w.Cloud, backend)
	serving, err := w.CA.Issue("127.0.0.1", nil, true)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(serving.CertPEM, serving.KeyPEM)
	if err != nil {
		return nil, err
	}
	if w.S3URL, err = w.serve(w.S3, &tls.Config{Certificates: []tls.Certificate{cert}}); err != nil {
		return nil, err
	}
	if w.ControlURL, err = w.serve(w.Cloud.ControlHandler(w.S3, w.identity), nil); err != nil {
		return nil, err
	}
	return w, nil
}

// StateDir is where the world's stacks keep their Pulumi state.
func (w *World) StateDir() string { return filepath.Join(w.Dir, "pulumi-state") }

// STSURL is region's STS endpoint, served on first use; it refuses while
// the region is out (awsfake.Cloud.SetRegionOutage).
func (w *World) STSURL(region string) (string, error) {
	w.mu.Lock()
	url, ok := w.sts[region]
	w.mu.Unlock()
	if ok {
		return url, nil
	}
	url, err := w.serve(w.Cloud.RegionalEndpoint(region, w.Cloud.STSHandler(w.Keys)), nil)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	w.sts[region] = url
	w.mu.Unlock()
	return url, nil
}

// register makes a cluster's issuer known to STS and EKS Auth.
func (w *World) register(issuer string, jwks func() ([]byte, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.issuers[issuer] = jwks
}

// Keys answers STS's and EKS Auth's key lookups: each cluster's issuer is
// served by its API server; any other issuer is unreachable, as another
// cluster's would be to a token it did not sign.
func (w *World) Keys(issuer string) (awsfake.KeySet, error) {
	var set awsfake.KeySet
	w.mu.Lock()
	jwks, ok := w.issuers[issuer]
	w.mu.Unlock()
	if !ok {
		return set, fmt.Errorf("issuer %s is not a cluster of this rig", issuer)
	}
	raw, err := jwks()
	if err != nil {
		return set, err
	}
	return set, json.Unmarshal(raw, &set)
}

// identity is who the aws provider plugin works as: the world's account,
// or the account of a role it is configured to assume.
func (w *World) identity(assumeRoleARN string) (awsfake.Identity, error) {
	account, partition := w.Account, w.Partition
	if assumeRoleARN != "" {
		parts := strings.Split(assumeRoleARN, ":")
		if len(parts) < 6 || parts[2] != "iam" {
			return awsfake.Identity{}, fmt.Errorf("assumeRole roleArn %q is not a role ARN", assumeRoleARN)
		}
		account, partition = parts[4], parts[1]
	}
	return awsfake.Identity{Account: account, Partition: partition, ARN: fmt.Sprintf("arn:%s:iam::%s:role/rig-deployer", partition, account)}, nil
}

func (w *World) serve(h http.Handler, tlsConfig *tls.Config) (string, error) {
	srv, url, err := serve(h, tlsConfig)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	w.servers = append(w.servers, srv)
	w.mu.Unlock()
	return url, nil
}

// serve serves h on a new loopback port, over TLS with tlsConfig.
func serve(h http.Handler, tlsConfig *tls.Config) (*http.Server, string, error) {
	l, err := proc.Listen()
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { _ = srv.ServeTLS(l, "", "") }()
	} else {
		go func() { _ = srv.Serve(l) }()
	}
	return srv, scheme + "://" + l.Addr().String(), nil
}

// Stop stops the servers.
func (w *World) Stop() {
	w.mu.Lock()
	servers := w.servers
	w.servers = nil
	w.mu.Unlock()
	for _, s := range servers {
		_ = s.Close()
	}
}
