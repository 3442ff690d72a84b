package overrides

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// The checks on valuesOverrides read values as the chart will, so they
// first make sure that what they read is what Helm renders:
//
//   - Every value is plain data (maps, lists, strings, numbers, booleans,
//     null), in the shapes the checks walk. A Go program may pass typed
//     maps or slices (map[string]string, []map[string]interface{}) or named
//     scalar types; they are copied into the plain shapes first, so no
//     check is skipped because a type assertion failed.
//   - No string holds a line break outside the values the chart writes
//     with toYaml. Many templates write a string unquoted
//     ("imagePullPolicy: {{ .Values.image.pullPolicy }}", the env names of
//     chart 7.x-9.1.2), so a line break would add YAML of the caller's
//     choosing, envFrom included, to Velero's containers.
//   - extraObjects are literal objects (extraobjects.go).

// lineBreaks are the characters YAML parsers read as a line break (YAML
// 1.1, as sigs.k8s.io/yaml and Helm read manifests): LF, CR, NEL, LS, PS.
const lineBreaks = "\n\r\u0085\u2028\u2029"

// writtenWithToYaml reports whether the chart only ever writes the value at
// path (its keys below valuesOverrides) with toYaml, which quotes line
// breaks, so multi-line strings (a ConfigMap's data, an alert expression)
// are safe in it: extraObjects, metrics.prometheusRule.spec and the data of
// the chart's configMaps (whose names, though, it writes unquoted).
func writtenWithToYaml(path []string) bool {
	switch {
	case len(path) == 1:
		return path[0] == "extraObjects"
	case len(path) == 3 && path[0] == "metrics":
		return path[1] == "prometheusRule" && path[2] == "spec"
	case len(path) == 3 && path[0] == "configMaps":
		return path[2] == "data"
	}
	return false
}

// Plain copies the overrides into plain maps, lists and scalars (the
// shapes Check walks and Helm renders), refusing anything else (an Output,
// a struct, a function) with its path under valuesOverrides. The caller's
// values are not changed.
func Plain(overrides map[string]interface{}) (map[string]interface{}, error) {
	if overrides == nil {
		return nil, nil
	}
	plain, err := plainValues(overrides, "valuesOverrides")
	if err != nil {
		return nil, err
	}
	return plain.(map[string]interface{}), nil
}

// plainValues copies valuesOverrides into plain maps, lists and scalars,
// refusing anything else (an Output, a struct, a function): the values must
// be known and checked before anything is created.
func plainValues(v interface{}, at string) (interface{}, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s is a %T: value maps must have string keys", at, v)
		}
		out := make(map[string]interface{}, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			key := iter.Key().String()
			item, err := plainValues(iter.Value().Interface(), at+"."+key)
			if err != nil {
				return nil, err
			}
			out[key] = item
		}
		return out, nil
	case reflect.Slice, reflect.Array:
		out := make([]interface{}, rv.Len())
		for i := range out {
			item, err := plainValues(rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return plainValues(rv.Elem().Interface(), at)
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	}
	return nil, fmt.Errorf("%s is a %T: value overrides must be plain values (maps, lists, strings, numbers, booleans), known before anything is created", at, v)
}

// checkLineBreaks refuses a line break in any key or string of the
// overrides, except in the values the chart writes with toYaml. path holds
// the map keys from valuesOverrides down to v.
func checkLineBreaks(v interface{}, at string, path []string) error {
	switch x := v.(type) {
	case map[string]interface{}:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if strings.ContainsAny(k, lineBreaks) {
				return fmt.Errorf("%s has the key %q with a line break: the chart writes some keys and values unquoted, where a line break adds YAML of its own to the manifest; remove it", at, k)
			}
			keys := append(path[:len(path):len(path)], k)
			if writtenWithToYaml(keys) {
				continue
			}
			if err := checkLineBreaks(x[k], at+"."+k, keys); err != nil {
				return err
			}
		}
	case []interface{}:
		for i, item := range x {
			if err := checkLineBreaks(item, fmt.Sprintf("%s[%d]", at, i), path); err != nil {
				return err
			}
		}
	case string:
		if strings.ContainsAny(x, lineBreaks) {
			return fmt.Errorf("%s %q has a line break: the chart writes some values unquoted, where a line break adds YAML of its own to the manifest (envFrom, for one); remove it", at, x)
		}
	}
	return nil
}

// findTemplate looks for "{{" in any key or string below v.
func findTemplate(v interface{}, at string) (string, bool) {
	if text, ok := v.(string); ok && strings.Contains(text, "{{") {
		return at, true
	}
	return findPath(v, at, func(key string, value interface{}) bool {
		text, _ := value.(string)
		return strings.Contains(key, "{{") || strings.Contains(text, "{{")
	})
}

// findPath walks maps and lists below v, depth first in key order, and
// returns the path of the first map entry or list item for which match
// holds (list items are matched with an empty key).
func findPath(v interface{}, at string, match func(key string, value interface{}) bool) (string, bool) {
	switch x := v.(type) {
	case map[string]interface{}:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if match(k, x[k]) {
				return at + "." + k, true
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if where, found := findPath(x[k], at+"."+k, match); found {
				return where, true
			}
		}
	case []interface{}:
		for i, item := range x {
			itemAt := fmt.Sprintf("%s[%d]", at, i)
			if match("", item) {
				return itemAt, true
			}
			if where, found := findPath(item, itemAt, match); found {
				return where, true
			}
		}
	}
	return "", false
}

// envMapName is what an environment variable name in map form (chart 7.0.0
// to 9.1.2, written unquoted as "- name: {{ $key }}") may be: quotes, '#',
// spaces or ':' would be read as YAML, not as part of the name.
var envMapName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
