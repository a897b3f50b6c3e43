package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

// ServeOptions configure a worker.
type ServeOptions struct {
	// Slots is the number of tasks run at once; 0 means the number of CPUs.
	Slots int
	// CacheDir holds job files by digest. Several workers may share it.
	CacheDir string
	// TemporaryCache says that CacheDir goes when its last user does (a
	// local pool's; see tempCacheLock).
	TemporaryCache bool
	// WorkDir is where task working directories are made (in a
	// subdirectory of this worker's own); empty means os.TempDir().
	WorkDir string
	// Env is every task's environment, before the task's own variables.
	Env []string
	// Version names this build in the handshake.
	Version string
	// StderrTail is how much of a task's stderr is kept (the end of it);
	// 0 means 64 KiB.
	StderrTail int
	// Window is the stdin bytes accepted unacknowledged per task; 0 means
	// 1 MiB.
	Window int
	// Logf receives diagnostics (a task directory that could not be
	// removed, a client that broke the protocol); nil discards them.
	Logf func(format string, args ...any)
	// ClientTimeout, when positive, ends the connection as if the stream
	// had ended once nothing arrived from the client for that long; the
	// client must then ping more often (ClientOptions.Heartbeat). See
	// heartbeat.go.
	ClientTimeout time.Duration
}

// errProtocol marks a peer that broke the protocol.
var errProtocol = errors.New("protocol error")

// Serve is a worker: it speaks the protocol on in and out until in ends or
// ctx is cancelled, then kills what its tasks left running and returns. A
// stream that ends between frames is a normal end (nil); a cancelled ctx
// returns ctx.Err().
func Serve(ctx context.Context, in io.Reader, out io.Writer, opts ServeOptions) error {
	s, err := newServer(opts)
	if err != nil {
		return err
	}
	defer s.cleanup()

	s.out = newSender(out, func(error) {})
	readErr := make(chan error, 1)
	// Only a worker that must notice a silent client (over SSH) notes when
	// bytes arrive: a local pool's reads stay as they are.
	var silent <-chan error
	if opts.ClientTimeout > 0 {
		act := newActivityReader(in)
		in = act
		stopWatch := make(chan struct{})
		defer close(stopWatch)
		silent = watchClient(act, opts.ClientTimeout, stopWatch)
	}
	fr := newFrameReader(in)
	go func() { readErr <- s.read(fr) }()

	select {
	case err = <-readErr:
		if err == io.EOF {
			err = nil
		}
	case <-ctx.Done():
		err = ctx.Err()
	case err = <-silent:
	}
	s.shutdown()
	if err != nil && errors.Is(err, errProtocol) {
		s.out.post(msgFatal, 0, &fatalMsg{Err: err.Error()})
	}
	// Let the last messages out, unless the stream is stuck.
	s.out.close()
	t := time.NewTimer(2 * time.Second)
	select {
	case <-s.out.done:
	case <-t.C:
		s.out.abort(errSenderClosed)
	}
	t.Stop()
	return err
}

// server is one worker's state.
type server struct {
	opts     ServeOptions
	ctx      context.Context // cancelled at shutdown: stops stdin readers
	cancel   context.CancelFunc
	out      *sender
	cache    *cache
	paths    pathCache
	env      envBase
	base     string         // this worker's directory of task directories
	tmpCache *tempCacheUser // set when the cache is temporary
	dirs     *workDirs
	devnull  *os.File // stdin of tasks without input
	window   int      // the client's stdout window

	mu       sync.Mutex
	tasks    map[uint64]*task
	runq     chan *task // idle runners wait here
	puts     map[uint64]*put
	stopping bool
	wg       sync.WaitGroup // task goroutines
}

