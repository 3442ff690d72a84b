package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// alertsStack is the seed's stack with the alerts and the node agent on.
const alertsStack = `# The seed's stack with alerts and the node agent, in the rig.
config:
  velero-irsa:clusterName: alerts-euw1
  velero-irsa:region: eu-west-1
  velero-irsa:bucketName: velero-irsa-rig-alerts-euw1
  velero-irsa:createBucket: true
  velero-irsa:backupPrefix: clusters/alerts-euw1
  velero-irsa:verifyBackup: true
  velero-irsa:backupLocationTimeoutSeconds: 120
  velero-irsa:deployNodeAgent: true
  velero-irsa:schedules:
    daily:
      schedule: "0 3 * * *"
      ttl: 168h
  velero-irsa:alerts:
    enabled: true
    labels:
      team: platform
    resourceLabels:
      release: kube-prometheus-stack
`

// monitoringCRDs stand in for the Prometheus Operator's CRDs: the kinds
// the alerts install, with a schema for what the rules carry (a group's
// name and rules, a rule's alert and expr) and the monitors' specs kept
// open. Written for the rig, not taken from the operator.
const monitoringCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec:
              type: object
              required: [groups]
              properties:
                groups:
                  type: array
                  items:
                    type: object
                    required: [name, rules]
                    properties:
                      name: {type: string, minLength: 1}
                      rules:
                        type: array
                        items:
                          type: object
                          required: [expr]
                          properties:
                            alert: {type: string}
                            record: {type: string}
                            expr: {type: string, minLength: 1}
                            for: {type: string}
                            labels: {type: object, additionalProperties: {type: string}}
                            annotations: {type: object, additionalProperties: {type: string}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec: {type: object, required: [selector, endpoints], x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podmonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PodMonitor, listKind: PodMonitorList, plural: podmonitors, singular: podmonitor}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec: {type: object, required: [selector, podMetricsEndpoints], x-kubernetes-preserve-unknown-fields: true}
`

// alerts is the alerts scenario: an up with alerts on a cluster without
// the Prometheus Operator's CRDs is refused before anything is created;
// with them, the up installs the PrometheusRule, ServiceMonitor and
// PodMonitor, and every metric the installed rules use is on the metrics
// pages of the real Velero server and node agent, the overdue rule's
// schedule series included.
func alerts(ctx context.Context, e *Env) error {
	r, err := startRig(ctx, e, "alerts", "210987654321", "eu-west-1", "alerts-euw1")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "alerts-euw1", alertsStack)
	if err != nil {
		return err
	}
	d.refusalsExpected = true
	out, err := d.Run(ctx, "up", upTimeout)
	if err == nil {
		return fmt.Errorf("pulumi up with alerts succeeded on a cluster without the Prometheus Operator's CRDs")
	}
	want := "config alerts is set, but cluster alerts-euw1 has no CustomResourceDefinition prometheusrules.monitoring.coreos.com, servicemonitors.monitoring.coreos.com, podmonitors.monitoring.coreos.com"
	if !strings.Contains(out, want) {
		return fmt.Errorf("the refused up does not say %q", want)
	}
	if roles := r.Cloud.Roles(); len(roles) != 0 {
		return fmt.Errorf("the refused up created role %s", roles[0].ARN)
	}
	if _, err := r.S3.Objects("velero-irsa-rig-alerts-euw1", ""); err == nil {
		return fmt.Errorf("the refused up created bucket velero-irsa-rig-alerts-euw1")
	}
	if releases, _ := d.helm("list", "-A", "-q"); strings.TrimSpace(releases) != "" {
		return fmt.Errorf("the refused up installed Helm release %s", strings.TrimSpace(releases))
	}
	fmt.Fprintf(e.Out, "    without the CRDs: refused, no role, bucket or release created\n")

	crds := filepath.Join(d.Dir, "monitoring-crds.yaml")
	if err := os.WriteFile(crds, []byte(monitoringCRDs), 0o644); err != nil {
		return err
	}
	if _, err := d.kubectl("apply", "-f", crds); err != nil {
		return fmt.Errorf("installing the monitoring CRDs: %v", err)
	}
	if _, err := d.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/prometheusrules.monitoring.coreos.com", "crd/servicemonitors.monitoring.coreos.com", "crd/podmonitors.monitoring.coreos.com"); err != nil {
		return fmt.Errorf("waiting for the monitoring CRDs: %v", err)
	}
	d.refusalsExpected = false
	out, err = d.Run(ctx, "up", upTimeout)
	if err != nil {
		return err
	}
	if err := d.checkSeed(out, "velero", "velero-server", "velero-irsa-rig-alerts-euw1", "clusters/alerts-euw1", true); err != nil {
		return err
	}
	rules, err := d.installedAlerts()
	if err != nil {
		return err
	}
	// The monitors scrape port http-monitoring: the pods must declare it.
	for _, w := range []string{"deployment/velero", "daemonset/node-agent"} {
		port, _ := d.kubectl("get", w, "-n", "velero", "-o", `jsonpath={.spec.template.spec.containers[0].ports[?(@.name=="http-monitoring")].containerPort}`)
		if port != "8085" {
			return fmt.Errorf("%s declares no container port http-monitoring 8085 for the monitors (got %q)", w, port)
		}
	}
	// A new schedule first runs at its next cron time; the runbook's
	// command runs it now, so that Velero reports its last success.
	if _, err := d.show("velero backup create rig-daily --from-schedule velero-daily -n velero", func() (string, error) {
		return d.velero("backup", "create", "rig-daily", "--from-schedule", "velero-daily", "-n", "velero")
	}); err != nil {
		return err
	}
	if err := waitFor(ctx, 2*time.Minute, "backup rig-daily Completed", func() error {
		if phase := d.jsonpath("backups.velero.io", "rig-daily", "velero", "{.status.phase}"); phase != "Completed" {
			return fmt.Errorf("phase %q", phase)
		}
		return nil
	}); err != nil {
		return err
	}
	return d.metricsCoverRules(ctx, rules)
}

// installedRule is a rule of the PrometheusRule in the cluster.
type installedRule struct {
	Alert  string            `json:"alert"`
	Expr   string            `json:"expr"`
	Labels map[string]string `json:"labels"`
}

// installedAlerts checks the monitoring objects the release made (labelled
// for the Prometheus to select them) and returns the rules.
func (d *Deployment) installedAlerts() ([]installedRule, error) {
	for _, obj := range []string{"servicemonitor/velero", "podmonitor/node-agent", "prometheusrule/velero"} {
		label, err := d.kubectl("get", obj, "-n", "velero", "-o", "jsonpath={.metadata.labels.release}")
		if err != nil {
			return nil, fmt.Errorf("the release made no %s: %v", obj, err)
		}
		if label != "kube-prometheus-stack" {
			return nil, fmt.Errorf("%s has label release=%q, want the stack's resourceLabels' kube-prometheus-stack", obj, label)
		}
	}
	raw, err := d.kubectl("get", "prometheusrule/velero", "-n", "velero", "-o", "jsonpath={.spec.groups[0].rules}")
	if err != nil {
		return nil, err
	}
	var rules []installedRule
	if err := json.Unmarshal([]byte(raw), &rules); err != nil {
		return nil, fmt.Errorf("reading the PrometheusRule's rules: %v", err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Alert)
		if r.Labels["team"] != "platform" {
			return nil, fmt.Errorf("rule %s has labels %v, without the stack's team: platform", r.Alert, r.Labels)
		}
	}
	want := []string{"VeleroBackupOverdue", "VeleroBackupOverdue", "VeleroBackupFailed", "VeleroBackupPartiallyFailed", "VeleroRestoreFailed",
		"VeleroBackupLocationUnavailable", "VeleroFileSystemBackupStalled", "VeleroDataUploadFailed"}
	if !slices.Equal(names, want) {
		return nil, fmt.Errorf("the PrometheusRule has alerts %v, want %v", names, want)
	}
	fmt.Fprintf(d.Env.Out, "    ServiceMonitor, PodMonitor and PrometheusRule (%d rules) installed, labelled release=kube-prometheus-stack\n", len(rules))
	return rules, nil
}

// metricName matches the metric names in a rule's expression.
var metricName = regexp.MustCompile(`\b(?:velero|podVolume)_[A-Za-z0-9_]+`)

// metricsCoverRules reads the metrics pages of the running Velero server
// and node agent until every metric the rules use is there, with the
// series each overdue rule selects (its schedule label), and fails
// naming what is missing after two minutes (Velero sets a schedule's last
// successful backup time at a minute's recount after the backup).
func (d *Deployment) metricsCoverRules(ctx context.Context, rules []installedRule) error {
	used := map[string]bool{}
	var series []string
	for _, r := range rules {
		for _, m := range metricName.FindAllString(r.Expr, -1) {
			used[m] = true
		}
		if s := r.Labels["schedule"]; s != "" && r.Labels["last_success"] == "" {
			series = append(series, fmt.Sprintf(`velero_backup_last_successful_timestamp{schedule=%q}`, s))
		}
	}
	var missing []string
	var pods int
	err := waitFor(ctx, 2*time.Minute, "Velero's metrics to hold every metric the rules use", func() error {
		pages := map[string]string{}
		pods = 0
		for _, kind := range []string{"server", "node-agent"} {
			got, err := d.Rig.Runtime.Metrics(ctx, "velero", kind)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				return fmt.Errorf("no %s pod runs", kind)
			}
			for pod, page := range got {
				pages[pod] = page
				pods++
			}
		}
		have := map[string]bool{}
		for _, page := range pages {
			maps.Copy(have, exported(page))
		}
		missing = missing[:0]
		for m := range used {
			if !have[m] {
				missing = append(missing, m)
			}
		}
		for _, s := range series {
			if !have[s] {
				missing = append(missing, s)
			}
		}
		// The labels the rules group by must be on the series.
		for m := range used {
			label := "schedule"
			switch {
			case strings.HasPrefix(m, "podVolume_"):
				label = "node"
			case m == "velero_backup_location_status_gauge":
				label = "backup_location_name"
			}
			if have[m] && !labelled(have, m, label) {
				missing = append(missing, m+" with label "+label)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			return fmt.Errorf("missing %s", strings.Join(missing, ", "))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the alert rules use metrics the running Velero does not export: %v", err)
	}
	names := make([]string, 0, len(used))
	for m := range used {
		names = append(names, m)
	}
	sort.Strings(names)
	fmt.Fprintf(d.Env.Out, "    %d pods' metrics hold all %d metrics the rules use (%s) and %s\n", pods, len(names), strings.Join(names, ", "), strings.Join(series, ", "))
	return nil
}

// exported reads a Prometheus text-format page: each metric name, and
// each series as written (name and labels), is a key.
func exported(page string) map[string]bool {
	have := map[string]bool{}
	for _, line := range strings.Split(page, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		have[line[:strings.IndexAny(line+" ", "{ ")]] = true
		if i := strings.LastIndex(line, " "); i > 0 {
			have[line[:i]] = true
		}
	}
	return have
}

// labelled reports whether a series of metric carries label.
func labelled(have map[string]bool, metric, label string) bool {
	for k := range have {
		if strings.HasPrefix(k, metric+"{") && (strings.Contains(k, "{"+label+"=") || strings.Contains(k, ","+label+"=")) {
			return true
		}
	}
	return false
}
