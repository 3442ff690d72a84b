// Command pulumi-resource-aws is the rig's aws provider plugin: the resource
// types and functions the program uses, backed by the rig's AWS stand-in,
// whose control API it finds in VELERO_IRSA_RIG_AWS_CONTROL.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
	"github.com/velero-irsa/velero-irsa/e2e/internal/awsprovider"
)

func main() {
	url := os.Getenv("VELERO_IRSA_RIG_AWS_CONTROL")
	if url == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (rig): VELERO_IRSA_RIG_AWS_CONTROL is not set; this plugin only runs inside the end-to-end rig")
		os.Exit(1)
	}
	err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return plugin.NewProviderServer(&awsprovider.Provider{Control: awsfake.Control{URL: url}}), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
