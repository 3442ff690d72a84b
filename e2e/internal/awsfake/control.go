package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// The control API is how the rig's aws provider plugin (a separate process
// the Pulumi engine starts) changes the cloud: POST /<Operation> with a JSON
// body, a JSON answer or {"code","message","status"}. Only the operations
// the program's resources and functions need exist.

// Identity is who the provider plugin works as in one account.
type Identity struct {
	Account, Partition, ARN string
}

// UpdateRoleInput changes a role; nil fields stay.
type UpdateRoleInput struct {
	Name                string
	TrustPolicy         *string
	Description         *string
	MaxSessionDuration  *int
	PermissionsBoundary *string
	Tags                map[string]string
}

// RolePolicyInput names an inline policy.
type RolePolicyInput struct{ Role, Name, Policy string }

// OIDCProviderInput creates an OIDC provider.
type OIDCProviderInput struct {
	Partition, Account, URL string
	ClientIDs, Thumbprints  []string
	Tags                    map[string]string
}

// BucketInput names a bucket and what to set on it.
type BucketInput struct {
	Name, Region, Account, Partition string
	Policy, KMSKey                   string
	ObjectLock                       bool
}

// BucketSettingInput changes one more setting of a bucket: its
// versioning (Enabled or Suspended), its Object Lock default retention
// (nil removes it), its replication (nil removes it) or whether it blocks
// public policies.
type BucketSettingInput struct {
	Name              string
	Versioning        string
	DefaultRetention  *Retention
	Replication       *Replication
	BlockPublicPolicy bool
}

// KeyInput creates or changes a KMS key.
type KeyInput struct {
	ARN, Region, Account, Partition string
	Policy, Description             string
}

