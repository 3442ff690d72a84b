package awsfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Session is a set of temporary credentials STS issued for a role, or an
// IAM user's long-term access key (UserARN set, no session token).
type Session struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	RoleARN, AssumedRoleARN                    string
	UserARN                                    string
	Account                                    string
	Expires                                    time.Time
	Tags                                       map[string]string // session tags (pod identity)
	Subject                                    string            // the web identity's sub, if any
}

// Call is one STS or pod identity request as the rig saw it.
type Call struct {
	Time    time.Time
	Action  string // AssumeRoleWithWebIdentity, AssumeRoleForPodIdentity
	Subject string // the token's sub
	RoleARN string
	Allowed bool
	Reason  string
}

// Calls returns the STS calls seen so far.
func (c *Cloud) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.calls...)
}

// KeySet is a JSON Web Key Set, as an issuer's jwks_uri serves it.
type KeySet struct {
	Keys []struct {
		Kty, Kid, Alg, Use, N, E string
	} `json:"keys"`
}

// JWKSource fetches the key set of an issuer; the rig answers it from the
// API server's /openid/v1/jwks.
type JWKSource func(issuer string) (KeySet, error)

// Token is a verified JWT's claims.
type Token struct {
	Issuer, Subject string
	Audience        []string
	Expiry          time.Time
	Claims          map[string]json.RawMessage
}

// VerifyToken checks an RS256 JWT's signature against the issuer's keys,
// and its expiry. The issuer is read from the token, then its keys fetched.
func VerifyToken(raw string, keys JWKSource, now time.Time) (Token, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return Token{}, fmt.Errorf("token is not a JWT")
	}
	var header struct{ Alg, Kid, Typ string }
	if err := decodeSegment(parts[0], &header); err != nil {
		return Token{}, fmt.Errorf("token header: %v", err)
	}
	if header.Alg != "RS256" {
		return Token{}, fmt.Errorf("token algorithm %q; only RS256 is modelled", header.Alg)
	}
	var claims map[string]json.RawMessage
	if err := decodeSegment(parts[1], &claims); err != nil {
		return Token{}, fmt.Errorf("token claims: %v", err)
	}
	var t Token
	t.Claims = claims
	_ = json.Unmarshal(claims["iss"], &t.Issuer)
	_ = json.Unmarshal(claims["sub"], &t.Subject)
	var one string
	if json.Unmarshal(claims["aud"], &one) == nil {
		t.Audience = []string{one}
	} else {
		_ = json.Unmarshal(claims["aud"], &t.Audience)
	}
	var exp int64
	if err := json.Unmarshal(claims["exp"], &exp); err != nil {
		return Token{}, fmt.Errorf("token has no exp")
	}
	t.Expiry = time.Unix(exp, 0)
	set, err := keys(t.Issuer)
	if err != nil {
		return Token{}, fmt.Errorf("fetching the keys of issuer %q: %v", t.Issuer, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Token{}, fmt.Errorf("token signature: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (header.Kid != "" && k.Kid != header.Kid) {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return Token{}, fmt.Errorf("token signature does not verify with any key of issuer %q", t.Issuer)
	}
	if !now.Before(t.Expiry) {
		return Token{}, fmt.Errorf("token expired at %s", t.Expiry.UTC().Format(time.RFC3339))
	}
	return t, nil
}

func decodeSegment(s string, v interface{}) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(e)
	if err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(new(big.Int).SetBytes(eb).Int64())}, nil
}

