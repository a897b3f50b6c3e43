package worker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"lithops/partition"
	"lithops/sched"
)

// leftoverWait is how long a task's output pipes may stay open after its
// command exited and its process group was killed: only a process that left
// the group (setsid) can still hold them, and it is not waited for longer.
const leftoverWait = 5 * time.Second

// stopReason records why a task was stopped first.
type stopReason int

const (
	stopNone stopReason = iota
	stopTimeout
	stopCancel
	stopShutdown
)

// task is one running command on the worker side.
type task struct {
	s     *server
	id    uint64
	m     *runMsg
	stdin *stdinQueue // for streamed stdin, else nil

	mu          sync.Mutex
	proc        *os.Process
	reaped      bool // proc was waited for: its PID may be reused
	stopped     bool // a stop came first: do not start
	reason      stopReason
	terminating bool
	timers      []*time.Timer
	credit      int // stdout bytes the client accepts now
	pipes       []*os.File
	creditCh    chan struct{}
}

func newTask(s *server, id uint64, m *runMsg) *task {
	t := &task{s: s, id: id, m: m, credit: s.window, creditCh: make(chan struct{}, 1)}
	if m.Stdin == stdinStream {
		t.stdin = newStdinQueue()
	}
	return t
}

// run runs the task from its directory to its done message.
func (t *task) run() {
	done := &doneMsg{ExitCode: -1}
	dir := filepath.Join(t.s.base, strconv.FormatUint(t.id, 10))
	var rest *[]byte
	if err := t.execute(dir, done, &rest); err != nil {
		done.Err = err.Error()
	}
	if t.stdin != nil {
		t.stdin.close()
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if err := os.RemoveAll(dir); err != nil {
			t.s.opts.Logf("worker: remove task directory: %v", err)
		}
	}
	t.mu.Lock()
	done.TimedOut = t.reason == stopTimeout
	done.Cancelled = t.reason == stopCancel
	lost := t.reason == stopShutdown
	t.mu.Unlock()
	if lost {
		// Killed because the worker stops, not for anything the task did:
		// no result, so that the client runs it elsewhere.
		done = nil
	}
	t.s.finish(t, done)
	if rest != nil {
		putBuf(rest)
	}
}

// execute prepares the directory and stdin, runs the command and collects
// its status into done. An error means the command could not run.
func (t *task) execute(dir string, done *doneMsg, rest **[]byte) error {
	m := t.m
	if len(m.Argv) == 0 || m.Argv[0] == "" {
		return errors.New("empty command")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("task directory: %w", err)
	}
	for _, f := range m.Files {
		if err := t.place(dir, f); err != nil {
			return fmt.Errorf("job file %q: %w", f.Name, err)
		}
	}
	env := t.s.env.merge(m.Env)
	pathEnv := lookupEnv(env, "PATH")
	path, err := t.s.paths.look(m.Argv[0], pathEnv)
	if err != nil {
		return err
	}

	stdin, feed, err := t.openStdin()
	if err != nil {
		return err
	}
	closeStdin := func() {
		if stdin != t.s.devnull {
			stdin.Close()
		}
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		closeStdin()
		feed.close()
		return err
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		closeStdin()
		feed.close()
		closeFiles(stdoutR, stdoutW)
		return err
	}
	attr := &os.ProcAttr{Dir: dir, Env: env, Files: []*os.File{stdin, stdoutW, stderrW}, Sys: taskAttr()}

	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		closeStdin()
		feed.close()
		closeFiles(stdoutR, stdoutW, stderrR, stderrW)
		return errors.New("stopped before it started")
	}
	start := time.Now()
	proc, err := os.StartProcess(path, m.Argv, attr)
	if err != nil && path != m.Argv[0] && errors.Is(err, fs.ErrNotExist) {
		// The command moved since it was looked up: look again.
		t.s.paths.forget(m.Argv[0], pathEnv)
		if path, err = t.s.paths.look(m.Argv[0], pathEnv); err == nil {
			proc, err = os.StartProcess(path, m.Argv, attr)
		}
	}
	if err == nil {
		t.proc = proc
		t.pipes = []*os.File{stdoutR, stderrR}
		if m.Timeout > 0 {
			t.timers = append(t.timers, time.AfterFunc(m.Timeout, func() { t.terminate(m.Grace, stopTimeout) }))
		}
	}
	t.mu.Unlock()
	closeStdin()
	closeFiles(stdoutW, stderrW)
	if err != nil {
		feed.close()
		closeFiles(stdoutR, stderrR)
		return err
	}
	t.s.out.small(msgStarted, t.id, &startedMsg{PID: proc.Pid})

	var feedErr error
	feedDone := make(chan struct{})
	if feed.w != nil {
		go func() { feedErr = t.feed(feed); close(feedDone) }()
	} else {
		close(feedDone)
	}
	var stderr tailBuf
	stderr.limit = t.s.opts.StderrTail
	stderrDone := make(chan struct{})
	go func() { t.drain(stderrR, &stderr); close(stderrDone) }()

	// The waiter sees the command exit, kills what it left in its group
	// (which may hold the output pipes open) and, should something outside
	// the group still hold them, closes them after leftoverWait.
	var state *os.ProcessState
	var wall time.Duration
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		if exitBeforeReap {
			if err := waitExit(proc.Pid); err != nil {
				t.s.opts.Logf("worker: waitid %d: %v", proc.Pid, err)
			}
		} else {
			state, _ = proc.Wait()
		}
		wall = time.Since(start)
		t.mu.Lock()
		if exitBeforeReap || !t.reaped {
			syscall.Kill(-proc.Pid, syscall.SIGKILL)
		}
		t.reaped = !exitBeforeReap
		t.timers = append(t.timers, time.AfterFunc(leftoverWait, func() { closeFiles(stdoutR, stderrR) }))
		t.mu.Unlock()
	}()

	last, buf := t.readStdout(stdoutR)
	*rest = buf
	<-stderrDone
	<-exited
	t.mu.Lock()
	if exitBeforeReap {
		state, err = proc.Wait()
		t.reaped = true
	}
	for _, tm := range t.timers {
		tm.Stop()
	}
	t.mu.Unlock()
	// The command is gone: whatever still feeds its stdin stops.
	closeFiles(stdoutR, stderrR, feed.w)
	if t.stdin != nil {
		t.stdin.close()
	}
	<-feedDone

	done.Stdout = last
	done.Stderr, done.StderrSize = stderr.bytes(), stderr.total
	done.Wall = wall
	if state == nil {
		return fmt.Errorf("wait: %w", err)
	}
	ws := state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		done.Signal = unix.SignalName(ws.Signal())
	} else {
		done.ExitCode = ws.ExitStatus()
	}
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		done.User = time.Duration(ru.Utime.Nano())
		done.Sys = time.Duration(ru.Stime.Nano())
		done.MaxRSS = int64(ru.Maxrss)
	}
	if feedErr != nil {
		// The command saw part of its input only: it did not run right.
		return fmt.Errorf("stdin: %w", feedErr)
	}
	return nil
}

