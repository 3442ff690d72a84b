package components

import "testing"

// TestIdentityPodAnnotation checks that Velero's pod templates change, and
// so the pods restart, exactly when what the webhook writes into them
// changes: the role, the token audience or the identity mode.
func TestIdentityPodAnnotation(t *testing.T) {
	base := ValuesInput{RoleARN: testRoleARN, Namespace: "velero", ServiceAccountName: "velero-server", PluginImage: "velero/velero-plugin-for-aws:v1.14.3", Region: "us-east-1", LocationName: "default", FSGroup: 65534}
	annotation := func(in ValuesInput) string {
		return HelmValues(in)["podAnnotations"].(map[string]interface{})[identityPodAnnotation].(string)
	}
	if got, want := annotation(base), "irsa "+testRoleARN+" sts.amazonaws.com"; got != want {
		t.Errorf("annotation = %q, want %q", got, want)
	}
	changes := map[string]func(ValuesInput) ValuesInput{
		"role":     func(in ValuesInput) ValuesInput { in.RoleARN += "-2"; return in },
		"audience": func(in ValuesInput) ValuesInput { in.TokenAudience = "velero.example.com"; return in },
		"mode":     func(in ValuesInput) ValuesInput { in.PodIdentity = true; return in },
	}
	for what, change := range changes {
		if annotation(change(base)) == annotation(base) {
			t.Errorf("changing the %s keeps the pod annotation %q; Velero's pods would keep the old identity", what, annotation(base))
		}
	}
	same := base
	same.Snapshots = true
	same.NodeAgent = true
	same.TokenAudience = DefaultTokenAudience
	if annotation(same) != annotation(base) {
		t.Errorf("the pod annotation changed with settings the webhook does not inject (%q to %q); a needless restart fails running backups", annotation(base), annotation(same))
	}
}
