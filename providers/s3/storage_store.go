package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"

	"lithops/objstore"
)

// Multipart upload limits.
const (
	DefaultPartSize    = 16 << 20
	DefaultConcurrency = 4
	maxParts           = 10000
)

// Options configures a Store. Only Bucket is required.
type Options struct {
	Bucket string
	// Region defaults to the SDK's (AWS_REGION, the profile) and, with an
	// Endpoint, to us-east-1.
	Region string
	// Endpoint is the base URL of an S3-compatible service.
	Endpoint       string
	ForcePathStyle bool
	// Profile names a shared config profile.
	Profile string
	// Static credentials; empty means the SDK's default chain.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// PartSize is the multipart part size (AWS requires at least 5 MiB for
	// all parts but the last); Concurrency the parts in flight per upload.
	PartSize    int64
	Concurrency int
	// ListPageSize caps keys per ListObjectsV2 page (0: the service's 1000).
	ListPageSize int32
	// Retry is how transient failures are retried; zero means
	// objstore.DefaultRetry.
	Retry objstore.Retry
	// HTTPClient replaces the SDK's client.
	HTTPClient *http.Client
}

// api is the part of the S3 client the store calls.
type api interface {
	PutObject(context.Context, *awss3.PutObjectInput, ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	CreateMultipartUpload(context.Context, *awss3.CreateMultipartUploadInput, ...func(*awss3.Options)) (*awss3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *awss3.UploadPartInput, ...func(*awss3.Options)) (*awss3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *awss3.CompleteMultipartUploadInput, ...func(*awss3.Options)) (*awss3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *awss3.AbortMultipartUploadInput, ...func(*awss3.Options)) (*awss3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(context.Context, *awss3.ListMultipartUploadsInput, ...func(*awss3.Options)) (*awss3.ListMultipartUploadsOutput, error)
	GetObject(context.Context, *awss3.GetObjectInput, ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	HeadObject(context.Context, *awss3.HeadObjectInput, ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error)
	ListObjectsV2(context.Context, *awss3.ListObjectsV2Input, ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
	ListObjectVersions(context.Context, *awss3.ListObjectVersionsInput, ...func(*awss3.Options)) (*awss3.ListObjectVersionsOutput, error)
	DeleteObject(context.Context, *awss3.DeleteObjectInput, ...func(*awss3.Options)) (*awss3.DeleteObjectOutput, error)
	DeleteObjects(context.Context, *awss3.DeleteObjectsInput, ...func(*awss3.Options)) (*awss3.DeleteObjectsOutput, error)
	HeadBucket(context.Context, *awss3.HeadBucketInput, ...func(*awss3.Options)) (*awss3.HeadBucketOutput, error)
	CreateBucket(context.Context, *awss3.CreateBucketInput, ...func(*awss3.Options)) (*awss3.CreateBucketOutput, error)
	DeleteBucket(context.Context, *awss3.DeleteBucketInput, ...func(*awss3.Options)) (*awss3.DeleteBucketOutput, error)
}

var _ api = (*awss3.Client)(nil)

// Store is a bucket.
type Store struct {
	client      api
	bucket      string
	region      string
	partSize    int64
	concurrency int
	pageSize    int32
	retry       objstore.Retry
}

var (
	_ objstore.Store           = (*Store)(nil)
	_ objstore.Bucket          = (*Store)(nil)
	_ objstore.VersionedReader = (*Store)(nil)
)

// New makes the client. It reads the SDK's usual configuration (environment,
// shared config and credentials files) but makes no request.
func New(ctx context.Context, o Options) (*Store, error) {
	if o.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	if o.Retry == (objstore.Retry{}) {
		o.Retry = objstore.DefaultRetry()
	}
	r := o.Retry
	loads := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = r.Attempts()
				so.MaxBackoff = r.MaxDelay
				so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
					return r.Delay(attempt), nil
				})
				// The retry token bucket fails requests once many have
				// been retried, whatever their own attempts: under a burst
				// of SlowDown it would fail a job that backing off absorbs.
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(o.Profile))
	}
	if o.AccessKeyID != "" {
		loads = append(loads, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)))
	}
	if o.HTTPClient != nil {
		loads = append(loads, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("s3://%s: load AWS configuration: %w", o.Bucket, err)
	}
	if cfg.Region == "" {
		if o.Endpoint == "" {
			return nil, fmt.Errorf("s3://%s: no region: set `region` or AWS_REGION", o.Bucket)
		}
		cfg.Region = "us-east-1"
	}
	client := awss3.NewFromConfig(cfg, func(so *awss3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.ForcePathStyle
		// Checksums only where S3 requires them: S3-compatible stores do
		// not all accept the trailing checksums the SDK sends otherwise.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	s := &Store{
		client:      client,
		bucket:      o.Bucket,
		region:      cfg.Region,
		partSize:    o.PartSize,
		concurrency: o.Concurrency,
		pageSize:    o.ListPageSize,
		retry:       r,
	}
	if s.partSize <= 0 {
		s.partSize = DefaultPartSize
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	return s, nil
}

// Region is the region the client signs for.
func (s *Store) Region() string { return s.region }

// String implements objstore.Store.
func (s *Store) String() string { return "s3://" + s.bucket }

func (s *Store) url(key string) string { return "s3://" + s.bucket + "/" + key }

// Put implements objstore.Store. Objects up to the part size go up in one
// PutObject; larger ones (or of unknown size past one part) in a multipart
// upload with Concurrency parts in flight, aborted if any part fails.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (objstore.ObjectInfo, error) {
	info, err := s.put(ctx, key, r, size)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("put %s: %w", s.url(key), err)
	}
	return info, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, size int64) (objstore.ObjectInfo, error) {
	partSize := s.partSize
	if size > 0 {
		partSize = max(partSize, (size+maxParts-1)/maxParts)
	}
	first, err := objstore.ReadUpTo(r, partSize)
	switch {
	case err != nil:
		return objstore.ObjectInfo{}, err
	case int64(len(first)) < partSize:
		return s.putSingle(ctx, key, first)
	}
	var one [1]byte
	m, err := io.ReadFull(r, one[:])
	switch {
	case m == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		return s.putSingle(ctx, key, first)
	case err != nil:
		return objstore.ObjectInfo{}, err
	}
	return s.putMultipart(ctx, key, first, io.MultiReader(bytes.NewReader(one[:]), r))
}

