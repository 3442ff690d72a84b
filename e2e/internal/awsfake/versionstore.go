package awsfake

import (
	"bytes"
	"crypto/md5"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// versionStore is the in-memory store of the buckets with Object Lock: a
// gofakes3 backend with S3's versioning as the S3 user guide describes it
// ("Working with objects in a versioning-enabled bucket"). Every PUT adds
// a version; a DELETE without a version ID adds a delete marker, which
// becomes the current version; a DELETE with a version ID removes that
// version only, and when it was the current one the next newest becomes
// current (so removing a delete marker brings the object back). gofakes3's
// own s3mem leaves no current version in that last case, and its listings
// then fail, hence this store. Versioning cannot be suspended.
type versionStore struct {
	mu      sync.Mutex
	buckets map[string]*vbucket
	now     func() time.Time
}

type vbucket struct {
	created time.Time
	objects map[string][]*vobject // by key, oldest version first
}

type vobject struct {
	id       string
	marker   bool
	body     []byte
	meta     map[string]string
	hash     []byte
	modified time.Time
}

var (
	_ gofakes3.Backend          = (*versionStore)(nil)
	_ gofakes3.VersionedBackend = (*versionStore)(nil)
)

func newVersionStore() *versionStore {
	return &versionStore{buckets: map[string]*vbucket{}, now: time.Now}
}

func (s *versionStore) bucket(name string) (*vbucket, error) {
	b, ok := s.buckets[name]
	if !ok {
		return nil, gofakes3.BucketNotFound(name)
	}
	return b, nil
}

// latest is a key's current version, nil when it has none.
func (b *vbucket) latest(key string) *vobject {
	versions := b.objects[key]
	if len(versions) == 0 {
		return nil
	}
	return versions[len(versions)-1]
}

func (b *vbucket) keys() []string {
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (o *vobject) toObject(key string, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	obj := &gofakes3.Object{Name: key, Metadata: o.meta, Size: int64(len(o.body)), Hash: o.hash, VersionID: gofakes3.VersionID(o.id), IsDeleteMarker: o.marker}
	body := o.body
	if rng != nil && !o.marker {
		r, err := rng.Range(int64(len(o.body)))
		if err != nil {
			return nil, err
		}
		obj.Range = r
		if r != nil {
			body = o.body[r.Start : r.Start+r.Length]
		}
	}
	if !withBody {
		body = nil
	}
	obj.Contents = io.NopCloser(bytes.NewReader(body))
	return obj, nil
}

func (s *versionStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gofakes3.BucketInfo
	for name, b := range s.buckets {
		out = append(out, gofakes3.BucketInfo{Name: name, CreationDate: gofakes3.NewContentTime(b.created)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *versionStore) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	out := gofakes3.NewObjectList()
	var match gofakes3.PrefixMatch
	n := int64(0)
	for _, key := range b.keys() {
		v := b.latest(key)
		if v == nil || v.marker || (page.HasMarker && key <= page.Marker) || !prefix.Match(key, &match) {
			continue
		}
		if page.MaxKeys > 0 && n >= page.MaxKeys {
			out.IsTruncated, out.NextMarker = true, key
			break
		}
		if match.CommonPrefix {
			out.AddPrefix(match.MatchedPart)
		} else {
			out.Add(&gofakes3.Content{Key: key, LastModified: gofakes3.NewContentTime(v.modified), ETag: gofakes3.FormatETag(v.hash), Size: int64(len(v.body))})
		}
		n++
	}
	return out, nil
}

func (s *versionStore) CreateBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	s.buckets[name] = &vbucket{created: s.now(), objects: map[string][]*vobject{}}
	return nil
}

func (s *versionStore) BucketExists(name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.buckets[name]
	return ok, nil
}

func (s *versionStore) DeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
	}
	delete(s.buckets, name)
	return nil
}

func (s *versionStore) ForceDeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets, name)
	return nil
}

func (s *versionStore) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return s.current(bucket, key, rng, true)
}

func (s *versionStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	return s.current(bucket, key, nil, false)
}

func (s *versionStore) current(bucket, key string, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return nil, err
	}
	v := b.latest(key)
	if v == nil || v.marker {
		return nil, gofakes3.KeyNotFound(key)
	}
	return v.toObject(key, rng, withBody)
}

// DeleteObject adds a delete marker (S3 adds one whether or not the key
// exists).
func (s *versionStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return gofakes3.ObjectDeleteResult{}, err
	}
	m := &vobject{id: randomHex(16), marker: true, modified: s.now()}
	b.objects[key] = append(b.objects[key], m)
	return gofakes3.ObjectDeleteResult{IsDeleteMarker: true, VersionID: gofakes3.VersionID(m.id)}, nil
}

