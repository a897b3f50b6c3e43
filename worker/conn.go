package worker

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

// sender writes frames to one side of a stream from a single goroutine.
//
// Queueing a control frame never blocks, so that a goroutine reading the
// stream can always answer without waiting on the peer: neither side's
// reader ever blocks on a write, which is what keeps the protocol free of
// deadlock (stream data is bounded by credit windows instead). Bulk file
// content waits, in the sending goroutine, until the queue is short.
type sender struct {
	mu      sync.Mutex
	cond    *sync.Cond // signalled when frames are queued or the queue drains
	queue   []outFrame
	spare   []outFrame
	queued  int // bytes in queue
	err     error
	closing bool
	done    chan struct{} // closed when the loop is over
}

// outFrame is an encoded frame; buf, when set, is its pooled backing array.
type outFrame struct {
	b   []byte
	buf *[]byte
}

// bulkLimit is the queue size above which sendBulk waits.
const bulkLimit = 4 << 20

func newSender(w io.Writer, onError func(error)) *sender {
	s := &sender{done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.loop(w, onError)
	return s
}

func (s *sender) loop(w io.Writer, onError func(error)) {
	defer close(s.done)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && s.err == nil && !s.closing {
			s.cond.Wait()
		}
		if s.err != nil || (len(s.queue) == 0 && s.closing) {
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.mu.Unlock()

		var err error
		n := 0
		for i, f := range batch {
			if err == nil {
				_, err = bw.Write(f.b)
			}
			n += len(f.b)
			if f.buf != nil {
				putBuf(f.buf)
			}
			batch[i] = outFrame{}
		}
		s.mu.Lock()
		if err == nil && len(s.queue) == 0 {
			// Flush only when nothing else is waiting: frames queued while
			// writing go out in the same system call.
			s.mu.Unlock()
			err = bw.Flush()
			s.mu.Lock()
		}
		s.queued -= n
		s.spare = batch[:0]
		if err != nil && s.err == nil {
			s.err = err
		}
		s.cond.Broadcast()
		failed := s.err
		s.mu.Unlock()
		if failed != nil {
			onError(failed)
			return
		}
	}
}

// errSenderClosed is returned for frames sent after close.
var errSenderClosed = errors.New("connection closed")

// send queues a frame without waiting. buf, if not nil, is returned to the
// pool once written.
func (s *sender) send(b []byte, buf *[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.closing {
		if buf != nil {
			putBuf(buf)
		}
		if s.err != nil {
			return s.err
		}
		return errSenderClosed
	}
	s.queue = append(s.queue, outFrame{b: b, buf: buf})
	s.queued += len(b)
	s.cond.Broadcast()
	return nil
}

// sendBulk queues a frame after waiting for the queue to drain below
// bulkLimit.
func (s *sender) sendBulk(b []byte, buf *[]byte) error {
	s.mu.Lock()
	for s.queued > bulkLimit && s.err == nil && !s.closing {
		s.cond.Wait()
	}
	s.mu.Unlock()
	return s.send(b, buf)
}

// close writes what is queued, then stops. It does not close the stream.
func (s *sender) close() {
	s.mu.Lock()
	s.closing = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

// abort stops at once, dropping what is queued.
func (s *sender) abort(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	for _, f := range s.queue {
		if f.buf != nil {
			putBuf(f.buf)
		}
	}
	s.queue = nil
	s.cond.Broadcast()
	s.mu.Unlock()
}

// small builds and queues a control frame.
func (s *sender) small(t msgType, id uint64, m interface{ encode(*enc) }) error {
	e := newFrame(nil, t, id)
	if m != nil {
		m.encode(&e)
	}
	return s.send(e.bytesOut(), nil)
}

// data queues a frame of raw bytes, copied into a pooled buffer.
func (s *sender) data(t msgType, id uint64, p []byte, bulk bool) error {
	buf := getBuf()
	e := newFrame(*buf, t, id)
	e.raw(p)
	b := e.bytesOut()
	if cap(b) != cap(*buf) {
		buf = nil // it grew out of the pooled array
	}
	if bulk {
		return s.sendBulk(b, buf)
	}
	return s.send(b, buf)
}

// ack queues a credit frame.
func (s *sender) ack(t msgType, id uint64, n int) error {
	var a [24]byte
	e := newFrame(a[:0], t, id)
	e.uint(uint64(n))
	return s.send(append([]byte(nil), e.bytesOut()...), nil)
}
