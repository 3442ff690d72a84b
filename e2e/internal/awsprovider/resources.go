package awsprovider

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

func init() {
	register("aws:iam/role:Role", resourceType{
		inputs:  []string{"assumeRolePolicy", "description", "maxSessionDuration", "name", "namePrefix", "path", "permissionsBoundary", "tags"},
		replace: []string{"name", "namePrefix", "path"},
		create:  createRole,
		update:  updateRole,
		delete: func(p *Provider, id string, _ resource.PropertyMap) error {
			return p.Control.Do("DeleteRole", map[string]string{"Name": id}, nil)
		},
	})
	register("aws:iam/rolePolicy:RolePolicy", resourceType{
		inputs:  []string{"role", "name", "policy"},
		replace: []string{"role", "name"},
		create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
			role, name := str(in, "role"), str(in, "name")
			if name == "" {
				return "", nil, fmt.Errorf("name is required by the rig's provider (no autonaming modelled)")
			}
			err := p.Control.Do("PutRolePolicy", awsfake.RolePolicyInput{Role: role, Name: name, Policy: str(in, "policy")}, nil)
			return role + ":" + name, outputs(in, nil), err
		},
		update: func(p *Provider, id string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
			err := p.Control.Do("PutRolePolicy", awsfake.RolePolicyInput{Role: str(news, "role"), Name: str(news, "name"), Policy: str(news, "policy")}, nil)
			return outputs(news, nil), err
		},
		delete: func(p *Provider, id string, outs resource.PropertyMap) error {
			return p.Control.Do("DeleteRolePolicy", awsfake.RolePolicyInput{Role: str(outs, "role"), Name: str(outs, "name")}, nil)
		},
	})
	register("aws:iam/openIdConnectProvider:OpenIdConnectProvider", resourceType{
		inputs:  []string{"url", "clientIdLists", "thumbprintLists", "tags"},
		replace: []string{"url", "clientIdLists", "thumbprintLists"},
		create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
			var o awsfake.OIDCProvider
			err := p.Control.Do("CreateOpenIDConnectProvider", awsfake.OIDCProviderInput{
				Partition: p.identity.Partition, Account: p.identity.Account, URL: str(in, "url"),
				ClientIDs: strList(in, "clientIdLists"), Thumbprints: strList(in, "thumbprintLists"), Tags: strMap(in, "tags"),
			}, &o)
			if err != nil {
				return "", nil, err
			}
			return o.ARN, outputs(in, map[string]interface{}{"arn": o.ARN, "url": o.URL}), nil
		},
		update: func(_ *Provider, _ string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
			return outputs(news, nil), nil // only tags reach here
		},
		delete: func(p *Provider, id string, _ resource.PropertyMap) error {
			return p.Control.Do("DeleteOpenIDConnectProvider", map[string]string{"ARN": id}, nil)
		},
	})
	register("aws:eks/podIdentityAssociation:PodIdentityAssociation", resourceType{
		inputs:  []string{"clusterName", "namespace", "serviceAccount", "roleArn", "tags"},
		replace: []string{"clusterName", "namespace", "serviceAccount"},
		create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
			var a awsfake.PodIdentityAssociation
			err := p.Control.Do("CreatePodIdentityAssociation", awsfake.PodIdentityAssociation{
				Cluster: str(in, "clusterName"), Namespace: str(in, "namespace"), ServiceAccount: str(in, "serviceAccount"),
				RoleARN: str(in, "roleArn"), Tags: strMap(in, "tags"),
			}, &a)
			if err != nil {
				return "", nil, err
			}
			return a.Cluster + "," + a.ID, outputs(in, map[string]interface{}{"associationArn": a.ARN, "associationId": a.ID}), nil
		},
		update: func(p *Provider, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
			cluster, assoc, _ := strings.Cut(id, ",")
			err := p.Control.Do("UpdatePodIdentityAssociation", awsfake.PodIdentityAssociation{Cluster: cluster, ID: assoc, RoleARN: str(news, "roleArn"), Tags: strMap(news, "tags")}, nil)
			return outputs(news, map[string]interface{}{"associationArn": str(olds, "associationArn"), "associationId": assoc}), err
		},
		delete: func(p *Provider, id string, _ resource.PropertyMap) error {
			cluster, assoc, _ := strings.Cut(id, ",")
			return p.Control.Do("DeletePodIdentityAssociation", map[string]string{"Cluster": cluster, "ID": assoc}, nil)
		},
	})
	register("aws:kms/key:Key", resourceType{
		inputs:  []string{"description", "keyUsage", "enableKeyRotation", "deletionWindowInDays", "policy", "tags"},
		replace: []string{"keyUsage"},
		create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
			if u := str(in, "keyUsage"); u != "" && u != "ENCRYPT_DECRYPT" {
				return "", nil, fmt.Errorf("the rig models symmetric ENCRYPT_DECRYPT keys only, not %s", u)
			}
			var k awsfake.Key
			err := p.Control.Do("CreateKey", awsfake.KeyInput{Region: p.region, Account: p.identity.Account, Partition: p.identity.Partition, Policy: str(in, "policy")}, &k)
			if err != nil {
				return "", nil, err
			}
			id := k.ARN[strings.LastIndex(k.ARN, "/")+1:]
			return id, outputs(in, map[string]interface{}{"arn": k.ARN, "keyId": id}), nil
		},
		update: func(p *Provider, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
			err := p.Control.Do("PutKeyPolicy", awsfake.KeyInput{ARN: str(olds, "arn"), Policy: str(news, "policy")}, nil)
			return outputs(news, map[string]interface{}{"arn": str(olds, "arn"), "keyId": id}), err
		},
		delete: func(*Provider, string, resource.PropertyMap) error {
			return fmt.Errorf("the rig does not model scheduling a key's deletion")
		},
	})
	register("aws:s3/bucketV2:BucketV2", resourceType{
		inputs:  []string{"bucket", "forceDestroy", "objectLockEnabled", "tags"},
		replace: []string{"bucket", "objectLockEnabled"},
		create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
			name := str(in, "bucket")
			lock := in["objectLockEnabled"].IsBool() && in["objectLockEnabled"].BoolValue()
			err := p.Control.Do("CreateBucket", awsfake.BucketInput{Name: name, Region: p.region, Account: p.identity.Account, Partition: p.identity.Partition, ObjectLock: lock}, nil)
			if err != nil {
				return "", nil, err
			}
			return name, outputs(in, map[string]interface{}{
				"arn": "arn:" + p.identity.Partition + ":s3:::" + name, "region": p.region,
				"bucketDomainName": name + ".s3.amazonaws.com", "bucketRegionalDomainName": name + ".s3." + p.region + ".amazonaws.com",
			}), nil
		},
		update: func(_ *Provider, _ string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
			return outputs(news, nil), nil
		},
		delete: func(p *Provider, id string, _ resource.PropertyMap) error {
			return p.Control.Do("DeleteBucket", awsfake.BucketInput{Name: id}, nil)
		},
	})
	// Bucket settings: the policy, the default encryption key, the
	// public access block, versioning, Object Lock's default retention
	// and replication take effect in the S3 stand-in; ownership and the
	// lifecycle are stored as given.
	for token, inputs := range map[string][]string{
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket", "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"},
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     {"bucket", "rule"},
		"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               {"bucket", "versioningConfiguration"},
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       {"bucket", "rules"},
		"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2":                     {"bucket", "rule"},
		"aws:s3/bucketPolicy:BucketPolicy":                                                           {"bucket", "policy"},
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "rules"},
		"aws:s3/bucketReplicationConfig:BucketReplicationConfig":                                     {"bucket", "role", "rules"},
	} {
		token := token
		register(token, resourceType{
			inputs:  inputs,
			replace: []string{"bucket"},
			create: func(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
				if err := applyBucketSetting(p, token, in, false); err != nil {
					return "", nil, err
				}
				return str(in, "bucket"), outputs(in, nil), nil
			},
			update: func(p *Provider, _ string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
				return outputs(news, nil), applyBucketSetting(p, token, news, false)
			},
			delete: func(p *Provider, _ string, outs resource.PropertyMap) error {
				return applyBucketSetting(p, token, outs, true)
			},
		})
	}
}