func (s *versionStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, conditions *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	body, err := io.ReadAll(input)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	sum := md5.Sum(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	if conditions != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if v := b.latest(key); v != nil && !v.marker {
			info.Exists, info.Hash = true, v.hash
		}
		if err := gofakes3.CheckPutConditions(conditions, info); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	v := &vobject{id: randomHex(16), body: body, meta: meta, hash: sum[:], modified: s.now()}
	b.objects[key] = append(b.objects[key], v)
	return gofakes3.PutObjectResult{VersionID: gofakes3.VersionID(v.id)}, nil
}

func (s *versionStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	for _, k := range keys {
		if _, err := s.DeleteObject(bucket, k); err != nil {
			return out, err
		}
		out.Deleted = append(out.Deleted, gofakes3.ObjectID{Key: k})
	}
	return out, nil
}

func (s *versionStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}

func (s *versionStore) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.bucket(bucket); err != nil {
		return gofakes3.VersioningConfiguration{}, err
	}
	return gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled}, nil
}

// SetVersioningConfiguration keeps versioning on: a bucket with Object
// Lock cannot suspend it.
func (s *versionStore) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	if v.Status != gofakes3.VersioningEnabled {
		return gofakes3.ErrorMessage(gofakes3.ErrorCode("InvalidBucketState"), "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	}
	_, err := s.VersioningConfiguration(bucket)
	return err
}

func (s *versionStore) version(bucket, key string, id gofakes3.VersionID) (*vobject, error) {
	b, err := s.bucket(bucket)
	if err != nil {
		return nil, err
	}
	for _, v := range b.objects[key] {
		if v.id == string(id) {
			return v, nil
		}
	}
	return nil, gofakes3.ErrorMessage(gofakes3.ErrNoSuchVersion, "The specified version does not exist.")
}

func (s *versionStore) GetObjectVersion(bucket, key string, id gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.version(bucket, key, id)
	if err != nil {
		return nil, err
	}
	return v.toObject(key, rng, true)
}

func (s *versionStore) HeadObjectVersion(bucket, key string, id gofakes3.VersionID) (*gofakes3.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.version(bucket, key, id)
	if err != nil {
		return nil, err
	}
	return v.toObject(key, nil, false)
}

// DeleteObjectVersion removes one version; the next newest becomes
// current. A version that does not exist is no error, as in S3.
func (s *versionStore) DeleteObjectVersion(bucket, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return gofakes3.ObjectDeleteResult{}, err
	}
	versions := b.objects[key]
	for i, v := range versions {
		if v.id != string(id) {
			continue
		}
		rest := append(append([]*vobject(nil), versions[:i]...), versions[i+1:]...)
		if len(rest) == 0 {
			delete(b.objects, key)
		} else {
			b.objects[key] = rest
		}
		return gofakes3.ObjectDeleteResult{VersionID: id, IsDeleteMarker: v.marker}, nil
	}
	return gofakes3.ObjectDeleteResult{}, nil
}

func (s *versionStore) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	for _, o := range objects {
		if _, err := s.DeleteObjectVersion(bucket, o.Key, gofakes3.VersionID(o.VersionID)); err != nil {
			return out, err
		}
		out.Deleted = append(out.Deleted, o)
	}
	return out, nil
}

// ListBucketVersions lists every version and delete marker under prefix,
// keys in order and each key's versions newest first. Pages are not
// modelled: a request for a later page is refused.
func (s *versionStore) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	if page == nil {
		page = &gofakes3.ListBucketVersionsPage{}
	}
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	if page.HasKeyMarker || page.HasVersionIDMarker {
		return nil, gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "the rig does not model pages of ListObjectVersions")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return nil, err
	}
	out := gofakes3.NewListBucketVersionsResult(bucket, prefix, page)
	var match gofakes3.PrefixMatch
	for _, key := range b.keys() {
		if !prefix.Match(key, &match) {
			continue
		}
		if match.CommonPrefix {
			out.AddPrefix(match.MatchedPart)
			continue
		}
		versions := b.objects[key]
		for i := len(versions) - 1; i >= 0; i-- {
			v := versions[i]
			latest := i == len(versions)-1
			if v.marker {
				out.Versions = append(out.Versions, &gofakes3.DeleteMarker{Key: key, VersionID: gofakes3.VersionID(v.id), IsLatest: latest, LastModified: gofakes3.NewContentTime(v.modified)})
				continue
			}
			out.Versions = append(out.Versions, &gofakes3.Version{Key: key, VersionID: gofakes3.VersionID(v.id), IsLatest: latest,
				LastModified: gofakes3.NewContentTime(v.modified), Size: int64(len(v.body)), ETag: gofakes3.FormatETag(v.hash)})
		}
	}
	return out, nil
}