// place puts a job file in the task directory.
func (t *task) place(dir string, f fileRef) error {
	if !filepath.IsLocal(f.Name) {
		return errors.New("name must be a relative path inside the task directory")
	}
	dst := filepath.Join(dir, f.Name)
	if sub := filepath.Dir(f.Name); sub != "." {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	return t.s.cache.place(f.Digest, f.Mode, dst)
}

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

// readStdout streams the command's stdout to the client a frame at a time,
// within the client's credit, and returns the last, partial frame (in buf,
// a pooled buffer), which travels in the done message.
func (t *task) readStdout(r *os.File) (last []byte, buf *[]byte) {
	buf = getBuf()
	b := (*buf)[:chunkSize]
	n := 0
	for {
		k, err := r.Read(b[n:])
		n += k
		if n == len(b) {
			t.sendStdout(b)
			n = 0
		}
		if err != nil {
			return b[:n], buf
		}
	}
}

// sendStdout waits for credit and sends p. When the connection is gone, it
// drops p: the task is being killed anyway.
func (t *task) sendStdout(p []byte) {
	for {
		t.mu.Lock()
		if t.credit >= len(p) {
			t.credit -= len(p)
			t.mu.Unlock()
			t.s.out.data(msgStdoutData, t.id, p, false)
			return
		}
		t.mu.Unlock()
		select {
		case <-t.creditCh:
		case <-t.s.ctx.Done():
			return
		}
	}
}

func (t *task) addCredit(n int) {
	t.mu.Lock()
	t.credit += n
	t.mu.Unlock()
	select {
	case t.creditCh <- struct{}{}:
	default:
	}
}

// drain reads stderr into its tail.
func (t *task) drain(r *os.File, tail *tailBuf) {
	buf := getBuf()
	defer putBuf(buf)
	b := (*buf)[:chunkSize]
	for {
		n, err := r.Read(b)
		tail.write(b[:n])
		if err != nil {
			return
		}
	}
}

// terminate sends SIGTERM to the task's process group, and SIGKILL after
// grace (at once when grace is 0). Before the start, it keeps the task from
// starting.
func (t *task) terminate(grace time.Duration, why stopReason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason == stopNone {
		t.reason = why
	}
	if t.proc == nil {
		t.stopped = true
		return
	}
	if t.reaped || t.terminating {
		return
	}
	t.terminating = true
	t.signalLocked(syscall.SIGTERM)
	if grace <= 0 {
		t.signalLocked(syscall.SIGKILL)
		return
	}
	t.timers = append(t.timers, time.AfterFunc(grace, func() { t.signal(syscall.SIGKILL) }))
}

// kill sends SIGKILL to the task's process group at once, for a worker
// that is going away.
func (t *task) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason == stopNone {
		t.reason = stopShutdown
	}
	t.stopped = true
	t.signalLocked(syscall.SIGKILL)
	// Pipes held by something outside the group must not keep us waiting.
	pipes := t.pipes
	t.timers = append(t.timers, time.AfterFunc(leftoverWait, func() { closeFiles(pipes...) }))
}

func (t *task) signal(sig syscall.Signal) {
	t.mu.Lock()
	t.signalLocked(sig)
	t.mu.Unlock()
}

func (t *task) signalLocked(sig syscall.Signal) {
	if t.proc != nil && !t.reaped {
		syscall.Kill(-t.proc.Pid, sig)
	}
}

// closeFiles closes the files that are not nil. Closing a file that
// another goroutine reads or writes makes that call return.
func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// tailBuf keeps the last limit bytes written to it.
type tailBuf struct {
	b     []byte
	limit int
	total int64
}

func (t *tailBuf) write(p []byte) {
	if len(p) == 0 {
		return
	}
	t.total += int64(len(p))
	if len(p) >= t.limit {
		t.b = append(t.b[:0], p[len(p)-t.limit:]...)
		return
	}
	if len(t.b)+len(p) > 2*t.limit {
		keep := t.limit - len(p)
		n := copy(t.b, t.b[len(t.b)-keep:])
		t.b = t.b[:n]
	}
	t.b = append(t.b, p...)
}

func (t *tailBuf) bytes() []byte {
	if len(t.b) > t.limit {
		return t.b[len(t.b)-t.limit:]
	}
	return t.b
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
