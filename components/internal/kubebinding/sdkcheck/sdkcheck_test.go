package sdkcheck

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const sdkModule = "github.com/pulumi/pulumi-kubernetes/sdk/v4"

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

// TestReleaseMatchesSDK checks every property of the release binding against
// the SDK's own helm.v3.Release types.
func TestReleaseMatchesSDK(t *testing.T) {
	sdkArgs := pulumiTags(helmv3.ReleaseArgs{}.ElementType())
	ours := kubebinding.ReleaseArgs{}.ElementType()
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
	in := reflect.TypeOf(kubebinding.ReleaseArgs{})
	for i := 0; i < in.NumField(); i++ {
		if _, ok := ours.FieldByName(in.Field(i).Name); !ok {
			t.Errorf("ReleaseArgs.%s has no counterpart in ReleaseFields", in.Field(i).Name)
		}
	}
	sdkOut := pulumiTags(reflect.TypeOf(helmv3.Release{}))
	for tag := range pulumiTags(reflect.TypeOf(kubebinding.Release{})) {
		if _, ok := sdkOut[tag]; !ok {
			t.Errorf("binding output %q is not a helm.v3.Release output", tag)
		}
	}
}

func runMocks(t *testing.T, program pulumi.RunFunc) *pulumimock.Recorder {
	t.Helper()
	rec := &pulumimock.Recorder{}
	if err := pulumi.RunErr(program, pulumi.WithMocks("sdkcheck", "test", rec)); err != nil {
		t.Fatal(err)
	}
	return rec
}

