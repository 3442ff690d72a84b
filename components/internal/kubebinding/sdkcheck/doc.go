// Package sdkcheck checks the thin bindings of package kubebinding against
// the pinned pulumi-kubernetes Go SDK: property names and types, outputs,
// and what reaches the engine when a resource is registered both ways.
//
// It is a module of its own because the SDK's helm/v3 package compiles
// kubernetes/yaml and every Kubernetes API group (minutes and gigabytes on a
// cold cache), which `go test ./...` in the main module must not pay.
// .ci/run runs it: `cd components/internal/kubebinding/sdkcheck && go test ./...`.
package sdkcheck
