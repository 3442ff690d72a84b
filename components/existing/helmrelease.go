package existing

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Helm's ownership annotations on every object of a release (Helm 3.2+,
// pkg/action/validate.go).
const (
	helmReleaseNameAnnotation      = "meta.helm.sh/release-name"
	helmReleaseNamespaceAnnotation = "meta.helm.sh/release-namespace"
)

// identityAnnotation is the pod annotation velero-irsa's values set on
// Velero's pods (components.identityPodAnnotation).
const identityAnnotation = "velero-irsa/identity"

// helmRecord is the part of Helm's stored release read here
// (helm.sh/helm/v3 pkg/release.Release, JSON).
type helmRecord struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Version   int    `json:"version"`
	Info      struct {
		Status      string `json:"status"`
		Description string `json:"description"`
	} `json:"info"`
	Chart struct {
		Metadata struct {
			Name       string `json:"name"`
			Version    string `json:"version"`
			AppVersion string `json:"appVersion"`
		} `json:"metadata"`
	} `json:"chart"`
	Config   map[string]interface{} `json:"config"`
	Manifest string                 `json:"manifest"`
}

// readReleases reads the Helm releases of the velero chart in a namespace
// (Helm's default Secret storage: Secrets labelled owner=helm, one a
// revision), newest revision of each, by release name.
func readReleases(ctx context.Context, api API, ns string) (map[string]*Release, error) {
	var list struct {
		Items []struct {
			Metadata objectMeta        `json:"metadata"`
			Type     string            `json:"type"`
			Data     map[string]string `json:"data"`
		} `json:"items"`
	}
	if _, err := api.Get(ctx, "/api/v1/namespaces/"+ns+"/secrets?labelSelector=owner%3Dhelm", &list); err != nil {
		return nil, fmt.Errorf("listing Helm release records in %s: %w", ns, err)
	}
	out := map[string]*Release{}
	for _, s := range list.Items {
		if s.Type != "helm.sh/release.v1" {
			continue
		}
		// The labels say name and revision without decoding.
		rev, _ := strconv.Atoi(s.Metadata.Labels["version"])
		name := s.Metadata.Labels["name"]
		if prev, ok := out[name]; ok && prev.Revision >= rev {
			continue
		}
		r, err := DecodeRelease(s.Data["release"])
		if err != nil {
			return nil, fmt.Errorf("reading Helm release record %s/%s: %w", ns, s.Metadata.Name, err)
		}
		if r.Chart != "velero" {
			continue
		}
		out[name] = r
	}
	return out, nil
}

// DecodeRelease decodes the "release" key of a Helm release Secret as the
// API returns it: base64 of Helm's own encoding, which is base64 of the
// gzipped JSON release (helm.sh/helm/v3 pkg/storage/driver/util.go).
func DecodeRelease(data string) (*Release, error) {
	raw, err := recordJSON(data)
	if err != nil {
		return nil, err
	}
	var rec helmRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("parsing the release: %w", err)
	}
	return &Release{
		Name: rec.Name, Namespace: rec.Namespace, Revision: rec.Version, Status: rec.Info.Status, Description: rec.Info.Description,
		Chart: rec.Chart.Metadata.Name, ChartVersion: rec.Chart.Metadata.Version, AppVersion: rec.Chart.Metadata.AppVersion,
		Values: rec.Config, Manifest: rec.Manifest,
	}, nil
}

// recordJSON is the JSON of a release Secret's "release" data as the API
// returns it (base64 of Helm's base64 of the gzipped JSON; Helm reads an
// ungzipped record too).
func recordJSON(data string) ([]byte, error) {
	outer, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("decoding the Secret's data: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(outer))
	if err != nil {
		return nil, fmt.Errorf("decoding Helm's encoding: %w", err)
	}
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("unzipping the release: %w", err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("unzipping the release: %w", err)
		}
	}
	return raw, nil
}

// carriesIdentityAnnotation tells whether release values set velero-irsa's
// identity annotation on Velero's pods.
func carriesIdentityAnnotation(values map[string]interface{}) bool {
	pods, _ := values["podAnnotations"].(map[string]interface{})
	_, ok := pods[identityAnnotation]
	return ok
}
