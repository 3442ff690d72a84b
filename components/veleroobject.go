package components

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Velero's own objects (BackupStorageLocation, Backup) are registered as
// Kubernetes custom resources through this thin binding, for the reason
// release.go gives: importing pulumi-kubernetes' apiextensions package would
// compile the kubernetes and meta/v1 packages into every program that embeds
// the component. apiextensions.NewCustomResource (pulumi-kubernetes v4.32.0)
// registers the type token kubernetes:<apiVersion>:<kind> with the object's
// top-level fields as inputs (apiVersion, kind, metadata, and the rest
// flattened); this binding sends the same token and the same fields, and
// pins the provider version like the release binding does.

const (
	veleroAPIVersion          = "velero.io/v1"
	backupStorageLocationKind = "BackupStorageLocation"
	backupKind                = "Backup"
	// backupStorageLocationType and backupType are the resource type tokens.
	backupStorageLocationType = "kubernetes:" + veleroAPIVersion + ":" + backupStorageLocationKind
	backupType                = "kubernetes:" + veleroAPIVersion + ":" + backupKind
)

// veleroObject is the subset of a Velero custom resource's outputs this
// component reads.
type veleroObject struct {
	pulumi.CustomResourceState

	Metadata pulumi.MapOutput `pulumi:"metadata"`
	Status   pulumi.MapOutput `pulumi:"status"`
}

// veleroObjectArgs are a Velero object's fields: apiVersion and kind are
// filled in by newVeleroObject.
type veleroObjectArgs struct {
	ApiVersion pulumi.StringInput
	Kind       pulumi.StringInput
	Metadata   pulumi.MapInput
	Spec       pulumi.MapInput
}

type veleroObjectFields struct {
	ApiVersion string                 `pulumi:"apiVersion"`
	Kind       string                 `pulumi:"kind"`
	Metadata   map[string]interface{} `pulumi:"metadata"`
	Spec       map[string]interface{} `pulumi:"spec"`
}

// ElementType ties veleroObjectArgs to its plain form for marshalling.
func (veleroObjectArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*veleroObjectFields)(nil)).Elem()
}

// newVeleroObject registers a velero.io/v1 object of the given kind.
func newVeleroObject(ctx *pulumi.Context, kind, name string, metadata, spec pulumi.MapInput, opts ...pulumi.ResourceOption) (*veleroObject, error) {
	args := veleroObjectArgs{
		ApiVersion: pulumi.String(veleroAPIVersion),
		Kind:       pulumi.String(kind),
		Metadata:   metadata,
		Spec:       spec,
	}
	opts = append([]pulumi.ResourceOption{pulumi.Version(kubernetesPackageVersion)}, opts...)
	var o veleroObject
	if err := ctx.RegisterResource("kubernetes:"+veleroAPIVersion+":"+kind, name, args, &o, opts...); err != nil {
		return nil, err
	}
	return &o, nil
}
