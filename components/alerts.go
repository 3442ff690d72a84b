package components

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Alerts turns on Prometheus alerting on Velero's own metrics: with the
// release, the chart renders a ServiceMonitor for the server, a PodMonitor
// for the node agent (only with DeployNodeAgent) and a PrometheusRule with the
// rules of AlertRules. These are Prometheus Operator kinds
// (monitoring.coreos.com/v1): the stack program refuses a cluster without
// their CRDs before anything is created, and the chart is told not to
// skip them silently when they are missing (its autodetect), so the
// release fails instead. docs/configuration.md ("Alerts") lists the
// rules.
type Alerts struct {
	// Labels are added to every alert, e.g. team: platform for
	// Alertmanager's routing. A label named severity replaces the rule's
	// own (critical or warning). Prometheus label names: letters, digits
	// and '_'. Default none.
	Labels map[string]string `pulumi:"labels,optional"`
	// Annotations are added to every alert (summary, description and
	// runbook_url are the component's). Default none.
	Annotations map[string]string `pulumi:"annotations,optional"`
	// ResourceLabels label the PrometheusRule, ServiceMonitor and
	// PodMonitor objects, so that the Prometheus' ruleSelector,
	// serviceMonitorSelector and podMonitorSelector pick them up
	// (kube-prometheus-stack selects release: <its release name> unless
	// told otherwise). Default none.
	ResourceLabels map[string]string `pulumi:"resourceLabels,optional"`
	// RunbookBaseUrl is where docs/troubleshooting.md is read; each alert's
	// runbook_url is this URL with the alert's section as its fragment.
	// Default
	// https://github.com/velero-irsa/velero-irsa/blob/main/docs/troubleshooting.md.
	RunbookBaseUrl string `pulumi:"runbookBaseUrl,optional"`
	// OverdueMargin is how much later than its schedule's longest interval
	// a schedule's newest successful backup may be before
	// VeleroBackupOverdue fires: a Go duration such as "1h". Leave room for
	// a backup's own run time. Default "1h".
	OverdueMargin string `pulumi:"overdueMargin,optional"`
}

// Defaults of the optional Alerts fields.
const (
	DefaultRunbookBaseURL = "https://github.com/velero-irsa/velero-irsa/blob/main/docs/troubleshooting.md"
	DefaultOverdueMargin  = "1h"
)

