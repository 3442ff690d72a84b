package awsfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Error is an AWS error: the code AWS uses, its message and the HTTP status
// the service answers with.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...interface{}) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Role is an IAM role as stored.
type Role struct {
	Name, Path, ARN, RoleID string
	TrustPolicy             string            // the document as given
	Inline                  map[string]string // policy name → document
	PermissionsBoundary     string            // managed policy ARN, if any
	MaxSessionDuration      int
	Description             string
	Tags                    map[string]string
	Created                 time.Time
}

// OIDCProvider is an IAM OIDC identity provider.
type OIDCProvider struct {
	ARN, URL    string // URL without https://
	ClientIDs   []string
	Thumbprints []string
	Tags        map[string]string
}

// Cluster is an EKS cluster as DescribeCluster reports it.
type Cluster struct {
	Name, ARN, Region, Endpoint, CertificateAuthority string
	Issuer                                            string // https:// issuer URL
}

// PodIdentityAssociation maps a ServiceAccount of a cluster to a role.
type PodIdentityAssociation struct {
	ID, ARN, Cluster, Namespace, ServiceAccount, RoleARN string
	Tags                                                 map[string]string
}

// Cloud is the state of the rig's AWS account(s).
type Cloud struct {
	mu           sync.Mutex
	roles        map[string]*Role // by name
	managed      map[string]string
	oidc         map[string]*OIDCProvider // by ARN
	clusters     map[string]*Cluster      // by name
	associations map[string]*PodIdentityAssociation
	keys         map[string]*Key // KMS keys by ARN
	sessions     map[string]*Session
	users        map[string]*User      // by name
	accessKeys   map[string]*AccessKey // by ID
	keyUses      []KeyUse
	buckets      map[string]*Bucket
	calls        []Call
	serial       int // for the unique suffix of roles named by prefix
	now          func() time.Time
	// pending and propagationDelay model IAM's eventual consistency
	// (propagation.go).
	pending          map[string]*propagation // by role name
	propagationDelay time.Duration
	// outages are the regions that are out (outage.go).
	outages map[string]bool
}

// NewCloud returns an empty account set.
func NewCloud() *Cloud {
	return &Cloud{
		roles: map[string]*Role{}, managed: map[string]string{}, oidc: map[string]*OIDCProvider{},
		clusters: map[string]*Cluster{}, associations: map[string]*PodIdentityAssociation{},
		keys: map[string]*Key{}, sessions: map[string]*Session{}, buckets: map[string]*Bucket{},
		users: map[string]*User{}, accessKeys: map[string]*AccessKey{},
		pending: map[string]*propagation{}, now: time.Now,
	}
}

var (
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathPattern = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	accountPattern  = regexp.MustCompile(`^[0-9]{12}$`)
)

// CreateRoleInput is iam:CreateRole's input, with the partition and account
// the caller works in.
type CreateRoleInput struct {
	Partition, Account       string
	Name, NamePrefix, Path   string
	TrustPolicy, Description string
	PermissionsBoundary      string
	MaxSessionDuration       int
	Tags                     map[string]string
}

