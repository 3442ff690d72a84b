// Package rig assembles the local EKS stand-in: the AWS stand-in's
// services on 127.0.0.1 (STS, S3 over TLS, the pod identity agent, the
// control API for the aws provider plugin), a real control plane whose
// ServiceAccount issuer is the cluster's EKS-shaped issuer, a kwok node,
// and the runtime that runs Velero's pods as real processes.
package rig

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/cluster"
	"github.com/velero-irsa/velero-irsa/e2e/internal/pki"
	"github.com/velero-irsa/velero-irsa/e2e/internal/runtime"
)

// Config is the cluster and account the rig stands in for.
type Config struct {
	Bin         string // the built programs (e2e/build-tools)
	Dir         string // work directory
	Account     string // 12 digits
	Region      string
	ClusterName string
	OIDCID      string // the /id/<ID> of the cluster's issuer
	VeleroTag   string // the server image tag the rig built
	PluginTag   string // the AWS plugin image tag the rig built
	PodNet      string // the rig's podnet program
	// IAMPropagation keeps each new role, trust and inline policy invisible
	// to STS and S3 for this long, as IAM's eventual consistency does
	// (awsfake/propagation.go); 0 makes changes visible at once.
	IAMPropagation time.Duration
	Log            func(format string, args ...interface{})
	// World is the AWS side to join, shared with other clusters; nil
	// gives the rig one of its own (in Dir, with Account and Region).
	World *World
}

// Rig is a running stand-in.
type Rig struct {
	Config
	Partition, Issuer, ClusterARN string
	Cloud                         *awsfake.Cloud
	S3                            *awsfake.S3
	Cluster                       *cluster.Cluster
	Kube                          kubernetes.Interface
	Runtime                       *runtime.Runtime
	CA                            *pki.CA
	CAFile                        string // the rig CA (S3, chart repository)
	STSURL, S3URL, AgentURL       string
	ControlURL                    string
	AdminToken                    string // what the rig's `aws eks get-token` returns
	// StateDir is where its stacks keep their Pulumi state: the world's.
	StateDir  string
	world     *World
	ownsWorld bool
	servers   []*http.Server
	cancel    context.CancelFunc
	done      chan struct{}
}