// AlertRule is one Prometheus alerting rule, as the PrometheusRule's
// spec.groups[].rules[] and a Prometheus rule file write it.
type AlertRule struct {
	Alert       string            `json:"alert" yaml:"alert"`
	Expr        string            `json:"expr" yaml:"expr"`
	For         string            `json:"for,omitempty" yaml:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
}

// The alerts' names; each has a section of that name in
// docs/troubleshooting.md.
const (
	AlertBackupOverdue           = "VeleroBackupOverdue"
	AlertBackupFailed            = "VeleroBackupFailed"
	AlertBackupPartiallyFailed   = "VeleroBackupPartiallyFailed"
	AlertRestoreFailed           = "VeleroRestoreFailed"
	AlertLocationUnavailable     = "VeleroBackupLocationUnavailable"
	AlertFileSystemBackupStalled = "VeleroFileSystemBackupStalled"
	AlertDataUploadFailed        = "VeleroDataUploadFailed"
)

// AlertsInput is what the rules depend on, as plain values.
type AlertsInput struct {
	// Namespace is Velero's: every expression selects its series by the
	// namespace label the Prometheus Operator gives scraped targets, so
	// two Veleros in one Prometheus do not mix.
	Namespace string
	// Fullname is the chart's fullname, the prefix of its Schedules'
	// names (and so of the schedule label of Velero's metrics).
	Fullname  string
	Schedules map[string]Schedule
	NodeAgent bool
	Alerts    Alerts
}

// failureWindow is how long a failure keeps its alert firing: a counter's
// increase over it. One hour leaves Alertmanager time to send it even
// with a long evaluation interval.
const failureWindow = "1h"

// AlertRules builds the alerting rules. Metric names are those Velero
// 1.18.3 exports (pkg/metrics/metrics.go: the server's velero_* and the
// node agent's podVolume_*); the rig scrapes the real server and fails
// when one is missing.
func AlertRules(in AlertsInput) ([]AlertRule, error) {
	margin, err := time.ParseDuration(cmp.Or(in.Alerts.OverdueMargin, DefaultOverdueMargin))
	if err != nil {
		return nil, err
	}
	ns := fmt.Sprintf("namespace=%q", in.Namespace)
	var rules []AlertRule
	for _, key := range slices.Sorted(maps.Keys(in.Schedules)) {
		period, err := scheduleInterval(in.Schedules[key].Schedule)
		if err != nil {
			return nil, err
		}
		rules = append(rules, overdueRules(in.Namespace, in.Fullname+"-"+key, in.Schedules[key].Schedule, period+margin)...)
	}
	rules = append(rules,
		AlertRule{
			Alert: AlertBackupFailed,
			// Validation failures are failures too: the backup never ran.
			// Each counter is summed on its own: a schedule label one of
			// them lacks (a deleted schedule's) must not hide the other.
			// "A + B or A or B": the sum where both have the schedule,
			// else whichever has it.
			Expr: fmt.Sprintf("(%[1]s + %[2]s or %[1]s or %[2]s) > 0",
				fmt.Sprintf("sum by (namespace, schedule) (increase(velero_backup_failure_total{%s}[%s]))", ns, failureWindow),
				fmt.Sprintf("sum by (namespace, schedule) (increase(velero_backup_validation_failure_total{%s}[%s]))", ns, failureWindow)),
			Labels: map[string]string{"severity": "critical"},
			Annotations: map[string]string{
				"summary":     "A Velero backup failed",
				"description": `{{ $value | humanize }} backup(s) {{ if $labels.schedule }}of schedule {{ $labels.schedule }}{{ else }}not made by a schedule{{ end }} in namespace {{ $labels.namespace }} failed in the last hour.`,
			},
		},
		AlertRule{
			Alert: AlertBackupPartiallyFailed,
			// File-system backups the node agent could not finish make
			// their backup PartiallyFailed.
			Expr:   fmt.Sprintf("sum by (namespace, schedule) (increase(velero_backup_partial_failure_total{%s}[%s])) > 0", ns, failureWindow),
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "A Velero backup partially failed",
				"description": `{{ $value | humanize }} backup(s) {{ if $labels.schedule }}of schedule {{ $labels.schedule }}{{ else }}not made by a schedule{{ end }} in namespace {{ $labels.namespace }} finished with errors in the last hour: some items or volumes are not in them.`,
			},
		},
		AlertRule{
			Alert: AlertRestoreFailed,
			// Summed by namespace first, where Velero always has the
			// unscheduled ("") series of each counter.
			Expr:   fmt.Sprintf("sum by (namespace) (increase(velero_restore_failed_total{%[1]s}[%[2]s])) + sum by (namespace) (increase(velero_restore_partial_failure_total{%[1]s}[%[2]s])) + sum by (namespace) (increase(velero_restore_validation_failed_total{%[1]s}[%[2]s])) > 0", ns, failureWindow),
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "A Velero restore failed",
				"description": `{{ $value | humanize }} restore(s) in namespace {{ $labels.namespace }} failed, partially failed or failed validation in the last hour.`,
			},
		},
		AlertRule{
			Alert: AlertLocationUnavailable,
			Expr:  fmt.Sprintf("max by (namespace, backup_location_name) (velero_backup_location_status_gauge{%s}) == 0", ns),
			// Velero validates a location every 20 s (validationFrequency,
			// backuplocations.go); ten minutes rides out a short outage.
			For:    "10m",
			Labels: map[string]string{"severity": "critical"},
			Annotations: map[string]string{
				"summary":     "A Velero backup location is not Available",
				"description": `Backup location {{ $labels.backup_location_name }} in namespace {{ $labels.namespace }} has been Unavailable for 10 minutes: Velero cannot reach its bucket, and backups to it fail.`,
			},
		},
	)
	if in.NodeAgent {
		rules = append(rules, nodeAgentRules(ns)...)
	}
	base := cmp.Or(in.Alerts.RunbookBaseUrl, DefaultRunbookBaseURL)
	for i := range rules {
		r := &rules[i]
		maps.Copy(r.Labels, in.Alerts.Labels)
		maps.Copy(r.Annotations, in.Alerts.Annotations)
		r.Annotations["runbook_url"] = base + "#" + strings.ToLower(r.Alert)
	}
	return rules, nil
}

// overdueRules fire when a schedule's newest successful backup is older
// than threshold, or when there has been none at all for that long (its
// backups all fail, or Velero is not running or not scraped; the second
// rule carries last_success: none). Velero recomputes
// velero_backup_last_successful_timestamp from the Backup objects every
// minute (backup_controller.go, updateTotalBackupMetric), so a restart
// hides it for a minute at most. A new schedule first runs at its next
// cron time, not at once (schedule_controller.go, getNextRunTime), so the
// absence must last threshold before it counts.
func overdueRules(namespace, schedule, cronExpr string, threshold time.Duration) []AlertRule {
	selector := fmt.Sprintf("velero_backup_last_successful_timestamp{namespace=%q, schedule=%q}", namespace, schedule)
	summary := "A Velero schedule has no recent successful backup"
	return []AlertRule{
		{
			Alert: AlertBackupOverdue,
			Expr:  fmt.Sprintf("time() - max by (namespace, schedule) (%s) > %d", selector, int64(threshold/time.Second)),
			// The schedule label keeps one rule per schedule apart.
			Labels: map[string]string{"severity": "critical", "schedule": schedule},
			Annotations: map[string]string{
				"summary": summary,
				"description": fmt.Sprintf(`The newest successful backup of schedule %s in namespace {{ $labels.namespace }} ("%s") is {{ $value | humanizeDuration }} old, more than its longest interval plus the margin (%s).`,
					schedule, cronExpr, promDuration(threshold)),
			},
		},
		{
			Alert:  AlertBackupOverdue,
			Expr:   fmt.Sprintf("absent(%s)", selector),
			For:    promDuration(threshold),
			Labels: map[string]string{"severity": "critical", "schedule": schedule, "last_success": "none"},
			Annotations: map[string]string{
				"summary": summary,
				"description": fmt.Sprintf(`Velero has reported no successful backup of schedule %s in namespace %s ("%s") for %s, its longest interval plus the margin: its backups fail, or Velero is not running or not scraped.`,
					schedule, namespace, cronExpr, promDuration(threshold)),
			},
		},
	}
}

// nodeAgentRules watch the node agent. Velero 1.18.3 counts no failed
// pod volume backups: the node agent counts those it takes
// (pod_volume_backup_enqueue_count) and those it completes
// (..._dequeue_count, pod_volume_backup_controller.go), so the gap is
// what runs or failed. VeleroFileSystemBackupStalled fires when the gap
// has grown over the last two hours and stayed so for one: a failure
// (until two hours after it), or a backup still running after an hour,
// the lifetime of the credentials Kopia uploads with
// (docs/configuration.md). The gap two hours ago counts as zero when the
// node agent has not been running that long.
func nodeAgentRules(ns string) []AlertRule {
	gap := func(offset string) string {
		return fmt.Sprintf("(sum by (namespace, node) (podVolume_pod_volume_backup_enqueue_count{%[1]s}%[2]s) - sum by (namespace, node) (podVolume_pod_volume_backup_dequeue_count{%[1]s}%[2]s))", ns, offset)
	}
	return []AlertRule{
		{
			Alert:  AlertFileSystemBackupStalled,
			Expr:   fmt.Sprintf("%s - (%s or %s * 0) > 0", gap(""), gap(" offset 2h"), gap("")),
			For:    "1h",
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "Velero's node agent has file-system backups that failed or run too long",
				"description": `The node agent on {{ $labels.node }} (namespace {{ $labels.namespace }}) took {{ $value | humanize }} more pod volume backup(s) than it completed in the last two hours, for an hour now: they failed or still run, beyond the hour the role's credentials last.`,
			},
		},
		{
			Alert:  AlertDataUploadFailed,
			Expr:   fmt.Sprintf("sum by (namespace, node) (increase(podVolume_data_upload_failure_total{%s}[%s])) > 0", ns, failureWindow),
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "Velero's node agent failed to upload snapshot data",
				"description": `The node agent on {{ $labels.node }} (namespace {{ $labels.namespace }}) failed {{ $value | humanize }} data upload(s) (CSI snapshot data movement) in the last hour.`,
			},
		},
	}
}

