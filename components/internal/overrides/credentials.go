package overrides

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Value overrides must not give Velero's pods any AWS identity but the
// component's role. The AWS SDK for Go v2 takes credentials from the
// environment before the web identity token or the pod identity agent
// (resolveCredentialChain in config/resolve_credentials.go of
// github.com/aws/aws-sdk-go-v2), and the AWS plugin drops the web identity
// variables as soon as AWS_SHARED_CREDENTIALS_FILE is set (config.go in
// velero-plugin-for-aws). So one environment variable is enough to swap the
// role for static keys, silently.
//
// These are the chart values (velero chart 7.0.0 to 12.1.0, every template)
// that reach a container's environment, envFrom or file system in a pod the
// chart renders: the server Deployment (whose environment the repository
// maintenance jobs copy), the node agent DaemonSet (likewise the data mover
// pods), the CRD-upgrade hook Job and the namespace-labelling Job.
var (
	// envValues are lists of EnvVar (chart 9.1.3 and later) or maps of
	// name to value (chart 7.0.0 to 9.1.2); both shapes are checked.
	envValues = [][]string{
		{"configuration", "extraEnvVars"}, // server and node agent
		{"nodeAgent", "extraEnvVars"},
		{"upgradeCRDsJob", "extraEnvVars"},
	}
	// mountValues are lists of VolumeMount.
	mountValues = [][]string{
		{"extraVolumeMounts"}, // server
		{"nodeAgent", "extraVolumeMounts"},
		{"upgradeCRDsJob", "extraVolumeMounts"},
		{"kubectl", "extraVolumeMounts"}, // namespace-labelling job, chart 9.1.0 and later
	}
	// credentialValues exist only to carry static keys.
	credentialValues = []struct{ key, reason string }{
		{"extraSecretRef", "puts every key of that Secret into the server and node agent environment (envFrom), where AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY take precedence over the role"},
		{"extraEnvVars", "puts keys of the chart's credentials Secret into the server and node agent environment, where they take precedence over the role"},
		{"secretContents", "only fills the credentials file of credentials.useSecret, which must stay false; it exists to carry static keys"},
		{"existingSecret", "only names the credentials file of credentials.useSecret, which must stay false; it exists to carry static keys"},
	}
)

// credentialEnv are the variables the AWS SDK for Go v2 reads to supply,
// select or fetch credentials (config/env_config.go and
// config/resolve_credentials.go), each with why it is refused.
var credentialEnv = map[string]string{
	"AWS_ACCESS_KEY_ID":                      "static keys take precedence over the role",
	"AWS_ACCESS_KEY":                         "static keys take precedence over the role",
	"AWS_SECRET_ACCESS_KEY":                  "static keys take precedence over the role",
	"AWS_SECRET_KEY":                         "static keys take precedence over the role",
	"AWS_SESSION_TOKEN":                      "it belongs to static keys, which take precedence over the role",
	"AWS_SHARED_CREDENTIALS_FILE":            "with a credentials file the AWS plugin clears the role's web identity variables",
	"AWS_CONFIG_FILE":                        "a config file's profile can name other credentials, a credential process or another role",
	"AWS_PROFILE":                            "a profile can name other credentials or another role",
	"AWS_DEFAULT_PROFILE":                    "a profile can name other credentials or another role",
	"AWS_ROLE_ARN":                           "it names the role the web identity token is exchanged for; the component sets it through the ServiceAccount",
	"AWS_WEB_IDENTITY_TOKEN_FILE":            "it points the SDK at another token, so another identity",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "it fetches credentials from another endpoint; EKS Pod Identity sets it itself",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "it fetches credentials from another endpoint",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN":      "it authorizes a container credentials endpoint other than EKS Pod Identity's",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "it authorizes a container credentials endpoint other than EKS Pod Identity's",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT":      "it fetches instance credentials from another endpoint",
	"AWS_ENDPOINT_URL":                       "it sends every AWS call, STS's token exchange included, to another endpoint, which can hand back any credentials",
	"HOME":                                   "it moves ~/.aws/credentials and ~/.aws/config, where the SDK finds other credentials",
	// Velero's own: the namespace and cluster it reads its locations, and
	// their credential Secrets (spec.credential), from (pkg/client/factory.go).
	"VELERO_NAMESPACE": "Velero would read backup locations, and the credentials they name, from another namespace",
	"KUBECONFIG":       "Velero would read backup locations, and the credentials they name, from another cluster",
}

// credentialEnvReason says why an environment variable is refused; the
// per-service endpoint variables (AWS_ENDPOINT_URL_STS, ...) count as
// AWS_ENDPOINT_URL. Names are compared without case, so no spelling slips
// past.
func credentialEnvReason(name string) (string, bool) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	if strings.HasPrefix(upper, "AWS_ENDPOINT_URL_") {
		upper = "AWS_ENDPOINT_URL"
	}
	reason, ok := credentialEnv[upper]
	return reason, ok
}

