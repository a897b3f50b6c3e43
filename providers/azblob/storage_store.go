package azblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"lithops/objstore"
)

// Block upload defaults.
const (
	DefaultBlockSize   = 16 << 20
	DefaultConcurrency = 4
)

// Options configures a Store: Container, and either ConnectionString or
// Account (with AccountKey, or DefaultAzureCredential without).
type Options struct {
	Account   string
	Container string
	// Endpoint is the blob service URL; default
	// https://<account>.blob.core.windows.net/.
	Endpoint         string
	AccountKey       string
	ConnectionString string
	// BlockSize is the block size of large uploads (objects up to it go up
	// in one request); Concurrency the blocks in flight per upload.
	BlockSize   int64
	Concurrency int
	// ListPageSize caps blobs per list page (0: the service's 5000).
	ListPageSize int32
	// Retry is how transient failures are retried; zero means
	// objstore.DefaultRetry.
	Retry objstore.Retry
	// Transport replaces the SDK's HTTP client (tests).
	Transport policy.Transporter
}

// Store is a container.
type Store struct {
	client      *container.Client
	name        string // azblob://account/container
	blockSize   int64
	concurrency int
	pageSize    int32
	retry       objstore.Retry
}

var (
	_ objstore.Store           = (*Store)(nil)
	_ objstore.Bucket          = (*Store)(nil)
	_ objstore.VersionedReader = (*Store)(nil)
)

// New makes the client; it makes no request.
func New(ctx context.Context, o Options) (*Store, error) {
	if o.Container == "" {
		return nil, errors.New("azure blob: no container")
	}
	if o.Retry == (objstore.Retry{}) {
		o.Retry = objstore.DefaultRetry()
	}
	copts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(o.Retry.Attempts() - 1),
			RetryDelay:    o.Retry.BaseDelay,
			MaxRetryDelay: o.Retry.MaxDelay,
		},
		Transport: o.Transport,
	}}
	if o.Retry.Attempts() == 1 {
		copts.Retry.MaxRetries = -1
	}
	var (
		c   *container.Client
		err error
	)
	switch {
	case o.ConnectionString != "":
		c, err = container.NewClientFromConnectionString(o.ConnectionString, o.Container, copts)
	case o.Account == "":
		return nil, fmt.Errorf("azure blob container %q: no account and no connection string", o.Container)
	case o.AccountKey != "":
		var cred *container.SharedKeyCredential
		cred, err = container.NewSharedKeyCredential(o.Account, o.AccountKey)
		if err == nil {
			c, err = container.NewClientWithSharedKeyCredential(containerURL(o), cred, copts)
		}
	default:
		var cred *azidentity.DefaultAzureCredential
		cred, err = azidentity.NewDefaultAzureCredential(nil)
		if err == nil {
			c, err = container.NewClient(containerURL(o), cred, copts)
		}
	}
	if err != nil {
		// Never echo the connection string or key: the SDK's parse errors
		// are about their shape only.
		return nil, fmt.Errorf("azure blob container %q: %w", o.Container, err)
	}
	s := &Store{
		client:      c,
		name:        "azblob://" + accountOf(c.URL(), o.Account) + "/" + o.Container,
		blockSize:   o.BlockSize,
		concurrency: o.Concurrency,
		pageSize:    o.ListPageSize,
		retry:       o.Retry,
	}
	if s.blockSize <= 0 {
		s.blockSize = DefaultBlockSize
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	return s, nil
}

func containerURL(o Options) string {
	base := o.Endpoint
	if base == "" {
		base = "https://" + o.Account + ".blob.core.windows.net/"
	}
	return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(o.Container)
}

// accountOf names the account of a container URL: the first label of the
// host, or the first path segment for path-style (emulator) URLs.
func accountOf(containerURL, account string) string {
	if account != "" {
		return account
	}
	u, err := url.Parse(containerURL)
	if err != nil {
		return "?"
	}
	if segs := strings.Split(strings.Trim(u.Path, "/"), "/"); len(segs) == 2 {
		return segs[0]
	}
	host, _, _ := strings.Cut(u.Hostname(), ".")
	return host
}

// String implements objstore.Store.
func (s *Store) String() string { return s.name }

func (s *Store) url(key string) string { return s.name + "/" + key }

