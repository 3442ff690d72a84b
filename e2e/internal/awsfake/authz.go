package awsfake

import (
	"fmt"
	"sort"
)

// authorize decides one action of a role session the way IAM's evaluation
// logic does for a principal and resource of the same account: an explicit
// deny in the role's policies, its permissions boundary or the resource
// policy refuses; otherwise the role's inline policies must allow it (and
// the boundary too, when the role has one), or the resource policy must
// allow it for this role. The message is the one AWS gives.
func (c *Cloud) authorize(s *Session, action, resource string, ctx map[string]string, resourcePolicy string) *Error {
	return c.authorizeAs(s, action, resource, ctx, resourcePolicy, `"`+resource+`"`)
}

// authorizeAs is authorize with the resource written as the service writes
// it in its messages (S3 quotes it, KMS does not).
func (c *Cloud) authorizeAs(s *Session, action, resource string, ctx map[string]string, resourcePolicy, shown string) *Error {
	c.mu.Lock()
	role, ok := c.roleByARN(s.RoleARN)
	var inline []string
	var boundary string
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
		return errorf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s %s", s.AssumedRoleARN, action, shown, why)
	}
	if !ok {
		return denied("because the role no longer exists")
	}
	req := Request{Action: action, Resource: resource, Context: ctx}
	identity := ImplicitDeny
	for _, doc := range inline {
		d, err := evaluateDoc(doc, req, false)
		if err != nil {
			return errorf(500, "InternalError", "evaluating the role's policy: %v", err)
		}
		if d == ExplicitDeny {
			return denied("with an explicit deny in an identity-based policy")
		}
		if d == Allow {
			identity = Allow
		}
	}
	if boundary != "" && identity == Allow {
		d, err := evaluateDoc(boundary, req, false)
		if err != nil {
			return errorf(500, "InternalError", "evaluating the permissions boundary: %v", err)
		}
		if d == ExplicitDeny {
			return denied("with an explicit deny in a permissions boundary")
		}
		if d != Allow {
			return denied("because no permissions boundary allows the " + action + " action")
		}
	}
	resourceDecision := ImplicitDeny
	if resourcePolicy != "" {
		rreq := req
		rreq.PrincipalKind, rreq.Principal = "AWS", s.RoleARN
		d, err := evaluateDoc(resourcePolicy, rreq, true)
		if err != nil {
			return errorf(500, "InternalError", "evaluating the resource policy: %v", err)
		}
		if d == ExplicitDeny {
			return denied("with an explicit deny in a resource-based policy")
		}
		resourceDecision = d
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
	for _, d := range deny {
		if wildcardMatch(d, action) {
			return errorf(403, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in a resource-based policy", s.AssumedRoleARN, action, keyARN)
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
