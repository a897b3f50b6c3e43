package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"lithops/partition"
	"lithops/sched"
)

// PoolOptions configure the localhost executor.
type PoolOptions struct {
	// Binary is the lithops executable; Args select its worker mode
	// (["worker"]). The pool appends -slots 1, -cache and -workdir.
	Binary string
	Args   []string
	// Processes is the number of worker processes, one slot each; 0 means
	// the number of CPUs.
	Processes int
	// Env is the workers' environment, which every task inherits; nil
	// means this process's.
	Env []string
	// CacheDir holds job files by digest, shared by the workers; empty
	// means a temporary directory that goes with the pool and its workers,
	// even when this process is killed (see tempCacheLock).
	CacheDir string
	// WorkDir is where task working directories are made; empty means the
	// system's temporary directory.
	WorkDir string
	// SpillDir, Grace, Version and OpenObject are passed to each Client
	// (see ClientOptions).
	SpillDir   string
	Grace      time.Duration
	Version    string
	OpenObject func(ctx context.Context, storage, key string) (partition.Source, error)
	// Logf receives the workers' own messages and restarts; nil discards
	// them.
	Logf func(format string, args ...any)
}

// Pool is the localhost executor: a warm set of long-lived worker
// processes, each running one task at a time, fed over pipes. A worker that
// dies is restarted; the invocation it was running fails with an error, so
// that the scheduler runs its unreported tasks again.
//
// Each worker has Pdeathsig SIGTERM (Linux), and sees its stdin end when
// this process goes: either way it kills its tasks' process groups and
// exits, so killing the client, even with SIGKILL, leaves nothing behind.
type Pool struct {
	opts     PoolOptions
	tmpCache *tempCacheUser  // the temporary cache, when the pool made one
	ctx      context.Context // cancelled by Close: stops restarts
	cancel   context.CancelFunc
	live     atomic.Int64
	closing  chan struct{}
	closed   sync.Once
	wg       sync.WaitGroup // supervisors

	mu      sync.Mutex
	procs   []*proc // the current process of each slot, or nil
	idle    []*proc
	waiters []chan *proc
}

var _ sched.Dispatcher = (*Pool)(nil)

// proc is one worker process.
type proc struct {
	n       int
	name    string
	cmd     *exec.Cmd
	client  *Client
	exited  chan struct{}
	waitErr error
	stderr  *logWriter
	started time.Time
}

func (p *proc) alive() bool {
	select {
	case <-p.client.Done():
		return false
	case <-p.exited:
		return false
	default:
		return true
	}
}

// handshakeTimeout bounds the start of a worker process.
const handshakeTimeout = 30 * time.Second

// NewPool starts the worker processes; ctx bounds their start. It fails
// when one cannot start (a wrong Binary, say).
func NewPool(ctx context.Context, opts PoolOptions) (*Pool, error) {
	if opts.Binary == "" {
		return nil, errors.New("worker pool: no binary")
	}
	if opts.Processes <= 0 {
		opts.Processes = runtime.NumCPU()
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.WorkDir == "" {
		opts.WorkDir = os.TempDir()
	}
	p := &Pool{opts: opts, closing: make(chan struct{}), procs: make([]*proc, opts.Processes)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if p.opts.CacheDir == "" {
		dir, err := os.MkdirTemp("", "lithops-cache-")
		if err != nil {
			return nil, fmt.Errorf("worker pool: %w", err)
		}
		if p.tmpCache, err = useTempCache(dir); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("worker pool: temporary cache: %w", err)
		}
		p.opts.CacheDir = dir
	}

	procs := make([]*proc, opts.Processes)
	errs := make([]error, opts.Processes)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = p.start(ctx, i+1)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, pr := range procs {
			if pr != nil {
				pr.client.Close()
				<-pr.exited
			}
		}
		if p.tmpCache != nil {
			p.tmpCache.leave()
		}
		p.cancel()
		return nil, fmt.Errorf("worker pool: %w", err)
	}
	for _, pr := range procs {
		p.live.Add(1)
		p.wg.Add(1)
		go p.supervise(pr)
	}
	return p, nil
}

