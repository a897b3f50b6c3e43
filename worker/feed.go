package worker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"lithops/partition"
	"lithops/sched"
)

// feedSource is how a task's stdin pipe is filled: w is the pipe's write
// end; exactly one of data, src (a chunk of a local file) and the task's
// stdin queue supplies the bytes.
type feedSource struct {
	w    *os.File
	data []byte
	src  *partition.File
	rc   io.ReadCloser
}

// close releases a feed that will not run.
func (f feedSource) close() {
	closeFiles(f.w)
	if f.rc != nil {
		f.rc.Close()
		f.src.Close()
	}
}

// openStdin returns the command's stdin and what feeds it.
func (t *task) openStdin() (*os.File, feedSource, error) {
	m := t.m
	var fs feedSource
	switch m.Stdin {
	case stdinNone:
		return t.s.devnull, fs, nil
	case stdinInline:
		if len(m.Data) == 0 {
			return t.s.devnull, fs, nil
		}
		fs.data = m.Data
	case stdinStream:
	case stdinRange:
		src, err := partition.OpenFile(m.Path)
		if err != nil {
			return nil, fs, fmt.Errorf("stdin: %w", err)
		}
		rc, err := partition.Open(t.s.ctx, src, sched.Range{Path: m.Path, Offset: m.Offset, Length: m.Length, Size: m.Size, Newline: m.Newline})
		if err != nil {
			src.Close()
			return nil, fs, fmt.Errorf("stdin: %w", err)
		}
		fs.src, fs.rc = src, rc
	default:
		return nil, fs, fmt.Errorf("unknown stdin kind %d", m.Stdin)
	}
	r, w, err := os.Pipe()
	if err != nil {
		if fs.src != nil {
			fs.src.Close()
		}
		return nil, fs, err
	}
	fs.w = w
	return r, fs, nil
}

// feed fills the stdin pipe. A command that stops reading is not an error;
// failing to read its input is.
func (t *task) feed(f feedSource) error {
	defer f.w.Close()
	switch {
	case f.data != nil:
		if _, err := f.w.Write(f.data); err != nil && !isPipeGone(err) {
			return err
		}
	case f.src != nil:
		defer f.src.Close()
		defer f.rc.Close()
		buf := getBuf()
		defer putBuf(buf)
		b := (*buf)[:chunkSize]
		for {
			n, err := f.rc.Read(b)
			if n > 0 {
				if _, werr := f.w.Write(b[:n]); werr != nil {
					if isPipeGone(werr) {
						return nil
					}
					return werr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", t.m.Path, err)
			}
		}
	default:
		broken := false
		for {
			fr, eof, ok := t.stdin.next()
			if !ok || eof {
				return nil
			}
			n := len(fr.payload)
			if !broken {
				if _, err := f.w.Write(fr.payload); err != nil {
					broken = true // keep acknowledging, so that the client's sender moves on
				}
			}
			fr.release()
			t.s.out.ack(msgStdinAck, t.id, n)
		}
	}
	return nil
}

func isPipeGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed)
}

// stdinQueue holds stdin frames between the stream reader, which must
// never block, and the goroutine writing them to the command's pipe. The
// client's credit bounds it.
type stdinQueue struct {
	mu     sync.Mutex
	frames []frame
	eof    bool
	closed bool
	ch     chan struct{}
}

func newStdinQueue() *stdinQueue { return &stdinQueue{ch: make(chan struct{}, 1)} }

func (q *stdinQueue) push(f frame, eof bool) {
	q.mu.Lock()
	if q.closed || q.eof {
		q.mu.Unlock()
		f.release()
		return
	}
	if eof {
		q.eof = true
		f.release()
	} else {
		q.frames = append(q.frames, f)
	}
	q.mu.Unlock()
	select {
	case q.ch <- struct{}{}:
	default:
	}
}

// next returns the next frame, or eof, or ok=false once closed.
func (q *stdinQueue) next() (f frame, eof, ok bool) {
	for {
		q.mu.Lock()
		switch {
		case q.closed:
			q.mu.Unlock()
			return frame{}, false, false
		case len(q.frames) > 0:
			f = q.frames[0]
			q.frames[0] = frame{}
			q.frames = q.frames[1:]
			q.mu.Unlock()
			return f, false, true
		case q.eof:
			q.mu.Unlock()
			return frame{}, true, true
		}
		q.mu.Unlock()
		<-q.ch
	}
}

func (q *stdinQueue) close() {
	q.mu.Lock()
	q.closed = true
	for _, f := range q.frames {
		f.release()
	}
	q.frames = nil
	q.mu.Unlock()
	select {
	case q.ch <- struct{}{}:
	default:
	}
}
