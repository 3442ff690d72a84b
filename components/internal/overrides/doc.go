// Package overrides is the guard on valuesOverrides, the chart values a
// user merges over what the component sets. Overrides may set anything the
// Velero chart offers except what would give Velero's pods another AWS
// identity (static keys, a credentials file, another role, token or
// endpoint, an opt-out of the EKS Pod Identity Webhook), break the wiring
// the component sets (its namespace, ServiceAccount, fsGroup, plugin,
// locations and the annotations that carry the role), or let the values
// drift from the IAM policy.
//
// The door is narrow: Plain copies the overrides into plain values, Check
// returns the first refusal with its value path, reason and fix, given
// the Wiring the component sets, and Merge merges the overrides over the
// component's values as Helm does.
package overrides