// checkCredentialPaths refuses every override that could hand Velero's pods
// credentials other than the role's, naming the value path, the variable
// and the reason.
func checkCredentialPaths(o map[string]interface{}) error {
	for _, c := range credentialValues {
		if v, ok := lookup(o, "credentials", c.key); ok && !isEmptyValue(v) {
			return fmt.Errorf("valuesOverrides.credentials.%s is set: it %s; Velero must reach AWS only through the component's role, so drop it", c.key, c.reason)
		}
	}
	for _, p := range envValues {
		if v, ok := lookup(o, p...); ok {
			if err := checkEnv("valuesOverrides."+strings.Join(p, "."), v); err != nil {
				return err
			}
		}
	}
	for _, p := range mountValues {
		if v, ok := lookup(o, p...); ok {
			if err := checkMounts("valuesOverrides."+strings.Join(p, "."), v); err != nil {
				return err
			}
		}
	}
	if v, ok := o["initContainers"]; ok {
		if err := checkContainers("valuesOverrides.initContainers", v); err != nil {
			return err
		}
	}
	for _, p := range [][]string{{"hostAliases"}, {"nodeAgent", "hostAliases"}} {
		if v, ok := lookup(o, p...); ok {
			if err := checkHostAliases("valuesOverrides."+strings.Join(p, "."), v); err != nil {
				return err
			}
		}
	}
	if err := checkWebhookOptOuts(o); err != nil {
		return err
	}
	if v, ok := o["extraObjects"]; ok {
		return checkExtraObjects(v)
	}
	return nil
}

// namesMarker reports whether a map key or a value names marker: the key
// itself, a string holding it, or a string that is JSON (as Velero's pod
// configuration is) whose keys or strings name it once decoded, so that an
// escape such as "\/" or "\u002f" hides nothing.
func namesMarker(key string, value interface{}, marker string) bool {
	if key == marker {
		return true
	}
	text, ok := value.(string)
	if !ok {
		return false
	}
	if strings.Contains(text, marker) {
		return true
	}
	var decoded interface{}
	if json.Unmarshal([]byte(text), &decoded) != nil {
		return false
	}
	if inner, isString := decoded.(string); isString {
		return inner != text && namesMarker("", inner, marker)
	}
	_, found := findPath(decoded, "", func(k string, v interface{}) bool { return namesMarker(k, v, marker) })
	return found
}

// checkHostAliases refuses /etc/hosts entries (chart 10.0.1 and later) for
// AWS endpoints: pointing sts.amazonaws.com elsewhere lets whoever answers
// there hand Velero any credentials (with a CA bundle that trusts them),
// and a private endpoint is reached through DNS, not a hosts entry.
func checkHostAliases(field string, v interface{}) error {
	aliases, _ := v.([]interface{})
	for i, item := range aliases {
		alias, _ := item.(map[string]interface{})
		names, _ := alias["hostnames"].([]interface{})
		for j, n := range names {
			name, _ := n.(string)
			if awsHostname(name) {
				return fmt.Errorf("%s[%d].hostnames[%d] is %q, an AWS endpoint: a hosts entry would send Velero's STS and S3 calls, and so its credentials, to another address; drop it (use DNS or a VPC endpoint with private DNS)", field, i, j, name)
			}
		}
	}
	return nil
}

// awsHostname reports whether a hostname belongs to AWS service endpoints
// (amazonaws.com, amazonaws.com.cn, api.aws, and the ISO partitions' c2s.ic.gov
// and sc2s.sgov.gov).
func awsHostname(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	for _, domain := range []string{"amazonaws.com", "amazonaws.com.cn", "api.aws", "c2s.ic.gov", "sc2s.sgov.gov"} {
		if name == domain || strings.HasSuffix(name, "."+domain) {
			return true
		}
	}
	return false
}

// skipContainersAnnotation is the pod annotation that keeps the EKS Pod
// Identity Webhook from injecting AWS credentials into the listed
// containers (https://github.com/aws/amazon-eks-pod-identity-webhook,
// "skip-containers" in the README's pod example; the EKS pod identity agent
// uses it on its own DaemonSet).
const skipContainersAnnotation = "eks.amazonaws.com/skip-containers"

// skipWebhookLabel is the pod label that keeps the EKS Pod Identity Webhook
// away from a pod altogether: the webhook configuration EKS installs
// (iam-for-pods.amazonaws.com) selects pods where it does not exist.
const skipWebhookLabel = "eks.amazonaws.com/skip-pod-identity-webhook"