func (s *Store) putSingle(ctx context.Context, key string, data []byte) (objstore.ObjectInfo, error) {
	out, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return objstore.ObjectInfo{}, mapErr(err)
	}
	return objstore.ObjectInfo{Key: key, Size: int64(len(data)), ETag: aws.ToString(out.ETag)}, nil
}

func (s *Store) putMultipart(ctx context.Context, key string, first []byte, rest io.Reader) (info objstore.ObjectInfo, err error) {
	created, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return objstore.ObjectInfo{}, mapErr(err)
	}
	id := created.UploadId
	defer func() {
		if err != nil {
			// Abort even when ctx was cancelled: parts left behind cost money.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if _, aerr := s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: id}); aerr != nil {
				err = fmt.Errorf("%w (and aborting the upload failed: %v)", err, aerr)
			}
		}
	}()
	partSize := int64(len(first))
	free := make(chan []byte, s.concurrency+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency)
	var (
		mu    sync.Mutex
		parts []types.CompletedPart
		total int64
	)
	buf := first
	for num := int32(1); ; num++ {
		if num > maxParts {
			g.Wait()
			return objstore.ObjectInfo{}, fmt.Errorf("more than %d parts of %d bytes", maxParts, partSize)
		}
		body, pn := buf, num
		total += int64(len(body))
		g.Go(func() error {
			out, err := s.client.UploadPart(gctx, &awss3.UploadPartInput{
				Bucket: &s.bucket, Key: &key, UploadId: id,
				PartNumber:    aws.Int32(pn),
				Body:          bytes.NewReader(body),
				ContentLength: aws.Int64(int64(len(body))),
			})
			free <- body[:partSize] // every buffer has room for a part
			if err != nil {
				return fmt.Errorf("part %d: %w", pn, mapErr(err))
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(pn)})
			mu.Unlock()
			return nil
		})
		select {
		case buf = <-free:
		default:
			buf = make([]byte, partSize)
		}
		n, rerr := io.ReadFull(rest, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			g.Wait()
			return objstore.ObjectInfo{}, rerr
		}
		if n == 0 {
			break
		}
		buf = buf[:n]
		if gctx.Err() != nil {
			break // a part failed: stop reading
		}
	}
	if err := g.Wait(); err != nil {
		return objstore.ObjectInfo{}, err
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
	out, err := s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return objstore.ObjectInfo{}, mapErr(err)
	}
	return objstore.ObjectInfo{Key: key, Size: total, ETag: aws.ToString(out.ETag)}, nil
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

