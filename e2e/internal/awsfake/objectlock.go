package awsfake

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// S3 Object Lock, as the rig models it (S3 user guide, "Locking objects
// with Object Lock"): a bucket created with Object Lock is versioned for
// good; with a default retention every new version is locked until its
// creation plus the retention; a version is deleted (DELETE with a version
// ID) only once its retention has passed, or in GOVERNANCE mode with the
// x-amz-bypass-governance-retention header and s3:BypassGovernanceRetention;
// a retention may be extended but, in COMPLIANCE mode, never shortened or
// removed (in GOVERNANCE mode only with the bypass); a DELETE without a
// version ID adds a delete marker, which no lock prevents; and an upload
// (PutObject, UploadPart) to a bucket with a default retention must carry
// Content-MD5 or a checksum header. Legal holds, per-request lock headers
// and lifecycle expiration are not modelled and are refused.

// Retention is a bucket's default retention.
type Retention struct {
	Mode string // GOVERNANCE or COMPLIANCE
	Days int
}

// lock is one version's retention.
type lock struct {
	Mode  string
	Until time.Time
}

// version is what the rig knows of one object version in a bucket with
// Object Lock beyond its bytes: its encryption key, its lock, and its
// replication status (PENDING, COMPLETED, FAILED: <why>, or REPLICA).
type version struct {
	KMSKey      string
	Lock        *lock
	Replication string
}

// versionKey names a version in the S3 stand-in's maps.
func versionKey(bucket, key, id string) string { return bucket + "/" + key + "?versionId=" + id }

