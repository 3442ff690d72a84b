package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/velero-irsa/velero-irsa/components"
)

// stackConfig is a cluster stack's settings, read from
// stacks/Pulumi.<stack>.yaml under the velero-irsa: namespace. Pulumi.yaml
// declares every key with the same defaults as here.
type stackConfig struct {
	// Which cluster, and where its backups go.
	ClusterName string
	Region      string
	BucketName  string
	// The bucket is created (hardened, kept on destroy) when CreateBucket.
	CreateBucket  bool
	ManagedBucket components.ManagedBucket

	// Backup location and IAM scope.
	BackupPrefix              string
	SnapshotsEnabled          bool
	BucketKmsKeyArn           string
	EbsKmsKeyArn              string
	BackupObjectTags          map[string]string
	BackupAccessMode          string
	AdditionalBackupLocations map[string]components.BackupLocation

	// Backup and snapshot location names (an adopted Velero keeps its own).
	BackupLocationName   string
	SnapshotLocationName string

	// Taking over a Velero that runs already: the Helm release to adopt,
	// and whether Argo CD has let go of it.
	AdoptRelease       string
	AdoptVeleroInstall bool
	ReadBackBackup     string
	ArgoCDReleased     bool

	// Velero install.
	DeployNodeAgent    bool
	NodeAgentRequests  map[string]string
	Schedules          map[string]components.Schedule
	Alerts             alertsConfig
	ValuesOverrides    map[string]interface{}
	Namespace          string
	ServiceAccountName string
	ChartVersion       string
	PluginImage        string

	// Velero install, continued: where the chart comes from and how long
	// an install or upgrade may take.
	ChartRepository       string
	ReleaseTimeoutSeconds int

	// The deploy gate: how long to wait for Velero to validate each backup
	// location, and whether to prove the path with a backup and a restore.
	BackupLocationTimeoutSeconds int
	VerifyBackup                 bool
	VerifyRestore                bool

	// IAM role, with the guardrails organisations enforce (a permissions
	// boundary, a fixed path, a name prefix).
	RoleName                   string
	RoleNamePrefix             string
	RolePath                   string
	RolePermissionsBoundaryArn string
	Tags                       map[string]string

	// How Velero gets AWS credentials: irsa or podIdentity.
	IdentityMode string

	// How the cluster's OIDC provider is found (at most one of these).
	OidcProviderArn     string
	OidcIssuerUrl       string
	CreateOidcProvider  bool
	ClusterStack        string
	ClusterStackOutputs stackOutputNames

	// The backup vault this cluster writes to, or restores from, and its
	// name there (default ClusterName).
	VaultStack       string
	VaultClusterName string

	// A restore of another cluster's newest scheduled backup on every
	// deploy (a disaster-recovery cluster's proof).
	DisasterRecoveryDrill components.DisasterRecoveryDrill

	// How Pulumi reaches AWS and the cluster.
	AssumeRoleArn     string
	AwsProfile        string
	KubeconfigContext string
}

// stackOutputNames are the output names read from the stack that built the
// cluster (clusterStack).
type stackOutputNames struct {
	OidcProviderArn      string `json:"oidcProviderArn"`
	OidcIssuerUrl        string `json:"oidcIssuerUrl"`
	Endpoint             string `json:"endpoint"`
	CertificateAuthority string `json:"certificateAuthority"`
}

var defaultStackOutputNames = stackOutputNames{
	OidcProviderArn:      "oidcProviderArn",
	OidcIssuerUrl:        "oidcIssuerUrl",
	Endpoint:             "endpoint",
	CertificateAuthority: "certificateAuthority",
}

