// Command pulumi-resource-velero-irsa serves the VeleroIRSA component of
// package components to Pulumi programs in every language (TypeScript,
// Python, C#, Java, YAML) as the Pulumi package "velero-irsa":
//
//	pulumi package add <repository>/components/plugin@<tag>
//
// It wraps the library's constructor, so validation, documents and outputs
// are the Go library's, and the resource token is components.VeleroIRSAType.
//
// Module layout: the plugin is a module of its own, with a replace to the
// repository root (which resolves, as pulumi package add clones the whole
// repository). pulumi-go-provider v1.5.0 requires
// github.com/pulumi/pulumi/pkg/v3 (for codegen/schema) and newer versions
// of a few indirect modules (go-colorful, go-isatty, go-runewidth, the
// OpenTelemetry collector's featuregate and pdata); in the root module every
// Go program that embeds the library would inherit those requirements in its
// module graph and downloads. Nested, the library's go.mod stays as it is,
// for the price of a second go.mod/go.sum and a second go test in .ci/run.
// Measured with .ci/measure-test-loop (2 cores, empty build caches, one run):
// the plugin builds in 87.3 s, the program (go build . at the root) in
// 83.5 s, 1.05 times as long.
package main

import (
	"context"
	"fmt"
	"os"
)

// version is the plugin's version; release builds set it with
// -ldflags "-X main.version=<version>".
var version = "0.1.0"

func main() {
	if err := run(context.Background(), version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
