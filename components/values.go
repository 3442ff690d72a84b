package components

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/velero-irsa/velero-irsa/components/internal/overrides"
)

// The ServiceAccount annotations read by the EKS Pod Identity Webhook.
// https://github.com/aws/amazon-eks-pod-identity-webhook#eks-walkthrough
const (
	roleARNAnnotation  = overrides.RoleARNAnnotation
	audienceAnnotation = overrides.AudienceAnnotation
)

// identityPodAnnotation carries what the EKS Pod Identity Webhook writes
// into Velero's pods (the identity mode, the role ARN and, for IRSA, the
// token audience) on the server's and the node agent's pod templates. The
// webhook does so only when a pod is created, and the chart's pod
// templates do not otherwise change with the ServiceAccount's annotations,
// so without it a new role, audience or mode would leave the running pods
// on the old identity while the deploy reports success. It does not
// change with the permission policy, which takes effect without a restart
// (a restart fails the backups running at the time).
const identityPodAnnotation = overrides.IdentityPodAnnotation

// podIdentityValue is identityPodAnnotation's value, readable in a
// preview's diff.
func podIdentityValue(in ValuesInput) string {
	if in.PodIdentity {
		return IdentityModePodIdentity + " " + in.RoleARN
	}
	audience := in.TokenAudience
	if audience == "" {
		audience = DefaultTokenAudience
	}
	return IdentityModeIRSA + " " + in.RoleARN + " " + audience
}

// DefaultTokenAudience is the audience of the projected ServiceAccount token
// the EKS Pod Identity Webhook mounts, and the client ID of the cluster's IAM
// OIDC provider.
const DefaultTokenAudience = "sts.amazonaws.com"

// ValuesInput is everything the Helm values depend on, as plain values.
type ValuesInput struct {
	RoleARN            string
	Namespace          string
	ServiceAccountName string
	PluginImage        string
	// VeleroImageTag is the server image tag (DefaultVeleroRepository), or
	// "" to leave the chart's default image.
	VeleroImageTag string
	// Region is the region of the EBS volumes, for the snapshot location.
	Region string
	// LocationName names the snapshot location and is the schedules'
	// default backup location.
	LocationName string
	// SnapshotLocation names the snapshot location; "" is LocationName.
	SnapshotLocation string
	Snapshots        bool
	// EBSKMSKeyID, when set, is the snapshot location's ebsKmsKeyId: the key
	// volumes restored from snapshots are encrypted with.
	EBSKMSKeyID string
	// TokenAudience, when not the default, is annotated on the ServiceAccount.
	TokenAudience string
	FSGroup       int
	// PodIdentity leaves the ServiceAccount unannotated: EKS Pod Identity
	// maps it to the role through a pod identity association instead.
	PodIdentity bool
	// NodeAgent deploys the node agent with NodeAgentRequests.
	NodeAgent         bool
	NodeAgentRequests map[string]string
	Schedules         map[string]Schedule
	// Alerting, when set, turns on the chart's metrics, monitors and
	// PrometheusRule (alerts.go).
	Alerting *Alerting
	// Overrides are merged last (see VeleroIRSAArgs.ValuesOverrides).
	Overrides map[string]interface{}
}

// Alerting is the alerts' part of the values.
type Alerting struct {
	Rules          []AlertRule
	ResourceLabels map[string]string
}