var (
	roleARNPattern  = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	stackRefPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$`)
)

// configReader reads typed values and remembers the first error, so a stack
// file's mistakes are reported with the key that holds them.
type configReader struct {
	cfg *config.Config
	ns  string
	err error
}

func (r *configReader) fail(key string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("config %s:%s: %w", r.ns, key, err)
	}
}

func (r *configReader) required(key string) string {
	v, err := r.cfg.Try(key)
	if err != nil || strings.TrimSpace(v) == "" {
		r.fail(key, fmt.Errorf("is required: set it with `pulumi config set %s <value>` or in the stack file", key))
	}
	return v
}

func (r *configReader) str(key, def string) string {
	v, err := r.cfg.Try(key)
	if errors.Is(err, config.ErrMissingVar) {
		return def
	}
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *configReader) boolean(key string, def bool) bool {
	if _, err := r.cfg.Try(key); errors.Is(err, config.ErrMissingVar) {
		return def
	}
	v, err := r.cfg.TryBool(key)
	if err != nil {
		raw, _ := r.cfg.Try(key)
		r.fail(key, fmt.Errorf("%q is not a boolean: use true or false", raw))
	}
	return v
}

func (r *configReader) integer(key string, def int) int {
	if _, err := r.cfg.Try(key); errors.Is(err, config.ErrMissingVar) {
		return def
	}
	v, err := r.cfg.TryInt(key)
	if err != nil {
		raw, _ := r.cfg.Try(key)
		r.fail(key, fmt.Errorf("%q is not a whole number", raw))
	}
	return v
}

func (r *configReader) object(key string, out interface{}) {
	raw, err := r.cfg.Try(key)
	if errors.Is(err, config.ErrMissingVar) {
		return
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		r.fail(key, fmt.Errorf("%s is not the expected object: %v", raw, err))
	}
}

// alertsConfig is the alerts key: the component's Alerts, and enabled to
// turn them on (Pulumi gives an absent object key its declared default,
// {}, so presence alone cannot mean "on").
type alertsConfig struct {
	Enabled bool
	components.Alerts
}

// component is the component's Alerts, nil when the alerts are off.
func (a alertsConfig) component() *components.Alerts {
	if !a.Enabled {
		return nil
	}
	alerts := a.Alerts
	return &alerts
}

// loadConfig reads and checks the stack's configuration. Errors name the key;
// nothing falls back to a default when a value is present but malformed.
func loadConfig(ctx *pulumi.Context) (stackConfig, error) {
	r := &configReader{cfg: config.New(ctx, ""), ns: ctx.Project()}
	c := stackConfig{
		ClusterName:          r.required("clusterName"),
		Region:               r.required("region"),
		BucketName:           r.str("bucketName", ""),
		CreateBucket:         r.boolean("createBucket", false),
		BackupPrefix:         r.str("backupPrefix", ""),
		SnapshotsEnabled:     r.boolean("snapshotsEnabled", true),
		BackupAccessMode:     r.str("backupAccessMode", components.DefaultAccessMode),
		BackupLocationName:   r.str("backupLocationName", components.DefaultLocationName),
		AdoptRelease:         r.str("adoptRelease", ""),
		AdoptVeleroInstall:   r.boolean("adoptVeleroInstall", false),
		ReadBackBackup:       r.str("readBackBackup", ""),
		ArgoCDReleased:       r.boolean("argoCDReleased", false),
		BucketKmsKeyArn:      r.str("bucketKmsKeyArn", ""),
		EbsKmsKeyArn:         r.str("ebsKmsKeyArn", ""),
		DeployNodeAgent:      r.boolean("deployNodeAgent", false),
		Namespace:            r.str("namespace", components.DefaultNamespace),
		SnapshotLocationName: r.str("snapshotLocationName", ""),
		ServiceAccountName:   r.str("serviceAccountName", components.DefaultServiceAccountName),
		ChartVersion:         r.str("chartVersion", components.DefaultChartVersion),
		PluginImage:          r.str("pluginImage", ""),
		ChartRepository:      r.str("chartRepository", components.DefaultChartRepository),
		RoleName:             r.str("roleName", ""),
		RoleNamePrefix:       r.str("roleNamePrefix", ""),
		RolePath:             r.str("rolePath", components.DefaultRolePath),

		RolePermissionsBoundaryArn: r.str("rolePermissionsBoundaryArn", ""),
		ReleaseTimeoutSeconds:      r.integer("releaseTimeoutSeconds", components.DefaultReleaseTimeout),

		BackupLocationTimeoutSeconds: r.integer("backupLocationTimeoutSeconds", components.DefaultLocationTimeout),
		VerifyBackup:                 r.boolean("verifyBackup", false),
		VerifyRestore:                r.boolean("verifyRestore", false),
		IdentityMode:                 r.str("identityMode", components.IdentityModeIRSA),
		OidcProviderArn:              r.str("oidcProviderArn", ""),
		OidcIssuerUrl:                r.str("oidcIssuerUrl", ""),
		CreateOidcProvider:           r.boolean("createOidcProvider", false),
		ClusterStack:                 r.str("clusterStack", ""),
		ClusterStackOutputs:          defaultStackOutputNames,
		VaultStack:                   r.str("vaultStack", ""),
		VaultClusterName:             r.str("vaultClusterName", ""),
		AssumeRoleArn:                r.str("assumeRoleArn", ""),
		AwsProfile:                   r.str("awsProfile", ""),
		KubeconfigContext:            r.str("kubeconfigContext", ""),
	}
	r.object("backupObjectTags", &c.BackupObjectTags)
	r.object("tags", &c.Tags)
	r.object("nodeAgentRequests", &c.NodeAgentRequests)
	r.object("schedules", &c.Schedules)
	r.object("alerts", &c.Alerts)
	r.object("valuesOverrides", &c.ValuesOverrides)
	r.object("additionalBackupLocations", &c.AdditionalBackupLocations)
	r.object("managedBucket", &c.ManagedBucket)
	r.object("clusterStackOutputs", &c.ClusterStackOutputs)
	r.object("disasterRecoveryDrill", &c.DisasterRecoveryDrill)
	if r.err != nil {
		return stackConfig{}, r.err
	}
	if err := c.check(ctx.Project()); err != nil {
		return stackConfig{}, err
	}
	return c, nil
}

// check refuses conflicting ways of finding the cluster and malformed
// credentials settings. Field-level checks of everything passed to the
// component happen in the component.
func (c stackConfig) check(ns string) error {
	key := func(k string) string { return ns + ":" + k }
	explicit := c.OidcProviderArn != "" || c.OidcIssuerUrl != ""
	switch {
	case c.VaultStack == "" && strings.TrimSpace(c.BucketName) == "":
		return fmt.Errorf("config %s:bucketName: is required: set it with `pulumi config set bucketName <value>` or in the stack file (or write to a backup vault with %s)", ns, key("vaultStack"))
	case c.VaultStack != "" && !stackRefPattern.MatchString(c.VaultStack):
		return fmt.Errorf("config %s %q is not a stack name: use <stack>, <project>/<stack> or <org>/<project>/<stack>", key("vaultStack"), c.VaultStack)
	case c.IdentityMode != components.IdentityModeIRSA && c.IdentityMode != components.IdentityModePodIdentity:
		return fmt.Errorf("config %s %q is not an identity mode: use %s or %s", key("identityMode"), c.IdentityMode, components.IdentityModeIRSA, components.IdentityModePodIdentity)
	case c.IdentityMode == components.IdentityModePodIdentity && (explicit || c.CreateOidcProvider):
		return fmt.Errorf("config %s: %s uses no OIDC provider, so %s, %s and %s must stay unset", key("identityMode"), components.IdentityModePodIdentity, key("oidcProviderArn"), key("oidcIssuerUrl"), key("createOidcProvider"))
	case (c.OidcProviderArn == "") != (c.OidcIssuerUrl == ""):
		return fmt.Errorf("config %s and %s must be set together (or neither, to look them up from the cluster)", key("oidcProviderArn"), key("oidcIssuerUrl"))
	case explicit && c.ClusterStack != "":
		return fmt.Errorf("config %s conflicts with %s/%s: take the OIDC provider from one place", key("clusterStack"), key("oidcProviderArn"), key("oidcIssuerUrl"))
	case c.CreateOidcProvider && (explicit || c.ClusterStack != ""):
		return fmt.Errorf("config %s: true creates the cluster's OIDC provider, so it conflicts with %s, %s and %s: choose one", key("createOidcProvider"), key("oidcProviderArn"), key("oidcIssuerUrl"), key("clusterStack"))
	case c.ClusterStack != "" && !stackRefPattern.MatchString(c.ClusterStack):
		return fmt.Errorf("config %s %q is not a stack name: use <stack>, <project>/<stack> or <org>/<project>/<stack>", key("clusterStack"), c.ClusterStack)
	case c.ArgoCDReleased && c.AdoptRelease == "" && !c.AdoptVeleroInstall:
		return fmt.Errorf("config %s is true but neither %s nor %s is set: it only lets an adoption go on where Argo CD managed Velero; set the one that adopts it, or drop %s", key("argoCDReleased"), key("adoptRelease"), key("adoptVeleroInstall"), key("argoCDReleased"))
	case c.AdoptVeleroInstall && c.AdoptRelease != "":
		return fmt.Errorf("config %s and %s are both set: a stack adopts either a Helm release or a `velero install` Velero; keep the one that matches `helm list -n %s`", key("adoptRelease"), key("adoptVeleroInstall"), c.Namespace)
	case !c.Alerts.Enabled && !reflect.ValueOf(c.Alerts.Alerts).IsZero():
		return fmt.Errorf("config %s has settings but not enabled: true, so no alert would be installed: add enabled: true, or remove %s", key("alerts"), key("alerts"))
	}
	if err := checkAssumeRoleArn(ns, c.AssumeRoleArn); err != nil {
		return err
	}
	names := c.ClusterStackOutputs
	for _, o := range []struct{ key, value string }{
		{"oidcProviderArn", names.OidcProviderArn}, {"oidcIssuerUrl", names.OidcIssuerUrl},
		{"endpoint", names.Endpoint}, {"certificateAuthority", names.CertificateAuthority},
	} {
		if o.value == "" {
			return fmt.Errorf("config %s.%s is empty: name the output of %s that holds it, or drop the key to use %q", key("clusterStackOutputs"), o.key, key("clusterStack"), o.key)
		}
	}
	return nil
}

// snapshotLocationName is the VolumeSnapshotLocation's name: its own
// setting, else the backup location's name.
func (c stackConfig) snapshotLocationName() string {
	return cmp.Or(c.SnapshotLocationName, c.BackupLocationName)
}

// checkAssumeRoleArn refuses a deploy role that is not a role ARN (any
// stack kind).
func checkAssumeRoleArn(ns, arn string) error {
	if arn != "" && !roleARNPattern.MatchString(arn) {
		return fmt.Errorf("config %s:assumeRoleArn %q is not an IAM role ARN: use arn:aws:iam::<account>:role/<name>", ns, arn)
	}
	return nil
}