// applyBucketSetting puts (or, with remove, clears) what a settings
// resource changes in the stand-in; the others only need the bucket.
func applyBucketSetting(p *Provider, token string, in resource.PropertyMap, remove bool) error {
	name := str(in, "bucket")
	switch token {
	case "aws:s3/bucketPolicy:BucketPolicy":
		policy := str(in, "policy")
		if remove {
			policy = ""
		}
		return p.Control.Do("PutBucketPolicy", awsfake.BucketInput{Name: name, Policy: policy}, nil)
	case "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
		key := ""
		rules := in["rules"]
		if !rules.IsArray() {
			return fmt.Errorf("%s: rules must be a list", token)
		}
		for _, rule := range rules.ArrayValue() {
			def := rule.ObjectValue()["applyServerSideEncryptionByDefault"]
			if def.IsObject() && str(def.ObjectValue(), "sseAlgorithm") == "aws:kms" {
				key = str(def.ObjectValue(), "kmsMasterKeyId")
			}
		}
		if remove {
			key = ""
		}
		return p.Control.Do("PutBucketEncryption", awsfake.BucketInput{Name: name, KMSKey: key}, nil)
	case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
		block := in["blockPublicPolicy"].IsBool() && in["blockPublicPolicy"].BoolValue() && !remove
		return p.Control.Do("PutPublicAccessBlock", awsfake.BucketSettingInput{Name: name, BlockPublicPolicy: block}, nil)
	case "aws:s3/bucketVersioningV2:BucketVersioningV2":
		if remove {
			return nil // S3 has no "unversioned" to return to; the bucket stays as it is
		}
		status := ""
		if v := in["versioningConfiguration"]; v.IsObject() {
			status = str(v.ObjectValue(), "status")
		}
		return p.Control.Do("PutBucketVersioning", awsfake.BucketSettingInput{Name: name, Versioning: status}, nil)
	case "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2":
		retention, err := defaultRetention(in)
		if err != nil || remove {
			retention = nil
		}
		if err != nil && !remove {
			return err
		}
		return p.Control.Do("PutObjectLockConfiguration", awsfake.BucketSettingInput{Name: name, DefaultRetention: retention}, nil)
	case "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
		rep, err := replicationRule(in)
		if err != nil && !remove {
			return err
		}
		if remove {
			rep = nil
		}
		return p.Control.Do("PutBucketReplication", awsfake.BucketSettingInput{Name: name, Replication: rep}, nil)
	}
	return p.Control.Do("GetBucket", awsfake.BucketInput{Name: name}, nil)
}

