package awsfake

import "time"

// IAM is eventually consistent: "changes that you make [...] take time to
// become visible from other services", and AWS advises not to put IAM
// changes in an application's critical path (IAM User Guide,
// "Troubleshoot IAM", "Changes that I make are not always immediately
// visible"). A role just created, a trust just updated or an inline policy
// just put is used by STS and by the services' authorization only after a
// while; until then they act on what was there before (nothing, for a new
// role: STS refuses it as it refuses a role it does not know).
//
// The stand-in models it with one delay, off (zero) unless set: the
// management calls (CreateRole, UpdateRole, PutRolePolicy,
// DeleteRolePolicy, GetRole) see every change at once, as IAM's own API
// does for its caller; STS and S3 see each change only once the delay has
// passed since it was made.

// propagation is what STS and the services still see of a role until its
// latest changes are visible.
type propagation struct {
	visibleAt   time.Time            // the role itself (zero: since creation)
	trustBefore string               // the trust in force until trustAt
	trustAt     time.Time            // zero: no trust change pending
	inlineAt    map[string]time.Time // per policy name: when its current document is in force
	// inlineBefore per policy name: the document in force until then
	// ("" with ok false: none, as before a first PutRolePolicy).
	inlineBefore map[string]*string
}

// SetPropagationDelay makes IAM changes made from now on visible to STS
// and S3 only after d (0 makes them visible at once).
func (c *Cloud) SetPropagationDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.propagationDelay = d
}

// pendingFor returns the role's pending changes record, made if missing;
// the caller holds c.mu.
func (c *Cloud) pendingFor(name string) *propagation {
	p, ok := c.pending[name]
	if !ok {
		p = &propagation{inlineAt: map[string]time.Time{}, inlineBefore: map[string]*string{}}
		c.pending[name] = p
	}
	return p
}

// roleCreated records a new role's invisibility; the caller holds c.mu.
func (c *Cloud) roleCreated(name string) {
	delete(c.pending, name)
	if c.propagationDelay > 0 {
		c.pendingFor(name).visibleAt = c.now().Add(c.propagationDelay)
	}
}

// trustChanged records that a role's trust changed from before; the
// caller holds c.mu.
func (c *Cloud) trustChanged(r *Role, before string) {
	if c.propagationDelay <= 0 || before == r.TrustPolicy {
		return
	}
	p := c.pendingFor(r.Name)
	if now := c.now(); p.trustAt.After(now) {
		before = p.trustBefore // still the one in force
	}
	p.trustBefore, p.trustAt = before, c.now().Add(c.propagationDelay)
}

// inlineChanged records that a role's inline policy name changed from
// before (nil: it did not exist); the caller holds c.mu.
func (c *Cloud) inlineChanged(r *Role, name string, before *string) {
	if c.propagationDelay <= 0 {
		return
	}
	p := c.pendingFor(r.Name)
	if at, ok := p.inlineAt[name]; ok && at.After(c.now()) {
		before = p.inlineBefore[name] // still the one in force
	}
	p.inlineBefore[name], p.inlineAt[name] = before, c.now().Add(c.propagationDelay)
}

// roleInForce returns the role as STS and the services see it now: not at
// all while it is new, and with the trust and inline policies in force
// (older ones while changes propagate). The caller holds c.mu.
func (c *Cloud) roleInForce(arn string) (*Role, bool) {
	r, ok := c.roleByARN(arn)
	if !ok {
		return nil, false
	}
	p, pending := c.pending[r.Name]
	if !pending {
		return r, true
	}
	now := c.now()
	if p.visibleAt.After(now) {
		return nil, false
	}
	seen := r.copy()
	if p.trustAt.After(now) {
		seen.TrustPolicy = p.trustBefore
	}
	for name, at := range p.inlineAt {
		if !at.After(now) {
			continue
		}
		if before := p.inlineBefore[name]; before != nil {
			seen.Inline[name] = *before
		} else {
			delete(seen.Inline, name)
		}
	}
	return seen, true
}
