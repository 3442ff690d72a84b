package existing

import (
	"encoding/base64"
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
// A string that decodes from base64 (a Secret's data in extraObjects,
// say) is looked at decoded too.
func isKeyMaterial(s string) bool {
	if plainKeyMaterial(s) {
		return true
	}
	if decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil {
		return plainKeyMaterial(string(decoded))
	}
	return false
}

func plainKeyMaterial(s string) bool {
	lower := strings.ToLower(s)
	return strings.Contains(lower, "aws_secret_access_key") || strings.Contains(lower, "aws_access_key_id") || accessKeyID.MatchString(s)
}

// isKeyVariable tells whether a name is an AWS key variable's, in any case.
func isKeyVariable(name string) bool {
	return keyVariables[strings.ToUpper(name)]
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
		if p == "credentials.secretContents" || p == "credentials.extraEnvVars" || isKeyVariable(k) {
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
				if name, _ := m["name"].(string); isKeyVariable(name) {
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
