package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// The component registers Velero's BackupStorageLocations itself, instead of
// letting the chart render them, so that each one is a resource Pulumi waits
// on: pulumi-kubernetes (4.18 and later) holds a resource carrying the
// pulumi.com/waitFor annotation until the condition holds, for at most
// pulumi.com/timeoutSeconds, and fails the update otherwise.
// https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/await-logic/
//
// Velero validates a location when it sees it and then every
// validationFrequency (one minute by default), setting status.phase to
// Available or Unavailable, with the AWS error in status.message. A deploy
// that succeeds therefore means Velero reached its bucket with the role.
const (
	waitForAnnotation = "pulumi.com/waitFor"
	timeoutAnnotation = "pulumi.com/timeoutSeconds"
	// The conditions select, in order, the phase when it is the one
	// waited for, else Velero's reason (a location's status.message, a
	// backup's status.failureReason), else the phase: pulumi-kubernetes
	// prints what the expression selected while it waits ("found ..."), so
	// a failing deploy shows why Velero refused, not only "Unavailable".
	// The expressions are RFC 9535 JSONPath, as the provider evaluates them
	// (github.com/theory/jsonpath; a bracket with several selectors yields
	// their results in order, and the provider compares the first).
	locationAvailable = "jsonpath={.status[?@ == 'Available', 'message', 'phase']}=Available"
	backupCompleted   = "jsonpath={.status[?@ == 'Completed', 'failureReason', 'phase']}=Completed"

	// DefaultLocationTimeout is how long a deploy waits, by default, for each
	// backup location to become Available (and for the verification backup
	// to complete).
	DefaultLocationTimeout = 300
	minLocationTimeout     = 60
	maxLocationTimeout     = 3600

	// verificationTTL is how long Velero keeps a verification backup; its
	// garbage collection then deletes it, objects in the bucket included.
	verificationTTL = "24h0m0s"

	// wiringLabel carries the hash of what a verification backup proves.
	wiringLabel = "velero-irsa/wiring"

	// locationValidationFrequency is how often Velero validates each
	// location, instead of the server's one minute. IAM is eventually
	// consistent: a role, trust or policy the deploy just made can be
	// refused by STS or S3 for some seconds (IAM User Guide,
	// "Troubleshoot IAM", changes not immediately visible), so a new
	// location's first validation may fail on a good wiring. Velero then
	// validates again only after the frequency has passed (it looks every
	// 10 s: bslValidationEnqueuePeriod and storage.IsReadyToValidate in
	// Velero 1.18.3), so at one minute a deploy whose first validation
	// fails would wait about a minute for the next, as long as the
	// shortest backupLocationTimeoutSeconds allows, and a broken wiring's
	// own reason would show only then. At 20 s the wait sees two more
	// validations within that minute. Each validation is one ListObjectsV2
	// of the prefix: 4,320 a day per location.
	locationValidationFrequency = "20s"
)

// verificationReplaceOnChanges makes a new verification backup (under a
// new name) on any change, its wiring label included, and after a failed
// one: an update in place would not make Velero run it again, and a Backup
// that ended Failed or PartiallyFailed never reaches Completed, so waiting
// on it again would time out on every later deploy. "*" also covers the
// engine's "#initerror" key, which marks a resource whose creation failed
// (applyReplaceOnChanges in pkg/resource/deploy/step_generator.go).
var verificationReplaceOnChanges = []string{"*"}

// storageLocation is one BackupStorageLocation the component registers.
type storageLocation struct {
	Name, Bucket, Prefix, Region string
	KMSKeyARN, AccessMode        string
	Tagging                      string // config.tagging, the main location only
	Default                      bool
}

// spec is the location's spec with the AWS plugin's config keys
// (velero-plugin-for-aws README, "Create a BackupStorageLocation").
func (l storageLocation) spec() map[string]interface{} {
	config := map[string]interface{}{"region": l.Region}
	if l.KMSKeyARN != "" {
		config["kmsKeyId"] = l.KMSKeyARN
	}
	if l.Tagging != "" {
		config["tagging"] = l.Tagging
	}
	objectStorage := map[string]interface{}{"bucket": l.Bucket}
	if l.Prefix != "" {
		objectStorage["prefix"] = l.Prefix
	}
	spec := map[string]interface{}{
		"provider":            "aws",
		"objectStorage":       objectStorage,
		"config":              config,
		"accessMode":          l.AccessMode,
		"validationFrequency": locationValidationFrequency,
	}
	if l.Default {
		spec["default"] = true
	}
	return spec
}