// checkWebhookOptOuts refuses the webhook's opt-outs anywhere in the
// overrides: as a key (the chart reads pod labels and annotations from
// several values, changing with the chart version) and inside any string,
// since Velero also takes pod labels and annotations for the pods it
// starts (data movers, repository maintenance jobs) from JSON in
// ConfigMaps (podLabels and podAnnotations in pkg/types/node_agent.go and
// in the maintenance job configuration).
func checkWebhookOptOuts(o map[string]interface{}) error {
	reasons := map[string]string{
		skipContainersAnnotation: "the EKS Pod Identity Webhook injects neither the role's web identity token nor the pod identity credentials into the containers it names, and the AWS SDK in them falls back to the node's instance role",
		skipWebhookLabel:         "the EKS Pod Identity Webhook leaves pods with this label alone, so Velero would get neither the role's token nor the pod identity credentials and would fall back to the node's instance role",
	}
	for _, marker := range []string{skipContainersAnnotation, skipWebhookLabel} {
		at, found := findPath(o, "valuesOverrides", func(key string, value interface{}) bool {
			return namesMarker(key, value, marker)
		})
		if found && strings.HasSuffix(at, "."+marker) {
			return fmt.Errorf("%s is set: %s; drop it", at, reasons[marker])
		}
		if found {
			return fmt.Errorf("%s mentions %s, which Velero copies onto the pods it starts when the text is its pod configuration: %s; drop it", at, marker, reasons[marker])
		}
	}
	return nil
}

// checkEnv checks an env value in list form ([{name, value|valueFrom}]) or
// map form ({NAME: value}).
func checkEnv(field string, v interface{}) error {
	switch env := v.(type) {
	case []interface{}:
		for i, item := range env {
			entry, _ := item.(map[string]interface{})
			name, _ := entry["name"].(string)
			if reason, bad := credentialEnvReason(name); bad {
				return envError(fmt.Sprintf("%s[%d]", field, i), name, reason)
			}
		}
	case map[string]interface{}:
		for _, name := range slices.Sorted(maps.Keys(env)) {
			if !envMapName.MatchString(name) {
				return fmt.Errorf("%s has the variable name %q: charts 7.0.0 to 9.1.2 write map-form names unquoted, so quotes, '#', spaces or ':' would change the name Velero gets; use letters, digits, '_', '.' and '-'", field, name)
			}
			if reason, bad := credentialEnvReason(name); bad {
				return envError(field+"."+name, name, reason)
			}
		}
	}
	return nil
}

func envError(field, name, reason string) error {
	if strings.HasPrefix(reason, "Velero would") {
		return fmt.Errorf("%s sets %s: %s; drop it", field, name, reason)
	}
	return fmt.Errorf("%s sets %s, which Velero's AWS SDK would use instead of the component's role: %s; drop it (region, proxy and retry variables such as AWS_REGION and HTTPS_PROXY are fine)", field, name, reason)
}

// checkMounts refuses volume mounts at a home directory or an .aws folder,
// where the SDK reads ~/.aws/credentials and ~/.aws/config (the Velero
// image's user lives under /home, the node agent runs as root).
func checkMounts(field string, v interface{}) error {
	mounts, _ := v.([]interface{})
	for i, item := range mounts {
		m, _ := item.(map[string]interface{})
		p, _ := m["mountPath"].(string)
		if credentialsMountPath(p) {
			return fmt.Errorf("%s[%d].mountPath %q is a home directory, an .aws folder or /etc (whose passwd file says where home is), where the AWS SDK reads credentials files that would replace the component's role: mount it elsewhere", field, i, p)
		}
	}
	return nil
}

func credentialsMountPath(p string) bool {
	clean := path.Clean("/" + p)
	// A new /etc/passwd gives the container's user another home directory,
	// and so another ~/.aws.
	if clean == "/" || clean == "/etc" || clean == "/etc/passwd" {
		return true
	}
	for _, home := range []string{"/root", "/home"} {
		if clean == home || strings.HasPrefix(clean, home+"/") {
			return true
		}
	}
	for _, segment := range strings.Split(clean, "/") {
		if segment == ".aws" {
			return true
		}
	}
	return false
}

// checkContainers checks the containers of initContainers: their env, envFrom
// and volume mounts.
func checkContainers(field string, v interface{}) error {
	list, _ := v.([]interface{})
	for i, item := range list {
		c, _ := item.(map[string]interface{})
		at := fmt.Sprintf("%s[%d]", field, i)
		if env, ok := c["env"]; ok {
			if err := checkEnv(at+".env", env); err != nil {
				return err
			}
		}
		if envFrom, ok := c["envFrom"]; ok && !isEmptyValue(envFrom) {
			return fmt.Errorf("%s.envFrom is set: a Secret or ConfigMap can carry AWS_ACCESS_KEY_ID and the like, which would replace the component's role; set the variables you need one by one in env", at)
		}
		if mounts, ok := c["volumeMounts"]; ok {
			if err := checkMounts(at+".volumeMounts", mounts); err != nil {
				return err
			}
		}
	}
	return nil
}

// isEmptyValue is true for values Helm renders as nothing: null, "", {} and [].
func isEmptyValue(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]interface{}:
		return len(x) == 0
	case []interface{}:
		return len(x) == 0
	}
	return false
}
