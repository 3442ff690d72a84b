// Package kubebinding registers the pulumi-kubernetes resources the
// component needs — kubernetes:helm.sh/v3:Release, Velero's custom
// resources, and the ConfigMap and Namespace of the restore drill — through
// thin typed bindings instead of the pulumi-kubernetes Go packages.
//
// Why: the helm/v3 package also holds the old helm Chart component, which
// imports kubernetes/yaml and with it every Kubernetes API group. Importing it
// takes a program's cold build from about 1 minute to 5 (and 1.2 GB to 4.3 GB
// of memory) on a 2-core machine — a cost every platform program that embeds
// the component, and every PR preview on a cold runner, would pay. The
// apiextensions package (custom resources) would likewise compile the
// kubernetes and meta/v1 packages into every embedding program.
//
// The bindings send the same type tokens, the same property names and the
// same package version as helmv3.NewRelease,
// apiextensions.NewCustomResource, corev1.NewConfigMap and
// corev1.NewNamespace (pulumi-kubernetes v4.32.0). The sdkcheck
// module next to this package checks that against the pinned SDK itself; it
// is a module of its own so that `go test ./...` never compiles helm/v3
// (.ci/run runs it).
package kubebinding

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReleaseType is the resource type token of helm.v3.Release.
const ReleaseType = "kubernetes:helm.sh/v3:Release"

// PackageVersion is the pulumi-kubernetes provider version the resources ask
// the engine for, as the SDK's typed resources do through pulumi.Version.
// Keep it equal to the sdk/v4 version in go.mod (a test checks).
const PackageVersion = "4.32.0"

// Release is the subset of helm.v3.Release outputs the component reads.
type Release struct {
	pulumi.CustomResourceState

	Name      pulumi.StringPtrOutput `pulumi:"name"`
	Namespace pulumi.StringPtrOutput `pulumi:"namespace"`
	Version   pulumi.StringPtrOutput `pulumi:"version"`
	// Status is the release status object (name, namespace, revision,
	// status, chart, version, appVersion).
	Status pulumi.MapOutput `pulumi:"status"`
}

// ReleaseArgs is the subset of helm.v3.Release inputs the component sets.
// Field names match ReleaseFields, which supplies the property names.
type ReleaseArgs struct {
	Chart           pulumi.StringInput
	CleanupOnFail   pulumi.BoolPtrInput
	Compat          pulumi.StringPtrInput
	CreateNamespace pulumi.BoolPtrInput
	MaxHistory      pulumi.IntPtrInput
	Name            pulumi.StringPtrInput
	Namespace       pulumi.StringPtrInput
	RepositoryOpts  RepositoryOptsArgs
	Timeout         pulumi.IntPtrInput
	Values          pulumi.MapInput
	Version         pulumi.StringPtrInput
}

// ReleaseFields carries the property names and plain types of ReleaseArgs.
type ReleaseFields struct {
	Chart           string                 `pulumi:"chart"`
	CleanupOnFail   *bool                  `pulumi:"cleanupOnFail"`
	Compat          *string                `pulumi:"compat"`
	CreateNamespace *bool                  `pulumi:"createNamespace"`
	MaxHistory      *int                   `pulumi:"maxHistory"`
	Name            *string                `pulumi:"name"`
	Namespace       *string                `pulumi:"namespace"`
	RepositoryOpts  *RepositoryOpts        `pulumi:"repositoryOpts"`
	Timeout         *int                   `pulumi:"timeout"`
	Values          map[string]interface{} `pulumi:"values"`
	Version         *string                `pulumi:"version"`
}

// ElementType ties ReleaseArgs to its plain form for marshalling.
func (ReleaseArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ReleaseFields)(nil)).Elem()
}

// RepositoryOptsArgs is the subset of RepositoryOpts the component sets.
type RepositoryOptsArgs struct {
	Repo pulumi.StringPtrInput
}

// RepositoryOpts is the plain form of RepositoryOptsArgs.
type RepositoryOpts struct {
	Repo *string `pulumi:"repo"`
}

// ElementType ties RepositoryOptsArgs to its plain form.
func (RepositoryOptsArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*RepositoryOpts)(nil)).Elem()
}

// NewRelease registers a helm.v3.Release the way helmv3.NewRelease does:
// compat mode on, and the provider version pinned to the SDK's.
func NewRelease(ctx *pulumi.Context, name string, args ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	args.Compat = pulumi.StringPtr("true")
	opts = append([]pulumi.ResourceOption{pulumi.Version(PackageVersion)}, opts...)
	var r Release
	if err := ctx.RegisterResource(ReleaseType, name, args, &r, opts...); err != nil {
		return nil, err
	}
	return &r, nil
}

// Object is the subset of a resource's outputs the component reads (a
// ConfigMap has no status; it stays empty).
type Object struct {
	pulumi.CustomResourceState

	Metadata pulumi.MapOutput `pulumi:"metadata"`
	Status   pulumi.MapOutput `pulumi:"status"`
}

