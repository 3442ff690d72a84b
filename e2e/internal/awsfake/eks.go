package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// PodIdentityAudience is the audience of the ServiceAccount token the EKS
// Pod Identity webhook projects for the agent.
const PodIdentityAudience = "pods.eks.amazonaws.com"

// CreateCluster registers an EKS cluster.
func (c *Cloud) CreateCluster(cl Cluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := cl
	c.clusters[cl.Name] = &cp
}

// DescribeCluster returns a cluster by name.
func (c *Cloud) DescribeCluster(name string) (*Cluster, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[name]
	if !ok {
		return nil, errorf(404, "ResourceNotFoundException", "No cluster found for name: %s.", name)
	}
	cp := *cl
	return &cp, nil
}

// CreatePodIdentityAssociation maps a ServiceAccount of a cluster to a role,
// refusing a second association for the same ServiceAccount as EKS does.
func (c *Cloud) CreatePodIdentityAssociation(a PodIdentityAssociation) (*PodIdentityAssociation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[a.Cluster]
	if !ok {
		return nil, errorf(404, "ResourceNotFoundException", "No cluster found for name: %s.", a.Cluster)
	}
	for _, x := range c.associations {
		if x.Cluster == a.Cluster && x.Namespace == a.Namespace && x.ServiceAccount == a.ServiceAccount {
			return nil, errorf(409, "ResourceInUseException", "Association already exists: %s", x.ID)
		}
	}
	if _, ok := c.roleByARN(a.RoleARN); !ok {
		return nil, errorf(400, "InvalidParameterException", "Role %s does not exist", a.RoleARN)
	}
	a.ID = "a-" + randomHex(8)
	a.ARN = strings.Replace(cl.ARN, ":cluster/", ":podidentityassociation/", 1) + "/" + a.ID
	cp := a
	c.associations[a.ID] = &cp
	out := a
	return &out, nil
}

// UpdatePodIdentityAssociation changes an association's role and tags.
func (c *Cloud) UpdatePodIdentityAssociation(cluster, id, roleARN string, tags map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.associations[id]
	if !ok || a.Cluster != cluster {
		return errorf(404, "ResourceNotFoundException", "Association %s not found", id)
	}
	if _, ok := c.roleByARN(roleARN); !ok {
		return errorf(400, "InvalidParameterException", "Role %s does not exist", roleARN)
	}
	a.RoleARN, a.Tags = roleARN, tags
	return nil
}

// DeletePodIdentityAssociation removes an association.
func (c *Cloud) DeletePodIdentityAssociation(cluster, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.associations[id]
	if !ok || a.Cluster != cluster {
		return errorf(404, "ResourceNotFoundException", "Association %s not found", id)
	}
	delete(c.associations, id)
	return nil
}

