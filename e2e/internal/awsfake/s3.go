package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// Bucket is an S3 bucket as the rig knows it: where it lives, who owns it,
// its bucket policy and its default encryption.
type Bucket struct {
	Name, Region, Account, Partition string
	Policy                           string // bucket policy document, "" for none
	DefaultKMSKey                    string // SSE-KMS default key ARN, "" for SSE-S3
	Created                          time.Time
	// ObjectLock is set when the bucket was created with Object Lock: it
	// is versioned (its objects kept in memory, every version), and
	// DefaultRetention locks each new version (objectlock.go).
	ObjectLock       bool
	DefaultRetention *Retention
	// BlockPublicPolicy refuses a public bucket policy (Block Public
	// Access).
	BlockPublicPolicy bool
	// Replication copies its new versions to another bucket
	// (replication.go).
	Replication *Replication
}

// Key is a KMS key. Its key policy is the default one (the account's IAM
// policies decide) unless Deny names actions it refuses whatever IAM allows.
type Key struct {
	ARN, Region, Account string
	Deny                 []string // actions the default key policy denies to every principal
	// Policy is the key policy document, "" for the default one.
	Policy string
}

// CreateKey adds a KMS key.
func (c *Cloud) CreateKey(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := k
	c.keys[k.ARN] = &cp
}

// SetKeyDenials replaces the actions a key's policy denies.
func (c *Cloud) SetKeyDenials(arn string, deny []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[arn]
	if !ok {
		return errorf(400, "NotFoundException", "Key '%s' does not exist", arn)
	}
	k.Deny = append([]string(nil), deny...)
	return nil
}

