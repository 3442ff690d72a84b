// Package components provides VeleroIRSA, a Pulumi component that installs
// Velero on an Amazon EKS cluster with an IAM role only Velero's
// ServiceAccount can assume (IAM roles for service accounts), a
// least-privilege inline policy, and the Velero Helm chart wired to use them.
//
// The documents (trust policy, permission policy, Helm values) are built by
// pure functions — IRSATrustPolicy, PermissionPolicy, HelmValues — that the
// component wires to resources; they can be used and tested on their own.
//
// Importing this package compiles neither pulumi-eks (see the eksadapter
// subpackage) nor the pulumi-kubernetes helm and yaml packages.
package components
