package gcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	gs "google.golang.org/api/storage/v1"

	"lithops/objstore"
)

// DefaultChunkSize is the resumable upload chunk size; objects up to it go
// up in one request.
const DefaultChunkSize = 16 << 20

// Options configures a Store. Only Bucket is required.
type Options struct {
	Bucket string
	// Project and Location are needed only to create the bucket.
	Project  string
	Location string
	// Endpoint is the JSON API's base URL ("http://127.0.0.1:4443" for an
	// emulator); "/storage/v1/" is added when it has no path.
	Endpoint string
	// Anonymous sends no credentials (emulators, public buckets).
	Anonymous bool
	// ChunkSize is the resumable upload chunk (a multiple of 256 KiB).
	ChunkSize int
	// ListPageSize caps objects per list page (0: the service's 1000).
	ListPageSize int64
	// Retry is how transient failures are retried; zero means
	// objstore.DefaultRetry.
	Retry objstore.Retry
	// HTTPClient replaces the authenticated client (it must add
	// credentials itself, if any are needed).
	HTTPClient *http.Client
}

// Store is a bucket.
type Store struct {
	svc       *gs.Service
	bucket    string
	project   string
	location  string
	chunkSize int
	pageSize  int64
	retry     objstore.Retry
}

var (
	_ objstore.Store           = (*Store)(nil)
	_ objstore.Bucket          = (*Store)(nil)
	_ objstore.VersionedReader = (*Store)(nil)
)

// New makes the client. It finds credentials (unless Anonymous or an
// HTTPClient is given) but makes no request.
func New(ctx context.Context, o Options) (*Store, error) {
	if o.Bucket == "" {
		return nil, errors.New("gcs: no bucket")
	}
	if o.Retry == (objstore.Retry{}) {
		o.Retry = objstore.DefaultRetry()
	}
	var opts []option.ClientOption
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("gs://%s: endpoint: %w", o.Bucket, err)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/storage/v1/"
		}
		opts = append(opts, option.WithEndpoint(u.String()))
	}
	switch {
	case o.HTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	case o.Anonymous:
		opts = append(opts, option.WithoutAuthentication())
	default:
		opts = append(opts, option.WithScopes(gs.DevstorageReadWriteScope))
	}
	svc, err := gs.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gs://%s: %w", o.Bucket, err)
	}
	s := &Store{svc: svc, bucket: o.Bucket, project: o.Project, location: o.Location,
		chunkSize: o.ChunkSize, pageSize: o.ListPageSize, retry: o.Retry}
	if s.chunkSize <= 0 {
		s.chunkSize = DefaultChunkSize
	}
	return s, nil
}

// String implements objstore.Store.
func (s *Store) String() string { return "gs://" + s.bucket }

func (s *Store) url(key string) string { return "gs://" + s.bucket + "/" + key }

// transient reports whether a request is worth retrying.
func transient(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return objstore.TransientStatus(ge.Code)
	}
	return objstore.TransientNetError(err)
}

// do runs op with the store's retries.
func (s *Store) do(ctx context.Context, op func(context.Context) error) error {
	return s.retry.Do(ctx, transient, op)
}

// chunkDeadline bounds the retries of one resumable chunk: the library
// retries a chunk until this long after its first attempt.
func (s *Store) chunkDeadline() time.Duration {
	var d time.Duration
	for n := 1; n < s.retry.Attempts(); n++ {
		d += s.retry.Backoff(n)
	}
	// The failure count (put) is what bounds retries; the deadline is a
	// backstop, generous enough not to cut a slow but healthy retry short.
	return max(2*d, 10*time.Second)
}