// CreateBucket registers a bucket with the S3 backend.
func (c *Cloud) CreateBucket(b Bucket, backend gofakes3.Backend) error {
	c.mu.Lock()
	if _, ok := c.buckets[b.Name]; ok {
		c.mu.Unlock()
		return errorf(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
	}
	b.Created = c.now().UTC()
	cp := b
	c.buckets[b.Name] = &cp
	c.mu.Unlock()
	if err := backend.CreateBucket(b.Name); err != nil && !gofakes3.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// UpdateBucket changes a bucket's policy or default encryption.
func (c *Cloud) UpdateBucket(name string, update func(*Bucket)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.buckets[name]
	if !ok {
		return errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	before := *b
	update(b)
	if b.Policy != "" {
		if _, err := ParsePolicy(b.Policy); err != nil {
			*b = before
			return errorf(400, "MalformedPolicy", "%v", err)
		}
		if b.BlockPublicPolicy && policyPublic(b.Policy) {
			*b = before
			return errorf(403, "AccessDenied", "User is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::%s\" because public policies are blocked by the BlockPublicPolicy block public access setting.", name)
		}
	}
	return nil
}

// GetBucket returns a bucket.
func (c *Cloud) GetBucket(name string) (Bucket, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.buckets[name]
	if !ok {
		return Bucket{}, false
	}
	return *b, true
}

// S3 serves S3's REST API from a gofakes3 backend, authenticating and
// authorizing every request as S3 does, before gofakes3 sees it.
type S3 struct {
	cloud   *Cloud
	backend gofakes3.Backend
	fake    http.Handler
	// versioned holds the buckets with Object Lock, every version in
	// memory; vfake serves them.
	versioned *versionStore
	vfake     http.Handler
	mu        sync.Mutex
	sse       map[string]string   // bucket/key → KMS key ARN of an SSE-KMS object
	versions  map[string]*version // versionKey → a version in a bucket with Object Lock
}

// NewS3 wraps a gofakes3 backend (buckets with Object Lock are kept in
// memory instead).
func NewS3(cloud *Cloud, backend gofakes3.Backend) *S3 {
	fake := gofakes3.New(backend, gofakes3.WithAutoBucket(false), gofakes3.WithHostBucket(false))
	versioned := newVersionStore()
	vfake := gofakes3.New(versioned, gofakes3.WithAutoBucket(false), gofakes3.WithHostBucket(false))
	return &S3{cloud: cloud, backend: backend, fake: fake.Server(), versioned: versioned, vfake: vfake.Server(),
		sse: map[string]string{}, versions: map[string]*version{}}
}

// CreateBucket creates a bucket in the backend that models it: a bucket
// with Object Lock is versioned from the start, as S3 makes it.
func (s *S3) CreateBucket(b Bucket) error {
	if !b.ObjectLock {
		return s.cloud.CreateBucket(b, s.backend)
	}
	if err := s.cloud.CreateBucket(b, s.versioned); err != nil {
		return err
	}
	return s.versioned.SetVersioningConfiguration(b.Name, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled})
}

// Backend is the object store behind the API.
func (s *S3) Backend() gofakes3.Backend { return s.backend }

// s3Op is what one request asks of IAM.
type s3Op struct {
	actions  []string
	resource string
	context  map[string]string
	kms      []string // KMS actions needed on the object's key
	own      bool     // served by the stand-in itself (retention, legal hold)
}

// queryKeys are the query parameters of the operations the rig models;
// anything else (tagging, acl, policy, versioning, ...) is refused rather
// than passed to a handler that would read it as another operation.
var queryKeys = map[string]bool{
	"prefix": true, "delimiter": true, "marker": true, "max-keys": true, "list-type": true,
	"continuation-token": true, "start-after": true, "encoding-type": true, "fetch-owner": true,
	"location": true, "uploads": true, "uploadId": true, "partNumber": true, "x-id": true,
	"max-parts": true, "part-number-marker": true, "max-uploads": true, "key-marker": true, "upload-id-marker": true,
}

// versionedQueryKeys are the parameters of versions and Object Lock, which
// only a bucket with Object Lock models.
var versionedQueryKeys = map[string]bool{
	"versionId": true, "versions": true, "version-id-marker": true, "retention": true, "legal-hold": true, "object-lock": true,
}

func classify(r *http.Request, bucket, key string, versioned bool) (s3Op, *Error) {
	q := r.URL.Query()
	for k := range q {
		switch {
		case versionedQueryKeys[k] && !versioned:
			return s3Op{}, errorf(501, "NotImplemented", "the rig models %q only in buckets with Object Lock", k)
		case !queryKeys[k] && !versionedQueryKeys[k]:
			return s3Op{}, errorf(501, "NotImplemented", "the rig does not model the S3 sub-resource or parameter %q", k)
		}
	}
	objectARN := "arn:aws:s3:::" + bucket + "/" + key
	bucketARN := "arn:aws:s3:::" + bucket
	_, uploads := q["uploads"]
	uploadID := q.Get("uploadId")
	if op, ok, e := classifyVersioned(r, bucket, key, objectARN, bucketARN); ok || e != nil {
		return op, e
	}
	switch {
	case bucket == "":
		return s3Op{}, errorf(501, "NotImplemented", "the rig does not model ListBuckets")
	case r.Header.Get("X-Amz-Copy-Source") != "":
		return s3Op{}, errorf(501, "NotImplemented", "the rig does not model CopyObject")
	case key == "" && uploads && r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:ListBucketMultipartUploads"}, resource: bucketARN}, nil
	case key == "" && r.Method == http.MethodGet && q.Has("location"):
		return s3Op{actions: []string{"s3:GetBucketLocation"}, resource: bucketARN}, nil
	case key == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		ctx := map[string]string{}
		if q.Has("prefix") {
			ctx["s3:prefix"] = q.Get("prefix")
		}
		if q.Has("delimiter") {
			ctx["s3:delimiter"] = q.Get("delimiter")
		}
		return s3Op{actions: []string{"s3:ListBucket"}, resource: bucketARN, context: ctx}, nil
	case key == "":
		return s3Op{}, errorf(501, "NotImplemented", "the rig does not model %s on a bucket", r.Method)
	case uploads && r.Method == http.MethodPost:
		return s3Op{actions: []string{"s3:PutObject"}, resource: objectARN, kms: []string{"kms:GenerateDataKey", "kms:Decrypt"}}, nil
	case uploadID != "" && r.Method == http.MethodPut:
		return s3Op{actions: []string{"s3:PutObject"}, resource: objectARN, kms: []string{"kms:GenerateDataKey"}}, nil
	case uploadID != "" && r.Method == http.MethodPost:
		return s3Op{actions: []string{"s3:PutObject"}, resource: objectARN, kms: []string{"kms:Decrypt"}}, nil
	case uploadID != "" && r.Method == http.MethodDelete:
		return s3Op{actions: []string{"s3:AbortMultipartUpload"}, resource: objectARN}, nil
	case uploadID != "" && r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:ListMultipartUploadParts"}, resource: objectARN}, nil
	case r.Method == http.MethodGet:
		return s3Op{actions: []string{"s3:GetObject"}, resource: objectARN, kms: []string{"kms:Decrypt"}}, nil
	case r.Method == http.MethodHead:
		// HeadObject needs s3:GetObject only (the S3 API reference lists
		// no KMS permission for it): it reads metadata, and S3 decrypts
		// nothing.
		return s3Op{actions: []string{"s3:GetObject"}, resource: objectARN}, nil
	case r.Method == http.MethodPut:
		op := s3Op{actions: []string{"s3:PutObject"}, resource: objectARN, kms: []string{"kms:GenerateDataKey"}}
		if r.Header.Get("X-Amz-Tagging") != "" {
			// S3 asks for PutObjectTagging too when a PUT carries tags.
			op.actions = append(op.actions, "s3:PutObjectTagging")
		}
		return op, nil
	case r.Method == http.MethodDelete:
		return s3Op{actions: []string{"s3:DeleteObject"}, resource: objectARN}, nil
	}
	return s3Op{}, errorf(501, "NotImplemented", "the rig does not model %s on an object", r.Method)
}

// ServeHTTP authenticates, checks the bucket and its region, authorizes
// every action (and the KMS actions of SSE-KMS), applies Object Lock, then
// lets gofakes3 serve, and replicates what a replication rule covers.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A failure of the stand-in is reported as S3 reports its own, with
		// what failed, rather than as a reset stream.
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "S3 stand-in: %s %s: %v\n%s", r.Method, r.URL, p, debug.Stack())
			writeS3Error(w, errorf(500, "InternalError", "the rig's S3 stand-in failed on %s %s: %v", r.Method, r.URL.Path, p), "")
		}
	}()
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if k, err := url.PathUnescape(key); err == nil {
		key = k
	}
	session, region, e := s.cloud.authenticateRegion(r, "s3")
	if e != nil {
		writeS3Error(w, e, "")
		return
	}
	b, ok := s.cloud.GetBucket(bucket)
	if bucket != "" && !ok {
		writeS3Error(w, &Error{Code: "NoSuchBucket", Message: "The specified bucket does not exist", Status: 404}, "")
		return
	}
	if ok && s.cloud.RegionDown(b.Region) {
		writeS3Error(w, errorf(503, "ServiceUnavailable", "the rig's region %s is out", b.Region), "")
		return
	}
	if ok && region != b.Region {
		writeS3Error(w, errorf(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '%s' is wrong; expecting '%s'", region, b.Region), b.Region)
		return
	}
	op, e := classify(r, bucket, key, b.ObjectLock)
	if e != nil {
		writeS3Error(w, e, "")
		return
	}
	if op.context == nil {
		op.context = map[string]string{}
	}
	for k, v := range s3Context(r) {
		op.context[k] = v
	}
	for _, action := range op.actions {
		if e := s.cloud.authorizeIn(session, action, op.resource, op.context, b.Policy, b.Account); e != nil {
			writeS3Error(w, e, "")
			return
		}
	}
	if e := s.objectLock(w, r, session, b, key, op); e != nil || op.own {
		if e != nil {
			writeS3Error(w, e, "")
		}
		return
	}
	objKey := bucket + "/" + key
	kmsKey := ""
	switch {
	case r.Method == http.MethodPut && r.URL.Query().Get("uploadId") == "" || r.Method == http.MethodPost && r.URL.Query().Has("uploads"):
		var e *Error
		if kmsKey, e = requestedKMSKey(r, b); e == nil && kmsKey != "" {
			e = s.cloud.keyInRegion(kmsKey, b.Region)
		}
		if e != nil {
			writeS3Error(w, e, "")
			return
		}
	case b.ObjectLock && key != "":
		if id, e := s.versionFor(bucket, key, r.URL.Query().Get("versionId")); e == nil {
			s.mu.Lock()
			if v, ok := s.versions[versionKey(bucket, key, id)]; ok {
				kmsKey = v.KMSKey
			}
			s.mu.Unlock()
		}
	default:
		s.mu.Lock()
		kmsKey = s.sse[objKey]
		s.mu.Unlock()
	}
	if kmsKey != "" {
		for _, action := range op.kms {
			if e := s.cloud.authorizeKMSVia(session, action, kmsKey, s3Service(b), bucketARN(b)); e != nil {
				writeS3Error(w, e, "")
				return
			}
		}
	}
	if e := decodeUnsignedChunked(r); e != nil {
		writeS3Error(w, e, "")
		return
	}
	handler := s.fake
	if b.ObjectLock {
		handler = s.vfake
	}
	rec := &statusRecorder{ResponseWriter: w}
	handler.ServeHTTP(rec, r)
	if rec.status != 0 && rec.status/100 != 2 { // no WriteHeader call means 200
		return
	}
	newObject := r.Method == http.MethodPut && r.URL.Query().Get("uploadId") == "" ||
		r.Method == http.MethodPost && r.URL.Query().Has("uploads")
	if b.ObjectLock {
		// A new version: a PUT, or a multipart upload's completion.
		if id := w.Header().Get("x-amz-version-id"); id != "" && w.Header().Get("x-amz-delete-marker") != "true" &&
			(r.Method == http.MethodPut && r.URL.Query().Get("uploadId") == "" || r.Method == http.MethodPost && r.URL.Query().Get("uploadId") != "") {
			s.mu.Lock()
			if r.Method == http.MethodPost {
				kmsKey = s.sse[objKey] // chosen when the upload began
			}
			s.mu.Unlock()
			s.recordVersion(b, key, id, kmsKey, s.cloud.now())
			if b.Replication != nil {
				s.replicate(b, key, id)
			}
		}
		if r.Method == http.MethodPost && r.URL.Query().Has("uploads") && kmsKey != "" {
			s.mu.Lock()
			s.sse[objKey] = kmsKey
			s.mu.Unlock()
		}
		return
	}
	s.mu.Lock()
	switch {
	case newObject && kmsKey != "":
		s.sse[objKey] = kmsKey
	case r.Method == http.MethodDelete && r.URL.Query().Get("uploadId") == "":
		delete(s.sse, objKey)
	}
	s.mu.Unlock()
}

// objectLock applies Object Lock to a request on a bucket that has it:
// the lock headers the rig does not model, the checksum rule, a delete of
// a locked version, and the retention and legal hold requests it serves
// itself (op.own).
func (s *S3) objectLock(w http.ResponseWriter, r *http.Request, session *Session, b Bucket, key string, op s3Op) *Error {
	if !b.ObjectLock {
		return nil
	}
	q := r.URL.Query()
	switch {
	case q.Has("object-lock"):
		return errorf(501, "NotImplemented", "the rig does not model changing a bucket's Object Lock configuration through S3")
	case q.Has("legal-hold"):
		return errorf(501, "NotImplemented", "the rig does not model legal holds")
	case q.Has("retention"):
		return s.serveRetention(w, r, session, b, key, op.resource)
	case r.Method == http.MethodPut && q.Get("uploadId") == "" || r.Method == http.MethodPost && q.Has("uploads"):
		if e := lockHeaders(r); e != nil {
			return e
		}
		if r.Method == http.MethodPut {
			return checksumRequired(r, b)
		}
	case r.Method == http.MethodPut && q.Get("uploadId") != "":
		return checksumRequired(r, b)
	case r.Method == http.MethodDelete && q.Get("versionId") != "":
		return s.checkVersionDelete(r, session, b, key, q.Get("versionId"), op.resource)
	}
	return nil
}

// requestedKMSKey is the key an upload is encrypted with: the request's
// SSE-KMS key, else the bucket's default one.
func requestedKMSKey(r *http.Request, b Bucket) (string, *Error) {
	switch sse := r.Header.Get("X-Amz-Server-Side-Encryption"); sse {
	case "":
		return b.DefaultKMSKey, nil
	case "AES256":
		return "", nil
	case "aws:kms":
		if k := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); k != "" {
			if !strings.HasPrefix(k, "arn:") {
				return "", errorf(400, "KMS.NotFoundException", "the rig models key ARNs only, not %q", k)
			}
			return k, nil
		}
		if b.DefaultKMSKey != "" {
			return b.DefaultKMSKey, nil
		}
		return "", errorf(501, "NotImplemented", "the rig does not model the AWS managed key aws/s3")
	default:
		return "", errorf(400, "InvalidArgument", "The encryption method specified is not supported")
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Region    string `xml:",omitempty"`
	RequestID string `xml:"RequestId"`
}

func writeS3Error(w http.ResponseWriter, e *Error, region string) {
	w.Header().Set("Content-Type", "application/xml")
	if region != "" {
		w.Header().Set("X-Amz-Bucket-Region", region)
	}
	w.WriteHeader(e.Status)
	_, _ = fmt.Fprint(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(s3Error{Code: e.Code, Message: e.Message, Region: region, RequestID: randomHex(8)})
}

// Objects lists a bucket's object keys under a prefix, for the rig's checks.
func (s *S3) Objects(bucket, prefix string) ([]string, error) {
	p := gofakes3.NewFolderPrefix(prefix)
	p.HasDelimiter = false
	var backend gofakes3.Backend = s.backend
	if b, ok := s.cloud.GetBucket(bucket); ok && b.ObjectLock {
		backend = s.versioned
	}
	list, err := backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	return keys, nil
}
