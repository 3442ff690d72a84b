package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// patchSchema completes the schema infer derives:
//
//   - the nested object types get their descriptions (typeDocs, generated
//     from package components, which cannot carry Annotate methods);
//   - every input that is a plain Go value in the library (maps, objects and
//     scalars alike) is marked plain, down to the map values and the nested
//     types' properties, so the SDKs of other languages take plain values
//     there. Only the library's Input fields (cluster name, OIDC provider
//     and issuer, bucket, region, KMS keys) accept Outputs, and those may be
//     unknown during a preview.
func patchSchema(schema string) (string, error) {
	var spec map[string]interface{}
	if err := json.Unmarshal([]byte(schema), &spec); err != nil {
		return "", fmt.Errorf("reading the schema: %w", err)
	}
	resources, _ := spec["resources"].(map[string]interface{})
	component, ok := resources[packageName+":index:VeleroIRSA"].(map[string]interface{})
	if !ok {
		return "", fmt.Errorf("the schema has no %s:index:VeleroIRSA resource", packageName)
	}
	inputs, _ := component["inputProperties"].(map[string]interface{})
	for name, isInput := range inputKinds() {
		prop, ok := inputs[name].(map[string]interface{})
		if !ok {
			return "", fmt.Errorf("the schema has no input %q", name)
		}
		if !isInput {
			makePlain(prop)
		}
	}
	types, _ := spec["types"].(map[string]interface{})
	for token, t := range types {
		name := token[strings.LastIndex(token, ":")+1:]
		doc, ok := typeDocs[name]
		if !ok {
			return "", fmt.Errorf("no description for type %s: run go generate", token)
		}
		object := t.(map[string]interface{})
		object["description"] = doc.Description
		for pname, p := range object["properties"].(map[string]interface{}) {
			prop := p.(map[string]interface{})
			d, ok := doc.Properties[pname]
			if !ok {
				return "", fmt.Errorf("no description for %s.%s: run go generate", token, pname)
			}
			prop["description"] = d
			// The nested types are plain Go structs in the library.
			makePlain(prop)
		}
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// makePlain marks a property plain, and its map values and array items.
func makePlain(prop map[string]interface{}) {
	prop["plain"] = true
	for _, key := range []string{"additionalProperties", "items"} {
		if inner, ok := prop[key].(map[string]interface{}); ok {
			makePlain(inner)
		}
	}
}

// inputKinds maps each input's schema name to whether its Go field is a
// pulumi.Input, which can carry an Output (and so an unknown value).
func inputKinds() map[string]bool {
	inputType := reflect.TypeOf((*pulumi.Input)(nil)).Elem()
	out := map[string]bool{}
	t := reflect.TypeOf(Args{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("pulumi"), ",")[0]
		if name != "" {
			out[name] = f.Type.Implements(inputType)
		}
	}
	return out
}