// checksumRequired refuses an upload to a bucket with a default retention
// that carries neither Content-MD5 nor a checksum (S3 user guide,
// "Managing Object Lock": the Content-MD5 or x-amz-sdk-checksum-algorithm
// header is required to upload an object with a retention period).
func checksumRequired(r *http.Request, b Bucket) *Error {
	if b.DefaultRetention == nil {
		return nil
	}
	if r.Header.Get("Content-MD5") != "" || r.Header.Get("X-Amz-Sdk-Checksum-Algorithm") != "" {
		return nil
	}
	for h := range r.Header {
		if strings.HasPrefix(strings.ToLower(h), "x-amz-checksum-") {
			return nil
		}
	}
	what := "Put Object"
	if r.URL.Query().Get("uploadId") != "" {
		what = "Put Part"
	}
	return errorf(400, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for %s requests with Object Lock parameters", what)
}

// lockHeaders refuses the per-request Object Lock headers, which the rig
// does not model.
func lockHeaders(r *http.Request) *Error {
	for _, h := range []string{"X-Amz-Object-Lock-Mode", "X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold"} {
		if r.Header.Get(h) != "" {
			return errorf(501, "NotImplemented", "the rig does not model the %s header; it models the bucket's default retention only", h)
		}
	}
	return nil
}

// versionFor is the version a request names, or the current one.
func (s *S3) versionFor(bucket, key, id string) (string, *Error) {
	if id != "" {
		return id, nil
	}
	obj, err := s.versioned.HeadObject(bucket, key)
	if err != nil {
		return "", errorf(404, "NoSuchKey", "The specified key does not exist.")
	}
	_ = obj.Contents.Close()
	return string(obj.VersionID), nil
}

// lockedVersion is the lock in force on a version at t, nil when none.
func (s *S3) lockedVersion(bucket, key, id string, t time.Time) *lock {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[versionKey(bucket, key, id)]
	if !ok || v.Lock == nil || !t.Before(v.Lock.Until) {
		return nil
	}
	cp := *v.Lock
	return &cp
}

// bypass is true when a request asks to bypass GOVERNANCE retention and
// its caller may.
func (s *S3) bypass(r *http.Request, session *Session, b Bucket, objectARN string) (bool, *Error) {
	if !strings.EqualFold(r.Header.Get("X-Amz-Bypass-Governance-Retention"), "true") {
		return false, nil
	}
	if e := s.cloud.authorizeIn(session, "s3:BypassGovernanceRetention", objectARN, s3Context(r), b.Policy, b.Account); e != nil {
		return false, e
	}
	return true, nil
}

// checkVersionDelete refuses a DELETE of a locked version.
func (s *S3) checkVersionDelete(r *http.Request, session *Session, b Bucket, key, id, objectARN string) *Error {
	l := s.lockedVersion(b.Name, key, id, s.cloud.now())
	if l == nil {
		return nil
	}
	if l.Mode == "GOVERNANCE" {
		ok, e := s.bypass(r, session, b, objectARN)
		if e != nil {
			return e
		}
		if ok {
			return nil
		}
	}
	return errorf(403, "AccessDenied", "Access Denied because object protected by object lock.")
}

// retentionXML is the body of GetObjectRetention and PutObjectRetention.
type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// serveRetention answers GET and PUT ?retention on a version.
func (s *S3) serveRetention(w http.ResponseWriter, r *http.Request, session *Session, b Bucket, key, objectARN string) *Error {
	id, e := s.versionFor(b.Name, key, r.URL.Query().Get("versionId"))
	if e != nil {
		return e
	}
	vk := versionKey(b.Name, key, id)
	s.mu.Lock()
	v, ok := s.versions[vk]
	s.mu.Unlock()
	if !ok {
		return errorf(404, "NoSuchVersion", "The specified version does not exist.")
	}
	if r.Method == http.MethodGet {
		if v.Lock == nil {
			return errorf(404, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = fmt.Fprint(w, xml.Header)
		return toError(xml.NewEncoder(w).Encode(retentionXML{Mode: v.Lock.Mode, RetainUntilDate: v.Lock.Until.UTC().Format(time.RFC3339)}))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return errorf(400, "IncompleteBody", "%v", err)
	}
	var in retentionXML
	if err := xml.Unmarshal(body, &in); err != nil {
		return errorf(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	var next *lock
	if in.Mode != "" || in.RetainUntilDate != "" {
		until, err := time.Parse(time.RFC3339, in.RetainUntilDate)
		if err != nil || (in.Mode != "GOVERNANCE" && in.Mode != "COMPLIANCE") {
			return errorf(400, "MalformedXML", "Retention needs Mode GOVERNANCE or COMPLIANCE and an RFC 3339 RetainUntilDate")
		}
		next = &lock{Mode: in.Mode, Until: until}
	}
	if cur := s.lockedVersion(b.Name, key, id, s.cloud.now()); cur != nil {
		weaker := next == nil || next.Until.Before(cur.Until) || next.Mode != cur.Mode
		if weaker {
			if cur.Mode == "COMPLIANCE" {
				return errorf(403, "AccessDenied", "Access Denied because object protected by object lock.")
			}
			ok, e := s.bypass(r, session, b, objectARN)
			if e != nil {
				return e
			}
			if !ok {
				return errorf(403, "AccessDenied", "Access Denied because object protected by object lock.")
			}
		}
	}
	s.mu.Lock()
	s.versions[vk].Lock = next
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// toError wraps a write error.
func toError(err error) *Error {
	if err == nil {
		return nil
	}
	return errorf(500, "InternalError", "%v", err)
}

// recordVersion keeps what the rig knows of a new version: its key, and
// its lock from the bucket's default retention.
func (s *S3) recordVersion(b Bucket, key, id, kmsKey string, created time.Time) {
	v := &version{KMSKey: kmsKey}
	if d := b.DefaultRetention; d != nil {
		v.Lock = &lock{Mode: d.Mode, Until: created.Add(time.Duration(d.Days) * 24 * time.Hour)}
	}
	if b.Replication != nil {
		v.Replication = "PENDING"
	}
	s.mu.Lock()
	s.versions[versionKey(b.Name, key, id)] = v
	s.mu.Unlock()
}

// ObjectVersion is one version as the rig's checks see it.
type ObjectVersion struct {
	Key, VersionID string
	DeleteMarker   bool
	IsLatest       bool
	LockMode       string
	LockUntil      time.Time
	KMSKey         string
	Replication    string
}

// Versions lists every version and delete marker under prefix in a bucket
// with Object Lock, sorted by key, newest first.
func (s *S3) Versions(bucket, prefix string) ([]ObjectVersion, error) {
	p := gofakes3.NewFolderPrefix(prefix)
	p.HasDelimiter = false
	res, err := s.versioned.ListBucketVersions(bucket, &p, &gofakes3.ListBucketVersionsPage{})
	if err != nil {
		return nil, err
	}
	var out []ObjectVersion
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, item := range res.Versions {
		var ov ObjectVersion
		switch x := item.(type) {
		case *gofakes3.Version:
			ov = ObjectVersion{Key: x.Key, VersionID: string(x.VersionID), IsLatest: x.IsLatest}
		case *gofakes3.DeleteMarker:
			ov = ObjectVersion{Key: x.Key, VersionID: string(x.VersionID), IsLatest: x.IsLatest, DeleteMarker: true}
		default:
			continue
		}
		if v, ok := s.versions[versionKey(bucket, ov.Key, ov.VersionID)]; ok {
			ov.KMSKey, ov.Replication = v.KMSKey, v.Replication
			if v.Lock != nil {
				ov.LockMode, ov.LockUntil = v.Lock.Mode, v.Lock.Until
			}
		}
		out = append(out, ov)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// classifyVersioned is classify for the requests on versions and locks:
// ok is false for any other request.
func classifyVersioned(r *http.Request, bucket, key, objectARN, bucketARN string) (s3Op, bool, *Error) {
	q := r.URL.Query()
	_, versions := q["versions"]
	_, retention := q["retention"]
	_, legalHold := q["legal-hold"]
	versionID := q.Get("versionId")
	switch {
	case key == "" && versions && r.Method == http.MethodGet:
		ctx := map[string]string{}
		if q.Has("prefix") {
			ctx["s3:prefix"] = q.Get("prefix")
		}
		return s3Op{actions: []string{"s3:ListBucketVersions"}, resource: bucketARN, context: ctx}, true, nil
	case key == "" && q.Has("object-lock") && r.Method == http.MethodPut:
		// Judged like any request, so a policy's deny shows; the rig
		// changes a bucket's lock only through its control API.
		return s3Op{actions: []string{"s3:PutBucketObjectLockConfiguration"}, resource: bucketARN, own: true}, true, nil
	case key == "" && (versions || retention || legalHold || versionID != "" || q.Has("object-lock")):
		return s3Op{}, true, errorf(501, "NotImplemented", "the rig does not model %s %s on a bucket", r.Method, r.URL.RawQuery)
	case retention && r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:GetObjectRetention"}, resource: objectARN, own: true}, true, nil
	case retention && r.Method == http.MethodPut:
		return s3Op{actions: []string{"s3:PutObjectRetention"}, resource: objectARN, own: true}, true, nil
	case legalHold && r.Method == http.MethodPut:
		return s3Op{actions: []string{"s3:PutObjectLegalHold"}, resource: objectARN, own: true}, true, nil
	case legalHold && r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:GetObjectLegalHold"}, resource: objectARN, own: true}, true, nil
	case retention || legalHold:
		return s3Op{}, true, errorf(501, "NotImplemented", "the rig does not model %s on ?%s", r.Method, r.URL.RawQuery)
	case versionID != "" && r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:GetObjectVersion"}, resource: objectARN, kms: []string{"kms:Decrypt"}}, true, nil
	case versionID != "" && r.Method == http.MethodHead:
		return s3Op{actions: []string{"s3:GetObjectVersion"}, resource: objectARN}, true, nil
	case versionID != "" && r.Method == http.MethodDelete:
		return s3Op{actions: []string{"s3:DeleteObjectVersion"}, resource: objectARN}, true, nil
	case versionID != "":
		return s3Op{}, true, errorf(501, "NotImplemented", "the rig does not model %s with a version ID", r.Method)
	}
	return s3Op{}, false, nil
}

// s3Context is the condition context every S3 request carries.
func s3Context(r *http.Request) map[string]string {
	return map[string]string{"aws:SecureTransport": fmt.Sprint(r.TLS != nil)}
}
