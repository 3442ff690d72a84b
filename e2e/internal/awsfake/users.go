package awsfake

import (
	"encoding/base64"
	"sort"
	"strings"
	"time"
)

// User is an IAM user with inline policies and access keys: the identity a
// Velero installed with static keys works as.
type User struct {
	Name, ARN, UserID string
	Account           string
	Inline            map[string]string // policy name → document
	Keys              []string          // access key IDs
}

// AccessKey is an IAM user's long-term access key, with what IAM's
// GetAccessKeyLastUsed reports.
type AccessKey struct {
	ID, Secret, User string
	Active           bool
	LastUsed         time.Time
	LastService      string // "s3", "sts", ...
	LastRegion       string
}

// KeyUse is one request authenticated with a long-term access key.
type KeyUse struct {
	Time            time.Time
	KeyID, Service  string
	Region, Request string // the request's method and path
}

// CreateUser adds an IAM user (iam:CreateUser).
func (c *Cloud) CreateUser(partition, account, name string) (*User, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !roleNamePattern.MatchString(name) {
		return nil, errorf(400, "ValidationError", "user name %q does not match [\\w+=,.@-]{1,64}", name)
	}
	if !accountPattern.MatchString(account) {
		return nil, errorf(400, "ValidationError", "account %q is not a 12-digit account ID", account)
	}
	if _, ok := c.users[name]; ok {
		return nil, errorf(409, "EntityAlreadyExists", "User with name %s already exists.", name)
	}
	u := &User{Name: name, Account: account, ARN: "arn:" + partition + ":iam::" + account + ":user/" + name,
		UserID: "AIDA" + strings.ToUpper(randomHex(8)), Inline: map[string]string{}}
	c.users[name] = u
	cp := *u
	return &cp, nil
}

// PutUserPolicy stores an inline policy of a user (iam:PutUserPolicy),
// with the checks PutRolePolicy makes of the document.
func (c *Cloud) PutUserPolicy(user, name, doc string) error {
	if _, err := ParsePolicy(doc); err != nil {
		return errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[user]
	if !ok {
		return errorf(404, "NoSuchEntity", "The user with name %s cannot be found.", user)
	}
	// IAM's limit for a user's inline policies together: 2,048 characters,
	// white space not counted (IAM and STS quotas).
	total := nonSpace(doc)
	for n, d := range u.Inline {
		if n != name {
			total += nonSpace(d)
		}
	}
	if total > 2048 {
		return errorf(409, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user %s", user)
	}
	u.Inline[name] = doc
	return nil
}

// CreateAccessKey issues a long-term access key for a user
// (iam:CreateAccessKey): an AKIA key ID and its secret, signing requests
// without a session token.
func (c *Cloud) CreateAccessKey(user string) (AccessKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[user]
	if !ok {
		return AccessKey{}, errorf(404, "NoSuchEntity", "The user with name %s cannot be found.", user)
	}
	if len(u.Keys) >= 2 {
		return AccessKey{}, errorf(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	}
	k := &AccessKey{ID: "AKIA" + strings.ToUpper(randomHex(8)), Secret: base64.RawStdEncoding.EncodeToString([]byte(randomHex(15))), User: user, Active: true}
	u.Keys = append(u.Keys, k.ID)
	c.accessKeys[k.ID] = k
	c.sessions[k.ID] = &Session{
		AccessKeyID: k.ID, SecretAccessKey: k.Secret, UserARN: u.ARN, Account: u.Account,
		Expires: c.now().AddDate(100, 0, 0),
	}
	return *k, nil
}

// UpdateAccessKey makes a key active or inactive (iam:UpdateAccessKey); an
// inactive key authenticates nothing.
func (c *Cloud) UpdateAccessKey(id string, active bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.accessKeys[id]
	if !ok {
		return errorf(404, "NoSuchEntity", "The Access Key with id %s cannot be found.", id)
	}
	k.Active = active
	return nil
}

// AccessKeyLastUsed is iam:GetAccessKeyLastUsed.
func (c *Cloud) AccessKeyLastUsed(id string) (AccessKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.accessKeys[id]
	if !ok {
		return AccessKey{}, false
	}
	return *k, true
}

// KeyUses lists the requests made with a long-term key, oldest first.
func (c *Cloud) KeyUses(id string) []KeyUse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []KeyUse
	for _, u := range c.keyUses {
		if u.KeyID == id {
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// recordKeyUse notes an authenticated request made with a long-term key.
func (c *Cloud) recordKeyUse(s *Session, service, region, request string) {
	if s.UserARN == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now().UTC()
	if k, ok := c.accessKeys[s.AccessKeyID]; ok {
		k.LastUsed, k.LastService, k.LastRegion = now, service, region
	}
	c.keyUses = append(c.keyUses, KeyUse{Time: now, KeyID: s.AccessKeyID, Service: service, Region: region, Request: request})
}

// keyActive tells whether a long-term key is active; the caller does not
// hold c.mu.
func (c *Cloud) keyActive(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.accessKeys[id]
	return ok && k.Active
}

func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			n++
		}
	}
	return n
}

// userByARN finds a user by ARN; the caller holds c.mu.
func (c *Cloud) userByARN(arn string) (*User, bool) {
	for _, u := range c.users {
		if u.ARN == arn {
			return u, true
		}
	}
	return nil, false
}