// start runs worker process n and shakes hands with it.
func (p *Pool) start(ctx context.Context, n int) (*proc, error) {
	name := "localhost/" + strconv.Itoa(n)
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeFiles(inR, inW)
		return nil, err
	}
	args := append(append([]string(nil), p.opts.Args...),
		"-slots", "1", "-cache", p.opts.CacheDir, "-workdir", p.opts.WorkDir)
	if p.tmpCache != nil {
		args = append(args, "-temporary-cache")
	}
	cmd := exec.Command(p.opts.Binary, args...)
	cmd.Env = p.opts.Env
	cmd.Stdin, cmd.Stdout = inR, outW
	lw := &logWriter{prefix: name + ": ", logf: p.opts.Logf}
	cmd.Stderr = lw
	cmd.SysProcAttr = workerAttr()
	err = cmd.Start()
	closeFiles(inR, outW)
	if err != nil {
		closeFiles(inW, outR)
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pr := &proc{n: n, name: name, cmd: cmd, exited: make(chan struct{}), stderr: lw, started: time.Now()}
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.exited)
	}()
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	pr.client, err = NewClient(hctx, pipeStream{r: outR, w: inW}, ClientOptions{
		Name: name, SharedFS: true, OpenObject: p.opts.OpenObject, SpillDir: p.opts.SpillDir,
		Grace: p.opts.Grace, Version: p.opts.Version,
	})
	if err != nil {
		cmd.Process.Kill()
		<-pr.exited
		return nil, fmt.Errorf("%s: %w%s", name, err, pr.diagnosis())
	}
	return pr, nil
}

// diagnosis describes how a dead worker process ended.
func (pr *proc) diagnosis() string {
	s := ""
	select {
	case <-pr.exited:
		if pr.waitErr != nil {
			s = fmt.Sprintf(" (pid %d: %v)", pr.cmd.Process.Pid, pr.waitErr)
		} else {
			s = fmt.Sprintf(" (pid %d exited)", pr.cmd.Process.Pid)
		}
	default:
	}
	if tail := pr.stderr.tail(); tail != "" {
		s += ": " + tail
	}
	return s
}

// supervise keeps slot pr.n served: it offers the process, and when it
// dies, starts another, backing off while they die young.
func (p *Pool) supervise(pr *proc) {
	defer p.wg.Done()
	delay := time.Duration(0)
	for {
		p.mu.Lock()
		p.procs[pr.n-1] = pr
		p.mu.Unlock()
		p.release(pr)
		select {
		case <-pr.exited:
		case <-pr.client.Done():
			// The stream broke before the process went: make sure it goes.
			pr.cmd.Process.Kill()
			<-pr.exited
		case <-p.closing:
			p.live.Add(-1)
			return
		}
		p.live.Add(-1)
		p.mu.Lock()
		p.procs[pr.n-1] = nil
		p.dropIdle(pr)
		p.mu.Unlock()
		select {
		case <-p.closing:
			return
		default:
		}
		p.opts.Logf("worker %s died%s; restarting", pr.name, pr.diagnosis())
		if time.Since(pr.started) < 10*time.Second {
			delay = min(max(2*delay, 100*time.Millisecond), 5*time.Second)
		} else {
			delay = 0
		}
		for {
			if !p.sleep(delay) {
				return
			}
			next, err := p.start(p.ctx, pr.n)
			if err == nil {
				pr = next
				p.live.Add(1)
				break
			}
			p.opts.Logf("worker pool: %v", err)
			delay = min(max(2*delay, 100*time.Millisecond), 5*time.Second)
		}
	}
}

// sleep waits d unless the pool closes; it reports whether it is open.
func (p *Pool) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-p.closing:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.closing:
		return false
	}
}

