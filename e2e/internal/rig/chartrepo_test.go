package rig

import (
	"strings"
	"testing"
)

// TestCRDDocuments splits a List as `velero install -o yaml` prints it into
// one document per CRD, block scalars (descriptions) intact.
func TestCRDDocuments(t *testing.T) {
	list := "apiVersion: v1\nitems:\n- apiVersion: apiextensions.k8s.io/v1\n  kind: CustomResourceDefinition\n  metadata:\n    name: backups.velero.io\n  spec:\n    description: |-\n      First line.\n\n      After a blank line.\n- apiVersion: apiextensions.k8s.io/v1\n  kind: CustomResourceDefinition\n  metadata:\n    name: restores.velero.io\nkind: List\n"
	out, err := crdDocuments([]byte(list))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(strings.TrimPrefix(string(out), "---\n"), "---\n")
	if len(docs) != 2 || !strings.Contains(docs[0], "name: backups.velero.io") || !strings.Contains(docs[1], "name: restores.velero.io") {
		t.Fatalf("documents:\n%s", out)
	}
	if !strings.Contains(docs[0], "First line.\n\n") {
		t.Errorf("the description lost its blank line:\n%s", docs[0])
	}
	if _, err := crdDocuments([]byte("apiVersion: v1\nitems: []\nkind: List\n")); err == nil {
		t.Error("an empty List was accepted")
	}
}
