package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
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
	pid         int  // the command's process, once started
	exited      bool // the command has exited (a stop comes too late)
	reaped      bool // pid was waited for: it may be reused
	stopped     bool // a stop came first: do not start
	reason      stopReason
	terminating bool
	timers      []*time.Timer
	credit      int // stdout bytes the client accepts now
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
	var rest *[]byte
	dir, err := t.s.dirs.get()
	if err == nil {
		err = t.execute(dir, done, &rest)
		if perr := t.s.dirs.put(dir); perr != nil {
			t.s.opts.Logf("worker: remove task directory: %v", perr)
		}
	} else {
		err = fmt.Errorf("task directory: %w", err)
	}
	if err != nil {
		done.Err = err.Error()
	}
	if t.stdin != nil {
		t.stdin.close()
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
	return t.launch(path, pathEnv, env, dir, stdin, feed, done, rest)
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

// terminate sends SIGTERM to the task's process group, and SIGKILL after
// grace (at once when grace is 0). Before the start, it keeps the task from
// starting.
func (t *task) terminate(grace time.Duration, why stopReason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exited {
		return
	}
	if t.reason == stopNone {
		t.reason = why
	}
	if t.pid == 0 {
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
}

func (t *task) signal(sig syscall.Signal) {
	t.mu.Lock()
	t.signalLocked(sig)
	t.mu.Unlock()
}

func (t *task) signalLocked(sig syscall.Signal) {
	if t.pid != 0 && !t.reaped {
		syscall.Kill(-t.pid, sig)
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
