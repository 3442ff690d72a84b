package main

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	comProvider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/velero-irsa/velero-irsa/components"
)

//go:generate go run ./internal/gendocs

// packageName is the Pulumi package this plugin serves; with the module
// "index" and the type name it gives components.VeleroIRSAType.
const packageName = "velero-irsa"

// Args are VeleroIRSAArgs under a name of the plugin's, so that they can
// carry the generated Annotate method; the fields, tags and validation are
// the library's.
type Args components.VeleroIRSAArgs

// VeleroIRSA is the library's component under a name of the plugin's, for
// the same reason.
type VeleroIRSA components.VeleroIRSA

// Component is the anchor infer reads the component's token and description
// from.
type Component struct{}

// Construct builds the component with the library's constructor (which
// registers the component's outputs itself).
func (Component) Construct(ctx *pulumi.Context, name, typ string, args Args, opts pulumi.ResourceOption) (*VeleroIRSA, error) {
	if args.AdoptRelease {
		// The hand-over that keeps an adopted release's keys out of the
		// state (components/existing) runs in the velero-irsa program,
		// before the component; a program in another language has none.
		return nil, fmt.Errorf("VeleroIRSA %q: adoptRelease is refused through the plugin: the import would copy the release's values, static keys included, into the stack's state; take the release over with the velero-irsa program (docs/adopting.md), then use the component here", name)
	}
	a := components.VeleroIRSAArgs(args)
	c, err := components.NewVeleroIRSA(ctx, name, &a, opts)
	if err != nil {
		return nil, err
	}
	return (*VeleroIRSA)(c), nil
}

// Annotate sets the token: the same as the Go library's, so state is the
// same whichever way a stack uses the component.
func (c *Component) Annotate(a infer.Annotator) {
	a.SetToken("index", "VeleroIRSA")
	a.Describe(c, componentDoc)
}

// newProvider builds the provider: infer derives the schema from Args and
// VeleroIRSA, patchSchema completes it, and construct serves Construct.
func newProvider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("Velero IRSA").
		WithDescription("Velero on Amazon EKS with an IAM role only its ServiceAccount can assume, a least-privilege policy, and backup locations the deploy waits on.").
		WithNamespace("velero-irsa").
		WithRepository("https://github.com/velero-irsa/velero-irsa").
		// The nested types live in package components; serve them in
		// the package's index module, next to the component.
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"components": "index"}).
		WithComponents(infer.Component(&Component{})).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	getSchema := prov.GetSchema
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := getSchema(ctx, req)
		if err != nil {
			return resp, err
		}
		resp.Schema, err = patchSchema(resp.Schema)
		return resp, err
	}
	prov.Construct = construct
	return prov, nil
}

// construct serves a Construct request. infer's own Construct would register
// the component's outputs after the constructor returns, but the library's
// constructor registers them already, and the engine refuses a second
// registration; so this copies the inputs, runs the constructor, and returns
// its outputs without registering them again.
func construct(ctx context.Context, req p.ConstructRequest) (p.ConstructResponse, error) {
	return p.ProgramConstruct(ctx, req, func(ctx *pulumi.Context, typ, name string, inputs comProvider.ConstructInputs, opts pulumi.ResourceOption) (*comProvider.ConstructResult, error) {
		if typ != components.VeleroIRSAType {
			return nil, fmt.Errorf("unknown resource type %s: this package serves %s", typ, components.VeleroIRSAType)
		}
		var args Args
		if err := inputs.CopyTo(&args); err != nil {
			return nil, fmt.Errorf("reading the inputs of VeleroIRSA %q: %w", name, err)
		}
		c, err := Component{}.Construct(ctx, name, typ, args, opts)
		if err != nil {
			return nil, err
		}
		return comProvider.NewConstructResult(c)
	})
}

func run(ctx context.Context, version string) error {
	prov, err := newProvider()
	if err != nil {
		return err
	}
	return prov.Run(ctx, packageName, version)
}

// typeDoc is a nested type's description and its properties'.
type typeDoc struct {
	Description string
	Properties  map[string]string
}
