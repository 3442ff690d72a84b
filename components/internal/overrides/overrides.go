package overrides

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Wiring is what the component itself sets in Velero's chart values, and
// so what no override may change or remove.
type Wiring struct {
	Namespace      string // Velero's namespace (the namespace argument)
	ServiceAccount string // the only ServiceAccount the role trusts (serviceAccountName)
	IRSA           bool   // identityMode irsa: the ServiceAccount carries the role's ARN
	LocationName   string // the main backup location (backupLocationName)
	FSGroup        int    // the pods' fsGroup (fsGroup)
	NodeAgent      bool   // the node agent runs (deployNodeAgent)
	PluginImage    string // the AWS plugin image installed
	VeleroMinor    int    // the chart's Velero line, 1.<VeleroMinor>
	VeleroTag      string // the server image tag set, "" for a line the component does not know
}

// Annotations the component sets on Velero's ServiceAccount and pods.
const (
	// RoleARNAnnotation names the role the EKS Pod Identity Webhook
	// injects for the ServiceAccount's pods (AWS_ROLE_ARN).
	RoleARNAnnotation = "eks.amazonaws.com/role-arn"
	// AudienceAnnotation is the audience of the token the webhook
	// projects, which the trust policy checks.
	AudienceAnnotation = "eks.amazonaws.com/audience"
	// IdentityPodAnnotation carries the identity mode, role ARN and
	// audience on the pod templates, so that a change restarts the pods.
	IdentityPodAnnotation = "velero-irsa/identity"
)

// Value overrides let users set anything the chart offers (resources,
// nodeSelector, tolerations, metrics, an image registry mirror, more
// plugins) while the values that carry the identity wiring stay as the
// component sets them.

// dedicatedArgs are chart values that have their own argument, because the
// IAM policy or the trust must change with them.
var dedicatedArgs = map[string]string{
	"snapshotsEnabled": "SnapshotsEnabled",
	"deployNodeAgent":  "DeployNodeAgent",
	"schedules":        "Schedules",
}

// Check returns the first override of values (plain values, as Plain
// makes them) that would give Velero's pods another identity, break the
// wiring w describes or desynchronise the values from the IAM policy. The
// error names the value's path under valuesOverrides, the reason and the
// fix.
func Check(o map[string]interface{}, w Wiring) error {
	if o == nil {
		return nil
	}
	for _, key := range slices.Sorted(maps.Keys(o)) {
		if arg, ok := dedicatedArgs[key]; ok {
			return fmt.Errorf("valuesOverrides.%s: set it with %s instead, so the IAM policy follows it", key, arg)
		}
	}
	if v, ok := lookup(o, "credentials", "useSecret"); ok && v != false {
		return fmt.Errorf("valuesOverrides.credentials.useSecret is %v: with a credentials file the AWS plugin ignores the role's web identity token and Velero silently runs with other credentials; it must stay false", v)
	}
	if err := checkCredentialPaths(o); err != nil {
		return err
	}
	if err := checkLineBreaks(o, "valuesOverrides", nil); err != nil {
		return err
	}
	if err := checkExtraArgs(o); err != nil {
		return err
	}
	if err := checkNamespaceLabels(o); err != nil {
		return err
	}
	if v, ok := lookup(o, "serviceAccount", "server", "name"); ok && v != w.ServiceAccount {
		return fmt.Errorf("valuesOverrides.serviceAccount.server.name %v differs from serviceAccountName %q, the only ServiceAccount the role trusts: set serviceAccountName instead", v, w.ServiceAccount)
	}
	if v, ok := lookup(o, "serviceAccount", "server", "create"); ok && v != true {
		return fmt.Errorf("valuesOverrides.serviceAccount.server.create is %v: the chart would not render Velero's ServiceAccount, so nothing vouches for its annotations (one naming another role overrides the component's) and the pods could run as another identity; drop it, the component creates %q", v, w.ServiceAccount)
	}
	if annotations, ok := lookup(o, "serviceAccount", "server", "annotations"); ok {
		m, isMap := annotations.(map[string]interface{})
		if !isMap && w.IRSA {
			return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations must be a map: replacing it would drop %s, which IRSA needs", RoleARNAnnotation)
		}
		if err := checkWebhookAnnotations(m, w.IRSA); err != nil {
			return err
		}
	}
	if v, ok := lookup(o, "configuration", "namespace"); ok && v != w.Namespace {
		return fmt.Errorf("valuesOverrides.configuration.namespace %v differs from namespace %q, where the backup location lives: set namespace instead", v, w.Namespace)
	}
	if _, ok := o["backupsEnabled"]; ok {
		return fmt.Errorf("valuesOverrides.backupsEnabled: the component registers the backup locations itself and waits for Velero to validate them, so the chart must render none; drop it")
	}
	for _, key := range []string{"backupStorageLocation", "volumeSnapshotLocation"} {
		if _, ok := lookup(o, "configuration", key); ok {
			return fmt.Errorf("valuesOverrides.configuration.%s: the locations are built from the component's bucket, prefix and region so that the IAM policy covers them; use those arguments", key)
		}
	}
	if err := w.checkWiringKept(o); err != nil {
		return err
	}
	if tag, ok := lookup(o, "image", "tag"); ok {
		if err := checkVeleroTag(tag, w.VeleroMinor, w.VeleroTag); err != nil {
			return err
		}
	}
	if v, ok := o["initContainers"]; ok {
		if !hasPlugin(v, w.PluginImage) {
			return fmt.Errorf("valuesOverrides.initContainers replaces the init containers without the AWS plugin: include {name: velero-plugin-for-aws, image: %s, volumeMounts: [{mountPath: /target, name: plugins}]} and add your plugins after it, or set pluginImage", w.PluginImage)
		}
	}
	return nil
}

