package existing

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Writer reads and writes the Kubernetes API: Send POSTs or PUTs body as
// JSON to path and fails on any answer but success.
type Writer interface {
	API
	Send(ctx context.Context, method, path string, body interface{}) error
}

// HandOver is what HandOverRelease did.
type HandOver struct {
	// Revision is the release's newest revision afterwards.
	Revision int
	// Recorded is true when a revision was added; false when the newest
	// one already held no static keys in its values.
	Recorded bool
	// Removed are the value paths left out of the new revision.
	Removed []string
}

// handOverDescription marks a revision HandOverRelease recorded.
const handOverDescription = "Handed over to velero-irsa: the previous revision's values without static AWS keys; objects unchanged"

// HandOverRelease prepares a Helm release to be adopted by a stack without
// its static keys ever reaching the stack's state. The kubernetes
// provider's import of a helm.sh/v3 Release reads the user-supplied values
// of the newest revision into the stack's inputs, in the clear, so when
// those values hold keys (credentials.secretContents and the like, see
// ScrubValues) HandOverRelease records a new revision as Helm's storage
// holds it: the same chart, manifest and hooks, so nothing in the cluster
// changes, with the values scrubbed, status deployed, the previous one
// superseded. The stack then imports that revision and upgrades the release
// to the role, so `helm history` shows every revision and `helm rollback`
// to the old one still works (its record keeps its values).
//
// Running it again on a release whose newest values hold no keys changes
// nothing.
func HandOverRelease(ctx context.Context, w Writer, r *Release, stack string) (HandOver, error) {
	base := "/api/v1/namespaces/" + r.Namespace + "/secrets/"
	if !HasKeyMaterial(r.Values) {
		if strings.HasPrefix(r.Description, handOverDescription) {
			// A hand-over that stopped between its two writes left the
			// revision before it deployed: finish it.
			return HandOver{Revision: r.Revision}, supersede(ctx, w, base, r.Name, r.Namespace, r.Revision-1)
		}
		return HandOver{Revision: r.Revision}, nil
	}
	current := map[string]interface{}{}
	found, err := w.Get(ctx, base+recordName(r.Name, r.Revision), &current)
	if err != nil || !found {
		return HandOver{}, fmt.Errorf("reading the record of revision %d of release %s/%s: found %t, %v", r.Revision, r.Namespace, r.Name, found, err)
	}
	record, err := decodeRecord(current)
	if err != nil {
		return HandOver{}, fmt.Errorf("reading the record of revision %d of release %s/%s: %w", r.Revision, r.Namespace, r.Name, err)
	}
	config, _ := record["config"].(map[string]interface{})
	scrubbed, removed := ScrubValues(config)
	now := time.Now().UTC()

	next := copyMap(record)
	next["config"] = scrubbed
	next["version"] = r.Revision + 1
	info := copyMap(mapAt(record, "info"))
	info["status"] = "deployed"
	info["description"] = handOverDescription + " (stack " + stack + ")"
	info["last_deployed"] = now.Format(time.RFC3339Nano)
	next["info"] = info
	labels := copyStrings(mapAt(mapAt(current, "metadata"), "labels"))
	delete(labels, "modifiedAt")
	labels["status"], labels["version"], labels["createdAt"] = "deployed", strconv.Itoa(r.Revision+1), strconv.FormatInt(now.Unix(), 10)
	data, err := encodeRecord(next)
	if err != nil {
		return HandOver{}, err
	}
	secret := map[string]interface{}{
		"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
		"metadata": map[string]interface{}{"name": recordName(r.Name, r.Revision+1), "namespace": r.Namespace, "labels": labels},
		"data":     map[string]interface{}{"release": data},
	}
	if err := w.Send(ctx, "POST", "/api/v1/namespaces/"+r.Namespace+"/secrets", secret); err != nil {
		return HandOver{}, fmt.Errorf("recording revision %d of release %s/%s: %w", r.Revision+1, r.Namespace, r.Name, err)
	}

	if err := supersede(ctx, w, base, r.Name, r.Namespace, r.Revision); err != nil {
		return HandOver{}, err
	}
	return HandOver{Revision: r.Revision + 1, Recorded: true, Removed: removed}, nil
}

// supersede marks a revision superseded, as Helm marks the previous one on
// an upgrade; one that is not deployed is left as it is.
func supersede(ctx context.Context, w Writer, base, name, namespace string, revision int) error {
	current := map[string]interface{}{}
	found, err := w.Get(ctx, base+recordName(name, revision), &current)
	if err != nil {
		return fmt.Errorf("reading the record of revision %d of release %s/%s: %w", revision, namespace, name, err)
	}
	meta := mapAt(current, "metadata")
	labels := copyStrings(mapAt(meta, "labels"))
	if !found || labels["status"] != "deployed" {
		return nil
	}
	record, err := decodeRecord(current)
	if err != nil {
		return fmt.Errorf("reading the record of revision %d of release %s/%s: %w", revision, namespace, name, err)
	}
	info := copyMap(mapAt(record, "info"))
	info["status"] = "superseded"
	record["info"] = info
	data, err := encodeRecord(record)
	if err != nil {
		return err
	}
	labels["status"], labels["modifiedAt"] = "superseded", strconv.FormatInt(time.Now().UTC().Unix(), 10)
	meta["labels"] = labels
	current["data"] = map[string]interface{}{"release": data}
	if err := w.Send(ctx, "PUT", base+recordName(name, revision), current); err != nil {
		return fmt.Errorf("marking revision %d of release %s/%s superseded: %w", revision, namespace, name, err)
	}
	return nil
}

// recordName is Helm's Secret name for a revision
// (pkg/storage/storage.go makeKey).
func recordName(release string, revision int) string {
	return "sh.helm.release.v1." + release + ".v" + strconv.Itoa(revision)
}

// decodeRecord decodes a release Secret's record into a generic map,
// numbers kept as written.
func decodeRecord(secret map[string]interface{}) (map[string]interface{}, error) {
	data, _ := mapAt(secret, "data")["release"].(string)
	raw, err := recordJSON(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var record map[string]interface{}
	if err := dec.Decode(&record); err != nil {
		return nil, err
	}
	return record, nil
}

// encodeRecord encodes a record as Helm stores it (JSON, gzip at best
// compression, base64: pkg/storage/driver/util.go encodeRelease), then as
// a Secret's data is written (base64 again).
func encodeRecord(record map[string]interface{}) (string, error) {
	b, err := json.Marshal(record)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(b); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	inner := base64.StdEncoding.EncodeToString(buf.Bytes())
	return base64.StdEncoding.EncodeToString([]byte(inner)), nil
}

func mapAt(m map[string]interface{}, key string) map[string]interface{} {
	v, _ := m[key].(map[string]interface{})
	if v == nil {
		v = map[string]interface{}{}
		m[key] = v
	}
	return v
}

func copyMap(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStrings(m map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