// Associations lists a cluster's associations by ID.
func (c *Cloud) Associations(cluster string) []PodIdentityAssociation {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []PodIdentityAssociation
	for _, a := range c.associations {
		if a.Cluster == cluster {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AssumeRoleForPodIdentity does what EKS Auth does for the pod identity
// agent: verify the pod's token against the cluster's issuer (audience
// pods.eks.amazonaws.com), find the association for its namespace and
// ServiceAccount, and assume the role with the session tags EKS sets,
// evaluating the trust for sts:AssumeRole and sts:TagSession with them.
func (c *Cloud) AssumeRoleForPodIdentity(cluster, rawToken string, keys JWKSource) (*Session, error) {
	now := c.now()
	call := Call{Time: now, Action: "AssumeRoleForPodIdentity"}
	fail := func(e *Error) (*Session, error) {
		call.Reason = e.Error()
		c.record(call)
		return nil, e
	}
	cl, err := c.DescribeCluster(cluster)
	if err != nil {
		return fail(err.(*Error))
	}
	tok, err := VerifyToken(rawToken, keys, now)
	if err != nil {
		return fail(errorf(401, "InvalidTokenException", "%v", err))
	}
	call.Subject = tok.Subject
	if tok.Issuer != cl.Issuer || !contains(tok.Audience, PodIdentityAudience, false) {
		return fail(errorf(401, "InvalidTokenException", "token issuer %q or audience %v is not the cluster's (%s, %s)", tok.Issuer, tok.Audience, cl.Issuer, PodIdentityAudience))
	}
	parts := strings.Split(tok.Subject, ":")
	if len(parts) != 4 || parts[0] != "system" || parts[1] != "serviceaccount" {
		return fail(errorf(401, "InvalidTokenException", "subject %q is not a ServiceAccount", tok.Subject))
	}
	ns, sa := parts[2], parts[3]
	var assoc *PodIdentityAssociation
	for _, a := range c.Associations(cluster) {
		if a.Namespace == ns && a.ServiceAccount == sa {
			a := a
			assoc = &a
		}
	}
	if assoc == nil {
		return fail(errorf(400, "AccessDeniedException", "No Pod Identity Association found for %s/%s in cluster %s", ns, sa, cluster))
	}
	call.RoleARN = assoc.RoleARN
	var pod struct {
		Name, UID string
	}
	var k8s struct {
		Pod struct{ Name, UID string } `json:"pod"`
	}
	if raw, ok := tok.Claims["kubernetes.io"]; ok && json.Unmarshal(raw, &k8s) == nil {
		pod.Name, pod.UID = k8s.Pod.Name, k8s.Pod.UID
	}
	tags := map[string]string{
		"eks-cluster-arn": cl.ARN, "eks-cluster-name": cl.Name, "kubernetes-namespace": ns,
		"kubernetes-service-account": sa, "kubernetes-pod-name": pod.Name, "kubernetes-pod-uid": pod.UID,
	}
	ctx := map[string]string{"aws:SourceAccount": arnAccount(cl.ARN), "aws:SourceArn": cl.ARN}
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = v
	}
	c.mu.Lock()
	role, ok := c.roleInForce(assoc.RoleARN)
	trust := ""
	if ok {
		trust = role.TrustPolicy
	}
	c.mu.Unlock()
	if !ok {
		return fail(errorf(400, "AccessDeniedException", "role %s of the association does not exist", assoc.RoleARN))
	}
	p, err := ParsePolicy(trust)
	if err != nil {
		return fail(errorf(500, "ServerException", "stored trust policy: %v", err))
	}
	for _, action := range []string{"sts:AssumeRole", "sts:TagSession"} {
		d, _, err := p.Evaluate(Request{Action: action, PrincipalKind: "Service", Principal: "pods.eks.amazonaws.com", Context: ctx}, true)
		if err != nil {
			return fail(errorf(500, "ServerException", "evaluating the trust policy: %v", err))
		}
		if d != Allow {
			return fail(errorf(400, "AccessDeniedException", "EKS Pod Identity could not assume role %s: the trust policy does not allow %s for pods.eks.amazonaws.com with the session tags of %s/%s in %s", assoc.RoleARN, action, ns, sa, cl.ARN))
		}
	}
	call.Allowed = true
	c.record(call)
	s := c.newSession(assoc.RoleARN, "eks-"+cl.Name+"-"+pod.Name, 6*time.Hour, tags)
	s.Subject = tok.Subject
	return s, nil
}

// PodIdentityAgent serves the agent's credentials endpoint for one cluster,
// as the AWS SDKs' container credentials provider reads it: GET with the
// token file's content as the Authorization header, JSON credentials back.
func (c *Cloud) PodIdentityAgent(cluster string, keys JWKSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/credentials" {
			http.Error(w, `{"code":"NotFound","message":"the agent serves GET /v1/credentials"}`, http.StatusNotFound)
			return
		}
		token := strings.TrimSpace(r.Header.Get("Authorization"))
		if token == "" {
			writeJSONError(w, errorf(400, "InvalidTokenException", "no service account token in the Authorization header"))
			return
		}
		s, err := c.AssumeRoleForPodIdentity(cluster, token, keys)
		if err != nil {
			writeJSONError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": s.AccessKeyID, "SecretAccessKey": s.SecretAccessKey, "Token": s.SessionToken,
			"AccountId": s.Account, "Expiration": s.Expires.Format(time.RFC3339),
		})
	})
}

func writeJSONError(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = errorf(500, "InternalError", "%v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": e.Code, "message": e.Message})
}

// String names a cluster for messages.
func (cl Cluster) String() string { return fmt.Sprintf("%s (%s)", cl.Name, cl.Region) }
