// Package awsfake is the rig's stand-in for the AWS services Velero and the
// program reach: IAM (roles, inline policies, OIDC providers), STS, the EKS
// Pod Identity agent, EKS clusters, KMS keys and S3. It keeps its state in
// memory (S3 objects on disk), evaluates every request against the IAM
// documents as stored, and refuses what it does not model, so a request it
// cannot judge fails loudly instead of passing.
package awsfake

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Policy is an IAM policy document as AWS stores it.
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one statement. Only the elements the rig models are read;
// NotAction, NotResource and NotPrincipal are refused by ParsePolicy.
type Statement struct {
	Sid       string
	Effect    string
	Principal map[string][]string // "AWS", "Federated", "Service"; {"*": nil} for "*"
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

// ParsePolicy reads a policy document the way IAM accepts it: Statement as
// an object or a list, Action and Resource as a string or a list, Principal
// as "*" or a map of strings or lists, condition values as strings, booleans
// or lists. Elements the rig does not model are an error, never ignored.
func ParsePolicy(doc string) (Policy, error) {
	var raw struct {
		Version   string
		Id        string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Policy{}, fmt.Errorf("MalformedPolicyDocument: %v", err)
	}
	if raw.Version != "2012-10-17" {
		return Policy{}, fmt.Errorf("MalformedPolicyDocument: Version %q; the rig models only 2012-10-17", raw.Version)
	}
	var list []json.RawMessage
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		list = []json.RawMessage{raw.Statement}
	} else if err := json.Unmarshal(raw.Statement, &list); err != nil {
		return Policy{}, fmt.Errorf("MalformedPolicyDocument: Statement: %v", err)
	}
	p := Policy{Version: raw.Version}
	for i, r := range list {
		s, err := parseStatement(r)
		if err != nil {
			return Policy{}, fmt.Errorf("MalformedPolicyDocument: statement %d: %v", i, err)
		}
		p.Statement = append(p.Statement, s)
	}
	if len(p.Statement) == 0 {
		return Policy{}, fmt.Errorf("MalformedPolicyDocument: no statements")
	}
	return p, nil
}

func parseStatement(r json.RawMessage) (Statement, error) {
	var raw struct {
		Sid       string
		Effect    string
		Principal json.RawMessage
		Action    json.RawMessage
		Resource  json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(string(r)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Statement{}, fmt.Errorf("%v (the rig does not model NotAction, NotResource or NotPrincipal)", err)
	}
	s := Statement{Sid: raw.Sid, Effect: raw.Effect}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return Statement{}, fmt.Errorf("Effect %q", raw.Effect)
	}
	var err error
	if s.Action, err = stringOrList(raw.Action); err != nil || len(s.Action) == 0 {
		return Statement{}, fmt.Errorf("Action: %v", orMissing(err))
	}
	if raw.Resource != nil {
		if s.Resource, err = stringOrList(raw.Resource); err != nil {
			return Statement{}, fmt.Errorf("Resource: %v", err)
		}
	}
	if raw.Principal != nil {
		if s.Principal, err = parsePrincipal(raw.Principal); err != nil {
			return Statement{}, fmt.Errorf("Principal: %v", err)
		}
	}
	for op, keys := range raw.Condition {
		if _, ok := conditionOperators[op]; !ok {
			return Statement{}, fmt.Errorf("condition operator %q is not modelled by the rig", op)
		}
		if s.Condition == nil {
			s.Condition = map[string]map[string][]string{}
		}
		s.Condition[op] = map[string][]string{}
		for key, v := range keys {
			values, err := conditionValues(v)
			if err != nil {
				return Statement{}, fmt.Errorf("Condition %s %s: %v", op, key, err)
			}
			s.Condition[op][key] = values
		}
	}
	for _, v := range append(append([]string{}, s.Action...), s.Resource...) {
		if strings.Contains(v, "${") {
			return Statement{}, fmt.Errorf("policy variable in %q is not modelled by the rig", v)
		}
	}
	return s, nil
}

func orMissing(err error) error {
	if err == nil {
		return fmt.Errorf("missing")
	}
	return err
}

func stringOrList(r json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(r, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(r, &list); err != nil {
		return nil, fmt.Errorf("want a string or a list of strings, got %s", r)
	}
	return list, nil
}

func parsePrincipal(r json.RawMessage) (map[string][]string, error) {
	var star string
	if err := json.Unmarshal(r, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("%q: a string principal must be \"*\"", star)
		}
		return map[string][]string{"*": nil}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for kind, v := range m {
		switch kind {
		case "AWS", "Federated", "Service":
		default:
			return nil, fmt.Errorf("principal type %q is not modelled by the rig", kind)
		}
		list, err := stringOrList(v)
		if err != nil {
			return nil, err
		}
		out[kind] = list
	}
	return out, nil
}

func conditionValues(r json.RawMessage) ([]string, error) {
	var list []interface{}
	if err := json.Unmarshal(r, &list); err != nil {
		var one interface{}
		if err := json.Unmarshal(r, &one); err != nil {
			return nil, err
		}
		list = []interface{}{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		default:
			return nil, fmt.Errorf("value %v is neither a string nor a boolean", v)
		}
	}
	return out, nil
}

// Request is what one call asks: the action, the resource ARN (empty for
// trust policies, which have none) and the request context.
type Request struct {
	Action   string
	Resource string
	// Principal is who calls, as a policy's Principal names it: a role ARN
	// (kind AWS), an OIDC provider ARN (Federated) or a service.
	PrincipalKind, Principal string
	// PrincipalAccount is the caller's account: a policy that names an
	// account (its ID, or arn:<partition>:iam::<account>:root) as the
	// principal names every principal of it.
	PrincipalAccount string
	Context          map[string]string
}

// Decision is the outcome of evaluating policies for a request.
type Decision int

// The outcomes, as IAM's evaluation logic names them.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	return [...]string{"implicit deny", "allow", "explicit deny"}[d]
}