// awaitedMetadata is the metadata of an object Pulumi waits on until
// condition holds, for at most timeout seconds. An empty name leaves the
// object to pulumi-kubernetes' auto-naming.
func awaitedMetadata(name, namespace, condition string, timeout int) map[string]interface{} {
	metadata := map[string]interface{}{
		"namespace": namespace,
		"labels":    map[string]interface{}{"app.kubernetes.io/managed-by": "pulumi"},
		"annotations": map[string]interface{}{
			waitForAnnotation: condition,
			timeoutAnnotation: strconv.Itoa(timeout),
		},
	}
	if name != "" {
		metadata["name"] = name
	}
	return metadata
}

// veleroObject is a Velero object as the component registers it (a backup
// location or the verification backup): metadata, with the wait
// annotations, and spec. The golden files hold it as JSON.
type veleroObject struct {
	Metadata map[string]interface{} `json:"metadata"`
	Spec     map[string]interface{} `json:"spec"`
}

// object is the location as registered. Its wiringLabel is a hash of the
// identity Velero validates it with (see identityHash), so that a new role,
// trust or permission policy replaces the object and Velero validates it
// again, with the pods the release update restarted.
func (l storageLocation) object(namespace string, timeout int, identity string, condition string) veleroObject {
	metadata := awaitedMetadata(l.Name, namespace, condition, timeout)
	metadata["labels"].(map[string]interface{})[wiringLabel] = identity
	return veleroObject{Metadata: metadata, Spec: l.spec()}
}

// identityHash is a short hash of the role ARN and its trust and permission
// policies: what a location's validation proves besides its spec.
func identityHash(r resolved, roleARN string) (string, error) {
	return wiringHash(roleARN, r.trustPolicy, r.permissionPolicy)
}