// AssumeRoleWithWebIdentity does what STS does with a web identity token:
// verify it against its issuer's keys, find the IAM OIDC provider for that
// issuer in the role's account, check the audience against the provider's
// client IDs, and evaluate the role's trust policy as stored with the
// provider's condition keys.
func (c *Cloud) AssumeRoleWithWebIdentity(roleARN, sessionName, rawToken string, duration int, keys JWKSource) (*Session, error) {
	now := c.now()
	tok, err := VerifyToken(rawToken, keys, now)
	if err != nil {
		c.record(Call{Time: now, Action: "AssumeRoleWithWebIdentity", RoleARN: roleARN, Reason: err.Error()})
		return nil, errorf(400, "InvalidIdentityToken", "%v", err)
	}
	call := Call{Time: now, Action: "AssumeRoleWithWebIdentity", Subject: tok.Subject, RoleARN: roleARN}
	fail := func(e *Error) (*Session, error) {
		call.Reason = e.Error()
		c.record(call)
		return nil, e
	}
	account := arnAccount(roleARN)
	provider, ok := c.OpenIDConnectProviderByURL(account, tok.Issuer)
	if !ok {
		return fail(errorf(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for %s", tok.Issuer))
	}
	audOK := false
	for _, a := range tok.Audience {
		if contains(provider.ClientIDs, a, false) {
			audOK = true
		}
	}
	if !audOK {
		return fail(errorf(400, "InvalidIdentityToken", "Incorrect token audience"))
	}
	c.mu.Lock()
	role, ok := c.roleInForce(roleARN)
	var trust string
	var maxSession int
	if ok {
		trust, maxSession = role.TrustPolicy, role.MaxSessionDuration
	}
	c.mu.Unlock()
	denied := errorf(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	if !ok {
		return fail(denied)
	}
	p, err := ParsePolicy(trust)
	if err != nil {
		return fail(errorf(500, "InternalFailure", "stored trust policy: %v", err))
	}
	ctx := map[string]string{
		provider.URL + ":sub": tok.Subject,
		provider.URL + ":aud": strings.Join(tok.Audience, ","),
	}
	decision, _, err := p.Evaluate(Request{Action: "sts:AssumeRoleWithWebIdentity", PrincipalKind: "Federated", Principal: provider.ARN, Context: ctx}, true)
	if err != nil {
		return fail(errorf(500, "InternalFailure", "evaluating the trust policy: %v", err))
	}
	if decision != Allow {
		return fail(denied)
	}
	if duration == 0 {
		duration = 3600
	}
	if duration < 900 || duration > maxSession {
		return fail(errorf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."))
	}
	call.Allowed = true
	c.record(call)
	s := c.newSession(roleARN, sessionName, time.Duration(duration)*time.Second, nil)
	s.Subject = tok.Subject
	return s, nil
}

func (c *Cloud) record(call Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
}

// newSession issues temporary credentials for a role.
func (c *Cloud) newSession(roleARN, sessionName string, d time.Duration, tags map[string]string) *Session {
	roleName := roleARN[strings.LastIndex(roleARN, "/")+1:]
	s := &Session{
		AccessKeyID:     "ASIA" + strings.ToUpper(randomHex(8)),
		SecretAccessKey: base64.RawStdEncoding.EncodeToString([]byte(randomHex(15))),
		SessionToken:    base64.StdEncoding.EncodeToString([]byte("rig-session-" + randomHex(24))),
		RoleARN:         roleARN,
		AssumedRoleARN:  fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", arnPartition(roleARN), arnAccount(roleARN), roleName, sessionName),
		Account:         arnAccount(roleARN),
		Expires:         c.now().Add(d).UTC().Truncate(time.Second),
		Tags:            tags,
	}
	c.mu.Lock()
	c.sessions[s.AccessKeyID] = s
	c.mu.Unlock()
	cp := *s
	return &cp
}

// caller is the principal the credentials act as: the assumed-role
// session, or the IAM user.
func (s *Session) caller() string {
	if s.UserARN != "" {
		return s.UserARN
	}
	return s.AssumedRoleARN
}

// sessionFor looks up temporary credentials by access key ID.
func (c *Cloud) sessionFor(accessKeyID, token string) (*Session, *Error) {
	c.mu.Lock()
	s, ok := c.sessions[accessKeyID]
	c.mu.Unlock()
	switch {
	case !ok:
		return nil, errorf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case token != s.SessionToken:
		return nil, errorf(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	case !c.now().Before(s.Expires):
		return nil, errorf(400, "ExpiredToken", "The provided token has expired.")
	case s.UserARN != "" && !c.keyActive(accessKeyID):
		// An inactive key is refused as an unknown one.
		return nil, errorf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	cp := *s
	return &cp, nil
}
