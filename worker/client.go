package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"lithops/partition"
	"lithops/sched"
)

// ClientOptions configure the client end of a worker connection.
type ClientOptions struct {
	// Name is the worker's name in Result.Worker ("localhost" gives
	// "localhost/1" for slot 1).
	Name string
	// SharedFS says that the worker sees this machine's files at the same
	// paths (a local worker): job files and file inputs then travel as
	// paths and the worker reads them itself. Otherwise the client sends
	// their bytes over the stream.
	SharedFS bool
	// OpenObject opens an object of a storage (by the storage block's
	// name), for tasks whose input is an Object range; its chunk is
	// streamed to the worker. Nil makes such tasks fail.
	OpenObject func(ctx context.Context, storage, key string) (partition.Source, error)
	// SpillDir receives stdouts larger than the invocation's InlineLimit;
	// empty means os.TempDir().
	SpillDir string
	// Grace is the time between SIGTERM and SIGKILL when a task is
	// cancelled or times out; 0 means DefaultGrace, negative means SIGKILL
	// at once.
	Grace time.Duration
	// Version names this build in the handshake.
	Version string
	// Window is the stdout bytes accepted unacknowledged per task; 0 means
	// 1 MiB.
	Window int
	// Heartbeat, when positive, is how often the client pings the worker,
	// for a worker served with a ClientTimeout (see heartbeat.go).
	Heartbeat time.Duration
}

// DefaultGrace is the default time a task gets between SIGTERM and SIGKILL.
const DefaultGrace = 5 * time.Second

// DefaultInlineLimit is the stdout size kept in memory when an invocation
// sets no InlineLimit.
const DefaultInlineLimit = 1 << 20

// confirmWait is how long, after the grace period, a client waits for a
// worker to report a cancelled task before it gives up on the connection.
const confirmWait = 30 * time.Second

// Client runs invocations on one worker over one stream. Its methods are
// safe for concurrent use; at most Info().Slots invocations run at once
// (Run waits for a free slot).
type Client struct {
	opts   ClientOptions
	stream io.ReadWriteCloser
	out    *sender
	info   Info
	slots  chan int
	nextID atomic.Uint64
	ready  atomic.Bool // the handshake is done

	mu    sync.Mutex
	calls map[uint64]*call
	reqs  map[uint64]chan frame
	files map[string]*fileState

	done     chan struct{}
	err      error
	failOnce sync.Once
	readDone chan struct{}
}

// ErrClosed is returned by a Client or Pool used after Close.
var ErrClosed = errors.New("worker connection closed")

// NewClient runs the handshake on stream and returns a client. ctx bounds
// the handshake; the connection then lives until Close or until the stream
// breaks (see Done). The client owns stream and closes it.
func NewClient(ctx context.Context, stream io.ReadWriteCloser, opts ClientOptions) (*Client, error) {
	if opts.Grace == 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Grace < 0 {
		opts.Grace = 0
	}
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	opts.Window = max(opts.Window, chunkSize)
	if opts.SpillDir == "" {
		opts.SpillDir = os.TempDir()
	}
	c := &Client{
		opts: opts, stream: stream,
		calls: map[uint64]*call{}, reqs: map[uint64]chan frame{}, files: map[string]*fileState{},
		done: make(chan struct{}), readDone: make(chan struct{}),
	}
	// A write that fails during the handshake (a peer that exited) is
	// explained better by what the peer wrote: the read reports it.
	c.out = newSender(stream, func(err error) {
		if c.ready.Load() {
			c.fail(err)
		}
	})
	c.out.enqueue([]byte(magic), nil)
	c.out.post(msgHello, 0, &helloMsg{MinVersion: protocolVersion, MaxVersion: protocolVersion, Version: opts.Version, Window: uint64(opts.Window)})

	fr := newFrameReader(stream)
	shook := make(chan error, 1)
	go func() { shook <- c.handshake(fr) }()
	select {
	case err := <-shook:
		if err != nil {
			c.fail(err)
			<-c.out.done
			return nil, fmt.Errorf("worker handshake: %w", err)
		}
	case <-ctx.Done():
		c.fail(ctx.Err())
		<-shook
		return nil, fmt.Errorf("worker handshake: %w", ctx.Err())
	}
	c.ready.Store(true)
	c.slots = make(chan int, c.info.Slots)
	for i := 1; i <= c.info.Slots; i++ {
		c.slots <- i
	}
	go c.read(fr)
	if opts.Heartbeat > 0 {
		go c.heartbeat(opts.Heartbeat)
	}
	return c, nil
}