// HelmValues builds the Velero chart values that make IRSA work (chart 7.x and
// later; keys from the chart's values.yaml in
// https://github.com/vmware-tanzu/helm-charts/tree/main/charts/velero).
//
// The result holds only maps, slices of maps and scalars, so it can be sent
// as a Helm release's values and marshalled to JSON or YAML deterministically.
func HelmValues(in ValuesInput) map[string]interface{} {
	annotations := map[string]interface{}{}
	if !in.PodIdentity {
		annotations[roleARNAnnotation] = in.RoleARN
		if in.TokenAudience != "" && in.TokenAudience != DefaultTokenAudience {
			annotations[audienceAnnotation] = in.TokenAudience
		}
	}
	values := map[string]interface{}{
		"initContainers": []interface{}{
			map[string]interface{}{
				"name":            "velero-plugin-for-aws",
				"image":           in.PluginImage,
				"imagePullPolicy": "IfNotPresent",
				"volumeMounts": []interface{}{
					map[string]interface{}{"mountPath": "/target", "name": "plugins"},
				},
			},
		},
		// With a credentials file in effect the AWS plugin clears
		// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (config.go in
		// velero-plugin-for-aws), and Velero would silently run with the
		// node's role instead of this one.
		"credentials": map[string]interface{}{"useSecret": false},
		"serviceAccount": map[string]interface{}{
			"server": map[string]interface{}{
				"create": true,
				// Set explicitly: the chart's generated name depends on the
				// release name, and the trust policy must name this exact one.
				"name":        in.ServiceAccountName,
				"annotations": annotations,
			},
		},
		// The chart's own advice for IRSA: an fsGroup makes the projected
		// web identity token readable by Velero's non-root user.
		"podSecurityContext": map[string]interface{}{"fsGroup": in.FSGroup},
		// Read by the server Deployment and the node agent DaemonSet.
		"podAnnotations": map[string]interface{}{identityPodAnnotation: podIdentityValue(in)},
		"configuration": map[string]interface{}{
			// The component registers the BackupStorageLocations itself
			// and waits for Velero to validate them (backuplocations.go);
			// the chart renders none (backupsEnabled false) and keeps no
			// placeholder entry.
			"backupStorageLocation":  []interface{}{},
			"volumeSnapshotLocation": snapshotLocations(in),
			// The server marks the location of this name default when it
			// starts (its flag defaults to "default"); naming the main
			// location keeps it from flagging another one.
			"defaultBackupStorageLocation": in.LocationName,
		},
		"backupsEnabled":   false,
		"snapshotsEnabled": in.Snapshots,
		"deployNodeAgent":  in.NodeAgent,
	}
	if in.VeleroImageTag != "" {
		// The chart's own default is its appVersion; the newest patch of
		// that line carries its fixes. The chart's CRD-upgrade job runs
		// this image too, so the CRDs follow it (versions.go).
		values["image"] = map[string]interface{}{"repository": DefaultVeleroRepository, "tag": in.VeleroImageTag}
	}
	if in.NodeAgent {
		// The node agent pods use the same ServiceAccount, so the same
		// fsGroup makes the token readable; the chart's runAsUser: 0
		// (needed to read pod volumes on the host) is kept by the merge.
		nodeAgent := map[string]interface{}{
			"podSecurityContext": map[string]interface{}{"fsGroup": in.FSGroup},
		}
		if len(in.NodeAgentRequests) > 0 {
			requests := map[string]interface{}{}
			for k, v := range in.NodeAgentRequests {
				requests[k] = v
			}
			nodeAgent["resources"] = map[string]interface{}{"requests": requests}
		}
		values["nodeAgent"] = nodeAgent
	}
	if len(in.Schedules) > 0 {
		values["schedules"] = scheduleValues(in.Schedules, in.LocationName)
	}
	if in.Alerting != nil {
		values["metrics"] = alertingValues(in.Alerting.Rules, in.Alerting.ResourceLabels, in.NodeAgent)
	}
	if len(in.Overrides) > 0 {
		values = overrides.Merge(values, in.Overrides)
	}
	return values
}

// snapshotLocations is the EBS snapshot location, or an empty list when
// snapshots are off (an empty list replaces the chart's placeholder entry).
func snapshotLocations(in ValuesInput) []interface{} {
	if !in.Snapshots {
		return []interface{}{}
	}
	config := map[string]interface{}{"region": in.Region}
	if in.EBSKMSKeyID != "" {
		config["ebsKmsKeyId"] = in.EBSKMSKeyID
	}
	return []interface{}{
		map[string]interface{}{
			"name":     cmp.Or(in.SnapshotLocation, in.LocationName),
			"provider": "aws",
			"config":   config,
		},
	}
}

// taggingQuery renders object tags the way the plugin passes config.tagging
// to S3 (the x-amz-tagging header): a URL query string, here with sorted keys.
func taggingQuery(tags map[string]string) string {
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, queryEscape(k)+"="+queryEscape(tags[k]))
	}
	return strings.Join(parts, "&")
}

// queryEscape percent-encodes a tag key or value; spaces become %20, which
// every query-string decoder reads as a space (a '+' would not be, everywhere).
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
