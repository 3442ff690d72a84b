package existing

import (
	"regexp"
	"sort"
	"strings"
)

// The AWS credential variables the SDKs read from the environment.
var keyVariables = map[string]bool{"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true}

// accessKeyID matches an AWS access key ID: long-term (AKIA) or temporary
// (ASIA), 20 characters.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
var accessKeyID = regexp.MustCompile(`(AKIA|ASIA)[A-Z0-9]{16}`)

// isKeyMaterial tells whether a string value holds AWS keys: a credentials
// file (its aws_access_key_id / aws_secret_access_key lines) or an access
// key ID.
func isKeyMaterial(s string) bool {
	lower := strings.ToLower(s)
	return strings.Contains(lower, "aws_secret_access_key") || strings.Contains(lower, "aws_access_key_id") || accessKeyID.MatchString(s)
}

// ScrubValues returns a copy of Helm release values without static AWS
// keys, and the paths it removed: the chart's credentials.secretContents
// and credentials.extraEnvVars (both become the chart's credentials
// Secret), any entry named like an AWS key variable (a map key, or a list
// entry's name, as the chart's *.extraEnvVars take them), and any string
// that holds a credentials file or an access key ID. The values stay
// otherwise as they were.
func ScrubValues(values map[string]interface{}) (map[string]interface{}, []string) {
	var removed []string
	out := scrubMap(values, "", &removed)
	sort.Strings(removed)
	return out, removed
}

// HasKeyMaterial tells whether ScrubValues would remove anything.
func HasKeyMaterial(values map[string]interface{}) bool {
	_, removed := ScrubValues(values)
	return len(removed) > 0
}

func scrubMap(m map[string]interface{}, path string, removed *[]string) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		p := join(path, k)
		if p == "credentials.secretContents" || p == "credentials.extraEnvVars" || keyVariables[k] {
			*removed = append(*removed, p)
			continue
		}
		if s, ok := v.(string); ok && isKeyMaterial(s) {
			*removed = append(*removed, p)
			continue
		}
		out[k] = scrubValue(v, p, removed)
	}
	return out
}

func scrubValue(v interface{}, path string, removed *[]string) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		return scrubMap(t, path, removed)
	case []interface{}:
		list := make([]interface{}, 0, len(t))
		for _, e := range t {
			if m, ok := e.(map[string]interface{}); ok {
				if name, _ := m["name"].(string); keyVariables[name] {
					*removed = append(*removed, path+"[name="+name+"]")
					continue
				}
			}
			if s, ok := e.(string); ok && isKeyMaterial(s) {
				*removed = append(*removed, path+"[]")
				continue
			}
			list = append(list, scrubValue(e, path, removed))
		}
		return list
	}
	return v
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
