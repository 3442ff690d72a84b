package existing

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestHandOverRelease(t *testing.T) {
	ctx := context.Background()
	f := guideCluster(t)
	c, err := Read(ctx, f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Installations[0].Release
	got, err := HandOverRelease(ctx, f, r, "organization/velero-irsa/prod-apne2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 4 || !got.Recorded || strings.Join(got.Removed, " ") != "credentials.secretContents" {
		t.Fatalf("HandOverRelease = %+v", got)
	}
	if want := "POST /api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v4 PUT /api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v3"; strings.Join(f.writes, " ") != want {
		t.Errorf("writes %v\nwant %s", f.writes, want)
	}

	// Revision 4 is what Helm stores: the same chart and manifest, values
	// without the key, deployed; revision 3 superseded, values kept (a
	// rollback to it restores them).
	v4 := f.objects["/api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v4"]
	labels := mapAt(v4, "metadata")["labels"].(map[string]interface{})
	if labels["name"] != "velero" || labels["owner"] != "helm" || labels["status"] != "deployed" || labels["version"] != "4" || labels["createdAt"] == nil || v4["type"] != "helm.sh/release.v1" {
		t.Errorf("revision 4's Secret: %v", v4)
	}
	rec4, err := decodeRecord(v4)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rec4)
	if strings.Contains(string(raw), exampleKeyID) || strings.Contains(string(raw), exampleSecret) {
		t.Errorf("revision 4 holds the key: %s", raw)
	}
	info := rec4["info"].(map[string]interface{})
	if info["status"] != "deployed" || !strings.HasPrefix(info["description"].(string), "Handed over to velero-irsa") ||
		rec4["manifest"] != guideManifest || rec4["version"] != json.Number("4") ||
		mapAt(mapAt(rec4, "chart"), "metadata")["version"] != "7.2.1" {
		t.Errorf("revision 4's record: %s", raw)
	}
	creds := rec4["config"].(map[string]interface{})["credentials"].(map[string]interface{})
	if creds["useSecret"] != true || creds["secretContents"] != nil {
		t.Errorf("revision 4's credentials values: %v", creds)
	}
	v3 := f.objects["/api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v3"]
	rec3, err := decodeRecord(v3)
	if err != nil {
		t.Fatal(err)
	}
	if mapAt(v3, "metadata")["labels"].(map[string]interface{})["status"] != "superseded" || rec3["info"].(map[string]interface{})["status"] != "superseded" || !HasKeyMaterial(rec3["config"].(map[string]interface{})) {
		t.Errorf("revision 3 after the hand-over: labels %v, record %v", mapAt(v3, "metadata")["labels"], rec3["info"])
	}

	// Read sees revision 4, without keys; a second hand-over does nothing.
	c, err = Read(ctx, f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	r = c.Installations[0].Release
	if r.Revision != 4 || HasKeyMaterial(r.Values) {
		t.Fatalf("after the hand-over Read gives revision %d, keys %t", r.Revision, HasKeyMaterial(r.Values))
	}
	again, err := HandOverRelease(ctx, f, r, "organization/velero-irsa/prod-apne2")
	if err != nil || again.Recorded || again.Revision != 4 || len(f.writes) != 2 {
		t.Fatalf("a second hand-over: %+v, %v, writes %v", again, err, f.writes)
	}
}

// TestHandOverInterrupted: a hand-over that stops after recording the new
// revision is finished by the next run, which marks the old one
// superseded and records nothing more.
func TestHandOverInterrupted(t *testing.T) {
	ctx := context.Background()
	f := guideCluster(t)
	f.failPUT = 1
	c, err := Read(ctx, f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := HandOverRelease(ctx, f, c.Installations[0].Release, "s"); err == nil || !strings.Contains(err.Error(), "marking revision 3 of release velero/velero superseded") {
		t.Fatalf("first run: %v", err)
	}
	c, err = Read(ctx, f, "velero")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Installations[0].Release
	if r.Revision != 4 || !strings.HasPrefix(r.Description, handOverDescription) {
		t.Fatalf("after the interrupted run: revision %d %q", r.Revision, r.Description)
	}
	h, err := HandOverRelease(ctx, f, r, "s")
	if err != nil || h.Recorded || h.Revision != 4 {
		t.Fatalf("second run: %+v, %v", h, err)
	}
	v3 := f.objects["/api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v3"]
	rec3, _ := decodeRecord(v3)
	if mapAt(v3, "metadata")["labels"].(map[string]interface{})["status"] != "superseded" || rec3["info"].(map[string]interface{})["status"] != "superseded" {
		t.Errorf("revision 3 after the second run: %v", mapAt(v3, "metadata")["labels"])
	}
	if want := "POST /api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v4 PUT /api/v1/namespaces/velero/secrets/sh.helm.release.v1.velero.v3"; strings.Join(f.writes, " ") != want {
		t.Errorf("writes %v", f.writes)
	}
}
