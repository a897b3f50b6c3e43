package worker

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

// sender writes frames to one side of a stream.
//
// Two ways in: enqueue never blocks, so that a goroutine reading the stream
// can always answer without waiting on the peer (neither side's reader
// ever blocks on a write, which is what keeps the protocol free of
// deadlock; stream data is bounded by credit windows instead); write may
// block, and writes in the calling goroutine when no one else is writing,
// which spares a task's hot path a hand-off to another goroutine. A
// background goroutine writes what was enqueued while no one was writing.
// Frames go out in the order they were handed in.
type sender struct {
	bw      *bufio.Writer
	onError func(error)

	mu      sync.Mutex
	cond    *sync.Cond // signalled when frames are queued, writing ends or the queue drains
	queue   []outFrame
	spare   []outFrame
	queued  int  // bytes in queue
	writing bool // a goroutine owns bw
	err     error
	closing bool
	done    chan struct{} // closed when the background goroutine is over
}

// outFrame is an encoded frame; buf, when set, is its pooled backing array.
type outFrame struct {
	b   []byte
	buf *[]byte
}

// bulkLimit is the queue size above which bulk writes wait.
const bulkLimit = 4 << 20

// errSenderClosed is returned for frames sent after close.
var errSenderClosed = errors.New("connection closed")

func newSender(w io.Writer, onError func(error)) *sender {
	s := &sender{bw: bufio.NewWriterSize(w, 64<<10), onError: onError, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.loop()
	return s
}

func (s *sender) loop() {
	defer close(s.done)
	s.mu.Lock()
	for {
		for s.err == nil && (s.writing || len(s.queue) == 0) && !(s.closing && !s.writing && len(s.queue) == 0) {
			s.cond.Wait()
		}
		if s.err != nil || len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		if err := s.drainLocked(); err != nil {
			s.mu.Unlock()
			s.onError(err)
			return
		}
	}
}

// drainLocked writes the queue until it is empty. It is called with mu
// held and no one writing, and returns with mu held; it returns the error
// that ended the stream, the first time.
func (s *sender) drainLocked() error {
	s.writing = true
	var failed error
	for len(s.queue) > 0 && s.err == nil {
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.mu.Unlock()
		var err error
		n := 0
		for i, f := range batch {
			if err == nil {
				_, err = s.bw.Write(f.b)
			}
			n += len(f.b)
			if f.buf != nil {
				putBuf(f.buf)
			}
			batch[i] = outFrame{}
		}
		s.mu.Lock()
		if err == nil && len(s.queue) == 0 {
			// Flush only when nothing else is waiting: frames handed in
			// while writing go out in the same system call.
			s.mu.Unlock()
			err = s.bw.Flush()
			s.mu.Lock()
		}
		s.queued -= n
		s.spare = batch[:0]
		if err != nil && s.err == nil {
			s.err, failed = err, err
		}
	}
	s.writing = false
	s.cond.Broadcast()
	return failed
}

// put appends a frame to the queue; it reports false, having released the
// frame, when the sender is closed.
func (s *sender) putLocked(b []byte, buf *[]byte) error {
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
	return nil
}

// enqueue hands a frame to the background goroutine without waiting. buf,
// if not nil, is returned to the pool once written.
func (s *sender) enqueue(b []byte, buf *[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.putLocked(b, buf); err != nil {
		return err
	}
	if !s.writing {
		s.cond.Broadcast()
	}
	return nil
}

// write sends a frame, in this goroutine unless another one is writing
// (which then sends it too). With bulk, it first waits for the queue to
// drain below bulkLimit.
func (s *sender) write(b []byte, buf *[]byte, bulk bool) error {
	s.mu.Lock()
	for bulk && s.queued > bulkLimit && s.err == nil && !s.closing {
		s.cond.Wait()
	}
	if err := s.putLocked(b, buf); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.writing {
		s.mu.Unlock()
		return nil
	}
	err := s.drainLocked()
	s.mu.Unlock()
	if err != nil {
		s.onError(err)
	}
	return err
}

// close lets what is queued go out, then stops. It does not close the
// stream.
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

func encodeMsg(t msgType, id uint64, m interface{ encode(*enc) }) []byte {
	e := newFrame(nil, t, id)
	if m != nil {
		m.encode(&e)
	}
	return e.bytesOut()
}

// post queues a control frame without waiting (for stream readers).
func (s *sender) post(t msgType, id uint64, m interface{ encode(*enc) }) error {
	return s.enqueue(encodeMsg(t, id, m), nil)
}

// send writes a control frame, maybe waiting for the stream.
func (s *sender) send(t msgType, id uint64, m interface{ encode(*enc) }) error {
	return s.write(encodeMsg(t, id, m), nil, false)
}

// data writes a frame of raw bytes, copied into a pooled buffer.
func (s *sender) data(t msgType, id uint64, p []byte, bulk bool) error {
	buf := getBuf()
	e := newFrame(*buf, t, id)
	e.raw(p)
	b := e.bytesOut()
	if cap(b) != cap(*buf) {
		buf = nil // it grew out of the pooled array
	}
	return s.write(b, buf, bulk)
}

// ack writes a credit frame.
func (s *sender) ack(t msgType, id uint64, n int) error {
	e := newFrame(make([]byte, 0, 16), t, id)
	e.uint(uint64(n))
	return s.write(e.bytesOut(), nil, false)
}