// CreateRole validates the input as IAM does and stores the role.
func (c *Cloud) CreateRole(in CreateRoleInput) (*Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !accountPattern.MatchString(in.Account) {
		return nil, errorf(400, "ValidationError", "account %q is not a 12-digit account ID", in.Account)
	}
	name := in.Name
	if name == "" {
		if in.NamePrefix == "" {
			return nil, errorf(400, "ValidationError", "a role needs a name or a name prefix")
		}
		// The unique suffix Pulumi and Terraform append: 26 digits.
		c.serial++
		name = in.NamePrefix + c.now().UTC().Format("20060102150405") + fmt.Sprintf("%012d", c.serial)
	}
	if !roleNamePattern.MatchString(name) {
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64 and match [\\w+=,.@-]+", name)
	}
	path := in.Path
	if path == "" {
		path = "/"
	}
	if len(path) > 512 || !rolePathPattern.MatchString(path) {
		return nil, errorf(400, "ValidationError", "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	if _, ok := c.roles[name]; ok {
		return nil, errorf(409, "EntityAlreadyExists", "Role with name %s already exists.", name)
	}
	trust, err := ParsePolicy(in.TrustPolicy)
	if err != nil {
		return nil, errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	for _, s := range trust.Statement {
		if s.Principal == nil {
			return nil, errorf(400, "MalformedPolicyDocument", "AssumeRolePolicy statement %q has no principal", s.Sid)
		}
		for _, f := range s.Principal["Federated"] {
			if strings.Contains(f, ":oidc-provider/") {
				if _, ok := c.oidc[f]; !ok {
					// IAM refuses a trust on a provider that does not exist.
					return nil, errorf(400, "MalformedPolicyDocument", "Invalid principal in policy: \"Federated\":\"%s\"", f)
				}
			}
		}
	}
	if in.PermissionsBoundary != "" {
		if _, ok := c.managed[in.PermissionsBoundary]; !ok {
			return nil, errorf(404, "NoSuchEntity", "Scope ARN: %s does not exist or is not attachable.", in.PermissionsBoundary)
		}
	}
	maxSession := in.MaxSessionDuration
	if maxSession == 0 {
		maxSession = 3600
	}
	if maxSession < 3600 || maxSession > 43200 {
		return nil, errorf(400, "ValidationError", "The requested duration for the maximum session is out of range (3600-43200)")
	}
	r := &Role{
		Name: name, Path: path, ARN: fmt.Sprintf("arn:%s:iam::%s:role%s%s", in.Partition, in.Account, path, name),
		RoleID: "AROA" + strings.ToUpper(randomHex(8)), TrustPolicy: in.TrustPolicy, Inline: map[string]string{},
		PermissionsBoundary: in.PermissionsBoundary, MaxSessionDuration: maxSession, Description: in.Description,
		Tags: in.Tags, Created: c.now().UTC(),
	}
	c.roles[name] = r
	c.roleCreated(name)
	return r.copy(), nil
}

func (r *Role) copy() *Role {
	out := *r
	out.Inline = map[string]string{}
	for k, v := range r.Inline {
		out.Inline[k] = v
	}
	return &out
}

// UpdateRole changes what iam:UpdateRole, UpdateAssumeRolePolicy and the
// boundary and tag calls change, in place.
func (c *Cloud) UpdateRole(name string, update func(*Role) error) (*Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[name]
	if !ok {
		return nil, errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
	}
	next := r.copy()
	if err := update(next); err != nil {
		return nil, err
	}
	if _, err := ParsePolicy(next.TrustPolicy); err != nil {
		return nil, errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	c.roles[name] = next
	c.trustChanged(next, r.TrustPolicy)
	return next.copy(), nil
}

// GetRole returns a role by name.
func (c *Cloud) GetRole(name string) (*Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[name]
	if !ok {
		return nil, errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
	}
	return r.copy(), nil
}

// DeleteRole deletes a role; IAM refuses while inline policies remain.
func (c *Cloud) DeleteRole(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[name]
	if !ok {
		return errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
	}
	if len(r.Inline) > 0 {
		return errorf(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	delete(c.roles, name)
	delete(c.pending, name)
	return nil
}

// PutRolePolicy stores an inline policy after IAM's checks.
func (c *Cloud) PutRolePolicy(role, name, doc string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[role]
	if !ok {
		return errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", role)
	}
	if len(name) == 0 || len(name) > 128 {
		return errorf(400, "ValidationError", "policy name %q must be 1-128 characters", name)
	}
	p, err := ParsePolicy(doc)
	if err != nil {
		return errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	for _, s := range p.Statement {
		if s.Principal != nil {
			return errorf(400, "MalformedPolicyDocument", "Policy document should not specify a principal.")
		}
	}
	if n := len(strings.Join(strings.Fields(doc), "")); n > 10240 {
		return errorf(409, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role %s", role)
	}
	var before *string
	if old, ok := r.Inline[name]; ok {
		before = &old
	}
	r.Inline[name] = doc
	c.inlineChanged(r, name, before)
	return nil
}

// DeleteRolePolicy removes an inline policy.
func (c *Cloud) DeleteRolePolicy(role, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[role]
	if !ok {
		return errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", role)
	}
	if _, ok := r.Inline[name]; !ok {
		return errorf(404, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
	}
	before := r.Inline[name]
	delete(r.Inline, name)
	c.inlineChanged(r, name, &before)
	return nil
}

// CreatePolicy stores a managed policy (for permissions boundaries).
func (c *Cloud) CreatePolicy(arn, doc string) error {
	if _, err := ParsePolicy(doc); err != nil {
		return errorf(400, "MalformedPolicyDocument", "%v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.managed[arn] = doc
	return nil
}

// CreateOpenIDConnectProvider stores a provider for an https issuer URL.
func (c *Cloud) CreateOpenIDConnectProvider(partition, account, issuerURL string, clientIDs, thumbprints []string, tags map[string]string) (*OIDCProvider, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errorf(400, "ValidationError", "url %q must be an https URL", issuerURL)
	}
	host := strings.TrimSuffix(u.Host+u.Path, "/")
	p := &OIDCProvider{
		ARN: fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, host), URL: host,
		ClientIDs: append([]string(nil), clientIDs...), Thumbprints: thumbprints, Tags: tags,
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.oidc[p.ARN]; ok {
		return nil, errorf(409, "EntityAlreadyExists", "Provider with url %s already exists.", issuerURL)
	}
	c.oidc[p.ARN] = p
	cp := *p
	return &cp, nil
}

// OpenIDConnectProvider returns a provider by ARN.
func (c *Cloud) OpenIDConnectProvider(arn string) (*OIDCProvider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.oidc[arn]
	if !ok {
		return nil, errorf(404, "NoSuchEntity", "OpenIDConnect Provider not found for arn %s", arn)
	}
	cp := *p
	return &cp, nil
}

// OpenIDConnectProviderByURL finds a provider of an account by issuer URL.
func (c *Cloud) OpenIDConnectProviderByURL(account, issuerURL string) (*OIDCProvider, bool) {
	host := strings.TrimSuffix(strings.TrimPrefix(issuerURL, "https://"), "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.oidc {
		if p.URL == host && arnAccount(p.ARN) == account {
			cp := *p
			return &cp, true
		}
	}
	return nil, false
}

// DeleteOpenIDConnectProvider removes a provider.
func (c *Cloud) DeleteOpenIDConnectProvider(arn string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.oidc[arn]; !ok {
		return errorf(404, "NoSuchEntity", "OpenIDConnect Provider not found for arn %s", arn)
	}
	delete(c.oidc, arn)
	return nil
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// arnPartition is the partition field of an ARN.
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[1]
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// roleByARN finds a role by ARN; the caller holds c.mu.
func (c *Cloud) roleByARN(arn string) (*Role, bool) {
	for _, r := range c.roles {
		if r.ARN == arn {
			return r, true
		}
	}
	return nil, false
}

// Roles lists the roles by name.
func (c *Cloud) Roles() []*Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.roles))
	for n := range c.roles {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*Role, 0, len(names))
	for _, n := range names {
		out = append(out, c.roles[n].copy())
	}
	return out
}

// CreateRoleForTest creates a role named "velero" in the account of its
// trust policy's provider with one inline policy, and returns its ARN.
func (c *Cloud) CreateRoleForTest(trust, policy string) (string, error) {
	account := ""
	if p, err := ParsePolicy(trust); err == nil && len(p.Statement) > 0 {
		for _, f := range p.Statement[0].Principal["Federated"] {
			account = arnAccount(f)
		}
	}
	r, err := c.CreateRole(CreateRoleInput{Partition: "aws", Account: account, Name: "velero", TrustPolicy: trust})
	if err != nil {
		return "", err
	}
	return r.ARN, c.PutRolePolicy(r.Name, "velero", policy)
}