// Put implements objstore.Store. An object up to the chunk size goes up in
// one request, retried whole; a larger one in a resumable upload whose
// chunks are retried by the library.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (objstore.ObjectInfo, error) {
	info, err := s.put(ctx, key, r)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("put %s: %w", s.url(key), mapErr(err))
	}
	return info, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader) (objstore.ObjectInfo, error) {
	first, err := objstore.ReadUpTo(r, int64(s.chunkSize)+1)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	n := len(first)
	var obj *gs.Object
	if n <= s.chunkSize {
		err = s.do(ctx, func(ctx context.Context) error {
			var err error
			obj, err = s.svc.Objects.Insert(s.bucket, &gs.Object{Name: key}).
				Media(bytes.NewReader(first[:n]), googleapi.ChunkSize(0), googleapi.ContentType("application/octet-stream")).
				Context(ctx).Do()
			return err
		})
	} else {
		// The library retries the session's first request until ctx ends,
		// and each chunk until the chunk deadline: count failures since the
		// last chunk went through, and stop at the configured attempts.
		var failures atomic.Int32
		retryable := func(err error) bool {
			return transient(err) && int(failures.Add(1)) < s.retry.Attempts()
		}
		bo := &gax.Backoff{Initial: max(s.retry.BaseDelay, time.Millisecond), Max: s.retry.MaxDelay, Multiplier: 2}
		obj, err = s.svc.Objects.Insert(s.bucket, &gs.Object{Name: key}).
			Media(io.MultiReader(bytes.NewReader(first[:n]), r),
				googleapi.ChunkSize(s.chunkSize),
				googleapi.ChunkRetryDeadline(s.chunkDeadline()),
				googleapi.ContentType("application/octet-stream")).
			WithRetry(bo, retryable).
			ProgressUpdater(func(int64, int64) { failures.Store(0) }).
			Context(ctx).Do()
	}
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return objectInfo(obj), nil
}

func objectInfo(o *gs.Object) objstore.ObjectInfo {
	t, _ := time.Parse(time.RFC3339Nano, o.Updated)
	return objstore.ObjectInfo{Key: o.Name, Size: int64(o.Size), ETag: strconv.FormatInt(o.Generation, 10), Modified: t}
}

// Get implements objstore.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, objstore.ObjectInfo, error) {
	rc, info, err := s.get(ctx, key, "", 0, -1)
	if err != nil {
		return nil, objstore.ObjectInfo{}, fmt.Errorf("get %s: %w", s.url(key), err)
	}
	return rc, info, nil
}

// GetRange implements objstore.Store.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	return s.GetRangeVersion(ctx, key, "", offset, length)
}

// GetRangeVersion implements objstore.VersionedReader; etag is the object's
// generation.
func (s *Store) GetRangeVersion(ctx context.Context, key, etag string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("get range %s: negative offset %d", s.url(key), offset)
	}
	if length <= 0 {
		if _, err := s.Head(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	rc, _, err := s.get(ctx, key, etag, offset, length)
	if err != nil {
		return nil, fmt.Errorf("get range %s: %w", s.url(key), err)
	}
	return rc, nil
}

func (s *Store) get(ctx context.Context, key, generation string, offset, length int64) (io.ReadCloser, objstore.ObjectInfo, error) {
	resp, err := s.download(ctx, key, generation, offset, length)
	if err != nil {
		var ge *googleapi.Error
		if errors.As(err, &ge) && ge.Code == http.StatusRequestedRangeNotSatisfiable {
			info, herr := s.head(ctx, key)
			if herr != nil {
				return nil, objstore.ObjectInfo{}, mapErr(herr)
			}
			if generation != "" && info.ETag != generation {
				return nil, objstore.ObjectInfo{}, changed(info.ETag, generation)
			}
			return io.NopCloser(bytes.NewReader(nil)), info, nil
		}
		return nil, objstore.ObjectInfo{}, mapErr(err)
	}
	info := objstore.ObjectInfo{Key: key, ETag: resp.Header.Get("X-Goog-Generation"), Size: resp.ContentLength}
	info.Modified, _ = http.ParseTime(resp.Header.Get("Last-Modified"))
	if total, ok := rangeTotal(resp.Header.Get("Content-Range")); ok {
		info.Size = total
	}
	pinned := info.ETag
	open := func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
		resp, err := s.download(ctx, key, pinned, off, n)
		if err != nil {
			return nil, mapErr(err)
		}
		return resp.Body, nil
	}
	return objstore.Resume(ctx, resp.Body, open, offset, resp.ContentLength, s.retry, transient), info, nil
}

// download is one media GET, retried; with a generation, another
// generation is ErrChanged.
func (s *Store) download(ctx context.Context, key, generation string, offset, length int64) (*http.Response, error) {
	var resp *http.Response
	err := s.do(ctx, func(ctx context.Context) error {
		call := s.svc.Objects.Get(s.bucket, key).Context(ctx)
		if generation != "" {
			g, err := strconv.ParseInt(generation, 10, 64)
			if err != nil {
				return fmt.Errorf("generation %q: %w", generation, err)
			}
			call.IfGenerationMatch(g)
		}
		switch {
		case length > 0:
			call.Header().Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
		case offset > 0:
			call.Header().Set("Range", fmt.Sprintf("bytes=%d-", offset))
		}
		var err error
		resp, err = call.Download()
		return err
	})
	if err != nil {
		var ge *googleapi.Error
		if errors.As(err, &ge) && ge.Code == http.StatusPreconditionFailed {
			return nil, fmt.Errorf("%w (want generation %s)", objstore.ErrChanged, generation)
		}
		return nil, err
	}
	if got := resp.Header.Get("X-Goog-Generation"); generation != "" && got != generation {
		resp.Body.Close()
		return nil, changed(got, generation)
	}
	return resp, nil
}

