package worker

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// The wire format (PROTOCOL.md has the full description).
//
// Each side first writes magic, then frames. A frame is a 4-byte big-endian
// body length followed by the body: one type byte, the uvarint id of the
// task, file transfer or request it concerns (0 for the connection), and a
// type-specific payload. Integers in payloads are uvarints (varints when
// signed), byte strings are a uvarint length and the bytes: every string is
// carried byte for byte, whatever its encoding.
const (
	// magic opens each direction. A client skips anything a remote shell
	// printed before it (a login banner, an rc file's echo).
	magic = "\x00LITHOPSW"
	// protocolVersion is the version this build speaks. Peers agree on one
	// version in the handshake; a change that an older peer cannot ignore
	// bumps it.
	protocolVersion = 1
	// maxFrame bounds a frame body; argv and env of a task (Linux allows
	// about 2 MiB) must fit.
	maxFrame = 8 << 20
	// chunkSize is the most data (stdout, stdin, file content) one frame
	// carries.
	chunkSize = 64 << 10
	// defaultWindow is the number of stream bytes a receiver accepts
	// unacknowledged, per task and direction.
	defaultWindow = 1 << 20
	// maxJunk is how much a client skips looking for the worker's magic.
	maxJunk = 64 << 10
)

// msgType is a frame's type byte. Values are unique across both directions
// so that a trace reads unambiguously.
type msgType byte

// Client to worker.
const (
	msgHello     msgType = 1  // protocol range, client version, receive window
	msgQuery     msgType = 2  // which of these digests do you have?
	msgPutFile   msgType = 3  // a file for the cache: by local path, or content follows
	msgPutData   msgType = 4  // file content
	msgPutEnd    msgType = 5  // end of file content
	msgRun       msgType = 6  // run a task in a free slot
	msgStdinData msgType = 7  // task stdin bytes
	msgStdinEOF  msgType = 8  // end of task stdin
	msgStdoutAck msgType = 9  // stdout bytes consumed (credit)
	msgCancel    msgType = 10 // SIGTERM the task, SIGKILL after a grace period
	msgPing      msgType = 11 // the client is still there (see heartbeat.go)
)

// Worker to client.
const (
	msgWelcome    msgType = 64  // chosen version, worker identity, slots
	msgHave       msgType = 65  // answer to msgQuery
	msgStored     msgType = 66  // a msgPutFile is in the cache, or why not
	msgStarted    msgType = 67  // the task's process runs
	msgStdoutData msgType = 68  // task stdout bytes
	msgStdinAck   msgType = 69  // stdin bytes consumed (credit)
	msgDone       msgType = 70  // the task is over: status, stdout rest, stderr tail
	msgFatal      msgType = 127 // the sender gives up on the connection: why
)

func (t msgType) String() string {
	names := map[msgType]string{
		msgHello: "hello", msgQuery: "query", msgPutFile: "put-file", msgPutData: "put-data",
		msgPutEnd: "put-end", msgRun: "run", msgStdinData: "stdin-data", msgStdinEOF: "stdin-eof",
		msgStdoutAck: "stdout-ack", msgCancel: "cancel", msgWelcome: "welcome", msgHave: "have",
		msgStored: "stored", msgStarted: "started", msgStdoutData: "stdout-data",
		msgStdinAck: "stdin-ack", msgDone: "done", msgFatal: "fatal", msgPing: "ping",
	}
	if s, ok := names[t]; ok {
		return s
	}
	return fmt.Sprintf("type-%d", byte(t))
}

// frame is one decoded frame. payload may live in a pooled buffer: whoever
// consumes the frame calls release once it no longer needs payload.
type frame struct {
	typ     msgType
	id      uint64
	payload []byte
	buf     *[]byte // pooled backing array of payload, or nil
}

func (f *frame) release() {
	if f.buf != nil {
		putBuf(f.buf)
		f.buf, f.payload = nil, nil
	}
}

// bufSize is the size of pooled buffers: a whole data frame fits.
const bufSize = chunkSize + 32

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// frameReader decodes frames from a stream.
type frameReader struct {
	r   *bufio.Reader
	hdr [4]byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// expectMagic reads the peer's magic. With skipJunk, up to maxJunk bytes
// before it are skipped; errors quote the start of what came instead.
func (fr *frameReader) expectMagic(skipJunk bool) error {
	limit := 0
	if skipJunk {
		limit = maxJunk
	}
	var junk []byte
	matched, skipped := 0, 0
	for matched < len(magic) {
		c, err := fr.r.ReadByte()
		if err != nil {
			if err == io.EOF && matched+skipped == 0 {
				return fmt.Errorf("peer closed the stream before the handshake: %w", io.ErrUnexpectedEOF)
			}
			if err == io.EOF {
				return fmt.Errorf("peer is not a lithops worker: its output ended without the protocol magic: %q", junk)
			}
			return fmt.Errorf("read handshake: %w", err)
		}
		if len(junk) < 200 {
			junk = append(junk, c)
		}
		switch {
		case c == magic[matched]:
			matched++
		case c == magic[0]:
			skipped += matched
			matched = 1
		default:
			skipped += matched + 1
			matched = 0
		}
		if skipped > limit {
			return fmt.Errorf("peer is not a lithops worker (no protocol magic at the start of its output): %q", junk)
		}
	}
	return nil
}

// read returns the next frame. Payloads of data-sized frames live in pooled
// buffers.
func (fr *frameReader) read() (frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return frame{}, err // io.EOF between frames is a clean end
	}
	n := binary.BigEndian.Uint32(fr.hdr[:])
	if n < 2 || n > maxFrame {
		return frame{}, fmt.Errorf("bad frame length %d", n)
	}
	var f frame
	var body []byte
	if n <= bufSize {
		f.buf = getBuf()
		body = (*f.buf)[:n]
	} else {
		body = make([]byte, n)
	}
	if _, err := io.ReadFull(fr.r, body); err != nil {
		f.release()
		return frame{}, noEOF(err)
	}
	f.typ = msgType(body[0])
	id, k := binary.Uvarint(body[1:])
	if k <= 0 {
		f.release()
		return frame{}, fmt.Errorf("bad id in %v frame", f.typ)
	}
	f.id, f.payload = id, body[1+k:]
	return f, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// enc builds a frame: newFrame reserves the length, the methods append the
// payload, bytes returns the finished frame.
type enc struct{ b []byte }

func newFrame(dst []byte, t msgType, id uint64) enc {
	e := enc{b: append(dst[:0], 0, 0, 0, 0, byte(t))}
	e.b = binary.AppendUvarint(e.b, id)
	return e
}

func (e *enc) uint(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) int(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string)   { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) raw(p []byte)   { e.b = append(e.b, p...) }
func (e *enc) strs(s []string) {
	e.uint(uint64(len(s)))
	for _, x := range s {
		e.str(x)
	}
}
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) bytesOut() []byte {
	binary.BigEndian.PutUint32(e.b, uint32(len(e.b)-4))
	return e.b
}

// dec reads a payload; the first error sticks and later reads return zero
// values, so a decoder checks err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or malformed %s", what)
	}
}

func (d *dec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("integer")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) int() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("integer")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) bytes() []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("string")
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.bytes()) }

// count reads a list length, refusing one that cannot fit in what is left
// (each element takes at least a byte).
func (d *dec) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail("list")
		return 0
	}
	return int(n)
}

func (d *dec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = d.str()
	}
	return s
}

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.fail("bool")
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v != 0
}
