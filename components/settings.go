package components

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/velero-irsa/velero-irsa/components/internal/overrides"
)

// Defaults of the optional VeleroIRSAArgs fields. The Pulumi.yaml config
// schema and the README state the same values.
const (
	DefaultNamespace          = "velero"
	DefaultServiceAccountName = "velero-server"
	DefaultLocationName       = "default"
	DefaultAccessMode         = "ReadWrite"
	DefaultReleaseName        = "velero"
	DefaultFSGroup            = 65534
	DefaultReleaseTimeout     = 900
	DefaultMaxSessionDuration = 3600
	DefaultRolePath           = "/"

	// IdentityModeIRSA and IdentityModePodIdentity are the values of
	// VeleroIRSAArgs.IdentityMode.
	IdentityModeIRSA        = "irsa"
	IdentityModePodIdentity = "podIdentity"

	minReleaseTimeout = 600 // the CRD-upgrade hook job runs inside it
	releaseMaxHistory = 10
	policyName        = "velero"
	maxRoleNamePrefix = 38 // 64 minus the 26 characters of the unique suffix
)

// settings is VeleroIRSAArgs' plain fields with defaults applied and checked.
type settings struct {
	mode                             string
	prefix, locationName, accessMode string
	snapshotLocationName             string
	adoptRelease                     bool
	objectTags                       map[string]string
	snapshots                        bool
	namespace, serviceAccount        string
	audience                         string
	fsGroup                          int
	releaseName, chartVersion        string
	chartRepository, pluginImage     string
	veleroMinor                      int    // the chart's Velero line, 1.<veleroMinor>
	veleroTag                        string // server image tag set, "" for an unknown line
	timeout                          int
	roleName, roleNamePrefix         string
	rolePath, boundary, description  string
	roleArnPattern                   string
	maxSession                       int
	tags                             map[string]string
	nodeAgent                        bool
	nodeAgentRequests                map[string]string
	schedules                        map[string]Schedule
	overrides                        map[string]interface{}
	locations                        map[string]BackupLocation
	bucket                           *ManagedBucket
	locationTimeout                  int
	verifyBackup                     bool
	verifyRestore                    bool
	readBackBackup                   string
	drDrill                          *DisasterRecoveryDrill
	alerts                           *Alerts
}

// newSettings applies the defaults to args' plain fields and validates them.
// Nothing here waits on an Input, so errors surface before the component
// itself is registered.
func newSettings(a *VeleroIRSAArgs) (settings, error) {
	s := settings{
		mode:            cmp.Or(a.IdentityMode, IdentityModeIRSA),
		prefix:          a.BackupPrefix,
		locationName:    cmp.Or(a.BackupLocationName, DefaultLocationName),
		adoptRelease:    a.AdoptRelease,
		accessMode:      cmp.Or(a.BackupAccessMode, DefaultAccessMode),
		objectTags:      a.BackupObjectTags,
		snapshots:       a.SnapshotsEnabled == nil || *a.SnapshotsEnabled,
		namespace:       cmp.Or(a.Namespace, DefaultNamespace),
		serviceAccount:  cmp.Or(a.ServiceAccountName, DefaultServiceAccountName),
		audience:        cmp.Or(a.TokenAudience, DefaultTokenAudience),
		fsGroup:         DefaultFSGroup,
		releaseName:     cmp.Or(a.ReleaseName, DefaultReleaseName),
		chartVersion:    cmp.Or(a.ChartVersion, DefaultChartVersion),
		chartRepository: cmp.Or(a.ChartRepository, DefaultChartRepository),
		timeout:         DefaultReleaseTimeout,
		roleName:        a.RoleName,
		roleNamePrefix:  a.RoleNamePrefix,
		rolePath:        cmp.Or(a.RolePath, DefaultRolePath),
		roleArnPattern:  a.RoleArnPattern,
		boundary:        a.RolePermissionsBoundaryArn,
		description:     a.RoleDescription,
		maxSession:      DefaultMaxSessionDuration,
		tags:            a.Tags,

		nodeAgent:         a.DeployNodeAgent,
		nodeAgentRequests: a.NodeAgentRequests,
		schedules:         a.Schedules,
		overrides:         a.ValuesOverrides,
		locations:         a.AdditionalBackupLocations,
		bucket:            a.CreateBucket,
		locationTimeout:   DefaultLocationTimeout,
		verifyBackup:      a.VerifyBackup,
		verifyRestore:     a.VerifyRestore,
		readBackBackup:    a.ReadBackBackup,
		drDrill:           a.DisasterRecoveryDrill,
		alerts:            a.Alerts,
	}
	plain, err := overrides.Plain(a.ValuesOverrides)
	if err != nil {
		return settings{}, err
	}
	s.overrides = plain
	s.snapshotLocationName = cmp.Or(a.SnapshotLocationName, s.locationName)
	if a.BackupLocationTimeoutSeconds != 0 {
		s.locationTimeout = a.BackupLocationTimeoutSeconds
	}
	if a.FsGroup != nil {
		s.fsGroup = *a.FsGroup
	}
	if a.ReleaseTimeoutSeconds != 0 {
		s.timeout = a.ReleaseTimeoutSeconds
	}
	if a.RoleMaxSessionDurationSeconds != 0 {
		s.maxSession = a.RoleMaxSessionDurationSeconds
	}
	checks := []func() error{
		func() error { return checkIdentityMode(s.mode, a) },
		func() error { return validatePrefix("backupPrefix", s.prefix) },
		func() error { return validateSubdomain("backupLocationName", s.locationName) },
		func() error { return validateSubdomain("snapshotLocationName", s.snapshotLocationName) },
		s.checkAccessMode,
		func() error { return validateObjectTags(s.objectTags) },
		func() error { return validateLabel("namespace", s.namespace) },
		func() error { return validateSubdomain("serviceAccountName", s.serviceAccount) },
		s.checkAudienceAndFSGroup,
		s.checkRelease,
		func() error { return s.checkVersions(a.VeleroVersion, a.PluginImage) },
		s.checkRole,
		func() error { return validateTags("tags", s.tags) },
		s.checkNodeAgent,
		s.checkLocations,
		s.checkRestoreDrill,
		s.checkDRDrill,
		func() error {
			if s.readBackBackup == "" {
				return nil
			}
			return validateSubdomain("readBackBackup", s.readBackBackup)
		},
		s.checkVerification,
		s.checkBucket,
		s.checkSchedules,
		s.checkAlerts,
		// After checkVersions, which picks the plugin image.
		func() error { return overrides.Check(s.overrides, s.wiring()) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return settings{}, err
		}
	}
	return s, nil
}