func (c *Client) handshake(fr *frameReader) error {
	if err := fr.expectMagic(true); err != nil {
		return err
	}
	f, err := fr.read()
	if err != nil {
		return noEOF(err)
	}
	defer f.release()
	d := dec{b: f.payload}
	switch f.typ {
	case msgWelcome:
		c.info.decode(&d)
	case msgFatal:
		var m fatalMsg
		m.decode(&d)
		return fmt.Errorf("worker refused: %s", m.Err)
	default:
		return fmt.Errorf("expected welcome, got %v", f.typ)
	}
	if d.err != nil {
		return fmt.Errorf("welcome: %w", d.err)
	}
	if c.info.Protocol != protocolVersion {
		return fmt.Errorf("worker chose protocol %d, this client speaks %d", c.info.Protocol, protocolVersion)
	}
	if c.info.Slots < 1 || c.info.Window < chunkSize {
		return fmt.Errorf("worker offers %d slots and a %d-byte window", c.info.Slots, c.info.Window)
	}
	return nil
}

// Info describes the worker at the other end.
func (c *Client) Info() Info { return c.info }

// Done is closed when the connection is over: closed, or broken.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the connection is over, once Done is closed.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close ends the connection: the worker kills what still runs and exits.
func (c *Client) Close() error {
	c.out.close()
	t := time.NewTimer(2 * time.Second)
	select {
	case <-c.out.done:
	case <-t.C:
	}
	t.Stop()
	c.fail(ErrClosed)
	<-c.readDone
	return nil
}

// fail ends the connection with err (the first one wins).
func (c *Client) fail(err error) {
	c.failOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
		c.out.abort(err)
		c.stream.Close()
	})
}

// read dispatches the worker's frames until the stream ends. It never
// blocks on anything but the stream.
func (c *Client) read(fr *frameReader) {
	defer close(c.readDone)
	for {
		f, err := fr.read()
		if err != nil {
			if err == io.EOF {
				err = errors.New("worker closed the connection")
			}
			c.fail(err)
			return
		}
		switch f.typ {
		case msgHave, msgStored:
			c.mu.Lock()
			ch := c.reqs[f.id]
			delete(c.reqs, f.id)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			} else {
				f.release()
			}
		case msgStarted:
			// Noted without waking the task's goroutine.
			c.mu.Lock()
			cl := c.calls[f.id]
			c.mu.Unlock()
			f.release()
			if cl != nil {
				cl.mu.Lock()
				cl.started = time.Now()
				cl.mu.Unlock()
			}
		case msgStdoutData, msgDone:
			c.mu.Lock()
			cl := c.calls[f.id]
			if f.typ == msgDone {
				delete(c.calls, f.id)
			}
			c.mu.Unlock()
			if cl != nil {
				cl.push(f)
			} else {
				f.release()
			}
		case msgStdinAck:
			d := dec{b: f.payload}
			n := d.uint()
			f.release()
			c.mu.Lock()
			cl := c.calls[f.id]
			c.mu.Unlock()
			if cl != nil {
				cl.addCredit(int(n))
			}
		case msgFatal:
			var m fatalMsg
			d := dec{b: f.payload}
			m.decode(&d)
			f.release()
			c.fail(fmt.Errorf("worker gave up: %s", m.Err))
			return
		default:
			f.release() // optional message of a newer worker
		}
	}
}

// call is the client side of one task: frames the reader delivered, in
// order, and the stdin credit.
type call struct {
	mu       sync.Mutex
	frames   []frame
	ch       chan struct{}
	credit   int
	creditCh chan struct{}
	started  time.Time
}

func newCall(window int) *call {
	return &call{ch: make(chan struct{}, 1), credit: window, creditCh: make(chan struct{}, 1)}
}

func (cl *call) push(f frame) {
	cl.mu.Lock()
	cl.frames = append(cl.frames, f)
	cl.mu.Unlock()
	select {
	case cl.ch <- struct{}{}:
	default:
	}
}