// checkWebhookAnnotations refuses the two ServiceAccount annotations of
// the EKS Pod Identity Webhook that decide the identity. The role ARN: in
// irsa mode the component sets it; in podIdentity mode the association
// names the role, and without one the webhook would inject this role's
// web identity token, which the AWS SDK prefers to the agent's. The
// audience of the token the role is assumed with: in irsa mode the
// component sets it from tokenAudience, to match the trust policy's aud
// condition and the OIDC provider's client IDs; in podIdentity mode the
// webhook ignores it for a ServiceAccount with an association and uses
// it, with a role ARN, only without one. The webhook's other
// ServiceAccount annotations are harmless and allowed:
// eks.amazonaws.com/token-expiration (the token's lifetime, at least 600
// seconds) and eks.amazonaws.com/sts-regional-endpoints (which STS
// endpoint the SDK calls); see pkg/cache/cache.go and pkg/handler/handler.go
// in github.com/aws/amazon-eks-pod-identity-webhook.
func checkWebhookAnnotations(annotations map[string]interface{}, irsa bool) error {
	if _, set := annotations[RoleARNAnnotation]; set {
		if irsa {
			return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations sets %s, which the component sets to its role's ARN", RoleARNAnnotation)
		}
		return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations sets %s: in podIdentity mode the role comes from the pod identity association, and without one the EKS Pod Identity Webhook would give Velero's pods this role's web identity token, which the AWS SDK prefers to the agent's credentials; drop it", RoleARNAnnotation)
	}
	if _, set := annotations[AudienceAnnotation]; !set {
		return nil
	}
	if irsa {
		return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations sets %s, the audience of the token the role is assumed with, which the component sets from tokenAudience so that it matches the trust policy and the OIDC provider: set tokenAudience instead", AudienceAnnotation)
	}
	return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations sets %s, which EKS Pod Identity does not use (the agent's token has an audience of its own): drop it", AudienceAnnotation)
}

// wiredValue is a chart value the component sets that no override may
// remove, directly or by nulling (or replacing with a non-map) a map above
// it; why says what it carries and what to set instead.
type wiredValue struct {
	path []string
	why  string
}

// wiredValues are the values the component sets for the identity wiring and
// the backup locations. Changing one of them to another value is refused by
// the checks above; this list catches their removal. A null map in Helm
// values deletes the whole map, and the chart's defaults then apply: without
// credentials.useSecret false the chart mounts a credentials file (and the
// AWS plugin drops the role's token), without serviceAccount.server the
// ServiceAccount loses the role annotation and its trusted name.
func (w Wiring) wiredValues() []wiredValue {
	list := []wiredValue{
		{[]string{"credentials", "useSecret"}, "false keeps the chart from mounting a credentials file, which makes the AWS plugin drop the role's token"},
		{[]string{"serviceAccount", "server", "create"}, "true makes the chart render the ServiceAccount the role trusts"},
		{[]string{"serviceAccount", "server", "name"}, fmt.Sprintf("%q is the only ServiceAccount the role trusts, set with serviceAccountName", w.ServiceAccount)},
		{[]string{"podSecurityContext", "fsGroup"}, "it makes the projected token readable by Velero's non-root user, set with fsGroup"},
		{[]string{"podAnnotations", IdentityPodAnnotation}, "it restarts Velero's pods when the role, audience or identity mode changes, so none keeps the old identity"},
		{[]string{"configuration", "backupStorageLocation"}, "the component registers the backup locations itself; the chart's list must stay empty"},
		{[]string{"configuration", "volumeSnapshotLocation"}, "the snapshot location follows snapshotsEnabled and region, which the IAM policy covers"},
		{[]string{"configuration", "defaultBackupStorageLocation"}, fmt.Sprintf("%q, the main location, is the one the server marks default, set with backupLocationName", w.LocationName)},
		{[]string{"backupsEnabled"}, "false keeps the chart from rendering backup locations the component does not validate"},
	}
	if w.VeleroTag != "" {
		list = append(list, wiredValue{[]string{"image", "tag"}, fmt.Sprintf("%s is the newest known patch of the chart's Velero line, set so its fixes are installed; a tag of your own from that line is accepted", w.VeleroTag)})
	}
	if w.IRSA {
		list = append(list, wiredValue{[]string{"serviceAccount", "server", "annotations"}, "they carry " + RoleARNAnnotation + ", which IRSA needs"})
	}
	if w.NodeAgent {
		list = append(list, wiredValue{[]string{"nodeAgent", "podSecurityContext", "fsGroup"}, "it makes the projected token readable in the node agent pods, set with fsGroup"})
	}
	return list
}

// checkWiringKept refuses overrides that remove a wired value, or change
// one that has an argument of its own.
func (w Wiring) checkWiringKept(o map[string]interface{}) error {
	for _, wired := range w.wiredValues() {
		at, removed := removedBy(o, wired.path)
		if !removed {
			continue
		}
		fix := "drop the null"
		if at != strings.Join(wired.path, ".") {
			fix = "set the keys you need inside it instead of replacing it"
		}
		v, _ := lookup(o, strings.Split(at, ".")...)
		return fmt.Errorf("valuesOverrides.%s is %s, which removes %s, a value the component sets (%s): %s", at, describe(v), strings.Join(wired.path, "."), wired.why, fix)
	}
	if v, ok := lookup(o, "podAnnotations", IdentityPodAnnotation); ok {
		return fmt.Errorf("valuesOverrides.podAnnotations.%s is %v: the component sets it to the identity mode, role ARN and audience, so that Velero's pods restart when they change; drop it", IdentityPodAnnotation, v)
	}
	if v, ok := lookup(o, "podSecurityContext", "fsGroup"); ok && !sameInt(v, w.FSGroup) {
		return fmt.Errorf("valuesOverrides.podSecurityContext.fsGroup is %v: set fsGroup instead, so the node agent gets the same group", v)
	}
	if v, ok := lookup(o, "nodeAgent", "podSecurityContext", "fsGroup"); ok && !sameInt(v, w.FSGroup) {
		return fmt.Errorf("valuesOverrides.nodeAgent.podSecurityContext.fsGroup is %v: set fsGroup instead, so the server gets the same group", v)
	}
	if v, ok := lookup(o, "configuration", "defaultBackupStorageLocation"); ok && v != w.LocationName {
		return fmt.Errorf("valuesOverrides.configuration.defaultBackupStorageLocation is %v: the default location is the main one, %q, which the component registers and validates; set backupLocationName instead", v, w.LocationName)
	}
	return nil
}

// describe names an override value's kind for an error message.
func describe(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case []interface{}:
		return "a list"
	case string:
		return "a string"
	}
	return fmt.Sprintf("%v", v)
}