// get opens length bytes from offset (the rest of the object when length
// is negative) of the version etag ("" for the current one), as a reader
// that resumes after a reset with the version pinned.
func (s *Store) get(ctx context.Context, key, etag string, offset, length int64) (io.ReadCloser, objstore.ObjectInfo, error) {
	out, err := s.getObject(ctx, key, etag, offset, length)
	if err != nil {
		var invalid bool
		if offset > 0 || length > 0 {
			invalid = code(err) == "InvalidRange" || status(err) == http.StatusRequestedRangeNotSatisfiable
		}
		if invalid { // the range starts at or past the end
			info, herr := s.Head(ctx, key)
			if herr != nil {
				return nil, objstore.ObjectInfo{}, herr
			}
			if etag != "" && info.ETag != etag {
				return nil, objstore.ObjectInfo{}, changed(info.ETag, etag)
			}
			return io.NopCloser(bytes.NewReader(nil)), info, nil
		}
		return nil, objstore.ObjectInfo{}, err
	}
	info := objstore.ObjectInfo{Key: key, ETag: aws.ToString(out.ETag), Modified: aws.ToTime(out.LastModified)}
	n := aws.ToInt64(out.ContentLength)
	info.Size = n
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		info.Size = total
	}
	pinned := info.ETag
	open := func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
		out, err := s.getObject(ctx, key, pinned, off, n)
		if err != nil {
			return nil, err
		}
		return out.Body, nil
	}
	return objstore.Resume(ctx, out.Body, open, offset, n, s.retry, objstore.TransientNetError), info, nil
}

// getObject is one GetObject; with etag, a different version is ErrChanged
// (checked on the response too: not every S3-compatible store honours
// If-Match on reads).
func (s *Store) getObject(ctx context.Context, key, etag string, offset, length int64) (*awss3.GetObjectOutput, error) {
	in := &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if length > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	} else if offset > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		if status(err) == http.StatusPreconditionFailed {
			return nil, fmt.Errorf("%w (want ETag %s)", objstore.ErrChanged, etag)
		}
		return nil, mapErr(err)
	}
	if got := aws.ToString(out.ETag); etag != "" && got != etag {
		out.Body.Close()
		return nil, changed(got, etag)
	}
	return out, nil
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

// Head implements objstore.Store.
func (s *Store) Head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("head %s: %w", s.url(key), mapErr(err))
	}
	return objstore.ObjectInfo{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		ETag:     aws.ToString(out.ETag),
		Modified: aws.ToTime(out.LastModified),
	}, nil
}

