package overrides

import (
	"reflect"
	"testing"
)

// TestOverridesRefuseHiddenPaths covers overrides that reach Velero's pods
// by the way the chart renders them rather than by their key: a line break
// in a value written unquoted, a location hidden in a List or behind a
// template, map-form env names that YAML reads differently, typed Go values
// the checks could not walk, the webhook's opt-out label, and extra objects
// running as Velero's ServiceAccount. Rendering chart 12.1.0 with the first
// case puts envFrom into the server, node agent and CRD-upgrade containers.
func TestOverridesRefuseHiddenPaths(t *testing.T) {
	bsl := m{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": m{"name": "other"}, "spec": m{"credential": m{"name": "keys", "key": "cloud"}}}
	cases := []struct {
		name      string
		overrides map[string]interface{}
		want      string
	}{
		{"line break in an unquoted value", m{"image": m{"pullPolicy": "IfNotPresent\n          envFrom:\n          - secretRef:\n              name: aws-keys"}},
			`valuesOverrides.image.pullPolicy "IfNotPresent\n          envFrom:\n          - secretRef:\n              name: aws-keys" has a line break: the chart writes some values unquoted, where a line break adds YAML of its own to the manifest (envFrom, for one); remove it`},
		{"unicode line separator", m{"dnsPolicy": "ClusterFirst\u2028envFrom: []"},
			`valuesOverrides.dnsPolicy "ClusterFirst\u2028envFrom: []" has a line break`},
		{"line break in a ConfigMap name", m{"configMaps": m{"x\n  namespace: kube-system": m{"data": m{"a": "b"}}}},
			`valuesOverrides.configMaps has the key "x\n  namespace: kube-system" with a line break`},
		{"line break in a key", m{"podAnnotations": m{"a\nb": "c"}},
			`valuesOverrides.podAnnotations has the key "a\nb" with a line break`},
		{"location inside a List", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "List", "items": l{m{"kind": "ConfigMap"}, bsl}}}},
			"valuesOverrides.extraObjects[0].items[1] is a BackupStorageLocation: locations can carry credentials of their own (spec.credential)"},
		{"templated key", m{"extraObjects": l{m{`{{ "kind" }}`: "BackupStorageLocation", "apiVersion": "velero.io/v1"}}},
			`valuesOverrides.extraObjects[0].{{ "kind" }} holds a template ("{{"), which Helm would render only at install`},
		{"extra object as text", m{"extraObjects": l{"apiVersion: velero.io/v1\nkind: BackupStorageLocation"}},
			"valuesOverrides.extraObjects[0] is not a map: write each extra object as a map"},
		{"job as Velero's ServiceAccount", m{"extraObjects": l{m{"apiVersion": "batch/v1", "kind": "Job", "spec": m{"template": m{"spec": m{"serviceAccountName": "velero-server"}}}}}},
			`valuesOverrides.extraObjects[0] is a "Job": extra objects may only be ConfigMap, NetworkPolicy, PodDisruptionBudget, PodMonitor, PrometheusRule, Secret, Service, ServiceMonitor, VolumeSnapshotClass, since other kinds (RBAC, workloads, admission webhooks and policies) can hand Velero's role to other code or change Velero's pods; create it in your own program instead`},
		{"token of Velero's ServiceAccount", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": m{"annotations": m{"kubernetes.io/service-account.name": "velero-server"}}}}},
			"valuesOverrides.extraObjects[0] is a kubernetes.io/service-account-token Secret: it would hold a token for a ServiceAccount, Velero's included, whose pods get the role; drop it"},
		{"tokens for Velero's ServiceAccount through RBAC", m{"extraObjects": l{m{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "rules": l{m{"apiGroups": l{""}, "resources": l{"serviceaccounts/token"}, "resourceNames": l{"velero-server"}, "verbs": l{"create"}}}}}},
			`valuesOverrides.extraObjects[0] is a "Role": extra objects may only be`},
		{"RBAC inside a List", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "List", "items": l{m{"kind": "ConfigMap"}, m{"kind": "RoleBinding"}}}}},
			`valuesOverrides.extraObjects[0].items[1] is a "RoleBinding"`},
		{"admission webhook", m{"extraObjects": l{m{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration"}}},
			`valuesOverrides.extraObjects[0] is a "MutatingWebhookConfiguration"`},
		{"schedule", m{"extraObjects": l{m{"apiVersion": "velero.io/v1", "kind": "Schedule"}}},
			"valuesOverrides.extraObjects[0] is a Schedule: use schedules, which are checked against the component's locations"},
		{"quoted env name, map form", m{"configuration": m{"extraEnvVars": m{"'AWS_ACCESS_KEY_ID'": "AKIA"}}},
			`valuesOverrides.configuration.extraEnvVars has the variable name "'AWS_ACCESS_KEY_ID'": charts 7.0.0 to 9.1.2 write map-form names unquoted, so quotes, '#', spaces or ':' would change the name Velero gets`},
		{"commented env name, map form", m{"nodeAgent": m{"extraEnvVars": m{"AWS_SECRET_ACCESS_KEY #": "x"}}},
			`valuesOverrides.nodeAgent.extraEnvVars has the variable name "AWS_SECRET_ACCESS_KEY #"`},
		{"webhook opt-out label", m{"podLabels": m{"eks.amazonaws.com/skip-pod-identity-webhook": "true"}},
			"valuesOverrides.podLabels.eks.amazonaws.com/skip-pod-identity-webhook is set: the EKS Pod Identity Webhook leaves pods with this label alone"},
		{"new /etc/passwd", m{"extraVolumeMounts": l{m{"name": "passwd", "mountPath": "/etc/passwd", "subPath": "passwd"}}},
			`valuesOverrides.extraVolumeMounts[0].mountPath "/etc/passwd" is a home directory, an .aws folder or /etc`},
		{"typed annotations from Go", m{"podAnnotations": map[string]string{"eks.amazonaws.com/skip-containers": "velero"}},
			"valuesOverrides.podAnnotations.eks.amazonaws.com/skip-containers is set"},
		{"typed env list from Go", m{"configuration": m{"extraEnvVars": []map[string]interface{}{{"name": envName("AWS_ACCESS_KEY_ID"), "value": "AKIA"}}}},
			"valuesOverrides.configuration.extraEnvVars[0] sets AWS_ACCESS_KEY_ID"},
		{"typed extra objects from Go", m{"extraObjects": []map[string]interface{}{bsl}},
			"valuesOverrides.extraObjects[0] is a BackupStorageLocation"},
		{"opt-out label in a data mover configuration", m{"configMaps": m{"node-agent": m{"data": m{"config.json": `{"podLabels":{"eks.amazonaws.com/skip-pod-identity-webhook":"true"}}`}}}, "nodeAgent": m{"extraArgs": l{"--node-agent-configmap=velero-node-agent"}}},
			"valuesOverrides.configMaps.node-agent.data.config.json mentions eks.amazonaws.com/skip-pod-identity-webhook, which Velero copies onto the pods it starts when the text is its pod configuration"},
		{"opt-out label behind JSON escapes", m{"configMaps": m{"node-agent": m{"data": m{"config.json": `{"podLabels":{"eks.amazonaws.com\/skip-pod-identity-webhook":"true"}}`}}}},
			"valuesOverrides.configMaps.node-agent.data.config.json mentions eks.amazonaws.com/skip-pod-identity-webhook"},
		{"opt-out annotation behind a unicode escape", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "ConfigMap", "data": m{"global": `{"podAnnotations":{"eks.amazonaws.com\u002fskip-containers":"velero"}}`}}}},
			"valuesOverrides.extraObjects[0].data.global mentions eks.amazonaws.com/skip-containers"},
		{"opt-out annotation in an extra ConfigMap", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "ConfigMap", "data": m{"global": `{"podAnnotations":{"eks.amazonaws.com/skip-containers":"velero-repo-maintenance-container"}}`}}}},
			"valuesOverrides.extraObjects[0].data.global mentions eks.amazonaws.com/skip-containers"},
		{"server in another namespace", m{"configuration": m{"extraArgs": l{"--log-level=debug", "--namespace=tenant-a"}}},
			`valuesOverrides.configuration.extraArgs[1] is "--namespace=tenant-a": Velero would read backup locations, and the credentials they name (spec.credential), from another namespace; drop it`},
		{"node agent in another namespace, short flag", m{"nodeAgent": m{"extraArgs": l{"-ntenant-a"}}},
			`valuesOverrides.nodeAgent.extraArgs[0] is "-ntenant-a": Velero would read backup locations`},
		{"server on another cluster", m{"configuration": m{"extraArgs": l{"--kubeconfig", "/kc/config"}}},
			`valuesOverrides.configuration.extraArgs[0] is "--kubeconfig": Velero would read backup locations, and the credentials they name (spec.credential), from another cluster; drop it`},
		{"namespace by environment", m{"configuration": m{"extraEnvVars": l{env("VELERO_NAMESPACE")}}},
			"valuesOverrides.configuration.extraEnvVars[0] sets VELERO_NAMESPACE: Velero would read backup locations, and the credentials they name, from another namespace; drop it"},
		{"shell in a namespace label (charts 7-11)", m{"namespace": m{"labels": l{m{"key": "team", "value": "backup; kubectl create token velero-server"}}}},
			`valuesOverrides.namespace.labels[0]: backup; kubectl create token velero-server is not a label value; the chart passes it to kubectl on a command line`},
		{"odd namespace label key (chart 12)", m{"namespace": m{"labels": m{"team=x y": "a"}}},
			`valuesOverrides.namespace.labels.team=x y: "team=x y" is not a label key`},
		{"a struct", m{"podAnnotations": m{"team": struct{ Name string }{"x"}}},
			"valuesOverrides.podAnnotations.team is a struct { Name string }: value overrides must be plain values (maps, lists, strings, numbers, booleans), known before anything is created"},
		{"non-string keys", m{"podLabels": map[int]string{1: "x"}},
			"valuesOverrides.podLabels is a map[int]string: value maps must have string keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, args{ValuesOverrides: tc.overrides}, tc.want)
		})
	}
}