func (cl *call) take(dst []frame) []frame {
	cl.mu.Lock()
	dst = append(dst, cl.frames...)
	clear(cl.frames)
	cl.frames = cl.frames[:0]
	cl.mu.Unlock()
	return dst
}

func (cl *call) addCredit(n int) {
	cl.mu.Lock()
	cl.credit += n
	cl.mu.Unlock()
	select {
	case cl.creditCh <- struct{}{}:
	default:
	}
}

// Run runs inv's tasks one after another in a free slot of the worker and
// reports each. It returns an error, with tasks left unreported, when the
// connection breaks; when ctx is cancelled, the running task gets SIGTERM,
// then SIGKILL after the grace period, and is reported once the worker
// confirms it is gone, and Run returns ctx.Err() (unless that was the
// last task).
func (c *Client) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	var slot int
	select {
	case slot = <-c.slots:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.err
	}
	defer func() { c.slots <- slot }()
	name := c.opts.Name + "/" + strconv.Itoa(slot)

	refs, err := c.ensureFiles(ctx, inv.Files)
	if err != nil {
		if cerr := c.Err(); cerr != nil {
			return cerr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The files cannot be placed: every task fails for that reason.
		now := time.Now()
		for _, t := range inv.Tasks {
			report(sched.Result{Index: t.Index, Attempt: t.Attempt, ExitCode: -1, Err: err.Error(), Started: now, Finished: now, Worker: name})
		}
		return nil
	}
	limit := inv.InlineLimit
	if limit <= 0 {
		limit = DefaultInlineLimit
	}
	for i := range inv.Tasks {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := c.runTask(ctx, &inv.Tasks[i], refs, limit)
		if err != nil {
			return err
		}
		res.Worker = name
		report(res)
	}
	return nil
}

// runTask runs one task and returns its result; an error means the
// connection failed and the task has no result.
func (c *Client) runTask(ctx context.Context, t *sched.Task, refs []fileRef, limit int64) (sched.Result, error) {
	res := sched.Result{Index: t.Index, Attempt: t.Attempt, ExitCode: -1}
	m := runMsg{Argv: t.Argv, Env: t.Env, Files: refs, Timeout: t.Timeout, Grace: c.opts.Grace}
	src, err := c.stdin(ctx, t.Stdin, &m)
	if err != nil {
		res.Err = err.Error()
		res.Started = time.Now()
		res.Finished = res.Started
		return res, nil
	}

	id := c.nextID.Add(1)
	cl := newCall(c.info.Window)
	c.mu.Lock()
	c.calls[id] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
	}()
	if err := c.out.send(msgRun, id, &m); err != nil {
		if src != nil {
			src.Close()
		}
		return res, err
	}

	// The stdin stream, if any, runs until the task is over.
	var stdinErr error
	stop, streamDone := make(chan struct{}), make(chan struct{})
	if src != nil {
		go func() {
			defer close(streamDone)
			stdinErr = c.sendStdin(id, cl, src, stop)
		}()
	} else {
		close(streamDone)
	}
	stopped := false
	endStream := func() {
		if !stopped {
			stopped = true
			close(stop)
			<-streamDone
		}
	}
	defer endStream()

	out := collector{limit: limit, dir: c.opts.SpillDir}
	defer out.discard()
	cancelled := ctx.Done()
	var deadline <-chan time.Time
	var frames []frame
	for {
		select {
		case <-cl.ch:
		case <-cancelled:
			cancelled = nil
			if err := c.out.send(msgCancel, id, &cancelMsg{Grace: c.opts.Grace}); err != nil {
				return res, err
			}
			tm := time.NewTimer(c.opts.Grace + confirmWait)
			defer tm.Stop()
			deadline = tm.C
			continue
		case <-deadline:
			err := fmt.Errorf("worker did not report cancelled task %d within %v", t.Index, c.opts.Grace+confirmWait)
			c.fail(err)
			return res, err
		case <-c.done:
			return res, c.err
		}
		frames = cl.take(frames[:0])
		for i := range frames {
			f := &frames[i]
			switch f.typ {
			case msgStdoutData:
				n := len(f.payload)
				out.write(f.payload)
				f.release()
				c.out.ack(msgStdoutAck, id, n)
			case msgDone:
				var dm doneMsg
				d := dec{b: f.payload}
				dm.decode(&d)
				if d.err != nil {
					f.release()
					for _, g := range frames[i+1:] {
						g.release()
					}
					err := fmt.Errorf("%w: done: %v", errProtocol, d.err)
					c.fail(err)
					return res, err
				}
				out.write(dm.Stdout)
				res.Finished = time.Now()
				cl.mu.Lock()
				res.Started = cl.started
				cl.mu.Unlock()
				if res.Started.IsZero() {
					res.Started = res.Finished
				}
				res.ExitCode, res.Signal, res.TimedOut, res.Err = dm.ExitCode, dm.Signal, dm.TimedOut, dm.Err
				res.Stderr = bytes.Clone(dm.Stderr)
				f.release()
				endStream()
				if stdinErr != nil && res.Err == "" {
					res.Err = "stdin: " + stdinErr.Error()
				}
				if err := out.finish(&res); err != nil && res.Err == "" {
					res.Err = err.Error()
				}
				return res, nil
			}
		}
	}
}

