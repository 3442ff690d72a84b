package overrides

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Some overrides end up on a command line: extra flags for the Velero
// server and node agent, and the labels the chart's namespace-labelling Job
// passes to kubectl (through /bin/sh -c in charts 7.0.0 to 11.x, where a
// ';' in a label would run a command as Velero's ServiceAccount).

// refusedFlags are server and node-agent flags (Velero's pkg/client/factory.go
// and pkg/cmd/server/config) that would change where Velero reads its backup
// locations, and so the credentials they name, or which one is the default.
var refusedFlags = map[string]string{
	"namespace":                       "Velero would read backup locations, and the credentials they name (spec.credential), from another namespace; drop it",
	"n":                               "Velero would read backup locations, and the credentials they name (spec.credential), from another namespace; drop it",
	"kubeconfig":                      "Velero would read backup locations, and the credentials they name (spec.credential), from another cluster; drop it",
	"kubecontext":                     "Velero would read backup locations, and the credentials they name (spec.credential), from another cluster; drop it",
	"default-backup-storage-location": "the default location is the main one, which the component registers and validates; set backupLocationName instead",
}

// extraArgsValues are the lists of extra flags the chart appends.
var extraArgsValues = [][]string{
	{"configuration", "extraArgs"}, // server
	{"nodeAgent", "extraArgs"},
}

// checkExtraArgs refuses refusedFlags in any spelling pflag accepts:
// --name, --name=value, -n, -nvalue, -n=value.
func checkExtraArgs(o map[string]interface{}) error {
	for _, p := range extraArgsValues {
		v, ok := lookup(o, p...)
		if !ok {
			continue
		}
		args, _ := v.([]interface{})
		for i, a := range args {
			arg, _ := a.(string)
			if name, refused := flagName(arg); refused {
				return fmt.Errorf("valuesOverrides.%s[%d] is %q: %s", strings.Join(p, "."), i, arg, refusedFlags[name])
			}
		}
	}
	return nil
}

// flagName returns the refused flag an argument sets, if any.
func flagName(arg string) (string, bool) {
	switch {
	case strings.HasPrefix(arg, "--"):
		name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		_, refused := refusedFlags[name]
		return name, refused && name != "n"
	case strings.HasPrefix(arg, "-n"):
		return "n", true
	}
	return "", false
}

// labelKey and labelValue are Kubernetes' label syntax (apimachinery's
// IsQualifiedName and IsValidLabelValue).
var (
	labelName  = `[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`
	labelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?` + labelName + `$`)
	labelValue = regexp.MustCompile(`^(` + labelName + `)?$`)
)

// checkNamespaceLabels requires namespace.labels (a map in chart 12.x, a
// list of {key, value} before) to be label keys and values, which leaves no
// room for shell syntax.
func checkNamespaceLabels(o map[string]interface{}) error {
	v, ok := lookup(o, "namespace", "labels")
	if !ok {
		return nil
	}
	pairs := map[string]interface{}{}
	switch labels := v.(type) {
	case map[string]interface{}:
		for k, val := range labels {
			pairs["valuesOverrides.namespace.labels."+k] = [2]interface{}{k, val}
		}
	case []interface{}:
		for i, item := range labels {
			entry, _ := item.(map[string]interface{})
			pairs[fmt.Sprintf("valuesOverrides.namespace.labels[%d]", i)] = [2]interface{}{entry["key"], entry["value"]}
		}
	}
	fields := make([]string, 0, len(pairs))
	for f := range pairs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, field := range fields {
		kv := pairs[field].([2]interface{})
		key, _ := kv[0].(string)
		value, isString := kv[1].(string)
		if !labelKey.MatchString(key) || len(key) > 316 {
			return fmt.Errorf("%s: %q is not a label key; the chart passes it to kubectl on a command line, so it must be one ([prefix/]name)", field, key)
		}
		if !isString || !labelValue.MatchString(value) {
			return fmt.Errorf("%s: %v is not a label value; the chart passes it to kubectl on a command line, so it must be one (up to 63 letters, digits, '-', '_' and '.')", field, kv[1])
		}
	}
	return nil
}
