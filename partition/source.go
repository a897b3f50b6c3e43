package partition

import (
	"context"
	"io"
)

// Source is a sized byte sequence that can be read by ranges: a local file,
// or an object read with ranged GETs.
type Source interface {
	Size() int64
	// ReadRange streams length bytes from offset; a range past the end is
	// truncated.
	ReadRange(ctx context.Context, offset, length int64) (io.ReadCloser, error)
}
