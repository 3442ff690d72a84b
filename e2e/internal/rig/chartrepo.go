package rig

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/velero-irsa/velero-irsa/e2e/internal/proc"
)

// ChartRepo is a Helm repository served over HTTPS on 127.0.0.1 with the
// rig's CA, as the component's chartRepository reaches a mirror.
type ChartRepo struct {
	URL string
	srv *http.Server
}

// ServeChart packages a chart directory as chart `velero` at version and
// serves it. With standIn, the chart is the rig's own: its version is set
// and its CRDs come from the Velero binary the rig built, which is what the
// upstream CRD-upgrade job applies (velero install --crds-only). A chart of
// another origin (the upstream one) is packaged as it is and must already
// be at that version.
func (r *Rig) ServeChart(chartDir, version string, standIn bool) (*ChartRepo, error) {
	work := filepath.Join(r.Dir, "chart-"+version)
	src := filepath.Join(work, "src", "velero")
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	if err := copyDir(chartDir, src); err != nil {
		return nil, err
	}
	chartYAML := filepath.Join(src, "Chart.yaml")
	raw, err := os.ReadFile(chartYAML)
	if err != nil {
		return nil, err
	}
	if standIn {
		raw = regexp.MustCompile(`(?m)^version: .*$`).ReplaceAll(raw, []byte("version: "+version))
		if err := os.WriteFile(chartYAML, raw, 0o644); err != nil {
			return nil, err
		}
		crds, err := exec.Command(filepath.Join(r.Bin, "velero"), "install", "--crds-only", "--dry-run", "-o", "yaml").Output()
		if err != nil {
			return nil, fmt.Errorf("rendering Velero's CRDs: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(src, "crds"), 0o755); err != nil {
			return nil, err
		}
		// `velero install -o yaml` wraps the objects in a List; Helm's crds/
		// wants the objects themselves.
		docs, err := crdDocuments(crds)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(src, "crds", "velero.yaml"), docs, 0o644); err != nil {
			return nil, err
		}
	} else if !regexp.MustCompile(`(?m)^version: "?` + regexp.QuoteMeta(version) + `"?\s*$`).Match(raw) {
		return nil, fmt.Errorf("chart %s is not version %s (the stack's chartVersion): use the chart of that version", chartDir, version)
	}
	repoDir := filepath.Join(work, "repo")
	if err := os.MkdirAll(repoDir, 0o755); err != nil {
		return nil, err
	}
	helm := filepath.Join(r.Bin, "helm")
	if out, err := exec.Command(helm, "package", src, "-d", repoDir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("helm package: %v: %s", err, out)
	}
	l, err := proc.Listen()
	if err != nil {
		return nil, err
	}
	url := "https://" + l.Addr().String()
	if out, err := exec.Command(helm, "repo", "index", repoDir, "--url", url).CombinedOutput(); err != nil {
		l.Close()
		return nil, fmt.Errorf("helm repo index: %v: %s", err, out)
	}
	pair, err := r.CA.Issue("127.0.0.1", nil, true)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(repoDir)), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	r.servers = append(r.servers, srv)
	return &ChartRepo{URL: url, srv: srv}, nil
}

// crdDocuments turns `velero install -o yaml` output (a v1 List) into one
// YAML document per CRD.
func crdDocuments(list []byte) ([]byte, error) {
	var doc struct {
		Items []map[string]interface{} `yaml:"items"`
	}
	if err := yaml.Unmarshal(list, &doc); err != nil {
		return nil, fmt.Errorf("reading velero install's output: %w", err)
	}
	if len(doc.Items) == 0 {
		return nil, fmt.Errorf("velero install printed no CRDs")
	}
	var out strings.Builder
	for _, item := range doc.Items {
		b, err := yaml.Marshal(item)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return []byte(out.String()), nil
}

func copyDir(from, to string) error {
	return filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
