// Package components provides VeleroIRSA, a Pulumi component that installs
// Velero on an Amazon EKS cluster with an IAM role only Velero's
// ServiceAccount can assume (IAM roles for service accounts), a
// least-privilege inline policy, and the Velero Helm chart wired to use them.
//
// The documents (trust policy, permission policy, Helm values) are built by
// pure functions — IRSATrustPolicy, PermissionPolicy, HelmValues — that the
// component wires to resources; they can be used and tested on their own.
//
// The role is the only AWS identity Velero's pods get. With EKS Pod Identity
// (IdentityMode "podIdentity") the trust is pinned to the cluster, namespace
// and ServiceAccount through the session tags EKS passes. Value overrides
// that would hand the pods other credentials (AWS credential variables in
// any env value, envFrom, the chart's credentials Secret, volume mounts at
// ~/.aws, backup locations with credentials of their own) are refused before
// anything is registered; see VeleroIRSAArgs.ValuesOverrides.
//
// Importing this package compiles neither pulumi-eks (see the eksadapter
// subpackage) nor the pulumi-kubernetes helm and yaml packages.
package components