func newServer(opts ServeOptions) (*server, error) {
	if opts.Slots <= 0 {
		opts.Slots = runtime.NumCPU()
	}
	if opts.StderrTail <= 0 {
		opts.StderrTail = 64 << 10
	}
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	opts.Window = max(opts.Window, chunkSize)
	if opts.WorkDir == "" {
		opts.WorkDir = os.TempDir()
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.CacheDir == "" {
		return nil, errors.New("worker: no cache directory")
	}
	c, err := newCache(opts.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	var tmp *tempCacheUser
	if opts.TemporaryCache {
		if tmp, err = useTempCache(opts.CacheDir); err != nil {
			return nil, fmt.Errorf("worker: temporary cache: %w", err)
		}
	}
	fail := func(err error) (*server, error) {
		if tmp != nil {
			tmp.leave()
		}
		return nil, err
	}
	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return fail(fmt.Errorf("worker: work directory: %w", err))
	}
	sweepWorkDirs(opts.WorkDir)
	base, err := os.MkdirTemp(opts.WorkDir, fmt.Sprintf("lithops-worker-%d-", os.Getpid()))
	if err != nil {
		return fail(fmt.Errorf("worker: work directory: %w", err))
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		os.Remove(base)
		return fail(fmt.Errorf("worker: %w", err))
	}
	env := opts.Env
	if env == nil {
		env = []string{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &server{
		opts: opts, ctx: ctx, cancel: cancel, cache: c, env: newEnvBase(env),
		base: base, dirs: &workDirs{base: base}, devnull: devnull, tmpCache: tmp,
		tasks: map[uint64]*task{}, puts: map[uint64]*put{}, runq: make(chan *task),
	}, nil
}

// read runs the handshake, then handles frames until the stream ends.
func (s *server) read(fr *frameReader) error {
	s.out.enqueue([]byte(magic), nil)
	if err := fr.expectMagic(false); err != nil {
		return fmt.Errorf("%w: %v", errProtocol, err)
	}
	f, err := fr.read()
	if err != nil {
		return fmt.Errorf("read hello: %w", noEOF(err))
	}
	var hello helloMsg
	d := dec{b: f.payload}
	hello.decode(&d)
	f.release()
	if f.typ != msgHello || d.err != nil {
		return fmt.Errorf("%w: expected hello, got %v", errProtocol, f.typ)
	}
	if hello.MinVersion > protocolVersion || hello.MaxVersion < protocolVersion {
		return fmt.Errorf("%w: client %s speaks protocol versions %d to %d, this worker (%s) speaks %d; install the same lithops version on both ends",
			errProtocol, hello.Version, hello.MinVersion, hello.MaxVersion, s.opts.Version, protocolVersion)
	}
	if hello.Window < chunkSize {
		return fmt.Errorf("%w: client window %d is below the %d-byte frame size", errProtocol, hello.Window, chunkSize)
	}
	s.window = int(min(hello.Window, 1<<30))
	host, _ := os.Hostname()
	s.out.post(msgWelcome, 0, &Info{
		Protocol: protocolVersion, Version: s.opts.Version, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPUs: runtime.NumCPU(), Slots: s.opts.Slots, PID: os.Getpid(), Hostname: host, Window: s.opts.Window,
	})
	for {
		f, err := fr.read()
		if err != nil {
			return err
		}
		if err := s.handle(f); err != nil {
			return err
		}
	}
}

// handle acts on one frame. It never blocks on the stream (see sender).
func (s *server) handle(f frame) error {
	d := dec{b: f.payload}
	switch f.typ {
	case msgQuery:
		var m queryMsg
		m.decode(&d)
		f.release()
		if d.err != nil {
			return fmt.Errorf("%w: query: %v", errProtocol, d.err)
		}
		have := haveMsg{Have: make([]bool, len(m.Digests))}
		for i, dg := range m.Digests {
			have.Have[i] = s.cache.has(dg)
		}
		s.out.post(msgHave, f.id, &have)

	case msgPutFile:
		var m putFileMsg
		m.decode(&d)
		f.release()
		if d.err != nil {
			return fmt.Errorf("%w: put-file: %v", errProtocol, d.err)
		}
		if m.Path != "" {
			// Copying may take a while: the stream goes on meanwhile.
			if !s.track() {
				s.stored(f.id, errors.New("worker is stopping"))
				return nil
			}
			go func() {
				defer s.wg.Done()
				s.stored(f.id, s.cache.putPath(m.Digest, m.Path, m.Size))
			}()
			return nil
		}
		p, err := s.cache.begin(m.Digest, m.Size)
		if err != nil {
			s.stored(f.id, err)
			// Its data frames find no transfer and are dropped.
			return nil
		}
		s.mu.Lock()
		s.puts[f.id] = p
		s.mu.Unlock()

	case msgPutData:
		s.mu.Lock()
		p := s.puts[f.id]
		s.mu.Unlock()
		if p != nil {
			p.Write(f.payload)
		}
		f.release()

	case msgPutEnd:
		f.release()
		s.mu.Lock()
		p := s.puts[f.id]
		delete(s.puts, f.id)
		s.mu.Unlock()
		if p != nil {
			s.stored(f.id, p.commit())
		}

	case msgRun:
		var m runMsg
		m.decode(&d)
		f.release()
		if d.err != nil {
			return fmt.Errorf("%w: run: %v", errProtocol, d.err)
		}
		s.start(f.id, &m)

	case msgStdinData, msgStdinEOF:
		if t := s.task(f.id); t != nil && t.stdin != nil {
			t.stdin.push(f, f.typ == msgStdinEOF)
		} else {
			f.release()
		}

	case msgStdoutAck:
		n := d.uint()
		f.release()
		if t := s.task(f.id); t != nil {
			t.addCredit(int(n))
		}

	case msgCancel:
		var m cancelMsg
		m.decode(&d)
		f.release()
		if t := s.task(f.id); t != nil {
			t.terminate(m.Grace, stopCancel)
		}

	case msgFatal:
		var m fatalMsg
		m.decode(&d)
		f.release()
		return fmt.Errorf("client gave up: %s", m.Err)

	case msgPing:
		f.release() // its arrival is all it says

	default:
		// A message from a newer client that this worker does not know;
		// the version handshake makes sure it is optional.
		s.opts.Logf("worker: ignoring unknown message %v", f.typ)
		f.release()
	}
	return nil
}

func (s *server) stored(id uint64, err error) {
	var m storedMsg
	if err != nil {
		m.Err = err.Error()
		s.opts.Logf("worker: %v", err)
	}
	s.out.post(msgStored, id, &m)
}

// track counts a goroutine that shutdown waits for, unless the worker is
// stopping.
func (s *server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *server) task(id uint64) *task {
	s.mu.Lock()
	t := s.tasks[id]
	s.mu.Unlock()
	return t
}

// start registers a task and runs it in a goroutine, or refuses it when
// every slot is busy.
func (s *server) start(id uint64, m *runMsg) {
	t := newTask(s, id, m)
	s.mu.Lock()
	busy := len(s.tasks) >= s.opts.Slots
	_, dup := s.tasks[id]
	if !busy && !dup && !s.stopping {
		s.tasks[id] = t
		s.wg.Add(1)
	}
	stopping := s.stopping
	s.mu.Unlock()
	switch {
	case dup:
		s.out.post(msgDone, id, &doneMsg{ExitCode: -1, Err: fmt.Sprintf("task id %d is already running", id)})
	case busy:
		s.out.post(msgDone, id, &doneMsg{ExitCode: -1, Err: fmt.Sprintf("worker busy: all %d slots in use", s.opts.Slots)})
	case stopping:
		s.out.post(msgDone, id, &doneMsg{ExitCode: -1, Err: "worker is stopping"})
	default:
		// An idle runner takes it; only when none waits does a new one start.
		select {
		case s.runq <- t:
		default:
			go s.runner(t)
		}
	}
}

// runner runs tasks one after another. Runners outlive their tasks: a new
// goroutine per task would grow a fresh stack for every command.
func (s *server) runner(t *task) {
	for {
		t.run()
		select {
		case t = <-s.runq:
		case <-s.ctx.Done():
			return
		}
	}
}

// finish unregisters a task and sends its result, if it has one.
func (s *server) finish(t *task, done *doneMsg) {
	s.mu.Lock()
	delete(s.tasks, t.id)
	s.mu.Unlock()
	if done != nil {
		s.out.send(msgDone, t.id, done)
	}
	s.wg.Done()
}

// shutdown kills every task's process group and waits for the tasks.
func (s *server) shutdown() {
	s.mu.Lock()
	s.stopping = true
	tasks := make([]*task, 0, len(s.tasks))
	for _, t := range s.tasks {
		tasks = append(tasks, t)
	}
	s.mu.Unlock()
	s.cancel()
	for _, t := range tasks {
		t.kill()
	}
	s.wg.Wait()
}

func (s *server) cleanup() {
	s.cancel()
	s.mu.Lock()
	for id, p := range s.puts {
		p.abort()
		delete(s.puts, id)
	}
	s.mu.Unlock()
	s.devnull.Close()
	if err := os.RemoveAll(s.base); err != nil {
		s.opts.Logf("worker: remove %s: %v", s.base, err)
	}
	if s.tmpCache != nil {
		if _, err := s.tmpCache.leave(); err != nil {
			s.opts.Logf("worker: remove temporary cache: %v", err)
		}
	}
}