// defaultRetention reads an Object Lock configuration's rule: a default
// retention in days; years are not modelled.
func defaultRetention(in resource.PropertyMap) (*awsfake.Retention, error) {
	rule := in["rule"]
	if !rule.IsObject() {
		return nil, nil
	}
	d := rule.ObjectValue()["defaultRetention"]
	if !d.IsObject() {
		return nil, nil
	}
	m := d.ObjectValue()
	if _, years := m["years"]; years {
		return nil, fmt.Errorf("the rig models a default retention in days only")
	}
	return &awsfake.Retention{Mode: str(m, "mode"), Days: num(m, "days")}, nil
}

// replicationRule reads a replication configuration as the rig models it:
// one enabled rule with an empty filter, every SSE-KMS object selected,
// delete markers not replicated, and the replica's key.
func replicationRule(in resource.PropertyMap) (*awsfake.Replication, error) {
	rules := in["rules"]
	if !rules.IsArray() || len(rules.ArrayValue()) != 1 {
		return nil, fmt.Errorf("the rig models exactly one replication rule")
	}
	rule := rules.ArrayValue()[0].ObjectValue()
	for k := range rule {
		switch k {
		case "id", "status", "priority", "filter", "deleteMarkerReplication", "sourceSelectionCriteria", "destination", "__defaults":
		default:
			return nil, fmt.Errorf("the rig does not model the replication rule's %q", k)
		}
	}
	sub := func(m resource.PropertyMap, k string) resource.PropertyMap {
		if v := m[resource.PropertyKey(k)]; v.IsObject() {
			return v.ObjectValue()
		}
		return nil
	}
	filter, dmr, ssc, dst := sub(rule, "filter"), sub(rule, "deleteMarkerReplication"), sub(rule, "sourceSelectionCriteria"), sub(rule, "destination")
	switch {
	case str(rule, "status") != "Enabled":
		return nil, fmt.Errorf("the rig models an Enabled replication rule only")
	case filter == nil || str(filter, "prefix") != "" || filter["tag"].IsObject() || filter["and"].IsObject():
		return nil, fmt.Errorf("the rig models a replication rule with an empty filter (every object) only")
	case dmr == nil || str(dmr, "status") != "Disabled":
		return nil, fmt.Errorf("the rig does not model replicating delete markers (deleteMarkerReplication must be Disabled)")
	case ssc == nil || sub(ssc, "sseKmsEncryptedObjects") == nil || str(sub(ssc, "sseKmsEncryptedObjects"), "status") != "Enabled":
		return nil, fmt.Errorf("the rig models replication of SSE-KMS objects (sourceSelectionCriteria.sseKmsEncryptedObjects Enabled) only")
	case dst == nil || !strings.HasPrefix(str(dst, "bucket"), "arn:"):
		return nil, fmt.Errorf("the replication destination must be a bucket ARN")
	}
	bucketARN := str(dst, "bucket")
	key := ""
	if enc := sub(dst, "encryptionConfiguration"); enc != nil {
		key = str(enc, "replicaKmsKeyId")
	}
	return &awsfake.Replication{Role: str(in, "role"), Destination: bucketARN[strings.LastIndex(bucketARN, ":")+1:], ReplicaKMSKey: key}, nil
}

