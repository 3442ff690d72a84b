package components

import (
	"fmt"
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

// checkOverrides refuses overrides that would break the identity wiring or
// desynchronise the values from the IAM policy, saying why.
func (s *settings) checkOverrides() error {
	o := s.overrides
	if o == nil {
		return nil
	}
	for _, key := range sortedKeys(o) {
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
	if v, ok := lookup(o, "serviceAccount", "server", "name"); ok && v != s.serviceAccount {
		return fmt.Errorf("valuesOverrides.serviceAccount.server.name %v differs from serviceAccountName %q, the only ServiceAccount the role trusts: set serviceAccountName instead", v, s.serviceAccount)
	}
	if v, ok := lookup(o, "serviceAccount", "server", "create"); ok && v != true {
		if name, named := lookup(o, "serviceAccount", "server", "name"); !named || name != s.serviceAccount {
			return fmt.Errorf("valuesOverrides.serviceAccount.server.create is %v without serviceAccount.server.name %q: the pods would run as a ServiceAccount the role does not trust", v, s.serviceAccount)
		}
	}
	if annotations, ok := lookup(o, "serviceAccount", "server", "annotations"); ok {
		m, isMap := annotations.(map[string]interface{})
		if !isMap && s.mode == IdentityModeIRSA {
			return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations must be a map: replacing it would drop %s, which IRSA needs", roleARNAnnotation)
		}
		if _, set := m[roleARNAnnotation]; set {
			return fmt.Errorf("valuesOverrides.serviceAccount.server.annotations sets %s, which the component sets to its role's ARN", roleARNAnnotation)
		}
	}
	if v, ok := lookup(o, "configuration", "namespace"); ok && v != s.namespace {
		return fmt.Errorf("valuesOverrides.configuration.namespace %v differs from namespace %q, where the backup location lives: set namespace instead", v, s.namespace)
	}
	if _, ok := o["backupsEnabled"]; ok {
		return fmt.Errorf("valuesOverrides.backupsEnabled: the component registers the backup locations itself and waits for Velero to validate them, so the chart must render none; drop it")
	}
	for _, key := range []string{"backupStorageLocation", "volumeSnapshotLocation"} {
		if _, ok := lookup(o, "configuration", key); ok {
			return fmt.Errorf("valuesOverrides.configuration.%s: the locations are built from the component's bucket, prefix and region so that the IAM policy covers them; use those arguments", key)
		}
	}
	if v, ok := o["initContainers"]; ok {
		if !hasPlugin(v, s.pluginImage) {
			return fmt.Errorf("valuesOverrides.initContainers replaces the init containers without the AWS plugin: include {name: velero-plugin-for-aws, image: %s, volumeMounts: [{mountPath: /target, name: plugins}]} and add your plugins after it, or set pluginImage", s.pluginImage)
		}
	}
	return nil
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

// mergeValues returns base with overrides merged in, deeply for maps; any
// other override value (lists included) replaces the base value, and a nil
// override removes the key, as Helm does with null. Neither input is changed.
func mergeValues(base, overrides map[string]interface{}) map[string]interface{} {
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
			out[k] = mergeValues(bm, om)
			continue
		}
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return mergeValues(nil, x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, item := range x {
			out[i] = deepCopy(item)
		}
		return out
	}
	return v
}
