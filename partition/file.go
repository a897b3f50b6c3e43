package partition

import (
	"context"
	"fmt"
	"io"
	"os"
)

// File is a local file as a Source. Close it when done.
type File struct {
	f    *os.File
	size int64
}

var _ Source = (*File)(nil)

// OpenFile opens path for ranged reads.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return &File{f: f, size: st.Size()}, nil
}

// Size implements Source.
func (f *File) Size() int64 { return f.size }

// ReadRange implements Source.
func (f *File) ReadRange(ctx context.Context, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	length = max(0, min(length, f.size-offset))
	return io.NopCloser(io.NewSectionReader(f.f, offset, length)), nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