// scheduleInterval is the longest time between two consecutive runs of a
// cron schedule, parsed as Velero parses it. It walks the runs from a
// fixed instant (so the rules, and a preview's diff, do not change with
// the day they are built) over five years, which covers every gap a
// five-field expression can make but the eight-year one of a 29 February
// schedule around 2100.
func scheduleInterval(expr string) (time.Duration, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return 0, err
	}
	start := time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(5, 0, 0)
	prev := sched.Next(start)
	if prev.IsZero() {
		return 0, fmt.Errorf("schedule %q never runs", expr)
	}
	var longest time.Duration
	for i := 0; i < 1_000_000 && prev.Before(end); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	if longest == 0 {
		return 0, fmt.Errorf("schedule %q runs once at most", expr)
	}
	return longest, nil
}

// promDuration writes d as a Prometheus duration (whole seconds): 25h,
// 1h30m, 90s.
func promDuration(d time.Duration) string {
	s := int64(d / time.Second)
	var b strings.Builder
	for _, u := range []struct {
		unit string
		size int64
	}{{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}} {
		if s >= u.size {
			fmt.Fprintf(&b, "%d%s", s/u.size, u.unit)
			s %= u.size
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// Prometheus label names (https://prometheus.io/docs/concepts/data_model/).
var promLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// An http(s) URL without a fragment (the alert's section is appended).
var runbookURL = regexp.MustCompile(`^https?://[^\s#]+$`)

// Kubernetes label keys ([prefix/]name) and values.
var (
	k8sLabelName  = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	k8sLabelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

// ruleLabels are the labels the rules carry from Velero's series (or set
// per schedule).
var ruleLabels = map[string]bool{"namespace": true, "schedule": true, "node": true, "backup_location_name": true, "last_success": true}

// checkAlerts validates the alerts setting.
func (s *settings) checkAlerts() error {
	a := s.alerts
	if a == nil {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		switch {
		case !promLabelName.MatchString(k) || strings.HasPrefix(k, "__"):
			return fmt.Errorf("alerts.labels key %q is not a Prometheus label name: use letters, digits and '_', not starting with a digit or \"__\"", k)
		case k == "alertname":
			return fmt.Errorf("alerts.labels key %q would rename the alerts: drop it (add a label of another name to route them)", k)
		case ruleLabels[k]:
			return fmt.Errorf("alerts.labels key %q is a label the rules set from Velero's series: a fixed value would merge the alerts of different %ss into one; use another name", k, strings.ReplaceAll(k, "_", " "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Annotations)) {
		if !promLabelName.MatchString(k) || strings.HasPrefix(k, "__") {
			return fmt.Errorf("alerts.annotations key %q is not a Prometheus annotation name: use letters, digits and '_'", k)
		}
		if k == "summary" || k == "description" || k == "runbook_url" {
			return fmt.Errorf("alerts.annotations key %q is the component's own: set runbookBaseUrl for runbook_url, or use another key", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.ResourceLabels)) {
		name, prefix, hasPrefix := k, "", false
		if i := strings.LastIndex(k, "/"); i >= 0 {
			prefix, name, hasPrefix = k[:i], k[i+1:], true
		}
		if !k8sLabelName.MatchString(name) || (hasPrefix && validateSubdomain("", prefix) != nil) {
			return fmt.Errorf("alerts.resourceLabels key %q is not a Kubernetes label key: use [prefix/]name, the name at most 63 letters, digits, '-', '_' and '.'", k)
		}
		if !k8sLabelValue.MatchString(a.ResourceLabels[k]) {
			return fmt.Errorf("alerts.resourceLabels.%s %q is not a Kubernetes label value: use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit", k, a.ResourceLabels[k])
		}
	}
	if a.RunbookBaseUrl != "" && !runbookURL.MatchString(a.RunbookBaseUrl) {
		return fmt.Errorf("alerts.runbookBaseUrl %q is not an http(s) URL without a fragment: use the URL of docs/troubleshooting.md, e.g. %s", a.RunbookBaseUrl, DefaultRunbookBaseURL)
	}
	if a.OverdueMargin != "" {
		if d, err := time.ParseDuration(a.OverdueMargin); err != nil || d < time.Minute {
			return fmt.Errorf("alerts.overdueMargin %q is not a duration of a minute or more: write it like \"1h\" or \"30m\"", a.OverdueMargin)
		}
	}
	return checkAlertOverrides(s.overrides)
}

// checkAlertOverrides refuses, with alerts on, value overrides that would
// drop or replace what the alerts install: metrics.enabled,
// metrics.prometheusRule and the monitors' enabled and autodetect.
func checkAlertOverrides(values map[string]interface{}) error {
	metrics, ok := values["metrics"].(map[string]interface{})
	if !ok {
		if _, set := values["metrics"]; set {
			return fmt.Errorf("valuesOverrides.metrics is not a map while alerts is set: the alerts need the chart's metrics; drop it")
		}
		return nil
	}
	if _, set := metrics["enabled"]; set {
		return fmt.Errorf("valuesOverrides.metrics.enabled is set while alerts is set: the alerts turn the chart's metrics on; drop it")
	}
	if _, set := metrics["prometheusRule"]; set {
		return fmt.Errorf("valuesOverrides.metrics.prometheusRule is set while alerts is set: the component writes the PrometheusRule; set alerts.labels, alerts.annotations or alerts.resourceLabels instead, or drop alerts and keep your own rules")
	}
	for _, m := range []string{"serviceMonitor", "nodeAgentPodMonitor"} {
		raw, set := metrics[m]
		mon, isMap := raw.(map[string]interface{})
		if set && !isMap {
			return fmt.Errorf("valuesOverrides.metrics.%s is %v while alerts is set: a value that is not a map would drop the monitor the alerts need; drop it or give a map", m, raw)
		}
		for _, k := range []string{"enabled", "autodetect"} {
			if _, set := mon[k]; set {
				return fmt.Errorf("valuesOverrides.metrics.%s.%s is set while alerts is set: the alerts decide it; drop it (other %s values, such as relabelings, stay allowed)", m, k, m)
			}
		}
	}
	return nil
}

// alertingValues are the chart's metrics values for the alerts: the
// ServiceMonitor, the node agent's PodMonitor and the PrometheusRule,
// with autodetect off so that a cluster without the Prometheus Operator's
// CRDs fails the release instead of getting none of them.
func alertingValues(rules []AlertRule, resourceLabels map[string]string, nodeAgent bool) map[string]interface{} {
	labels := map[string]interface{}{}
	for k, v := range resourceLabels {
		labels[k] = v
	}
	spec := make([]interface{}, len(rules))
	for i, r := range rules {
		rule := map[string]interface{}{
			"alert":       r.Alert,
			"expr":        r.Expr,
			"labels":      stringMap(r.Labels),
			"annotations": stringMap(r.Annotations),
		}
		if r.For != "" {
			rule["for"] = r.For
		}
		spec[i] = rule
	}
	monitor := func(enabled bool) map[string]interface{} {
		return map[string]interface{}{"enabled": enabled, "autodetect": false, "additionalLabels": maps.Clone(labels)}
	}
	return map[string]interface{}{
		"enabled":             true,
		"serviceMonitor":      monitor(true),
		"nodeAgentPodMonitor": monitor(nodeAgent),
		"prometheusRule": map[string]interface{}{
			"enabled": true, "autodetect": false, "additionalLabels": maps.Clone(labels), "spec": spec,
		},
	}
}

func stringMap(m map[string]string) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
