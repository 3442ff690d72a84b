package awsfake

import (
	"fmt"
	"strings"
)

// The bucket and key settings the program's vault sets, as the control
// API changes them.

// putVersioning keeps a bucket with Object Lock versioned (S3 refuses to
// suspend it); on any other bucket the setting is stored only, as the rig
// models versions only in buckets with Object Lock.
func (c *Cloud) putVersioning(in BucketSettingInput) error {
	b, ok := c.GetBucket(in.Name)
	if !ok {
		return errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	if e := checkVersioning(b, in.Versioning); e != nil {
		return e
	}
	return nil
}

// checkVersioning refuses to suspend versioning on a bucket with Object
// Lock.
func checkVersioning(b Bucket, status string) *Error {
	if b.ObjectLock && status != "Enabled" {
		return errorf(409, "InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	}
	return nil
}

// putObjectLock sets a bucket's default retention; a bucket created
// without Object Lock is refused (enabling it later exists on S3 but is
// not modelled).
func (c *Cloud) putObjectLock(in BucketSettingInput) error {
	b, ok := c.GetBucket(in.Name)
	switch {
	case !ok:
		return errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	case !b.ObjectLock:
		return errorf(501, "NotImplemented", "the rig models Object Lock only on buckets created with it (objectLockEnabled)")
	}
	if d := in.DefaultRetention; d != nil {
		if (d.Mode != "GOVERNANCE" && d.Mode != "COMPLIANCE") || d.Days < 1 || d.Days > 36500 {
			return errorf(400, "MalformedXML", "DefaultRetention needs Mode GOVERNANCE or COMPLIANCE and 1–36500 Days")
		}
	}
	return c.UpdateBucket(in.Name, func(x *Bucket) { x.DefaultRetention = in.DefaultRetention })
}

// putReplication sets a bucket's replication rule: both buckets must have
// Object Lock (and so versioning), be in the same account, and differ.
func (c *Cloud) putReplication(in BucketSettingInput) error {
	src, ok := c.GetBucket(in.Name)
	if !ok {
		return errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	if rep := in.Replication; rep != nil {
		dst, ok := c.GetBucket(rep.Destination)
		switch {
		case !src.ObjectLock:
			return errorf(501, "NotImplemented", "the rig models replication only from buckets with Object Lock (versioned)")
		case !ok:
			return errorf(400, "InvalidRequest", "Destination bucket must exist: %s", rep.Destination)
		case dst.Name == src.Name:
			return errorf(400, "InvalidRequest", "Destination bucket cannot be the same as the source bucket.")
		case dst.Account != src.Account:
			return errorf(501, "NotImplemented", "the rig does not model replication to another account")
		case rep.Role == "":
			return errorf(400, "InvalidArgument", "Role is required")
		}
	}
	return c.UpdateBucket(in.Name, func(x *Bucket) { x.Replication = in.Replication })
}

// policyPublic is S3's "public" for a bucket policy, as far as the rig
// models it: an Allow to the principal * (or AWS *) with no condition.
// (S3 also counts conditions without fixed values; the rig's documents
// have none.)
func policyPublic(doc string) bool {
	p, err := ParsePolicy(doc)
	if err != nil {
		return false
	}
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			continue
		}
		_, all := st.Principal["*"]
		for _, v := range st.Principal["AWS"] {
			all = all || v == "*"
		}
		if all && len(st.Condition) == 0 {
			return true
		}
	}
	return false
}

// createKey creates a KMS key with an ARN of its own.
func (c *Cloud) createKey(in KeyInput) (Key, error) {
	if !accountPattern.MatchString(in.Account) || in.Region == "" {
		return Key{}, errorf(400, "ValidationException", "a key needs an account and a region")
	}
	if in.Policy != "" {
		if err := checkKeyPolicy(in.Policy, in.Account); err != nil {
			return Key{}, err
		}
	}
	k := Key{ARN: fmt.Sprintf("arn:%s:kms:%s:%s:key/%s-%s-%s-%s-%s", in.Partition, in.Region, in.Account, randomHex(4), randomHex(2), randomHex(2), randomHex(2), randomHex(6)),
		Region: in.Region, Account: in.Account, Policy: in.Policy}
	c.CreateKey(k)
	return k, nil
}

// putKeyPolicy replaces a key's policy.
func (c *Cloud) putKeyPolicy(arn, policy string) error {
	c.mu.Lock()
	k, ok := c.keys[arn]
	c.mu.Unlock()
	if !ok {
		return errorf(400, "NotFoundException", "Key '%s' does not exist", arn)
	}
	if err := checkKeyPolicy(policy, k.Account); err != nil {
		return err
	}
	c.mu.Lock()
	k.Policy = policy
	c.mu.Unlock()
	return nil
}

// checkKeyPolicy parses a key policy and refuses one that would lock the
// key's account out (KMS's policy lockout safety check: the account must
// keep kms:PutKeyPolicy through its root).
func checkKeyPolicy(doc, account string) *Error {
	p, err := ParsePolicy(doc)
	if err != nil {
		return errorf(400, "MalformedPolicyDocumentException", "%v", err)
	}
	for _, st := range p.Statement {
		if st.Effect != "Allow" || len(st.Condition) > 0 {
			continue
		}
		for _, v := range st.Principal["AWS"] {
			if (v == account || strings.HasSuffix(v, ":iam::"+account+":root")) && anyMatch(st.Action, "kms:PutKeyPolicy", true) {
				return nil
			}
		}
	}
	return errorf(400, "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
}