// stdin fills m's stdin fields and returns the reader to stream, if any.
func (c *Client) stdin(ctx context.Context, in *sched.Input, m *runMsg) (io.ReadCloser, error) {
	switch {
	case in == nil:
		m.Stdin = stdinNone
	case in.Data != nil:
		if len(in.Data) <= chunkSize {
			m.Stdin, m.Data = stdinInline, in.Data
			return nil, nil
		}
		m.Stdin = stdinStream
		return io.NopCloser(bytes.NewReader(in.Data)), nil
	case in.File != nil:
		r := *in.File
		if c.opts.SharedFS {
			path, err := filepath.Abs(r.Path)
			if err != nil {
				return nil, fmt.Errorf("stdin %s: %w", r.Path, err)
			}
			m.Stdin, m.Path, m.Offset, m.Length, m.Size, m.Newline = stdinRange, path, r.Offset, r.Length, r.Size, r.Newline
			return nil, nil
		}
		src, err := partition.OpenFile(r.Path)
		if err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		rc, err := partition.Open(ctx, src, r)
		if err != nil {
			src.Close()
			return nil, fmt.Errorf("stdin: %w", err)
		}
		m.Stdin = stdinStream
		return closeBoth{rc, src}, nil
	case in.Object != nil:
		if c.opts.OpenObject == nil {
			return nil, fmt.Errorf("stdin: object %q: this executor has no storage to read it from", in.Object.Path)
		}
		src, err := c.opts.OpenObject(ctx, in.Object.Storage, in.Object.Path)
		if err != nil {
			return nil, fmt.Errorf("stdin: object %q: %w", in.Object.Path, err)
		}
		rc, err := partition.Open(ctx, src, *in.Object)
		if err != nil {
			if cl, ok := src.(io.Closer); ok {
				cl.Close()
			}
			return nil, fmt.Errorf("stdin: %w", err)
		}
		m.Stdin = stdinStream
		if cl, ok := src.(io.Closer); ok {
			return closeBoth{rc, cl}, nil
		}
		return rc, nil
	default:
		m.Stdin = stdinNone
	}
	return nil, nil
}

type closeBoth struct {
	io.ReadCloser
	also io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.also.Close()
	return err
}

// sendStdin sends src as task id's stdin within the worker's credit, until
// src ends or stop is closed (the task is over). A failure to read src
// kills the task, which must not run on part of its input.
func (c *Client) sendStdin(id uint64, cl *call, src io.ReadCloser, stop chan struct{}) error {
	defer src.Close()
	buf := getBuf()
	defer putBuf(buf)
	b := (*buf)[:chunkSize]
	for {
		n, err := src.Read(b)
		if n > 0 {
			for {
				cl.mu.Lock()
				ok := cl.credit >= n
				if ok {
					cl.credit -= n
				}
				cl.mu.Unlock()
				if ok {
					break
				}
				select {
				case <-cl.creditCh:
				case <-stop:
					return nil
				case <-c.done:
					return nil
				}
			}
			if c.out.data(msgStdinData, id, b[:n], false) != nil {
				return nil
			}
		}
		if err == io.EOF {
			c.out.send(msgStdinEOF, id, nil)
			return nil
		}
		if err != nil {
			select {
			case <-stop:
				return nil
			default:
			}
			c.out.send(msgCancel, id, &cancelMsg{Grace: 0})
			return err
		}
	}
}