// TestOverridesPlainCopies keeps what the guards must not refuse: text
// with line breaks where the chart quotes it, inert extra objects, and
// typed Go values, which reach the release as plain values.
func TestOverridesPlainCopies(t *testing.T) {
	type team string
	overrides := m{
		"extraObjects": l{
			m{"apiVersion": "v1", "kind": "ConfigMap", "metadata": m{"name": "notes"}, "data": m{"motd": "line one\nline two\n"}},
			m{"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass", "metadata": m{"name": "ebs", "labels": m{"velero.io/csi-volumesnapshot-class": "true"}}, "driver": "ebs.csi.aws.com", "deletionPolicy": "Retain"},
			m{"apiVersion": "v1", "kind": "List", "items": l{m{"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": m{"name": "webhook"}}}},
		},
		"metrics":       m{"prometheusRule": m{"spec": l{m{"alert": "VeleroBackupFailed", "expr": "velero_backup_failure_total\n  > 0"}}}},
		"configMaps":    m{"fs-restore-action-config": m{"data": m{"image": "velero/velero:v1.18.1\n"}}, "node-agent.v2": m{"data": m{"config.json": "{\n  \"loadConcurrency\": {\"globalConfig\": 2}\n}"}}},
		"nodeSelector":  map[string]string{"kubernetes.io/os": "linux"},
		"podLabels":     map[string]team{"team": "platform"},
		"tolerations":   []map[string]interface{}{{"operator": "Exists"}},
		"resources":     m{"limits": m{"memory": "1Gi"}},
		"namespace":     m{"labels": m{"pod-security.kubernetes.io/enforce": "privileged", "team": ""}},
		"configuration": m{"extraArgs": l{"--log-level=debug", "--no-color", "--features=EnableCSI"}},
		"replicas":      int32(1),
	}
	plain, err := Plain(overrides)
	if err == nil {
		err = Check(plain, testWiring())
	}
	if err != nil {
		t.Fatalf("ordinary overrides refused: %v", err)
	}
	want := m{
		"nodeSelector": m{"kubernetes.io/os": "linux"},
		"podLabels":    m{"team": "platform"},
		"tolerations":  l{m{"operator": "Exists"}},
		"replicas":     1,
	}
	for key, value := range want {
		if !reflect.DeepEqual(plain[key], value) {
			t.Errorf("overrides[%q] = %#v, want the plain %#v", key, plain[key], value)
		}
	}
	if _, typed := overrides["nodeSelector"].(map[string]string); !typed {
		t.Errorf("Plain changed the caller's overrides")
	}
}
