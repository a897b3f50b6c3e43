package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"lithops/partition"
)

// ObjectSource is an object as a partition.Source: its size comes from one
// Head, and every ReadRange is a ranged GET of the version that Head saw, so
// chunks planned from that size never mix two versions of the object (a
// replaced object fails the read with ErrChanged instead).
type ObjectSource struct {
	store Store
	info  ObjectInfo
}

var _ partition.Source = (*ObjectSource)(nil)

// Source heads key in s and returns it as a partition.Source.
func Source(ctx context.Context, s Store, key string) (partition.Source, error) {
	info, err := s.Head(ctx, key)
	if err != nil {
		return nil, err
	}
	return NewObjectSource(s, info), nil
}

// NewObjectSource is Source for an object already described (by List or
// Head), without another request.
func NewObjectSource(s Store, info ObjectInfo) *ObjectSource {
	return &ObjectSource{store: s, info: info}
}

// Info describes the object the source reads.
func (o *ObjectSource) Info() ObjectInfo { return o.info }

// Size implements partition.Source.
func (o *ObjectSource) Size() int64 { return o.info.Size }

// ReadRange implements partition.Source.
func (o *ObjectSource) ReadRange(ctx context.Context, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("read %s/%s at %d: negative offset", o.store, o.info.Key, offset)
	}
	length = min(length, o.info.Size-offset)
	if length <= 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if vr, ok := o.store.(VersionedReader); ok && o.info.ETag != "" {
		return vr.GetRangeVersion(ctx, o.info.Key, o.info.ETag, offset, length)
	}
	return o.store.GetRange(ctx, o.info.Key, offset, length)
}