// Evaluate applies one policy to a request. checkPrincipal is true for
// resource-based and trust policies, whose statements name principals.
// It returns the decision and the Sid of the deciding statement.
func (p Policy) Evaluate(r Request, checkPrincipal bool) (Decision, string, error) {
	decision, by := ImplicitDeny, ""
	for _, s := range p.Statement {
		match, err := s.matches(r, checkPrincipal)
		if err != nil {
			return ExplicitDeny, s.Sid, err
		}
		if !match {
			continue
		}
		if s.Effect == "Deny" {
			return ExplicitDeny, s.Sid, nil
		}
		decision, by = Allow, s.Sid
	}
	return decision, by, nil
}

func (s Statement) matches(r Request, checkPrincipal bool) (bool, error) {
	if checkPrincipal {
		if s.Principal == nil {
			return false, fmt.Errorf("statement %q names no principal in a resource or trust policy", s.Sid)
		}
		if !s.principalMatches(r) {
			return false, nil
		}
	} else if s.Principal != nil {
		return false, fmt.Errorf("statement %q names a principal in an identity policy", s.Sid)
	}
	if !anyMatch(s.Action, r.Action, true) {
		return false, nil
	}
	if r.Resource != "" || s.Resource != nil {
		if !anyMatch(s.Resource, r.Resource, false) {
			return false, nil
		}
	}
	return s.conditionsHold(r.Context)
}

func (s Statement) principalMatches(r Request) bool {
	if _, all := s.Principal["*"]; all {
		return true
	}
	for _, p := range s.Principal[r.PrincipalKind] {
		if p == "*" || p == r.Principal {
			return true
		}
		if r.PrincipalKind == "AWS" && r.PrincipalAccount != "" &&
			(p == r.PrincipalAccount || strings.HasSuffix(p, ":iam::"+r.PrincipalAccount+":root") && strings.HasPrefix(p, "arn:")) {
			return true
		}
	}
	return false
}

// anyMatch matches a value against IAM patterns with * and ?; actions
// compare without regard to case, resources with it.
func anyMatch(patterns []string, value string, foldCase bool) bool {
	for _, p := range patterns {
		if foldCase {
			p, value = strings.ToLower(p), strings.ToLower(value)
		}
		if wildcardMatch(p, value) {
			return true
		}
	}
	return false
}

// wildcardMatch is IAM's matching: * is any run of characters (slashes
// included), ? one character.
func wildcardMatch(pattern, value string) bool {
	// Not path.Match: it stops * at a slash and reads [ as a class, and
	// IAM does neither.
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == value
	}
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// conditionOperators are the condition operators the rig evaluates: those
// the component's documents and the rig's own bucket policies use, and
// their plain negations. Any other is refused when the policy is parsed.
var conditionOperators = map[string]func(values []string, got string, present bool) bool{
	"StringEquals": func(values []string, got string, present bool) bool {
		return present && contains(values, got, false)
	},
	"StringNotEquals": func(values []string, got string, present bool) bool {
		return !present || !contains(values, got, false)
	},
	"StringLike": func(values []string, got string, present bool) bool {
		return present && anyMatch(values, got, false)
	},
	"StringNotLike": func(values []string, got string, present bool) bool {
		return !present || !anyMatch(values, got, false)
	},
	"ArnEquals": func(values []string, got string, present bool) bool {
		return present && contains(values, got, false)
	},
	"ArnLike": func(values []string, got string, present bool) bool {
		return present && anyMatch(values, got, false)
	},
	"Bool": func(values []string, got string, present bool) bool {
		return present && contains(values, got, true)
	},
	"Null": func(values []string, got string, present bool) bool {
		// Null true: the key is absent; false: it is present.
		return contains(values, fmt.Sprint(!present), true)
	},
}

func contains(values []string, v string, foldCase bool) bool {
	for _, x := range values {
		if x == v || (foldCase && strings.EqualFold(x, v)) {
			return true
		}
	}
	return false
}

// conditionsHold evaluates every operator and key (all must hold; a key's
// values are alternatives). Keys compare without regard to case, as IAM
// does.
func (s Statement) conditionsHold(ctx map[string]string) (bool, error) {
	lower := make(map[string]string, len(ctx))
	for k, v := range ctx {
		lower[strings.ToLower(k)] = v
	}
	ops := make([]string, 0, len(s.Condition))
	for op := range s.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		eval := conditionOperators[op]
		for key, values := range s.Condition[op] {
			got, present := lower[strings.ToLower(key)]
			if !eval(values, got, present) {
				return false, nil
			}
		}
	}
	return true, nil
}
