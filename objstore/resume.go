package objstore

import (
	"context"
	"fmt"
	"io"
)

// RangeOpener opens length bytes from offset of one version of an object;
// it fails (with ErrChanged) when the object has changed since.
type RangeOpener func(ctx context.Context, offset, length int64) (io.ReadCloser, error)

// Resume returns a reader of exactly length bytes from offset whose first
// part is body (an opened response). When reading fails transiently — a
// connection reset, a body cut short — it reopens the rest of the range with
// open and reads on, so a long read survives what a single request would
// not. Retries back off as r says; the count restarts whenever bytes arrive.
// A negative length (a response without Content-Length) leaves nothing to
// resume against: body is returned as it is.
func Resume(ctx context.Context, body io.ReadCloser, open RangeOpener, offset, length int64, r Retry, transient func(error) bool) io.ReadCloser {
	if length < 0 {
		return body
	}
	return &resumer{ctx: ctx, body: body, open: open, pos: offset, end: offset + length, retry: r, transient: transient}
}

type resumer struct {
	ctx       context.Context
	body      io.ReadCloser
	open      RangeOpener
	pos, end  int64
	retry     Retry
	transient func(error) bool
	failures  int // consecutive failed attempts
	err       error
}

func (r *resumer) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p = p[:min(int64(len(p)), r.end-r.pos)]
	for {
		if r.body == nil {
			body, err := r.open(r.ctx, r.pos, r.end-r.pos)
			if err != nil {
				if err = r.failed(err); err != nil {
					return 0, err
				}
				continue
			}
			r.body = body
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if n > 0 {
			r.failures = 0
		}
		if err == io.EOF && r.pos < r.end {
			err = fmt.Errorf("body ended at %d of %d: %w", r.pos, r.end, io.ErrUnexpectedEOF)
		}
		switch {
		case err == nil || err == io.EOF:
			if r.pos >= r.end {
				return n, io.EOF
			}
			if n > 0 || err == nil {
				return n, nil
			}
		case n > 0:
			// Deliver what arrived; the failure is handled on the next call.
			r.body.Close()
			r.body = nil
			if ferr := r.failed(err); ferr != nil {
				r.err = ferr
			}
			return n, nil
		}
		r.body.Close()
		r.body = nil
		if err = r.failed(err); err != nil {
			return 0, err
		}
	}
}

// failed records a failed attempt and waits before the next one, or returns
// the error to give up with.
func (r *resumer) failed(err error) error {
	if !r.transient(err) || r.ctx.Err() != nil {
		r.err = err
		return err
	}
	r.failures++
	if r.failures >= r.retry.Attempts() {
		r.err = fmt.Errorf("read at %d: %w", r.pos, &RetriesExhaustedError{Attempts: r.failures, Err: err})
		return r.err
	}
	if serr := Sleep(r.ctx, r.retry.Delay(r.failures)); serr != nil {
		r.err = serr
		return serr
	}
	return nil
}

func (r *resumer) Close() error {
	if r.err == nil {
		r.err = errClosed
	}
	if r.body != nil {
		err := r.body.Close()
		r.body = nil
		return err
	}
	return nil
}

var errClosed = fmt.Errorf("read after close")
