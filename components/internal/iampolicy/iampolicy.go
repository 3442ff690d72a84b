// Package iampolicy is a small typed model of AWS IAM policy documents.
//
// Documents built with it marshal deterministically: struct fields keep their
// declared order and condition maps are emitted with sorted keys, so the same
// inputs always give byte-identical JSON (stable previews, stable golden files).
package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Version is the only current IAM policy language version.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
const Version = "2012-10-17"

// MaxInlineRolePolicySize is IAM's limit on an inline role policy, in
// characters, whitespace excluded.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const MaxInlineRolePolicySize = 10240

// Document is an IAM policy document (identity-based or trust policy).
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Every statement built by this project
// carries a descriptive Sid.
type Statement struct {
	Sid       string     `json:"Sid"`
	Effect    Effect     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    Values     `json:"Action"`
	Resource  Values     `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Effect is Allow or Deny.
type Effect string

// The two statement effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Principal names who a trust policy statement applies to.
type Principal struct {
	AWS       Values `json:"AWS,omitempty"`
	Federated Values `json:"Federated,omitempty"`
	Service   Values `json:"Service,omitempty"`
}

// Condition maps an operator (StringEquals, Null, ...) to condition keys and
// their values. encoding/json writes map keys in sorted order.
type Condition map[string]map[string]Values

// Values is a list of strings that marshals as a bare string when it has
// exactly one element, the way AWS itself renders policies.
type Values []string

// MarshalJSON writes a single value as a string and several as an array.
func (v Values) MarshalJSON() ([]byte, error) {
	var x interface{} = []string(v)
	if len(v) == 1 {
		x = v[0]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON accepts both a string and an array of strings.
func (v *Values) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = Values{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("decoding IAM policy value: %w", err)
	}
	*v = many
	return nil
}

// New returns a document with the current policy version and the statements.
func New(statements ...Statement) Document {
	return Document{Version: Version, Statement: statements}
}

// Validate checks the structural rules this project relies on: at least one
// statement, unique non-empty Sids, a known effect, at least one action, and
// no empty action or resource strings.
func (d Document) Validate() error {
	if len(d.Statement) == 0 {
		return fmt.Errorf("policy has no statements")
	}
	seen := map[string]bool{}
	for i, s := range d.Statement {
		switch {
		case s.Sid == "":
			return fmt.Errorf("statement %d has no Sid", i)
		case seen[s.Sid]:
			return fmt.Errorf("statement Sid %q is used twice", s.Sid)
		case s.Effect != Allow && s.Effect != Deny:
			return fmt.Errorf("statement %q has effect %q, want Allow or Deny", s.Sid, s.Effect)
		case len(s.Action) == 0:
			return fmt.Errorf("statement %q has no actions", s.Sid)
		}
		seen[s.Sid] = true
		for _, v := range append(append(Values{}, s.Action...), s.Resource...) {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("statement %q has an empty action or resource", s.Sid)
			}
		}
	}
	return nil
}

// JSON returns the compact JSON form of the document, the form sent to IAM.
func (d Document) JSON() (string, error) {
	return d.encode("")
}

// Indented returns the document as two-space indented JSON, for review.
func (d Document) Indented() (string, error) {
	return d.encode("  ")
}

// encode marshals without HTML escaping, so '&', '<' and '>' stay readable.
func (d Document) encode(indent string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(d); err != nil {
		return "", fmt.Errorf("marshalling policy document: %w", err)
	}
	out := buf.String()
	if indent == "" {
		out = strings.TrimSuffix(out, "\n")
	}
	return out, nil
}

// Size is the document's length as IAM counts it against its quotas: the
// compact JSON without whitespace.
func (d Document) Size() (int, error) {
	s, err := d.JSON()
	if err != nil {
		return 0, err
	}
	return len(s), nil
}