// sameInt compares a value decoded from YAML, JSON or a Pulumi property
// (an int or a float64) with an int.
func sameInt(v interface{}, want int) bool {
	switch n := v.(type) {
	case int:
		return n == want
	case int64:
		return n == int64(want)
	case float64:
		return n == float64(want)
	}
	return false
}

// removedBy reports whether the overrides remove the value at path: a null
// at the path or above it, or a non-map above it. at is the overridden path.
func removedBy(o map[string]interface{}, path []string) (at string, removed bool) {
	cur := o
	for i, key := range path {
		v, ok := cur[key]
		if !ok {
			return "", false
		}
		next, isMap := v.(map[string]interface{})
		if v == nil || (i < len(path)-1 && !isMap) {
			return strings.Join(path[:i+1], "."), true
		}
		cur = next
	}
	return "", false
}

// hasPlugin reports whether an initContainers list holds the AWS plugin
// with the expected image.
func hasPlugin(list interface{}, image string) bool {
	items, ok := list.([]interface{})
	if !ok {
		return false
	}
	for _, item := range items {
		c, ok := item.(map[string]interface{})
		if ok && c["name"] == "velero-plugin-for-aws" && c["image"] == image {
			return true
		}
	}
	return false
}

// lookup follows a path of map keys.
func lookup(m map[string]interface{}, path ...string) (interface{}, bool) {
	var cur interface{} = m
	for _, key := range path {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		if cur, ok = mm[key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Merge returns base with overrides merged in, deeply for maps; any
// other override value (lists included) replaces the base value, and a nil
// override removes the key, as Helm does with null. Neither input is changed.
func Merge(base, overrides map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base)+len(overrides))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overrides {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, baseIsMap := out[k].(map[string]interface{})
		om, overrideIsMap := v.(map[string]interface{})
		if baseIsMap && overrideIsMap {
			out[k] = Merge(bm, om)
			continue
		}
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return Merge(nil, x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, item := range x {
			out[i] = deepCopy(item)
		}
		return out
	}
	return v
}

// checkVeleroTag refuses a server image tag (valuesOverrides.image.tag)
// that is not a release of the chart's Velero line, 1.<minor>: the chart's
// CRDs, its templates and the AWS plugin are made for that line. newest is
// the line's newest known patch, "" if the component knows none.
func checkVeleroTag(tag interface{}, minor int, newest string) error {
	fix := fmt.Sprintf("a 1.%d patch such as %s, or drop it to install %s", minor, cmp.Or(newest, fmt.Sprintf("v1.%d.0", minor)), cmp.Or(newest, "the chart's appVersion"))
	s, isString := tag.(string)
	m := releaseTag.FindStringSubmatch(s)
	if !isString || m == nil {
		return fmt.Errorf("valuesOverrides.image.tag %v is not a Velero release tag: use %s (or pin image.digest, which the chart prefers over the tag)", tag, fix)
	}
	major, _ := strconv.Atoi(m[1])
	line, _ := strconv.Atoi(m[2])
	if major != 1 || line != minor {
		return fmt.Errorf("valuesOverrides.image.tag %q is Velero %d.%d, but the chart installs Velero 1.%d (its CRDs, templates and the AWS plugin are made for that line): use %s", s, major, line, minor, fix)
	}
	return nil
}

// releaseTag is a release version, "v1.18.3" or "1.18.3".
var releaseTag = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)\.([0-9]+)$`)