// ControlHandler serves the control API. identity answers who the plugin
// is for a configured role ARN ("" for the default credentials).
func (c *Cloud) ControlHandler(s3 *S3, identity func(assumeRoleARN string) (Identity, error)) http.Handler {
	none := struct{}{}
	ops := map[string]func(json.RawMessage) (interface{}, error){
		"CallerIdentity": op(func(in struct{ AssumeRoleARN string }) (interface{}, error) { return identity(in.AssumeRoleARN) }),
		"CreateRole":     op(func(in CreateRoleInput) (interface{}, error) { return c.CreateRole(in) }),
		"GetRole":        op(func(in struct{ Name string }) (interface{}, error) { return c.GetRole(in.Name) }),
		"UpdateRole": op(func(in UpdateRoleInput) (interface{}, error) {
			return c.UpdateRole(in.Name, func(r *Role) error {
				if in.TrustPolicy != nil {
					r.TrustPolicy = *in.TrustPolicy
				}
				if in.Description != nil {
					r.Description = *in.Description
				}
				if in.MaxSessionDuration != nil {
					r.MaxSessionDuration = *in.MaxSessionDuration
				}
				if in.PermissionsBoundary != nil {
					r.PermissionsBoundary = *in.PermissionsBoundary
				}
				if in.Tags != nil {
					r.Tags = in.Tags
				}
				return nil
			})
		}),
		"DeleteRole": op(func(in struct{ Name string }) (interface{}, error) { return none, c.DeleteRole(in.Name) }),
		"PutRolePolicy": op(func(in RolePolicyInput) (interface{}, error) {
			return none, c.PutRolePolicy(in.Role, in.Name, in.Policy)
		}),
		"DeleteRolePolicy": op(func(in RolePolicyInput) (interface{}, error) { return none, c.DeleteRolePolicy(in.Role, in.Name) }),
		"CreateOpenIDConnectProvider": op(func(in OIDCProviderInput) (interface{}, error) {
			return c.CreateOpenIDConnectProvider(in.Partition, in.Account, in.URL, in.ClientIDs, in.Thumbprints, in.Tags)
		}),
		"GetOpenIDConnectProvider":    op(func(in struct{ ARN string }) (interface{}, error) { return c.OpenIDConnectProvider(in.ARN) }),
		"DeleteOpenIDConnectProvider": op(func(in struct{ ARN string }) (interface{}, error) { return none, c.DeleteOpenIDConnectProvider(in.ARN) }),
		"DescribeCluster":             op(func(in struct{ Name string }) (interface{}, error) { return c.DescribeCluster(in.Name) }),
		"CreatePodIdentityAssociation": op(func(in PodIdentityAssociation) (interface{}, error) {
			return c.CreatePodIdentityAssociation(in)
		}),
		"UpdatePodIdentityAssociation": op(func(in PodIdentityAssociation) (interface{}, error) {
			return none, c.UpdatePodIdentityAssociation(in.Cluster, in.ID, in.RoleARN, in.Tags)
		}),
		"DeletePodIdentityAssociation": op(func(in struct{ Cluster, ID string }) (interface{}, error) {
			return none, c.DeletePodIdentityAssociation(in.Cluster, in.ID)
		}),
		"CreateBucket": op(func(in BucketInput) (interface{}, error) {
			return none, s3.CreateBucket(Bucket{Name: in.Name, Region: in.Region, Account: in.Account, Partition: in.Partition, ObjectLock: in.ObjectLock})
		}),
		"PutBucketVersioning": op(func(in BucketSettingInput) (interface{}, error) { return none, c.putVersioning(in) }),
		"PutObjectLockConfiguration": op(func(in BucketSettingInput) (interface{}, error) {
			return none, c.putObjectLock(in)
		}),
		"PutBucketReplication": op(func(in BucketSettingInput) (interface{}, error) { return none, c.putReplication(in) }),
		"PutPublicAccessBlock": op(func(in BucketSettingInput) (interface{}, error) {
			return none, c.UpdateBucket(in.Name, func(x *Bucket) { x.BlockPublicPolicy = in.BlockPublicPolicy })
		}),
		"CreateKey":    op(func(in KeyInput) (interface{}, error) { return c.createKey(in) }),
		"PutKeyPolicy": op(func(in KeyInput) (interface{}, error) { return none, c.putKeyPolicy(in.ARN, in.Policy) }),
		"PutBucketPolicy": op(func(in BucketInput) (interface{}, error) {
			return none, c.UpdateBucket(in.Name, func(x *Bucket) { x.Policy = in.Policy })
		}),
		"PutBucketEncryption": op(func(in BucketInput) (interface{}, error) {
			return none, c.UpdateBucket(in.Name, func(x *Bucket) { x.DefaultKMSKey = in.KMSKey })
		}),
		"GetBucket": op(func(in BucketInput) (interface{}, error) {
			if b, ok := c.GetBucket(in.Name); ok {
				return b, nil
			}
			return nil, errorf(404, "NoSuchBucket", "The specified bucket does not exist")
		}),
		"DeleteBucket": op(func(in BucketInput) (interface{}, error) { return none, c.DeleteBucket(in.Name, s3) }),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := ops[strings.TrimPrefix(r.URL.Path, "/")]
		if r.Method != http.MethodPost || !ok {
			writeJSONError(w, errorf(404, "UnknownOperation", "the rig's control API has no operation %s %s", r.Method, r.URL.Path))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeJSONError(w, errorf(400, "BadRequest", "%v", err))
			return
		}
		out, err := op(body)
		if err != nil {
			if _, isAWS := err.(*Error); !isAWS {
				err = errorf(400, "BadRequest", "%v", err)
			}
			writeJSONError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// op decodes an operation's JSON input into its type and calls f.
func op[T any](f func(T) (interface{}, error)) func(json.RawMessage) (interface{}, error) {
	return func(b json.RawMessage) (interface{}, error) {
		var in T
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, err
		}
		return f(in)
	}
}

// DeleteBucket refuses a bucket that still holds objects, as S3 does.
func (c *Cloud) DeleteBucket(name string, s3 *S3) error {
	if _, ok := c.GetBucket(name); !ok {
		return errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	keys, err := s3.Objects(name, "")
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return errorf(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	}
	b, _ := c.GetBucket(name)
	var backend gofakes3.Backend = s3.Backend()
	if b.ObjectLock {
		if versions, err := s3.Versions(name, ""); err != nil || len(versions) > 0 {
			return errorf(409, "BucketNotEmpty", "The bucket you tried to delete is not empty. You must delete all versions in the bucket.")
		}
		backend = s3.versioned
	}
	if err := backend.DeleteBucket(name); err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
		return err
	}
	c.mu.Lock()
	delete(c.buckets, name)
	c.mu.Unlock()
	return nil
}

// Control is the client of the control API.
type Control struct {
	URL    string
	Client *http.Client
}

// Do calls an operation; out receives the answer.
func (k Control) Do(op string, in, out interface{}) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	client := k.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Post(strings.TrimSuffix(k.URL, "/")+"/"+op, "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("calling the rig's AWS stand-in (%s): %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Code == "" {
			return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, raw)
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