// wiring is what the component sets in the chart values, for the
// override guard.
func (s *settings) wiring() overrides.Wiring {
	return overrides.Wiring{
		Namespace: s.namespace, ServiceAccount: s.serviceAccount, IRSA: s.mode == IdentityModeIRSA,
		LocationName: s.locationName, FSGroup: s.fsGroup, NodeAgent: s.nodeAgent,
		PluginImage: s.pluginImage, VeleroMinor: s.veleroMinor, VeleroTag: s.veleroTag,
	}
}

// checkIdentityMode refuses an unknown mode and OIDC inputs in pod identity
// mode, where they would be silently unused.
func checkIdentityMode(mode string, a *VeleroIRSAArgs) error {
	switch mode {
	case IdentityModeIRSA:
		return nil
	case IdentityModePodIdentity:
		if a.OidcProviderArn != nil || a.OidcIssuerUrl != nil {
			return fmt.Errorf("identityMode %q takes no OIDC provider: drop OidcProviderArn and OidcIssuerUrl, or use identityMode %q", mode, IdentityModeIRSA)
		}
		if a.TokenAudience != "" {
			return fmt.Errorf("tokenAudience %q only applies to identityMode %q", a.TokenAudience, IdentityModeIRSA)
		}
		return nil
	}
	return fmt.Errorf("identityMode %q is not an identity mode: use %q (IAM roles for service accounts) or %q (EKS Pod Identity)", mode, IdentityModeIRSA, IdentityModePodIdentity)
}

func (s *settings) checkAccessMode() error {
	if s.accessMode != "ReadWrite" && s.accessMode != "ReadOnly" {
		return fmt.Errorf("backupAccessMode %q is not a backup location access mode: use ReadWrite or ReadOnly", s.accessMode)
	}
	return nil
}

func (s *settings) checkAudienceAndFSGroup() error {
	if strings.TrimSpace(s.audience) != s.audience || strings.ContainsAny(s.audience, " ,") {
		return fmt.Errorf("tokenAudience %q must be a single audience without spaces or commas, e.g. %s", s.audience, DefaultTokenAudience)
	}
	if s.fsGroup < 1 || s.fsGroup > 2147483647 {
		return fmt.Errorf("fsGroup %d is not a usable group ID: use a positive GID such as %d (0 would make the token readable only as root)", s.fsGroup, DefaultFSGroup)
	}
	return nil
}

func (s *settings) checkRelease() error {
	if err := validateLabel("releaseName", s.releaseName); err != nil {
		return err
	}
	if len(s.releaseName) > 53 {
		return fmt.Errorf("releaseName %q is %d characters; Helm allows at most 53", s.releaseName, len(s.releaseName))
	}
	if u, err := url.Parse(s.chartRepository); err != nil || (u.Scheme != "https" && u.Scheme != "oci") || u.Host == "" {
		return fmt.Errorf("chartRepository %q is not an https:// or oci:// repository URL: use %s or your mirror's URL", s.chartRepository, DefaultChartRepository)
	}
	if s.timeout < minReleaseTimeout {
		return fmt.Errorf("releaseTimeoutSeconds %d is too short for the chart's CRD-upgrade hook and rollout: use at least %d (default %d)", s.timeout, minReleaseTimeout, DefaultReleaseTimeout)
	}
	return nil
}

