package awsfake

import (
	"fmt"
	"sort"
)

// authorize decides one action of a role session the way IAM's evaluation
// logic does for a principal and resource of the same account: an explicit
// deny in the role's policies, its permissions boundary or the resource
// policy refuses; a boundary that does not allow the action refuses too,
// whatever grants it (a boundary also limits resource-based grants to the
// role); otherwise the role's inline policies or the resource policy (for
// this role) must allow it. The message is the one AWS gives.
func (c *Cloud) authorize(s *Session, action, resource string, ctx map[string]string, resourcePolicy string) *Error {
	return c.authorizeAs(s, action, resource, ctx, resourcePolicy, `"`+resource+`"`)
}

// authorizeAs is authorize with the resource written as the service writes
// it in its messages (S3 quotes it, KMS does not).
func (c *Cloud) authorizeAs(s *Session, action, resource string, ctx map[string]string, resourcePolicy, shown string) *Error {
	c.mu.Lock()
	role, ok := c.roleInForce(s.RoleARN)
	var inline []string
	var boundary string
	if s.UserARN != "" {
		var user *User
		if user, ok = c.userByARN(s.UserARN); ok {
			role = &Role{Inline: user.Inline}
		}
	}
	if ok {
		names := make([]string, 0, len(role.Inline))
		for n := range role.Inline {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			inline = append(inline, role.Inline[n])
		}
		if role.PermissionsBoundary != "" {
			boundary = c.managed[role.PermissionsBoundary]
		}
	}
	c.mu.Unlock()
	denied := func(why string) *Error {
		return errorf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s %s", s.caller(), action, shown, why)
	}
	if !ok {
		return denied("because the principal no longer exists")
	}
	req := Request{Action: action, Resource: resource, Context: ctx}
	decide := func(docs []string, r Request, checkPrincipal bool, what string) (Decision, *Error) {
		out := ImplicitDeny
		for _, doc := range docs {
			d, err := evaluateDoc(doc, r, checkPrincipal)
			if err != nil {
				return ExplicitDeny, errorf(500, "InternalError", "evaluating the %s: %v", what, err)
			}
			if d == ExplicitDeny {
				return ExplicitDeny, denied("with an explicit deny in a " + what)
			}
			if d == Allow {
				out = Allow
			}
		}
		return out, nil
	}
	identity, e := decide(inline, req, false, "identity-based policy")
	if e != nil {
		return e
	}
	if boundary != "" {
		d, e := decide([]string{boundary}, req, false, "permissions boundary")
		if e != nil {
			return e
		}
		if d != Allow {
			return denied("because no permissions boundary allows the " + action + " action")
		}
	}
	resourceDecision := ImplicitDeny
	if resourcePolicy != "" {
		rreq := req
		rreq.PrincipalKind, rreq.Principal = "AWS", s.RoleARN
		if s.UserARN != "" {
			rreq.Principal = s.UserARN
		}
		if resourceDecision, e = decide([]string{resourcePolicy}, rreq, true, "resource-based policy"); e != nil {
			return e
		}
	}
	if identity == Allow || resourceDecision == Allow {
		return nil
	}
	return denied("because no identity-based policy allows the " + action + " action")
}

// authorizeKMS decides a KMS action on a key for a role session: the key
// must exist in the session's account and region, its key policy must not
// deny the action, and the role's policies must allow it (the default key
// policy hands the decision to IAM).
func (c *Cloud) authorizeKMS(s *Session, action, keyARN string) *Error {
	c.mu.Lock()
	key, ok := c.keys[keyARN]
	var deny []string
	if ok {
		deny = key.Deny
	}
	c.mu.Unlock()
	if !ok {
		return errorf(400, "KMS.NotFoundException", "Invalid keyId '%s'", keyARN)
	}
	if key.Account != s.Account {
		// Another account's default key policy hands nothing to this
		// account's IAM policies.
		return errorf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", s.caller(), action, keyARN, action)
	}
	for _, d := range deny {
		if wildcardMatch(d, action) {
			return errorf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in a resource-based policy", s.caller(), action, keyARN)
		}
	}
	return c.authorizeAs(s, action, keyARN, map[string]string{}, "", keyARN)
}

func evaluateDoc(doc string, r Request, checkPrincipal bool) (Decision, error) {
	p, err := ParsePolicy(doc)
	if err != nil {
		return ExplicitDeny, fmt.Errorf("stored policy: %v", err)
	}
	d, _, err := p.Evaluate(r, checkPrincipal)
	return d, err
}