func changed(got, want string) error {
	return fmt.Errorf("%w (generation %s, want %s)", objstore.ErrChanged, got, want)
}

// rangeTotal parses the size out of "bytes 0-9/100".
func rangeTotal(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(cr[i+1:], 10, 64)
	return n, err == nil
}

const objectFields = "name,size,generation,updated"

func (s *Store) head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	var obj *gs.Object
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		obj, err = s.svc.Objects.Get(s.bucket, key).Fields(objectFields).Context(ctx).Do()
		return err
	})
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return objectInfo(obj), nil
}

// Head implements objstore.Store.
func (s *Store) Head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	info, err := s.head(ctx, key)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("head %s: %w", s.url(key), mapErr(err))
	}
	return info, nil
}

// List implements objstore.Store, page by page, each page retried.
func (s *Store) List(ctx context.Context, prefix string, fn func(objstore.ObjectInfo) error) error {
	token := ""
	for {
		var page *gs.Objects
		err := s.do(ctx, func(ctx context.Context) error {
			call := s.svc.Objects.List(s.bucket).Prefix(prefix).PageToken(token).
				Fields(googleapi.Field("nextPageToken,items(" + objectFields + ")")).Context(ctx)
			if s.pageSize > 0 {
				call.MaxResults(s.pageSize)
			}
			var err error
			page, err = call.Do()
			return err
		})
		if err != nil {
			return fmt.Errorf("list %s: %w", s.url(prefix), mapErr(err))
		}
		for _, o := range page.Items {
			if err := fn(objectInfo(o)); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
}

// Delete implements objstore.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.do(ctx, func(ctx context.Context) error {
		return s.svc.Objects.Delete(s.bucket, key).Context(ctx).Do()
	})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", s.url(key), mapErr(err))
	}
	return nil
}

// Exists implements objstore.Bucket.
func (s *Store) Exists(ctx context.Context) (bool, error) {
	err := s.do(ctx, func(ctx context.Context) error {
		_, err := s.svc.Buckets.Get(s.bucket).Fields("name").Context(ctx).Do()
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("get %s: %w", s, err)
}

// Create implements objstore.Bucket, in Options.Project and Location.
func (s *Store) Create(ctx context.Context) error {
	if s.project == "" {
		return fmt.Errorf("create %s: no project to create the bucket in", s)
	}
	err := s.do(ctx, func(ctx context.Context) error {
		_, err := s.svc.Buckets.Insert(s.project, &gs.Bucket{Name: s.bucket, Location: s.location}).Context(ctx).Do()
		return err
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", s, err)
	}
	return nil
}

// Remove implements objstore.Bucket.
func (s *Store) Remove(ctx context.Context) error {
	err := s.do(ctx, func(ctx context.Context) error {
		return s.svc.Buckets.Delete(s.bucket).Context(ctx).Do()
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", s, mapErr(err))
	}
	return nil
}

// Empty deletes every object of the bucket, noncurrent generations
// included, so that the bucket can be removed.
func (s *Store) Empty(ctx context.Context) (int, error) {
	type version struct {
		name string
		gen  int64
	}
	var all []version
	token := ""
	for {
		var page *gs.Objects
		err := s.do(ctx, func(ctx context.Context) error {
			var err error
			page, err = s.svc.Objects.List(s.bucket).Versions(true).PageToken(token).
				Fields("nextPageToken,items(name,generation)").Context(ctx).Do()
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("empty %s: %w", s, mapErr(err))
		}
		for _, o := range page.Items {
			all = append(all, version{o.Name, o.Generation})
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	deleted := 0
	for _, v := range all {
		err := s.do(ctx, func(ctx context.Context) error {
			return s.svc.Objects.Delete(s.bucket, v.name).Generation(v.gen).Context(ctx).Do()
		})
		if err != nil && !isNotFound(err) {
			return deleted, fmt.Errorf("empty %s: delete %s#%d: %w", s, s.url(v.name), v.gen, err)
		}
		deleted++
	}
	return deleted, nil
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// mapErr turns "not found" into objstore.ErrNotExist.
func mapErr(err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w (HTTP 404)", objstore.ErrNotExist)
	}
	return err
}