// List implements objstore.Store with ListObjectsV2, page by page.
func (s *Store) List(ctx context.Context, prefix string, fn func(objstore.ObjectInfo) error) error {
	in := &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	pages := awss3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", s.url(prefix), mapErr(err))
		}
		for _, o := range page.Contents {
			err := fn(objstore.ObjectInfo{
				Key:      aws.ToString(o.Key),
				Size:     aws.ToInt64(o.Size),
				ETag:     aws.ToString(o.ETag),
				Modified: aws.ToTime(o.LastModified),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements objstore.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && code(err) != "NoSuchKey" {
		return fmt.Errorf("delete %s: %w", s.url(key), mapErr(err))
	}
	return nil
}

// Exists implements objstore.Bucket.
func (s *Store) Exists(ctx context.Context) (bool, error) {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.bucket})
	switch {
	case err == nil:
		return true, nil
	case status(err) == http.StatusNotFound:
		return false, nil
	case status(err) == http.StatusMovedPermanently:
		return false, fmt.Errorf("head %s: the bucket is in another region than %s", s, s.region)
	case status(err) == http.StatusForbidden:
		return false, fmt.Errorf("head %s: access denied (the bucket may belong to another account)", s)
	}
	return false, fmt.Errorf("head %s: %w", s, err)
}

// Create implements objstore.Bucket.
func (s *Store) Create(ctx context.Context) error {
	in := &awss3.CreateBucketInput{Bucket: &s.bucket}
	if s.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(s.region)}
	}
	if _, err := s.client.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("create %s: %w", s, mapErr(err))
	}
	return nil
}

// Remove implements objstore.Bucket.
func (s *Store) Remove(ctx context.Context) error {
	if _, err := s.client.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("delete %s: %w", s, mapErr(err))
	}
	return nil
}

// Empty deletes every object of the bucket, every older version and delete
// marker when it is versioned, and aborts unfinished multipart uploads, so
// that the bucket can be removed. It returns how many objects and versions
// it deleted.
func (s *Store) Empty(ctx context.Context) (int, error) {
	n, err := s.emptyVersions(ctx)
	if code(err) == "NotImplemented" || status(err) == http.StatusNotImplemented {
		err = nil // a store without versioning
	}
	if err == nil {
		// Some S3-compatible stores list no versions of an unversioned
		// bucket's objects: delete what is still listed.
		var m int
		m, err = s.emptyObjects(ctx)
		n += m
	}
	if err == nil {
		err = s.abortUploads(ctx)
	}
	if err != nil {
		return n, fmt.Errorf("empty %s: %w", s, err)
	}
	return n, nil
}

func (s *Store) emptyVersions(ctx context.Context) (int, error) {
	deleted := 0
	pages := awss3.NewListObjectVersionsPaginator(s.client, &awss3.ListObjectVersionsInput{Bucket: &s.bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return deleted, mapErr(err)
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		n, err := s.deleteBatch(ctx, ids)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

func (s *Store) emptyObjects(ctx context.Context) (int, error) {
	deleted := 0
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return deleted, mapErr(err)
		}
		var ids []types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		}
		n, err := s.deleteBatch(ctx, ids)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// deleteBatch deletes up to 1000 objects in one DeleteObjects.
func (s *Store) deleteBatch(ctx context.Context, ids []types.ObjectIdentifier) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	out, err := s.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{
		Bucket: &s.bucket,
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return 0, mapErr(err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return len(ids) - len(out.Errors), fmt.Errorf("delete %s: %s: %s (and %d more)",
			s.url(aws.ToString(e.Key)), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
	}
	return len(ids), nil
}

func (s *Store) abortUploads(ctx context.Context) error {
	in := &awss3.ListMultipartUploadsInput{Bucket: &s.bucket}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			// gofakes3 answers NoSuchUpload when there is none.
			if code(err) == "NotImplemented" || code(err) == "NoSuchUpload" {
				return nil
			}
			return mapErr(err)
		}
		for _, u := range out.Uploads {
			_, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && code(err) != "NoSuchUpload" {
				return mapErr(err)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// mapErr turns S3's "not found" answers into objstore.ErrNotExist.
func mapErr(err error) error {
	switch code(err) {
	case "NoSuchKey", "NoSuchBucket", "NotFound":
		return fmt.Errorf("%w (%s)", objstore.ErrNotExist, code(err))
	}
	if status(err) == http.StatusNotFound {
		return fmt.Errorf("%w (HTTP 404)", objstore.ErrNotExist)
	}
	return err
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
