// Command gendocs writes docs_gen.go, the schema descriptions of the plugin,
// from the doc comments of package components. Run it with `go generate` in
// components/plugin.
package main

import (
	"fmt"
	"os"

	"github.com/velero-irsa/velero-irsa/components/plugin/internal/docgen"
)

func main() {
	src, err := docgen.Generate("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("docs_gen.go", src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
