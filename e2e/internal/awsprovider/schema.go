package awsprovider

import (
	"context"
	_ "embed"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// schema is the package schema the provider serves: its settings and the
// functions it models, under pulumi-aws's names and types. Pulumi YAML
// type-checks a program against it (a `pulumi:providers:aws` resource and
// `fn::invoke` of aws functions). The resource types are not in it: only
// the component registers them, from inside its plugin, and the engine needs
// no schema for that; a YAML program that names one fails type-checking, as
// anything the rig does not model should.
//
//go:embed schema.json
var schema []byte

// GetSchema returns the schema.
func (p *Provider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	return plugin.GetSchemaResponse{Schema: schema}, nil
}
