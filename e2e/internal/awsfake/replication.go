package awsfake

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// S3 replication, as the rig models it (S3 user guide, "Replicating
// objects", "Setting up permissions for live replication", "Replicating
// encrypted objects"): one rule for every object of a bucket with Object
// Lock, to another such bucket; asynchronous copies of each new version,
// made as the replication role, which S3 must be trusted to assume and
// which must be allowed to read the version (and its retention) and to
// replicate it, decrypt it with its key and encrypt it with the replica's
// key, each through S3 in the key's region; replicas keep the source's
// retention and are encrypted with the rule's replica key; delete markers
// are not replicated, and neither is a delete of a version. A version that
// cannot be replicated is marked FAILED with the reason, as S3's
// replication status shows it. Replication of existing objects, prefix or
// tag filters, several rules, delete marker replication and replication
// to another account are not modelled and are refused when configured.

// Replication is a bucket's replication configuration.
type Replication struct {
	Role string // the replication role's ARN
	// Destination is the replica bucket's name, ReplicaKMSKey the key its
	// replicas are encrypted with.
	Destination, ReplicaKMSKey string
}

// replicationRetry is how long a replication waits for a region that is
// out before the version is marked FAILED.
const replicationRetry = 10 * time.Minute

// replicate copies one new version to the replica, asynchronously.
func (s *S3) replicate(b Bucket, key, id string) {
	go func() {
		deadline := s.cloud.now().Add(replicationRetry)
		for {
			time.Sleep(200 * time.Millisecond)
			status, retry := s.replicateOnce(b, key, id)
			if !retry || s.cloud.now().After(deadline) {
				s.setReplication(b.Name, key, id, status)
				return
			}
		}
	}()
}

func (s *S3) setReplication(bucket, key, id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.versions[versionKey(bucket, key, id)]; ok {
		v.Replication = status
	}
}

// replicateOnce tries the copy: its status, and whether to try again (a
// region that is out).
func (s *S3) replicateOnce(b Bucket, key, id string) (string, bool) {
	rep := b.Replication
	dst, ok := s.cloud.GetBucket(rep.Destination)
	switch {
	case !ok:
		return "FAILED: the destination bucket " + rep.Destination + " does not exist", false
	case s.cloud.RegionDown(b.Region) || s.cloud.RegionDown(dst.Region):
		return "FAILED: a region is out", true
	case !dst.ObjectLock:
		return "FAILED: DstBucketObjectLockConfigMissing", false
	}
	session, err := s.cloud.replicationSession(rep.Role)
	if err != nil {
		return "FAILED: " + err.Error(), false
	}
	srcARN := fmt.Sprintf("arn:%s:s3:::%s/%s", b.Partition, b.Name, key)
	dstARN := fmt.Sprintf("arn:%s:s3:::%s/%s", dst.Partition, dst.Name, key)
	s.mu.Lock()
	src := s.versions[versionKey(b.Name, key, id)]
	var v version
	if src != nil {
		v = *src
	}
	s.mu.Unlock()
	checks := []func() *Error{
		func() *Error {
			return s.cloud.authorizeIn(session, "s3:GetObjectVersionForReplication", srcARN, nil, b.Policy, b.Account)
		},
		func() *Error {
			if v.Lock == nil {
				return nil
			}
			return s.cloud.authorizeIn(session, "s3:GetObjectRetention", srcARN, nil, b.Policy, b.Account)
		},
		func() *Error {
			return s.cloud.authorizeIn(session, "s3:ReplicateObject", dstARN, nil, dst.Policy, dst.Account)
		},
		func() *Error {
			if v.KMSKey == "" {
				return nil
			}
			return s.cloud.authorizeKMSVia(session, "kms:Decrypt", v.KMSKey, s3Service(b), bucketARN(b))
		},
		func() *Error {
			if rep.ReplicaKMSKey == "" {
				return nil
			}
			if e := s.cloud.keyInRegion(rep.ReplicaKMSKey, dst.Region); e != nil {
				return e
			}
			return s.cloud.authorizeKMSVia(session, "kms:Encrypt", rep.ReplicaKMSKey, s3Service(dst), bucketARN(dst))
		},
	}
	for _, check := range checks {
		if e := check(); e != nil {
			return "FAILED: " + e.Error(), false
		}
	}
	obj, err := s.versioned.GetObjectVersion(b.Name, key, gofakes3.VersionID(id), nil)
	if err != nil {
		return "FAILED: reading the version: " + err.Error(), false
	}
	defer obj.Contents.Close()
	body, err := io.ReadAll(obj.Contents)
	if err != nil {
		return "FAILED: reading the version: " + err.Error(), false
	}
	res, err := s.versioned.PutObject(dst.Name, key, obj.Metadata, strings.NewReader(string(body)), int64(len(body)), nil)
	if err != nil {
		return "FAILED: writing the replica: " + err.Error(), false
	}
	replica := &version{KMSKey: rep.ReplicaKMSKey, Replication: "REPLICA"}
	if v.Lock != nil {
		l := *v.Lock
		replica.Lock = &l
	}
	s.mu.Lock()
	s.versions[versionKey(dst.Name, key, string(res.VersionID))] = replica
	s.mu.Unlock()
	return "COMPLETED", false
}

// replicationSession is S3's session as the replication role: the role's
// trust must let s3.amazonaws.com assume it.
func (c *Cloud) replicationSession(roleARN string) (*Session, error) {
	c.mu.Lock()
	role, ok := c.roleInForce(roleARN)
	var trust string
	if ok {
		trust = role.TrustPolicy
	}
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("the replication role %s does not exist", roleARN)
	}
	d, err := evaluateDoc(trust, Request{Action: "sts:AssumeRole", PrincipalKind: "Service", Principal: "s3.amazonaws.com"}, true)
	if err != nil || d != Allow {
		return nil, fmt.Errorf("S3 may not assume the replication role %s (its trust does not allow s3.amazonaws.com sts:AssumeRole)", roleARN)
	}
	name := roleARN[strings.LastIndex(roleARN, "/")+1:]
	return &Session{
		RoleARN: roleARN, Account: arnAccount(roleARN),
		AssumedRoleARN: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/s3-replication", arnPartition(roleARN), arnAccount(roleARN), name),
	}, nil
}

// keyInRegion refuses a key of another region: S3 uses keys of the
// bucket's region only.
func (c *Cloud) keyInRegion(keyARN, region string) *Error {
	c.mu.Lock()
	k, ok := c.keys[keyARN]
	c.mu.Unlock()
	if ok && k.Region != region {
		return errorf(400, "KMS.NotFoundException", "the KMS key %s is in %s, the bucket in %s: S3 uses keys of the bucket's region only", keyARN, k.Region, region)
	}
	return nil
}

// s3Service is kms:ViaService for S3 in a bucket's region.
func s3Service(b Bucket) string {
	suffix := "amazonaws.com"
	if b.Partition == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	return "s3." + b.Region + "." + suffix
}

// bucketARN is a bucket's ARN: the encryption context S3 gives KMS with a
// Bucket Key.
func bucketARN(b Bucket) string { return "arn:" + b.Partition + ":s3:::" + b.Name }
