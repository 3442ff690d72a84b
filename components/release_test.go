package components

import (
	"encoding/json"
	"reflect"
	"testing"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// pulumiTags maps each field's pulumi tag to its type.
func pulumiTags(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := f.Tag.Get("pulumi"); tag != "" {
			out[tag] = f.Type
		}
	}
	return out
}

// TestReleaseBindingMatchesSDK checks every property of the thin binding
// against the pulumi-kubernetes SDK's own helm.v3.Release types.
func TestReleaseBindingMatchesSDK(t *testing.T) {
	sdkArgs := pulumiTags(helmv3.ReleaseArgs{}.ElementType())
	ours := helmReleaseArgs{}.ElementType()
	for tag, typ := range pulumiTags(ours) {
		sdkType, ok := sdkArgs[tag]
		switch {
		case !ok:
			t.Errorf("binding input %q is not a helm.v3.Release input", tag)
		case tag == "repositoryOpts":
			sdkRepo := pulumiTags(sdkType.Elem())
			for rtag, rtyp := range pulumiTags(typ.Elem()) {
				if sdkRepo[rtag] != rtyp {
					t.Errorf("binding repositoryOpts.%s is %v, SDK has %v", rtag, rtyp, sdkRepo[rtag])
				}
			}
		case sdkType != typ:
			t.Errorf("binding input %q is %v, SDK has %v", tag, typ, sdkType)
		}
	}
	// The Input struct's field names must match the plain struct's, which
	// is how the SDK's marshaller finds each field's property name.
	in := reflect.TypeOf(helmReleaseArgs{})
	for i := 0; i < in.NumField(); i++ {
		if _, ok := ours.FieldByName(in.Field(i).Name); !ok {
			t.Errorf("helmReleaseArgs.%s has no counterpart in releaseArgs", in.Field(i).Name)
		}
	}
	sdkOut := pulumiTags(reflect.TypeOf(helmv3.Release{}))
	for tag := range pulumiTags(reflect.TypeOf(helmRelease{})) {
		if _, ok := sdkOut[tag]; !ok {
			t.Errorf("binding output %q is not a helm.v3.Release output", tag)
		}
	}
}

// TestReleaseBindingRegistersLikeSDK registers one release through the
// binding and one through helmv3.NewRelease with the same arguments, and
// compares what reaches the engine.
func TestReleaseBindingRegistersLikeSDK(t *testing.T) {
	values := pulumi.Map{"credentials": pulumi.Map{"useSecret": pulumi.Bool(false)}}
	rec, err := runMocks(t, func(ctx *pulumi.Context) error {
		if _, err := newHelmRelease(ctx, "ours", helmReleaseArgs{
			Chart:           pulumi.String("velero"),
			Version:         pulumi.StringPtr("12.1.0"),
			RepositoryOpts:  helmRepositoryOptsArgs{Repo: pulumi.StringPtr(DefaultChartRepository)},
			Name:            pulumi.StringPtr("velero"),
			Namespace:       pulumi.StringPtr("velero"),
			CreateNamespace: pulumi.BoolPtr(true),
			CleanupOnFail:   pulumi.BoolPtr(true),
			Timeout:         pulumi.IntPtr(900),
			MaxHistory:      pulumi.IntPtr(10),
			Values:          values,
		}); err != nil {
			return err
		}
		_, err := helmv3.NewRelease(ctx, "sdk", &helmv3.ReleaseArgs{
			Chart:           pulumi.String("velero"),
			Version:         pulumi.StringPtr("12.1.0"),
			RepositoryOpts:  helmv3.RepositoryOptsArgs{Repo: pulumi.StringPtr(DefaultChartRepository)},
			Name:            pulumi.StringPtr("velero"),
			Namespace:       pulumi.StringPtr("velero"),
			CreateNamespace: pulumi.BoolPtr(true),
			CleanupOnFail:   pulumi.BoolPtr(true),
			Timeout:         pulumi.IntPtr(900),
			MaxHistory:      pulumi.IntPtr(10),
			Values:          values,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ours := rec.MustFind(t, helmReleaseType, "ours")
	sdk := rec.MustFind(t, helmReleaseType, "sdk")
	oj, _ := json.Marshal(ours.Inputs.Mappable())
	sj, _ := json.Marshal(sdk.Inputs.Mappable())
	if string(oj) != string(sj) {
		t.Errorf("binding inputs differ from the SDK's:\nours %s\nsdk  %s", oj, sj)
	}
	if ours.Version != sdk.Version {
		t.Errorf("binding requests provider version %q, SDK %q", ours.Version, sdk.Version)
	}
}
