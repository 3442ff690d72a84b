package main

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContextKubeAPI reads a kubeconfig context whose CA and token files
// are named relative to the kubeconfig, as kubectl resolves them, and sends
// the token to the server it names.
func TestContextKubeAPI(t *testing.T) {
	var auth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/apis/apps/v1/deployments" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"certs/ca.crt": string(ca),
		"token":        "rig-token\n",
		"config": "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: " + srv.URL + ", certificate-authority: certs/ca.crt}\n" +
			"users:\n- name: u\n  user: {tokenFile: token}\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing")+string(os.PathListSeparator)+filepath.Join(dir, "config"))
	api, err := contextKubeAPI("prod")
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Items []interface{} }
	found, err := api.Get(context.Background(), "/apis/apps/v1/deployments", &out)
	if err != nil || !found || auth != "Bearer rig-token" {
		t.Fatalf("Get: found %t, err %v, Authorization %q", found, err, auth)
	}
	if found, err := api.Get(context.Background(), "/apis/velero.io/v1/namespaces/velero/schedules", &out); err != nil || found {
		t.Errorf("a 404 gives found %t, err %v; want false, nil", found, err)
	}
	if _, err := contextKubeAPI("staging"); err == nil || !strings.Contains(err.Error(), `no kubeconfig context "staging"`) {
		t.Errorf("unknown context: %v", err)
	}
}