// ObjectArgs are a custom resource's top-level fields as
// apiextensions.NewCustomResource sends them: apiVersion, kind, metadata,
// and (of its other fields) the spec.
type ObjectArgs struct {
	ApiVersion pulumi.StringInput
	Kind       pulumi.StringInput
	Metadata   pulumi.MapInput
	Spec       pulumi.MapInput
}

// ObjectFields is the plain form of ObjectArgs.
type ObjectFields struct {
	ApiVersion string                 `pulumi:"apiVersion"`
	Kind       string                 `pulumi:"kind"`
	Metadata   map[string]interface{} `pulumi:"metadata"`
	Spec       map[string]interface{} `pulumi:"spec"`
}

// ElementType ties ObjectArgs to its plain form for marshalling.
func (ObjectArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ObjectFields)(nil)).Elem()
}

// ObjectType is the type token apiextensions.NewCustomResource uses for a
// custom resource: kubernetes:<apiVersion>:<kind>.
func ObjectType(apiVersion, kind string) string {
	return "kubernetes:" + apiVersion + ":" + kind
}

// NewObject registers a custom resource of apiVersion and kind. Unlike
// apiextensions.NewCustomResource it also pins the provider version, like
// every typed resource of the SDK.
func NewObject(ctx *pulumi.Context, apiVersion, kind, name string, metadata, spec pulumi.MapInput, opts ...pulumi.ResourceOption) (*Object, error) {
	args := ObjectArgs{
		ApiVersion: pulumi.String(apiVersion),
		Kind:       pulumi.String(kind),
		Metadata:   metadata,
		Spec:       spec,
	}
	return register(ctx, ObjectType(apiVersion, kind), name, args, opts)
}

// ConfigMapType and NamespaceType are the type tokens of the SDK's
// corev1.ConfigMap and corev1.Namespace.
const (
	ConfigMapType = "kubernetes:core/v1:ConfigMap"
	NamespaceType = "kubernetes:core/v1:Namespace"
)

// ConfigMapArgs is the subset of corev1.ConfigMap inputs the component
// sets; NewConfigMap fills in apiVersion and kind as the SDK does.
type ConfigMapArgs struct {
	ApiVersion pulumi.StringInput
	Kind       pulumi.StringInput
	Metadata   pulumi.MapInput
	Data       pulumi.StringMapInput
}

// ConfigMapFields is the plain form of ConfigMapArgs.
type ConfigMapFields struct {
	ApiVersion string                 `pulumi:"apiVersion"`
	Kind       string                 `pulumi:"kind"`
	Metadata   map[string]interface{} `pulumi:"metadata"`
	Data       map[string]string      `pulumi:"data"`
}

// ElementType ties ConfigMapArgs to its plain form for marshalling.
func (ConfigMapArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ConfigMapFields)(nil)).Elem()
}

// NewConfigMap registers a ConfigMap the way corev1.NewConfigMap does:
// apiVersion v1, kind ConfigMap, the provider version pinned to the SDK's.
func NewConfigMap(ctx *pulumi.Context, name string, metadata pulumi.MapInput, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (*Object, error) {
	args := ConfigMapArgs{ApiVersion: pulumi.String("v1"), Kind: pulumi.String("ConfigMap"), Metadata: metadata, Data: data}
	return register(ctx, ConfigMapType, name, args, opts)
}

// NamespaceArgs is the subset of corev1.Namespace inputs the component sets.
type NamespaceArgs struct {
	ApiVersion pulumi.StringInput
	Kind       pulumi.StringInput
	Metadata   pulumi.MapInput
}

// NamespaceFields is the plain form of NamespaceArgs.
type NamespaceFields struct {
	ApiVersion string                 `pulumi:"apiVersion"`
	Kind       string                 `pulumi:"kind"`
	Metadata   map[string]interface{} `pulumi:"metadata"`
}

// ElementType ties NamespaceArgs to its plain form for marshalling.
func (NamespaceArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*NamespaceFields)(nil)).Elem()
}

// NewNamespace registers a Namespace the way corev1.NewNamespace does.
func NewNamespace(ctx *pulumi.Context, name string, metadata pulumi.MapInput, opts ...pulumi.ResourceOption) (*Object, error) {
	args := NamespaceArgs{ApiVersion: pulumi.String("v1"), Kind: pulumi.String("Namespace"), Metadata: metadata}
	return register(ctx, NamespaceType, name, args, opts)
}

// register registers a resource with the provider version pinned, as the
// SDK's typed resources do.
func register(ctx *pulumi.Context, token, name string, args pulumi.Input, opts []pulumi.ResourceOption) (*Object, error) {
	opts = append([]pulumi.ResourceOption{pulumi.Version(PackageVersion)}, opts...)
	var o Object
	if err := ctx.RegisterResource(token, name, args, &o, opts...); err != nil {
		return nil, err
	}
	return &o, nil
}
