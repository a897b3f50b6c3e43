package objstore

import (
	"context"
	"errors"
	"io"
)

// ErrChanged is returned (possibly wrapped) when an object was replaced
// while it was being read in ranges: its ETag no longer matches the one its
// first read or Head saw. Reading on would splice two versions together.
var ErrChanged = errors.New("object changed while being read")

// VersionedReader is implemented by stores that can read a range of one
// version of an object, named by the ETag that Head or Put reported. Every
// store in this project implements it; Source uses it so that the chunks of
// one partitioned object all come from the same version.
type VersionedReader interface {
	// GetRangeVersion is GetRange that fails with ErrChanged when the
	// object's ETag is no longer etag.
	GetRangeVersion(ctx context.Context, key, etag string, offset, length int64) (io.ReadCloser, error)
}