func createRole(p *Provider, _ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	var r awsfake.Role
	err := p.Control.Do("CreateRole", awsfake.CreateRoleInput{
		Partition: p.identity.Partition, Account: p.identity.Account,
		Name: str(in, "name"), NamePrefix: str(in, "namePrefix"), Path: str(in, "path"),
		TrustPolicy: str(in, "assumeRolePolicy"), Description: str(in, "description"),
		PermissionsBoundary: str(in, "permissionsBoundary"), MaxSessionDuration: num(in, "maxSessionDuration"),
		Tags: strMap(in, "tags"),
	}, &r)
	if err != nil {
		return "", nil, err
	}
	return r.Name, roleOutputs(in, r), nil
}

func roleOutputs(in resource.PropertyMap, r awsfake.Role) resource.PropertyMap {
	return outputs(in, map[string]interface{}{
		"arn": r.ARN, "name": r.Name, "path": r.Path, "uniqueId": r.RoleID,
		"createDate": r.Created.Format(time.RFC3339), "maxSessionDuration": float64(r.MaxSessionDuration),
		"forceDetachPolicies": false, "inlinePolicies": []interface{}{}, "managedPolicyArns": []interface{}{},
	})
}

func updateRole(p *Provider, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	trust, desc, boundary := str(news, "assumeRolePolicy"), str(news, "description"), str(news, "permissionsBoundary")
	maxSession := num(news, "maxSessionDuration")
	if maxSession == 0 {
		maxSession = 3600
	}
	var r awsfake.Role
	err := p.Control.Do("UpdateRole", awsfake.UpdateRoleInput{
		Name: id, TrustPolicy: &trust, Description: &desc, PermissionsBoundary: &boundary,
		MaxSessionDuration: &maxSession, Tags: strMap(news, "tags"),
	}, &r)
	if err != nil {
		return nil, err
	}
	return roleOutputs(news, r), nil
}