// wiringHash is the first 12 hex digits of the SHA-256 of parts as JSON.
func wiringHash(parts ...interface{}) (string, error) {
	data, err := json.Marshal(parts)
	if err != nil {
		return "", fmt.Errorf("hashing the backup wiring: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12], nil
}

// verificationWiring is the hash a verification backup is labelled with:
// everything the backup path runs on, so that a change of any of it takes
// a new verification: the role, its documents, every location, what runs
// Velero (the chart version, the server image and the init containers
// that bring the AWS plugin, as the Helm values give them, overrides
// included), and whether a restore drill reads the backup back (a backup
// taken before the drill was turned on holds no canary, so turning it on
// must take a new one).
func verificationWiring(r resolved, roleARN string, s settings) (string, error) {
	parts := []interface{}{roleARN, r.trustPolicy, r.permissionPolicy}
	for _, l := range r.locations {
		parts = append(parts, l.Name, l.spec())
	}
	values := HelmValues(r.values)
	parts = append(parts, map[string]interface{}{
		"chartVersion": s.chartVersion, "image": values["image"], "initContainers": values["initContainers"],
	})
	if s.verifyRestore {
		parts = append(parts, map[string]interface{}{"restoreDrill": drillCanaryName})
	}
	return wiringHash(parts...)
}

// verificationBackup is the Backup that proves the whole path once the
// locations are Available: Velero's own namespace only, no volume
// snapshots or file-system backups, kept for verificationTTL. Its
// wiringLabel is the verificationWiring hash; a change replaces the
// backup, so a new one runs exactly when the wiring changes.
//
// It has no fixed name: pulumi-kubernetes names it <resource name>-<random>
// when it is created, and again on every replacement. A name derived from
// the wiring alone would already be taken after pulumi destroy and up, or
// after verifyBackup goes off and on, since the old Backup stays (Pulumi
// retains it, and Velero's backup sync would re-create it from the bucket
// anyway) until its TTL expires; creating an object that exists fails.
func verificationBackup(r resolved, wiring string, s settings) veleroObject {
	metadata := awaitedMetadata("", s.namespace, backupCompleted, s.locationTimeout)
	metadata["labels"].(map[string]interface{})[wiringLabel] = wiring
	spec := map[string]interface{}{
		"includedNamespaces":       []interface{}{s.namespace},
		"includeClusterResources":  false,
		"storageLocation":          r.locations[0].Name,
		"snapshotVolumes":          false,
		"defaultVolumesToFsBackup": false,
		"snapshotMoveData":         false,
		"ttl":                      verificationTTL,
	}
	if s.verifyRestore {
		// Velero restores every DataUpload a backup holds whatever the
		// restore's filters say (resourceMustHave in pkg/restore/restore.go,
		// Velero 1.18.3), and the DataUploads of data-mover backups live in
		// Velero's namespace: a backup the drill restores must hold none,
		// or the drill would restore more than the canary.
		spec["excludedResources"] = []interface{}{"datauploads.velero.io"}
	}
	return veleroObject{Metadata: metadata, Spec: spec}
}

// checkVerificationName refuses a component name that cannot name the
// verification backup: pulumi-kubernetes names it after the resource,
// "<name>-verify-" and eight random characters, and a Backup's name must be
// a Kubernetes name.
func checkVerificationName(name string, s settings) error {
	if !s.verifyBackup {
		return nil
	}
	example := name + "-verify-0a1b2c3d"
	if len(example) > 253 || !dns1123Subdomain.MatchString(example) {
		return fmt.Errorf("the component's name %q cannot name the verification backup (%q would not be a valid Kubernetes name): with verifyBackup, use lowercase letters, digits, '-' and '.', starting with a letter or digit", name, example)
	}
	return nil
}

// locationReplaceOnChanges makes a fresh location object, which has no
// status, whenever its spec or its wiring label changes, so the deploy
// waits for Velero's verdict on the new wiring instead of passing on the
// phase the old object had.
var locationReplaceOnChanges = []string{"spec", "metadata.labels"}

// newBackupLocations registers every location, main first, in Velero's
// namespace; each waits for Velero to report it Available.
func newBackupLocations(ctx *pulumi.Context, name string, s settings, plan pulumi.Output, roleARN pulumi.StringOutput, opts ...pulumi.ResourceOption) ([]*kubebinding.Object, error) {
	names := append([]string{s.locationName}, slices.Sorted(maps.Keys(s.locations))...)
	opts = append(opts, pulumi.DeleteBeforeReplace(true), pulumi.ReplaceOnChanges(locationReplaceOnChanges))
	identity := pulumi.All(plan, roleARN).ApplyT(func(v []interface{}) (string, error) {
		return identityHash(v[0].(resolved), v[1].(string))
	})
	var out []*kubebinding.Object
	for i, loc := range names {
		i := i
		object := pulumi.All(plan, identity).ApplyT(func(v []interface{}) veleroObject {
			condition := locationAvailable
			if s.drDrill != nil && s.drDrill.Location == loc {
				condition = drLocationCondition
			}
			return v[0].(resolved).locations[i].object(s.namespace, s.locationTimeout, v[1].(string), condition)
		})
		bsl, err := registerObject(ctx, backupStorageLocationKind, name+"-location-"+loc, object, opts...)
		if err != nil {
			return nil, fmt.Errorf("creating backup location %q: %w", loc, err)
		}
		out = append(out, bsl)
	}
	return out, nil
}

// newVerificationBackup registers the verification backup, labelled with
// wiring. Pulumi never deletes it (RetainOnDelete): Velero's garbage
// collection expires it with its data after verificationTTL, and a Backup
// object deleted directly would only be re-created by Velero's backup sync
// from the bucket.
func newVerificationBackup(ctx *pulumi.Context, name string, s settings, plan pulumi.Output, wiring pulumi.StringOutput, opts ...pulumi.ResourceOption) (*kubebinding.Object, error) {
	object := pulumi.All(plan, wiring).ApplyT(func(v []interface{}) veleroObject {
		return verificationBackup(v[0].(resolved), v[1].(string), s)
	})
	opts = append(opts, pulumi.RetainOnDelete(true), pulumi.ReplaceOnChanges(verificationReplaceOnChanges))
	backup, err := registerObject(ctx, backupKind, name+"-verify", object, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating verification backup: %w", err)
	}
	return backup, nil
}

// registerObject registers a velero.io/v1 object whose metadata and spec
// come from an output holding a veleroObject.
func registerObject(ctx *pulumi.Context, kind, name string, object pulumi.Output, opts ...pulumi.ResourceOption) (*kubebinding.Object, error) {
	field := func(get func(veleroObject) map[string]interface{}) pulumi.MapOutput {
		return object.ApplyT(func(v interface{}) map[string]interface{} {
			return get(v.(veleroObject))
		}).(pulumi.MapOutput)
	}
	return kubebinding.NewObject(ctx, veleroAPIVersion, kind, name,
		field(func(o veleroObject) map[string]interface{} { return o.Metadata }),
		field(func(o veleroObject) map[string]interface{} { return o.Spec }),
		opts...)
}

// checkVerification bounds the wait on Velero's verdict and refuses a
// verification backup that Velero could not take.
func (s *settings) checkVerification() error {
	if s.locationTimeout < minLocationTimeout || s.locationTimeout > maxLocationTimeout {
		return fmt.Errorf("backupLocationTimeoutSeconds %d is out of range: use %d–%d (default %d); Velero validates a location at start and then every 20 s", s.locationTimeout, minLocationTimeout, maxLocationTimeout, DefaultLocationTimeout)
	}
	if s.verifyBackup && s.accessMode == "ReadOnly" {
		return fmt.Errorf("verifyBackup is true but backupAccessMode is ReadOnly: Velero takes no backups into a read-only location; turn verifyBackup off or make the location ReadWrite")
	}
	return nil
}