func inputsJSON(t *testing.T, r pulumimock.Resource) string {
	t.Helper()
	b, err := json.Marshal(r.Inputs.Mappable())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReleaseRegistersLikeSDK registers one release through the binding and
// one through helmv3.NewRelease with the same arguments, and compares what
// reaches the engine.
func TestReleaseRegistersLikeSDK(t *testing.T) {
	values := pulumi.Map{"credentials": pulumi.Map{"useSecret": pulumi.Bool(false)}}
	repo := "https://vmware-tanzu.github.io/helm-charts"
	rec := runMocks(t, func(ctx *pulumi.Context) error {
		if _, err := kubebinding.NewRelease(ctx, "ours", kubebinding.ReleaseArgs{
			Chart:           pulumi.String("velero"),
			Version:         pulumi.StringPtr("12.1.0"),
			RepositoryOpts:  kubebinding.RepositoryOptsArgs{Repo: pulumi.StringPtr(repo)},
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
			RepositoryOpts:  helmv3.RepositoryOptsArgs{Repo: pulumi.StringPtr(repo)},
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
	ours := rec.MustFind(t, kubebinding.ReleaseType, "ours")
	sdk := rec.MustFind(t, "kubernetes:helm.sh/v3:Release", "sdk")
	if o, s := inputsJSON(t, ours), inputsJSON(t, sdk); o != s {
		t.Errorf("binding inputs differ from the SDK's:\nours %s\nsdk  %s", o, s)
	}
	if ours.Version != sdk.Version {
		t.Errorf("binding requests provider version %q, SDK %q", ours.Version, sdk.Version)
	}
}

// TestObjectRegistersLikeSDK registers a BackupStorageLocation through the
// binding and through apiextensions.NewCustomResource, and compares the type
// token and the inputs. The SDK's CustomResource requests no provider
// version; the binding pins the SDK's, as the typed resources do.
func TestObjectRegistersLikeSDK(t *testing.T) {
	metadata := pulumi.Map{"name": pulumi.String("default"), "namespace": pulumi.String("velero")}
	spec := pulumi.Map{"provider": pulumi.String("aws"), "objectStorage": pulumi.Map{"bucket": pulumi.String("acme-velero-backups")}}
	rec := runMocks(t, func(ctx *pulumi.Context) error {
		if _, err := kubebinding.NewObject(ctx, "velero.io/v1", "BackupStorageLocation", "ours", metadata, spec); err != nil {
			return err
		}
		_, err := apiextensions.NewCustomResource(ctx, "sdk", &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String("velero.io/v1"),
			Kind:        pulumi.String("BackupStorageLocation"),
			Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String("default"), Namespace: pulumi.String("velero")},
			OtherFields: kubernetes.UntypedArgs{"spec": spec},
		})
		return err
	})
	token := kubebinding.ObjectType("velero.io/v1", "BackupStorageLocation")
	ours := rec.MustFind(t, token, "ours")
	sdk := rec.MustFind(t, token, "sdk")
	if o, s := inputsJSON(t, ours), inputsJSON(t, sdk); o != s {
		t.Errorf("binding inputs differ from the SDK's:\nours %s\nsdk  %s", o, s)
	}
	if ours.Version != kubebinding.PackageVersion {
		t.Errorf("binding requests provider version %q, want %q", ours.Version, kubebinding.PackageVersion)
	}
}

// TestCoreResourcesRegisterLikeSDK registers a ConfigMap and a Namespace
// through the bindings and through corev1's typed resources, and compares
// the type tokens, the inputs and the provider version requested.
func TestCoreResourcesRegisterLikeSDK(t *testing.T) {
	metadata := pulumi.Map{"name": pulumi.String("velero-irsa-restore-drill"), "namespace": pulumi.String("velero"),
		"labels": pulumi.StringMap{"velero-irsa/restore-drill": pulumi.String("canary")}}
	sdkMetadata := &metav1.ObjectMetaArgs{Name: pulumi.String("velero-irsa-restore-drill"), Namespace: pulumi.String("velero"),
		Labels: pulumi.StringMap{"velero-irsa/restore-drill": pulumi.String("canary")}}
	data := pulumi.StringMap{"wiring": pulumi.String("0867f999a670")}
	rec := runMocks(t, func(ctx *pulumi.Context) error {
		if _, err := kubebinding.NewConfigMap(ctx, "ours-cm", metadata, data); err != nil {
			return err
		}
		if _, err := corev1.NewConfigMap(ctx, "sdk-cm", &corev1.ConfigMapArgs{Metadata: sdkMetadata, Data: data}); err != nil {
			return err
		}
		if _, err := kubebinding.NewNamespace(ctx, "ours-ns", pulumi.Map{"name": pulumi.String("velero-restore-drill")}); err != nil {
			return err
		}
		_, err := corev1.NewNamespace(ctx, "sdk-ns", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("velero-restore-drill")}})
		return err
	})
	for _, c := range []struct{ token, ours, sdk string }{
		{kubebinding.ConfigMapType, "ours-cm", "sdk-cm"},
		{kubebinding.NamespaceType, "ours-ns", "sdk-ns"},
	} {
		ours := rec.MustFind(t, c.token, c.ours)
		sdk := rec.MustFind(t, c.token, c.sdk)
		if o, s := inputsJSON(t, ours), inputsJSON(t, sdk); o != s {
			t.Errorf("%s binding inputs differ from the SDK's:\nours %s\nsdk  %s", c.token, o, s)
		}
		if ours.Version != sdk.Version {
			t.Errorf("%s binding requests provider version %q, SDK %q", c.token, ours.Version, sdk.Version)
		}
	}
}

// TestPackageVersionIsPinned checks that the binding asks for the provider
// version of the SDK this module builds with, and that the main module pins
// the same SDK.
func TestPackageVersionIsPinned(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", sdkModule).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m %s: %v\n%s", sdkModule, err, out)
	}
	built := strings.TrimSpace(string(out))
	if built != "v"+kubebinding.PackageVersion {
		t.Errorf("kubebinding.PackageVersion is %q but this check builds with %s %s", kubebinding.PackageVersion, sdkModule, built)
	}
	if main := requiredVersion(t, "../../../../go.mod", sdkModule); main != built {
		t.Errorf("the main module requires %s %s, this check %s: keep them equal", sdkModule, main, built)
	}
}

// requiredVersion reads the version a go.mod requires of a module.
func requiredVersion(t *testing.T, gomod, module string) string {
	t.Helper()
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(scanner.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	t.Fatalf("%s does not require %s", gomod, module)
	return ""
}
