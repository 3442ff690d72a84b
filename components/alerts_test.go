package components

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestScheduleInterval(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		expr string
		want time.Duration
	}{
		{"0 3 * * *", day},
		{"@daily", day},
		{"@every 6h", 6 * time.Hour},
		{"*/15 * * * *", 15 * time.Minute},
		{"0 */6 * * *", 6 * time.Hour},
		{"0 1,13 * * *", 12 * time.Hour},
		{"30 2 * * 1-5", 3 * day},           // Friday to Monday
		{"0 3 1 * *", 31 * day},             // the longest month
		{"0 4 * * 0", 7 * day},              // weekly
		{"0 3 29 2 *", (3*365 + 366) * day}, // 2028-02-29 to 2032-02-29
		// Velero runs CRON_TZ schedules in that zone: the night the
		// clocks go back, a daily run is 25 hours after the one before.
		{"CRON_TZ=Europe/Berlin 0 3 * * *", 25 * time.Hour},
	}
	for _, c := range cases {
		got, err := scheduleInterval(c.expr)
		if err != nil || got != c.want {
			t.Errorf("scheduleInterval(%q) = %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
	if _, err := scheduleInterval("0 3 31 2 *"); err == nil || !strings.Contains(err.Error(), "never runs") {
		t.Errorf("a schedule on 31 February: err = %v, want it never runs", err)
	}
}

func TestPromDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		25 * time.Hour: "1d1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 0: "0s", 7 * 24 * time.Hour: "7d",
	} {
		if got := promDuration(d); got != want {
			t.Errorf("promDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// alertsExample is the input of the golden rule file that promtool tests
// (testdata/alerts/tests.yaml).
var alertsExample = AlertsInput{
	Namespace: "velero",
	Fullname:  "velero",
	Schedules: map[string]Schedule{
		"daily":  {Schedule: "0 3 * * *"},
		"hourly": {Schedule: "0 * * * *"},
	},
	NodeAgent: true,
	Alerts: Alerts{
		Labels:      map[string]string{"team": "platform"},
		Annotations: map[string]string{"dashboard": "https://grafana.example.com/d/velero"},
	},
}

// TestAlertRulesGolden writes the rules as a Prometheus rule file, which
// `promtool test rules components/testdata/alerts/tests.yaml` (.ci/run)
// evaluates on series that fire and series that stay quiet.
func TestAlertRulesGolden(t *testing.T) {
	rules, err := AlertRules(alertsExample)
	if err != nil {
		t.Fatal(err)
	}
	file := map[string]interface{}{"groups": []interface{}{map[string]interface{}{"name": "velero", "rules": rules}}}
	out, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "alerts", "rules.yaml"), []byte("# The rules AlertRules builds for alertsExample (alerts_test.go); go test ./components -update rewrites it.\n"+string(out)))
}

// TestAlertRulesTested requires, for every alert of the golden rules, a
// promtool case where it fires and one where it stays quiet.
func TestAlertRulesTested(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "alerts", "tests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tests struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Alerts []struct {
				Name string        `yaml:"alertname"`
				Exp  []interface{} `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(data, &tests); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tests.RuleFiles, []string{"rules.yaml"}) {
		t.Errorf("tests.yaml tests rule files %v, want the golden rules.yaml", tests.RuleFiles)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.Alerts {
			if len(a.Exp) > 0 {
				fires[a.Name] = true
			} else {
				quiet[a.Name] = true
			}
		}
	}
	rules, _ := AlertRules(alertsExample)
	for _, r := range rules {
		if !fires[r.Alert] || !quiet[r.Alert] {
			t.Errorf("alert %s: tests.yaml has a firing case: %v, a quiet case: %v; it needs both", r.Alert, fires[r.Alert], quiet[r.Alert])
		}
	}
}

func TestAlertRules(t *testing.T) {
	in := AlertsInput{Namespace: "backup", Fullname: "backup-velero", Schedules: map[string]Schedule{"weekdays": {Schedule: "30 2 * * 1-5"}},
		Alerts: Alerts{OverdueMargin: "2h", RunbookBaseUrl: "https://wiki.example.com/velero", Labels: map[string]string{"severity": "page"}}}
	rules, err := AlertRules(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Alert)
	}
	if want := []string{AlertBackupOverdue, AlertBackupOverdue, AlertBackupFailed, AlertBackupPartiallyFailed, AlertRestoreFailed, AlertLocationUnavailable}; !slices.Equal(names, want) {
		t.Fatalf("alerts without the node agent = %v, want %v", names, want)
	}
	overdue, none := rules[0], rules[1]
	// Friday 02:30 to Monday 02:30, plus the margin: 74 hours.
	want := `time() - max by (namespace, schedule) (velero_backup_last_successful_timestamp{namespace="backup", schedule="backup-velero-weekdays"}) > 266400`
	if overdue.Expr != want || overdue.For != "" {
		t.Errorf("overdue expr =\n%s (for %q)\nwant\n%s", overdue.Expr, overdue.For, want)
	}
	want = `absent(velero_backup_last_successful_timestamp{namespace="backup", schedule="backup-velero-weekdays"})`
	if none.Expr != want || none.For != "3d2h" || none.Labels["last_success"] != "none" {
		t.Errorf("no-success rule expr =\n%s (for %q, labels %v)\nwant\n%s for 3d2h", none.Expr, none.For, none.Labels, want)
	}
	if overdue.Labels["severity"] != "page" || overdue.Annotations["runbook_url"] != "https://wiki.example.com/velero#velerobackupoverdue" {
		t.Errorf("overdue labels %v, annotations %v: want the user's severity and the runbook under the user's base", overdue.Labels, overdue.Annotations)
	}
	for _, r := range rules {
		if !strings.Contains(r.Expr, `namespace="backup"`) {
			t.Errorf("%s does not select Velero's namespace: %s", r.Alert, r.Expr)
		}
	}
}

// TestAlertRunbooks requires a docs/troubleshooting.md section for every
// alert, where its runbook_url points.
func TestAlertRunbooks(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := AlertRules(alertsExample)
	for _, r := range rules {
		if !strings.Contains(string(doc), "\n### "+r.Alert+"\n") {
			t.Errorf("docs/troubleshooting.md has no section \"### %s\" for the alert's runbook_url %s", r.Alert, r.Annotations["runbook_url"])
		}
	}
}

func TestAlertsValues(t *testing.T) {
	rules := []AlertRule{{Alert: "A", Expr: "up == 0", For: "5m", Labels: map[string]string{"severity": "warning"}, Annotations: map[string]string{"summary": "s"}}}
	got := alertingValues(rules, map[string]string{"release": "prometheus"}, false)
	labels := map[string]interface{}{"release": "prometheus"}
	want := map[string]interface{}{
		"enabled":             true,
		"serviceMonitor":      map[string]interface{}{"enabled": true, "autodetect": false, "additionalLabels": labels},
		"nodeAgentPodMonitor": map[string]interface{}{"enabled": false, "autodetect": false, "additionalLabels": labels},
		"prometheusRule": map[string]interface{}{"enabled": true, "autodetect": false, "additionalLabels": labels, "spec": []interface{}{
			map[string]interface{}{"alert": "A", "expr": "up == 0", "for": "5m",
				"labels": map[string]interface{}{"severity": "warning"}, "annotations": map[string]interface{}{"summary": "s"}},
		}},
	}
	if g, w := mustJSONString(t, got), mustJSONString(t, want); g != w {
		t.Errorf("alerting values =\n%s\nwant\n%s", g, w)
	}
}

func TestAlertsErrors(t *testing.T) {
	m := map[string]interface{}{}
	cases := []struct {
		name   string
		alerts Alerts
		values map[string]interface{}
		want   string
	}{
		{"label name", Alerts{Labels: map[string]string{"team-name": "x"}}, nil, `alerts.labels key "team-name" is not a Prometheus label name`},
		{"alertname", Alerts{Labels: map[string]string{"alertname": "x"}}, nil, `alerts.labels key "alertname" would rename the alerts`},
		{"rule label", Alerts{Labels: map[string]string{"schedule": "nightly"}}, nil, `alerts.labels key "schedule" is a label the rules set from Velero's series: a fixed value would merge the alerts of different schedules into one; use another name`},
		{"resource label empty prefix", Alerts{ResourceLabels: map[string]string{"/team": "x"}}, nil, `alerts.resourceLabels key "/team" is not a Kubernetes label key`},
		{"own annotation", Alerts{Annotations: map[string]string{"runbook_url": "x"}}, nil, `alerts.annotations key "runbook_url" is the component's own: set runbookBaseUrl`},
		{"resource label key", Alerts{ResourceLabels: map[string]string{"bad key": "x"}}, nil, `alerts.resourceLabels key "bad key" is not a Kubernetes label key`},
		{"resource label value", Alerts{ResourceLabels: map[string]string{"release": "kube prometheus"}}, nil, `alerts.resourceLabels.release "kube prometheus" is not a Kubernetes label value`},
		{"runbook fragment", Alerts{RunbookBaseUrl: "https://example.com/doc#x"}, nil, `alerts.runbookBaseUrl "https://example.com/doc#x" is not an http(s) URL without a fragment`},
		{"margin", Alerts{OverdueMargin: "1d"}, nil, `alerts.overdueMargin "1d" is not a duration of a minute or more`},
		{"metrics off", Alerts{}, map[string]interface{}{"metrics": map[string]interface{}{"enabled": false}}, `valuesOverrides.metrics.enabled is set while alerts is set`},
		{"own rules", Alerts{}, map[string]interface{}{"metrics": map[string]interface{}{"prometheusRule": m}}, `valuesOverrides.metrics.prometheusRule is set while alerts is set`},
		{"monitor dropped", Alerts{}, map[string]interface{}{"metrics": map[string]interface{}{"nodeAgentPodMonitor": nil}}, `valuesOverrides.metrics.nodeAgentPodMonitor is <nil> while alerts is set: a value that is not a map would drop the monitor`},
		{"autodetect", Alerts{}, map[string]interface{}{"metrics": map[string]interface{}{"serviceMonitor": map[string]interface{}{"autodetect": true}}}, `valuesOverrides.metrics.serviceMonitor.autodetect is set while alerts is set`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alerts := c.alerts
			_, err := newSettings(&VeleroIRSAArgs{Alerts: &alerts, ValuesOverrides: c.values})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Other monitor values stay the user's.
	ok := map[string]interface{}{"metrics": map[string]interface{}{"serviceMonitor": map[string]interface{}{"metricRelabelings": []interface{}{}}, "scrapeInterval": "1m"}}
	if _, err := newSettings(&VeleroIRSAArgs{Alerts: &Alerts{}, ValuesOverrides: ok}); err != nil {
		t.Errorf("relabelings and scrapeInterval with alerts: %v", err)
	}
}