// Capacity is the number of live worker processes.
func (p *Pool) Capacity() int { return int(p.live.Load()) }

// Run runs inv in a free worker process (waiting for one).
func (p *Pool) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	pr, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(pr)
	err = pr.client.Run(ctx, inv, func(r sched.Result) {
		r.Worker = pr.name
		report(r)
	})
	if err != nil && pr.client.Err() != nil {
		// The worker is gone: say how, if it tells in time.
		t := time.NewTimer(time.Second)
		select {
		case <-pr.exited:
		case <-t.C:
		}
		t.Stop()
		return fmt.Errorf("worker %s: %w%s", pr.name, err, pr.diagnosis())
	}
	return err
}

// acquire takes an idle live process, waiting for one.
func (p *Pool) acquire(ctx context.Context) (*proc, error) {
	for {
		p.mu.Lock()
		select {
		case <-p.closing:
			p.mu.Unlock()
			return nil, ErrClosed
		default:
		}
		for len(p.idle) > 0 {
			pr := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			if pr.alive() {
				p.mu.Unlock()
				return pr, nil
			}
		}
		w := make(chan *proc, 1)
		p.waiters = append(p.waiters, w)
		p.mu.Unlock()
		select {
		case pr := <-w:
			if pr.alive() {
				return pr, nil
			}
		case <-ctx.Done():
			p.mu.Lock()
			for i, x := range p.waiters {
				if x == w {
					p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
					break
				}
			}
			p.mu.Unlock()
			select {
			case pr := <-w:
				p.release(pr)
			default:
			}
			return nil, ctx.Err()
		case <-p.closing:
			return nil, ErrClosed
		}
	}
}

// release offers a process to the next waiter or puts it back to idle.
func (p *Pool) release(pr *proc) {
	if !pr.alive() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w <- pr
		return
	}
	p.idle = append(p.idle, pr)
}

func (p *Pool) dropIdle(pr *proc) {
	for i, x := range p.idle {
		if x == pr {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return
		}
	}
}

// Close stops the workers: each sees its stdin end, kills its tasks and
// exits. Those still there when ctx ends get SIGTERM, then SIGKILL.
func (p *Pool) Close(ctx context.Context) error {
	p.closed.Do(func() {
		close(p.closing)
		p.cancel()
	})
	p.wg.Wait()
	p.mu.Lock()
	procs := append([]*proc(nil), p.procs...)
	p.mu.Unlock()
	for _, pr := range procs {
		if pr != nil {
			go pr.client.Close()
		}
	}
	var err error
	for _, pr := range procs {
		if pr == nil {
			continue
		}
		select {
		case <-pr.exited:
			continue
		case <-ctx.Done():
		}
		pr.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(2 * time.Second)
		select {
		case <-pr.exited:
		case <-t.C:
			pr.cmd.Process.Kill()
			<-pr.exited
		}
		t.Stop()
		err = ctx.Err()
	}
	if p.tmpCache != nil {
		if _, rerr := p.tmpCache.leave(); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// pipeStream joins a worker process's stdout and stdin into one stream.
type pipeStream struct{ r, w *os.File }

func (s pipeStream) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s pipeStream) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s pipeStream) Close() error {
	err := s.w.Close()
	s.r.Close()
	return err
}

// logWriter forwards a worker's stderr, a line at a time, and keeps its
// tail for error messages.
type logWriter struct {
	prefix string
	logf   func(format string, args ...any)
	mu     sync.Mutex
	line   []byte
	last   tailBuf
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last.limit == 0 {
		w.last.limit = 2 << 10
	}
	w.last.write(p)
	for _, c := range p {
		if c == '\n' {
			w.logf("%s%s", w.prefix, w.line)
			w.line = w.line[:0]
			continue
		}
		if len(w.line) < 4<<10 {
			w.line = append(w.line, c)
		}
	}
	return len(p), nil
}

func (w *logWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(trimSpace(w.last.bytes()))
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