// Partition is the AWS partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Start brings everything up; Stop takes it down.
func Start(ctx context.Context, cfg Config) (r *Rig, err error) {
	r = &Rig{Config: cfg, Partition: Partition(cfg.Region), done: make(chan struct{})}
	defer func() {
		if err != nil {
			r.Stop()
		}
	}()
	if r.Log == nil {
		r.Log = func(string, ...interface{}) {}
	}
	suffix := "amazonaws.com"
	if r.Partition == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	r.Issuer = fmt.Sprintf("https://oidc.eks.%s.%s/id/%s", cfg.Region, suffix, cfg.OIDCID)
	r.ClusterARN = fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", r.Partition, cfg.Region, cfg.Account, cfg.ClusterName)
	r.AdminToken = "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte("https://sts."+cfg.Region+"."+suffix+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Rig="+cfg.ClusterName))
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if r.world = cfg.World; r.world == nil {
		if r.world, err = NewWorld(cfg.Dir, cfg.Account, cfg.Region, cfg.IAMPropagation); err != nil {
			return nil, err
		}
		r.ownsWorld = true
	}
	w := r.world
	r.CA, r.CAFile, r.Cloud, r.S3, r.S3URL, r.ControlURL, r.StateDir = w.CA, w.CAFile, w.Cloud, w.S3, w.S3URL, w.ControlURL, w.StateDir()

	r.Cluster, err = cluster.Start(ctx, cluster.Options{Bin: cfg.Bin, Dir: filepath.Join(cfg.Dir, "cluster"), Issuer: r.Issuer, AdminToken: r.AdminToken})
	if err != nil {
		return nil, err
	}
	if err := r.Cluster.AddNode(ctx, "rig-node-1"); err != nil {
		return nil, err
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", r.Cluster.Kubeconfig)
	if err != nil {
		return nil, err
	}
	if r.Kube, err = kubernetes.NewForConfig(restCfg); err != nil {
		return nil, err
	}

	w.register(r.Issuer, r.Cluster.JWKS)
	r.Cloud.CreateCluster(awsfake.Cluster{
		Name: cfg.ClusterName, ARN: r.ClusterARN, Region: cfg.Region, Endpoint: r.Cluster.Endpoint,
		CertificateAuthority: base64.StdEncoding.EncodeToString(r.Cluster.CAPEM), Issuer: r.Issuer,
	})
	if r.STSURL, err = w.STSURL(cfg.Region); err != nil {
		return nil, err
	}
	agent, err := r.serve(r.Cloud.PodIdentityAgent(cfg.ClusterName, w.Keys), nil)
	if err != nil {
		return nil, err
	}
	r.AgentURL = agent + "/v1/credentials"

	r.Runtime = &runtime.Runtime{
		Client: r.Kube, Endpoint: r.Cluster.Endpoint, CAPEM: r.Cluster.CAPEM, Dir: filepath.Join(cfg.Dir, "pods"),
		Images: runtime.Images{VeleroTag: cfg.VeleroTag, PluginTag: cfg.PluginTag, Velero: filepath.Join(cfg.Bin, "velero"), Plugin: filepath.Join(cfg.Bin, "velero-plugin-for-aws"), PodNet: cfg.PodNet},
		Identity: runtime.Identity{
			Region: cfg.Region, STSEndpoint: r.STSURL, S3Endpoint: r.S3URL, CABundle: r.CAFile, PodIdentityAgentURL: r.AgentURL,
			HasAssociation: func(ns, sa string) bool {
				for _, a := range r.Cloud.Associations(cfg.ClusterName) {
					if a.Namespace == ns && a.ServiceAccount == sa {
						return true
					}
				}
				return false
			},
		},
		Log: cfg.Log,
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.Runtime.Run(runCtx)
		close(r.done)
	}()
	return r, nil
}

// SharesWorld is true for a rig that joined another's world (other
// clusters' calls reach the same stand-in).
func (r *Rig) SharesWorld() bool { return !r.ownsWorld }

// World is the AWS side the rig works in.
func (r *Rig) World() *World { return r.world }

// Keys answers STS's and EKS Auth's key lookups, for every cluster of the
// rig's world.
func (r *Rig) Keys(issuer string) (awsfake.KeySet, error) { return r.world.Keys(issuer) }

func (r *Rig) serve(h http.Handler, tlsConfig *tls.Config) (string, error) {
	srv, url, err := serve(h, tlsConfig)
	if err != nil {
		return "", err
	}
	r.servers = append(r.servers, srv)
	return url, nil
}

// Stop stops Velero's processes, the control plane and the servers.
func (r *Rig) Stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
	if r.Cluster != nil {
		r.Cluster.Stop()
	}
	for _, s := range r.servers {
		_ = s.Close()
	}
	r.servers = nil
	if r.ownsWorld && r.world != nil {
		r.world.Stop()
	}
}

// CreateBucket creates a bucket in the rig account, as a user would before
// the first deploy.
func (r *Rig) CreateBucket(name, region string) error {
	return r.Cloud.CreateBucket(awsfake.Bucket{Name: name, Region: region, Account: r.Account, Partition: Partition(region)}, r.S3.Backend())
}

// DeleteBucket deletes an empty bucket of the rig account.
func (r *Rig) DeleteBucket(name string) error {
	return r.Cloud.DeleteBucket(name, r.S3)
}

// AssociateOIDCProvider creates the cluster's IAM OIDC provider with the
// sts.amazonaws.com client ID, as `eksctl utils
// associate-iam-oidc-provider` does before a first deploy (the README's
// prerequisites).
func (r *Rig) AssociateOIDCProvider() error {
	_, err := r.Cloud.CreateOpenIDConnectProvider(r.Partition, r.Account, r.Issuer, []string{"sts.amazonaws.com"}, nil, nil)
	return err
}
