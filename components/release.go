package components

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// This file registers kubernetes:helm.sh/v3:Release through a thin typed
// binding instead of importing the pulumi-kubernetes helm/v3 Go package.
//
// Why: that package also holds the old helm Chart component, which imports
// kubernetes/yaml and with it every Kubernetes API group. Importing it takes a
// program's cold build from about 1 minute to 5 (and 1.2 GB to 4.3 GB of
// memory) on a 2-core machine — a cost every platform program that embeds
// this component, and every PR preview on a cold runner, would pay.
//
// The binding sends the same type token, the same property names and the same
// package version as helmv3.NewRelease (pulumi-kubernetes v4.32.0). A test
// checks every property against the SDK's own helmv3.ReleaseArgs, so an SDK
// upgrade that renames or retypes one fails the build of the tests.

// helmReleaseType is the resource type token of helm.v3.Release.
const helmReleaseType = "kubernetes:helm.sh/v3:Release"

// kubernetesPackageVersion is the pulumi-kubernetes provider version the
// release asks the engine for, as helmv3.NewRelease does through
// pulumi.Version. Keep it equal to the sdk/v4 version in go.mod.
const kubernetesPackageVersion = "4.32.0"

// helmRelease is the subset of helm.v3.Release outputs this component reads.
type helmRelease struct {
	pulumi.CustomResourceState

	Name      pulumi.StringPtrOutput `pulumi:"name"`
	Namespace pulumi.StringPtrOutput `pulumi:"namespace"`
	Version   pulumi.StringPtrOutput `pulumi:"version"`
	// Status is the release status object (name, namespace, revision,
	// status, chart, version, appVersion).
	Status pulumi.MapOutput `pulumi:"status"`
}

// helmReleaseArgs is the subset of helm.v3.Release inputs this component sets.
// Field names match releaseArgs below, which supplies the property names.
type helmReleaseArgs struct {
	Chart           pulumi.StringInput
	CleanupOnFail   pulumi.BoolPtrInput
	Compat          pulumi.StringPtrInput
	CreateNamespace pulumi.BoolPtrInput
	MaxHistory      pulumi.IntPtrInput
	Name            pulumi.StringPtrInput
	Namespace       pulumi.StringPtrInput
	RepositoryOpts  helmRepositoryOptsArgs
	Timeout         pulumi.IntPtrInput
	Values          pulumi.MapInput
	Version         pulumi.StringPtrInput
}

// releaseArgs carries the property names and plain types of helmReleaseArgs.
type releaseArgs struct {
	Chart           string                 `pulumi:"chart"`
	CleanupOnFail   *bool                  `pulumi:"cleanupOnFail"`
	Compat          *string                `pulumi:"compat"`
	CreateNamespace *bool                  `pulumi:"createNamespace"`
	MaxHistory      *int                   `pulumi:"maxHistory"`
	Name            *string                `pulumi:"name"`
	Namespace       *string                `pulumi:"namespace"`
	RepositoryOpts  *repositoryOpts        `pulumi:"repositoryOpts"`
	Timeout         *int                   `pulumi:"timeout"`
	Values          map[string]interface{} `pulumi:"values"`
	Version         *string                `pulumi:"version"`
}

// ElementType ties helmReleaseArgs to its plain form for marshalling.
func (helmReleaseArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*releaseArgs)(nil)).Elem()
}

// helmRepositoryOptsArgs is the subset of RepositoryOpts this component sets.
type helmRepositoryOptsArgs struct {
	Repo pulumi.StringPtrInput
}

type repositoryOpts struct {
	Repo *string `pulumi:"repo"`
}

// ElementType ties helmRepositoryOptsArgs to its plain form.
func (helmRepositoryOptsArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*repositoryOpts)(nil)).Elem()
}

// newHelmRelease registers a helm.v3.Release the way helmv3.NewRelease does:
// compat mode on, and the provider version pinned to the SDK's.
func newHelmRelease(ctx *pulumi.Context, name string, args helmReleaseArgs, opts ...pulumi.ResourceOption) (*helmRelease, error) {
	args.Compat = pulumi.StringPtr("true")
	opts = append([]pulumi.ResourceOption{pulumi.Version(kubernetesPackageVersion)}, opts...)
	var r helmRelease
	if err := ctx.RegisterResource(helmReleaseType, name, args, &r, opts...); err != nil {
		return nil, err
	}
	return &r, nil
}
