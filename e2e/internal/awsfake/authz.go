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
	return c.authorizeAs(s, action, resource, ctx, resourcePolicy, false, `"`+resource+`"`)
}

// authorizeIn is authorize for a resource owned by resourceAccount: when
// that is not the caller's account, IAM's cross-account rule applies, and
// both the caller's identity-based policy and the resource-based policy
// must allow the action (IAM user guide, "Cross-account policy
// evaluation logic").
func (c *Cloud) authorizeIn(s *Session, action, resource string, ctx map[string]string, resourcePolicy, resourceAccount string) *Error {
	return c.authorizeAs(s, action, resource, ctx, resourcePolicy, resourceAccount != "" && resourceAccount != s.Account, `"`+resource+`"`)
}

// principalContext adds the global condition keys of the caller that the
// rig models: aws:PrincipalArn (the role's ARN for a role session, not the
// assumed-role ARN) and aws:PrincipalAccount.
func principalContext(s *Session, ctx map[string]string) map[string]string {
	out := make(map[string]string, len(ctx)+2)
	for k, v := range ctx {
		out[k] = v
	}
	out["aws:PrincipalArn"] = s.RoleARN
	if s.UserARN != "" {
		out["aws:PrincipalArn"] = s.UserARN
	}
	out["aws:PrincipalAccount"] = s.Account
	return out
}

// authorizeAs decides with the resource written as the service writes it
// in its messages (S3 quotes it, KMS does not); both requires the
// identity-based and the resource-based policy to allow (a cross-account
// request, or a key policy's grant).
func (c *Cloud) authorizeAs(s *Session, action, resource string, ctx map[string]string, resourcePolicy string, both bool, shown string) *Error {
	ctx = principalContext(s, ctx)
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
		rreq.PrincipalKind, rreq.Principal, rreq.PrincipalAccount = "AWS", s.RoleARN, s.Account
		if s.UserARN != "" {
			rreq.Principal = s.UserARN
		}
		if resourceDecision, e = decide([]string{resourcePolicy}, rreq, true, "resource-based policy"); e != nil {
			return e
		}
	}
	if both {
		switch {
		case identity != Allow:
			return denied("because no identity-based policy allows the " + action + " action")
		case resourceDecision != Allow:
			return denied("because no resource-based policy allows the " + action + " action")
		}
		return nil
	}
	if identity == Allow || resourceDecision == Allow {
		return nil
	}
	return denied("because no identity-based policy allows the " + action + " action")
}

// authorizeKMS decides a KMS action on a key for a role session, made
// directly: authorizeKMSVia with no service and no encryption context.
func (c *Cloud) authorizeKMS(s *Session, action, keyARN string) *Error {
	return c.authorizeKMSVia(s, action, keyARN, "", "")
}

// authorizeKMSVia decides a KMS action on a key for a role session, made
// on its behalf by the service viaService (kms:ViaService, e.g.
// s3.eu-central-1.amazonaws.com) with the encryption context
// kms:EncryptionContext:aws:s3:arn (S3 with a Bucket Key uses the bucket's
// ARN). A key without a key policy of its own has the default one: the
// key's account's IAM policies decide, and only for that account (minus
// the actions Deny lists). A key with a policy is decided by it and by the
// caller's IAM policies together: the key policy must allow the caller
// (the rig reads a statement naming an account's root, as AWS does, as
// handing the decision to that account's IAM policies, and requires them
// always, also where a key policy names a principal of the key's own
// account directly, which AWS would accept alone), and neither may deny.
func (c *Cloud) authorizeKMSVia(s *Session, action, keyARN, viaService, s3ARN string) *Error {
	c.mu.Lock()
	key, ok := c.keys[keyARN]
	var deny []string
	var policy string
	if ok {
		deny, policy = key.Deny, key.Policy
	}
	c.mu.Unlock()
	if !ok {
		return errorf(400, "KMS.NotFoundException", "Invalid keyId '%s'", keyARN)
	}
	if c.RegionDown(key.Region) {
		return errorf(503, "KMS.KMSInternalException", "the rig's region %s is out: KMS does not answer", key.Region)
	}
	ctx := map[string]string{"kms:CallerAccount": s.Account}
	if viaService != "" {
		ctx["kms:ViaService"] = viaService
	}
	if s3ARN != "" {
		ctx["kms:EncryptionContext:aws:s3:arn"] = s3ARN
	}
	if policy == "" {
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
		return c.authorizeAs(s, action, keyARN, ctx, "", false, keyARN)
	}
	// The key policy is the key's resource policy; its grant counts only
	// with the caller's IAM policies (as a cross-account grant does).
	return c.authorizeAs(s, action, keyARN, ctx, policy, true, keyARN)
}

func evaluateDoc(doc string, r Request, checkPrincipal bool) (Decision, error) {
	p, err := ParsePolicy(doc)
	if err != nil {
		return ExplicitDeny, fmt.Errorf("stored policy: %v", err)
	}
	d, _, err := p.Evaluate(r, checkPrincipal)
	return d, err
}