// Put implements objstore.Store. An object up to the block size goes up in
// one Put Blob; a larger one as blocks (Concurrency in flight) committed
// with Put Block List.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (objstore.ObjectInfo, error) {
	info, err := s.put(ctx, key, r)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("put %s: %w", s.url(key), mapErr(err))
	}
	return info, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader) (objstore.ObjectInfo, error) {
	bb := s.client.NewBlockBlobClient(key)
	first, err := objstore.ReadUpTo(r, s.blockSize+1)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	n := len(first)
	if int64(n) <= s.blockSize {
		resp, err := bb.Upload(ctx, nopCloser{bytes.NewReader(first[:n])}, nil)
		if err != nil {
			return objstore.ObjectInfo{}, err
		}
		return objstore.ObjectInfo{Key: key, Size: int64(n), ETag: etag(resp.ETag), Modified: deref(resp.LastModified)}, nil
	}
	counted := &counter{r: io.MultiReader(bytes.NewReader(first[:n]), r)}
	resp, err := bb.UploadStream(ctx, counted, &blockblob.UploadStreamOptions{BlockSize: s.blockSize, Concurrency: s.concurrency})
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return objstore.ObjectInfo{Key: key, Size: counted.n, ETag: etag(resp.ETag), Modified: deref(resp.LastModified)}, nil
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func etag(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
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

// GetRangeVersion implements objstore.VersionedReader.
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

func (s *Store) get(ctx context.Context, key, version string, offset, length int64) (io.ReadCloser, objstore.ObjectInfo, error) {
	resp, err := s.download(ctx, key, version, offset, length)
	if err != nil {
		if bloberror.HasCode(err, bloberror.InvalidRange) {
			info, herr := s.head(ctx, key)
			if herr != nil {
				return nil, objstore.ObjectInfo{}, mapErr(herr)
			}
			if version != "" && info.ETag != version {
				return nil, objstore.ObjectInfo{}, changed(info.ETag, version)
			}
			return io.NopCloser(bytes.NewReader(nil)), info, nil
		}
		return nil, objstore.ObjectInfo{}, mapErr(err)
	}
	n := deref(resp.ContentLength)
	info := objstore.ObjectInfo{Key: key, Size: n, ETag: etag(resp.ETag), Modified: deref(resp.LastModified)}
	if total, ok := rangeTotal(deref(resp.ContentRange)); ok {
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
	return objstore.Resume(ctx, resp.Body, open, offset, n, s.retry, objstore.TransientNetError), info, nil
}

func (s *Store) download(ctx context.Context, key, version string, offset, length int64) (blob.DownloadStreamResponse, error) {
	opts := &blob.DownloadStreamOptions{}
	if offset > 0 || length > 0 {
		opts.Range = blob.HTTPRange{Offset: offset, Count: max(length, 0)}
	}
	if version != "" {
		e := azcore.ETag(version)
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	resp, err := s.client.NewBlobClient(key).DownloadStream(ctx, opts)
	if err != nil {
		if bloberror.HasCode(err, bloberror.ConditionNotMet) {
			return resp, fmt.Errorf("%w (want ETag %s)", objstore.ErrChanged, version)
		}
		return resp, err
	}
	if got := etag(resp.ETag); version != "" && got != version {
		resp.Body.Close()
		return resp, changed(got, version)
	}
	return resp, nil
}

func changed(got, want string) error {
	return fmt.Errorf("%w (ETag %s, want %s)", objstore.ErrChanged, got, want)
}

// rangeTotal parses the size out of "bytes 0-9/100".
func rangeTotal(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if i < 0 {
		return 0, false
	}
	var n int64
	if _, err := fmt.Sscan(cr[i+1:], &n); err != nil {
		return 0, false
	}
	return n, true
}

func (s *Store) head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	p, err := s.client.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return objstore.ObjectInfo{Key: key, Size: deref(p.ContentLength), ETag: etag(p.ETag), Modified: deref(p.LastModified)}, nil
}

// Head implements objstore.Store.
func (s *Store) Head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	info, err := s.head(ctx, key)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("head %s: %w", s.url(key), mapErr(err))
	}
	return info, nil
}

// List implements objstore.Store, page by page.
func (s *Store) List(ctx context.Context, prefix string, fn func(objstore.ObjectInfo) error) error {
	opts := &container.ListBlobsFlatOptions{Prefix: &prefix}
	if s.pageSize > 0 {
		opts.MaxResults = &s.pageSize
	}
	pages := s.client.NewListBlobsFlatPager(opts)
	for pages.More() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", s.url(prefix), mapErr(err))
		}
		for _, b := range page.Segment.BlobItems {
			info := objstore.ObjectInfo{Key: deref(b.Name)}
			if p := b.Properties; p != nil {
				info.Size = deref(p.ContentLength)
				info.ETag = etag(p.ETag)
				info.Modified = deref(p.LastModified)
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements objstore.Store; the blob's snapshots go with it.
func (s *Store) Delete(ctx context.Context, key string) error {
	include := blob.DeleteSnapshotsOptionTypeInclude
	_, err := s.client.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: &include})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return fmt.Errorf("delete %s: %w", s.url(key), mapErr(err))
	}
	return nil
}

// Exists implements objstore.Bucket.
func (s *Store) Exists(ctx context.Context) (bool, error) {
	_, err := s.client.GetProperties(ctx, nil)
	switch {
	case err == nil:
		return true, nil
	case bloberror.HasCode(err, bloberror.ContainerNotFound, bloberror.ContainerBeingDeleted):
		return false, nil
	}
	return false, fmt.Errorf("get %s: %w", s, err)
}

// Create implements objstore.Bucket. A container deleted a moment ago
// cannot be created again at once (Azure answers ContainerBeingDeleted for
// a while): Create waits for that, within ctx.
func (s *Store) Create(ctx context.Context) error {
	for {
		_, err := s.client.Create(ctx, nil)
		if err == nil {
			return nil
		}
		if !bloberror.HasCode(err, bloberror.ContainerBeingDeleted) {
			return fmt.Errorf("create %s: %w", s, err)
		}
		if err := objstore.Sleep(ctx, 2*time.Second); err != nil {
			return fmt.Errorf("create %s: still being deleted: %w", s, err)
		}
	}
}

// Remove implements objstore.Bucket. Azure deletes a container with the
// blobs it holds: callers that must not lose objects check first (the
// container resource does, unless force_destroy).
func (s *Store) Remove(ctx context.Context) error {
	if _, err := s.client.Delete(ctx, nil); err != nil {
		return fmt.Errorf("delete %s: %w", s, mapErr(err))
	}
	return nil
}

// mapErr turns "not found" into objstore.ErrNotExist.
func mapErr(err error) error {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound, bloberror.ResourceNotFound) {
		var re *azcore.ResponseError
		code := "not found"
		if errors.As(err, &re) {
			code = re.ErrorCode
		}
		return fmt.Errorf("%w (%s)", objstore.ErrNotExist, code)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w (HTTP 404)", objstore.ErrNotExist)
	}
	return err
}