func (s *settings) checkVersions(veleroVersion, image string) error {
	minor, err := veleroMinor(s.chartVersion, veleroVersion)
	if err != nil {
		return err
	}
	s.veleroMinor, s.veleroTag = minor, veleroImageTag(minor)
	s.pluginImage, err = pluginImage(image, minor)
	return err
}

func (s *settings) checkRole() error {
	switch {
	case s.roleName != "" && s.roleNamePrefix != "":
		return fmt.Errorf("roleName %q and roleNamePrefix %q are mutually exclusive: choose one", s.roleName, s.roleNamePrefix)
	case s.roleName != "" && !roleNamePattern.MatchString(s.roleName):
		return fmt.Errorf("roleName %q is not a valid IAM role name: use 1–64 letters, digits and +=,.@_-", s.roleName)
	case s.roleNamePrefix != "" && (len(s.roleNamePrefix) > maxRoleNamePrefix || !roleNamePattern.MatchString(s.roleNamePrefix)):
		return fmt.Errorf("roleNamePrefix %q is not a valid role name prefix: use 1–%d letters, digits and +=,.@_- (a 26-character unique suffix is appended)", s.roleNamePrefix, maxRoleNamePrefix)
	case len(s.rolePath) > 512 || !rolePathPattern.MatchString(s.rolePath):
		return fmt.Errorf("rolePath %q is not a valid IAM path: start and end it with '/', e.g. /velero/", s.rolePath)
	case s.maxSession < 3600 || s.maxSession > 43200:
		return fmt.Errorf("roleMaxSessionDurationSeconds %d is out of IAM's range: use 3600–43200", s.maxSession)
	case len(s.description) > 1000:
		return fmt.Errorf("roleDescription is %d characters; IAM allows at most 1000", len(s.description))
	}
	if p := strings.SplitN(s.roleArnPattern, ":", 6); s.roleArnPattern != "" && (len(p) != 6 || p[0] != "arn" || p[2] != "iam" || !strings.HasPrefix(p[5], "role/")) {
		return fmt.Errorf("roleArnPattern %q is not an IAM role ARN pattern: use arn:<partition>:iam::<account>:role/<path and name, with * and ?>", s.roleArnPattern)
	}
	if s.boundary != "" {
		parts := strings.SplitN(s.boundary, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "policy/") {
			return fmt.Errorf("rolePermissionsBoundaryArn %q is not an IAM policy ARN: use arn:<partition>:iam::<account>:policy/<name>", s.boundary)
		}
	}
	return nil
}

// Resource quantities as Kubernetes writes them: 500m, 0.5, 512Mi, 1G.
var quantityPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)

func (s *settings) checkNodeAgent() error {
	for _, k := range slices.Sorted(maps.Keys(s.nodeAgentRequests)) {
		v := s.nodeAgentRequests[k]
		switch {
		case !s.nodeAgent:
			return fmt.Errorf("nodeAgentRequests is set but deployNodeAgent is false: turn the node agent on or drop the requests")
		case k != "cpu" && k != "memory":
			return fmt.Errorf("nodeAgentRequests key %q is not a resource: use cpu and memory", k)
		case !quantityPattern.MatchString(v):
			return fmt.Errorf("nodeAgentRequests.%s %q is not a Kubernetes quantity: write it like 500m (cpu) or 512Mi (memory)", k, v)
		}
	}
	return nil
}

// nodeAgentWarning is what every preview and up with the node agent says
// about the credentials Kopia uploads with (docs/configuration.md, "File-
// system backups longer than the credentials"); "" without it.
func nodeAgentWarning(s settings) string {
	if !s.nodeAgent {
		return ""
	}
	lifetime := "one hour with IRSA (the AWS SDK asks STS for its default session; roleMaxSessionDurationSeconds does not lengthen it)"
	if s.mode == IdentityModePodIdentity {
		lifetime = "as long as the EKS Pod Identity Agent's credentials last"
	}
	return "deployNodeAgent: Velero hands Kopia the role's credentials once per file-system backup, data movement, repository maintenance or deletion, " +
		"and does not renew them while it runs: they last " + lifetime + ", and an operation that runs longer fails with " +
		"\"The provided token has expired\" (velero #8173, #8454, #9949; not fixed in the Velero this installs). " +
		"Keep each volume's file-system backup under an hour, or back large volumes up with EBS snapshots; see docs/configuration.md#file-system-backups-longer-than-the-credentials"
}
