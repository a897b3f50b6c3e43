package objstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotExist is returned (possibly wrapped) for a missing object or bucket.
var ErrNotExist = errors.New("object does not exist")

// Store is a bucket (or container, or directory) of objects addressed by
// slash-separated keys.
type Store interface {
	// String names the store for messages: "s3://bucket", "gs://bucket",
	// "azblob://account/container", "file:///abs/dir".
	String() string
	// Put writes the object; size is -1 when unknown. Large objects go up in
	// parts (multipart or resumable uploads).
	Put(ctx context.Context, key string, r io.Reader, size int64) (ObjectInfo, error)
	// Get opens the whole object.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// GetRange opens length bytes from offset (a ranged read); a range past
	// the end is truncated to the object.
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Head describes the object without reading it.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// List calls fn for every object whose key starts with prefix, in key
	// order, following pagination. fn returning an error stops the listing.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Delete removes the object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// ObjectInfo describes an object.
type ObjectInfo struct {
	Key      string
	Size     int64
	ETag     string // content version as the backend reports it
	Modified time.Time
}

// Bucket is implemented by stores whose bucket itself can be created and
// removed (the storage resource's lifecycle).
type Bucket interface {
	// Exists reports whether the bucket exists and is reachable.
	Exists(ctx context.Context) (bool, error)
	Create(ctx context.Context) error
	// Remove deletes the bucket, which must be empty.
	Remove(ctx context.Context) error
}
