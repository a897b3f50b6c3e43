package partition

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"lithops/sched"
)

// window is how much is read at a time while looking for a line boundary.
const window = 64 << 10

// Open returns a reader of exactly the bytes of chunk r of src.
//
// Without r.Newline these are the bytes [Offset, Offset+Length). With it, a
// chunk holds every line that begins inside its nominal range: it starts at
// the first line beginning at or after Offset, and ends just after the
// newline that ends the line crossing Offset+Length (or at the end of the
// source). A line begins at 0 and after every '\n', so "\r\n" endings stay
// whole, a last line without a newline belongs to the chunk it begins in, and
// a line longer than a chunk makes the chunks it spans, but the first, empty.
// Adjacent chunks meet exactly: concatenated they equal the source.
func Open(ctx context.Context, src Source, r sched.Range) (io.ReadCloser, error) {
	size := src.Size()
	if r.Offset < 0 || r.Length < 0 || r.Offset > size {
		return nil, fmt.Errorf("chunk %d+%d of %s: out of range (size %d)", r.Offset, r.Length, r.Path, size)
	}
	end := min(r.Offset+r.Length, size)
	if !r.Newline {
		if end == r.Offset {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return src.ReadRange(ctx, r.Offset, end-r.Offset)
	}
	start := r.Offset
	if start > 0 {
		// The chunk starts after the first '\n' at or after Offset-1; when
		// there is none before end-1, every line that touches this range
		// began earlier, so the chunk is empty.
		i, err := indexNewline(ctx, src, start-1, end-1)
		if err != nil {
			return nil, fmt.Errorf("chunk %d+%d of %s: %w", r.Offset, r.Length, r.Path, err)
		}
		if i < 0 {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		start = i + 1
	}
	if start >= end {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	return &lineChunk{ctx: ctx, src: src, pos: start, end: end, size: size}, nil
}

// indexNewline returns the offset of the first '\n' in [from, limit) of src,
// or -1. limit may exceed the size.
func indexNewline(ctx context.Context, src Source, from, limit int64) (int64, error) {
	limit = min(limit, src.Size())
	buf := make([]byte, window)
	for from < limit {
		n := min(int64(window), limit-from)
		got, err := readFull(ctx, src, from, buf[:n])
		if err != nil {
			return -1, err
		}
		if i := bytes.IndexByte(buf[:got], '\n'); i >= 0 {
			return from + int64(i), nil
		}
		if int64(got) < n {
			return -1, nil // the source ended early
		}
		from += n
	}
	return -1, nil
}

func readFull(ctx context.Context, src Source, off int64, p []byte) (int, error) {
	rc, err := src.ReadRange(ctx, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

// lineChunk streams [pos, end) with one ranged read, then, unless the byte at
// end-1 was '\n', reads on a window at a time up to and including the next
// '\n' (or the end of the source).
type lineChunk struct {
	ctx      context.Context
	src      Source
	pos, end int64
	size     int64
	body     io.ReadCloser
	last     byte   // the last byte delivered from the body
	inTail   bool   // the body is done
	pending  []byte // tail bytes read but not yet delivered
	found    bool   // the tail's '\n' is in pending
	done     bool
}

func (c *lineChunk) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for !c.done {
		if !c.inTail {
			if c.pos == c.end {
				c.closeBody()
				c.inTail = true
				c.done = c.last == '\n' || c.pos >= c.size
				continue
			}
			if c.body == nil {
				rc, err := c.src.ReadRange(c.ctx, c.pos, c.end-c.pos)
				if err != nil {
					return 0, err
				}
				c.body = rc
			}
			n, err := c.body.Read(p[:min(int64(len(p)), c.end-c.pos)])
			if n > 0 {
				c.pos += int64(n)
				c.last = p[n-1]
				return n, nil
			}
			if err == io.EOF {
				return 0, fmt.Errorf("read at %d: source ended before %d", c.pos, c.end)
			}
			if err != nil {
				return 0, err
			}
			continue
		}
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.found || c.pos >= c.size {
			c.done = true
			break
		}
		buf := make([]byte, min(int64(window), c.size-c.pos))
		got, err := readFull(c.ctx, c.src, c.pos, buf)
		if err != nil {
			return 0, err
		}
		if got == 0 {
			c.done = true
			break
		}
		buf = buf[:got]
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf, c.found = buf[:i+1], true
		}
		c.pos += int64(len(buf))
		c.pending = buf
	}
	return 0, io.EOF
}

func (c *lineChunk) closeBody() {
	if c.body != nil {
		c.body.Close()
		c.body = nil
	}
}

// Close releases the ranged read in progress, if any.
func (c *lineChunk) Close() error {
	c.done = true
	c.closeBody()
	return nil
}
