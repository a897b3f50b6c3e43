package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// launch starts the command and follows it to its end from this goroutine
// alone: one poll(2) loop reads stdout and stderr and sees the process
// exit (a pidfd on Linux). No goroutine, netpoller registration or blocked
// waiter thread is spent per task beyond that, which matters when tasks
// last a millisecond.
func (t *task) launch(path, pathEnv string, env []string, dir string, stdin *os.File, feed feedSource, done *doneMsg, rest **[]byte) error {
	m := t.m
	closeStdin := func() {
		if stdin != t.s.devnull {
			stdin.Close()
		}
	}
	var out, errp [2]int
	if err := readPipe(&out); err != nil {
		closeStdin()
		feed.close()
		return err
	}
	if err := readPipe(&errp); err != nil {
		closeStdin()
		feed.close()
		closeFds(out[0], out[1])
		return err
	}
	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir: dir, Env: env,
		Files: []uintptr{stdin.Fd(), uintptr(out[1]), uintptr(errp[1])},
		Sys:   taskAttr(&pidfd),
	}

	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		closeStdin()
		feed.close()
		closeFds(out[0], out[1], errp[0], errp[1])
		return errors.New("stopped before it started")
	}
	start := time.Now()
	pid, _, err := syscall.StartProcess(path, m.Argv, attr)
	if err != nil && path != m.Argv[0] && errors.Is(err, fs.ErrNotExist) {
		// The command moved since it was looked up: look again.
		t.s.paths.forget(m.Argv[0], pathEnv)
		if path, err = t.s.paths.look(m.Argv[0], pathEnv); err == nil {
			pid, _, err = syscall.StartProcess(path, m.Argv, attr)
		}
	}
	if err == nil {
		t.pid = pid
		if m.Timeout > 0 {
			t.timers = append(t.timers, time.AfterFunc(m.Timeout, func() { t.terminate(m.Grace, stopTimeout) }))
		}
	}
	t.mu.Unlock()
	closeStdin()
	closeFds(out[1], errp[1])
	if err != nil {
		feed.close()
		closeFds(out[0], errp[0])
		return &fs.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	t.s.out.send(msgStarted, t.id, &startedMsg{PID: pid})

	var feedErr error
	feedDone := make(chan struct{})
	if feed.w != nil {
		go func() { feedErr = t.feed(feed); close(feedDone) }()
	} else {
		close(feedDone)
	}

	exit, err := watchExit(pid, pidfd)
	if err != nil {
		// Without a way to see the exit, the command cannot be followed.
		t.signal(syscall.SIGKILL)
		unix.Wait4(pid, nil, 0, nil)
		closeFds(out[0], errp[0])
		feed.close()
		<-feedDone
		return fmt.Errorf("watch process %d: %w", pid, err)
	}
	var stderr tailBuf
	stderr.limit = t.s.opts.StderrTail
	last, buf, wall := t.follow(out[0], errp[0], exit, &stderr, start)
	*rest = buf

	t.mu.Lock()
	ws, ru, werr := exit.reap()
	t.reaped = true
	for _, tm := range t.timers {
		tm.Stop()
	}
	t.mu.Unlock()
	exit.close()
	closeFds(out[0], errp[0])
	// The command is gone: whatever still feeds its stdin stops.
	if feed.w != nil {
		feed.w.Close()
	}
	if t.stdin != nil {
		t.stdin.close()
	}
	<-feedDone

	done.Stdout = last
	done.Stderr, done.StderrSize = stderr.bytes(), stderr.total
	done.Wall = wall
	if werr != nil {
		return fmt.Errorf("wait for process %d: %w", pid, werr)
	}
	if ws.Signaled() {
		done.Signal = unix.SignalName(ws.Signal())
	} else {
		done.ExitCode = ws.ExitStatus()
	}
	done.User = time.Duration(ru.Utime.Nano())
	done.Sys = time.Duration(ru.Stime.Nano())
	done.MaxRSS = int64(ru.Maxrss)
	if feedErr != nil {
		// The command saw part of its input only: it did not run right.
		return fmt.Errorf("stdin: %w", feedErr)
	}
	return nil
}

// follow reads the command's stdout (streamed to the client a frame at a
// time, within its credit) and stderr (its tail kept) until both end and
// the process has exited. Once it has, it kills what the command left in
// its process group, which could hold the pipes open; something outside
// the group that still holds them is not waited for beyond leftoverWait.
// It returns the last, partial frame of stdout, in buf, a pooled buffer
// that travels in the done message.
func (t *task) follow(stdout, stderr int, exit *exitWatch, tail *tailBuf, start time.Time) (last []byte, buf *[]byte, wall time.Duration) {
	buf = getBuf()
	b := (*buf)[:chunkSize]
	n := 0
	var scratch *[]byte // stderr's read buffer, taken when stderr has data
	defer func() {
		if scratch != nil {
			putBuf(scratch)
		}
	}()
	fds := []unix.PollFd{
		{Fd: int32(stdout), Events: unix.POLLIN},
		{Fd: int32(stderr), Events: unix.POLLIN},
		{Fd: int32(exit.fd), Events: unix.POLLIN},
	}
	var deadline time.Time
	for fds[0].Fd >= 0 || fds[1].Fd >= 0 || fds[2].Fd >= 0 {
		timeout := -1
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			timeout = int(left/time.Millisecond) + 1
		}
		k, err := unix.Poll(fds, timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.s.opts.Logf("worker: poll: %v", err)
			time.Sleep(time.Millisecond)
			continue
		}
		if k == 0 {
			continue
		}
		if fds[0].Revents != 0 {
			for {
				r, err := unix.Read(stdout, b[n:])
				if r > 0 {
					n += r
					if n == len(b) {
						t.sendStdout(b)
						n = 0
					}
					continue
				}
				if err == unix.EINTR {
					continue
				}
				if err != unix.EAGAIN {
					fds[0].Fd = -1 // end of file, or an error that ends it alike
				}
				break
			}
		}
		if fds[1].Revents != 0 {
			if scratch == nil {
				scratch = getBuf()
			}
			for {
				r, err := unix.Read(stderr, (*scratch)[:chunkSize])
				if r > 0 {
					tail.write((*scratch)[:r])
					continue
				}
				if err == unix.EINTR {
					continue
				}
				if err != unix.EAGAIN {
					fds[1].Fd = -1
				}
				break
			}
		}
		if fds[2].Revents != 0 && fds[2].Fd >= 0 {
			fds[2].Fd = -1
			wall = time.Since(start)
			t.mu.Lock()
			t.exited = true
			syscall.Kill(-exit.pid, syscall.SIGKILL) // what it left behind
			t.mu.Unlock()
			deadline = time.Now().Add(leftoverWait)
		}
	}
	if wall == 0 {
		wall = time.Since(start)
	}
	return b[:n], buf, wall
}

// readPipe makes a pipe whose read end p[0] is non-blocking (this process
// polls it) and whose write end p[1], for the command, is blocking, as
// programs expect. Both are close-on-exec: the child gets its copies
// through ProcAttr.Files.
func readPipe(p *[2]int) error {
	if err := cloexecPipe(p); err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		closeFds(p[0], p[1])
		return fmt.Errorf("pipe: %w", err)
	}
	return nil
}

func closeFds(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// exitWatch makes a process's exit visible to poll(2): through its pidfd
// where the kernel has them, else through a pipe that a goroutine waiting
// for the process writes to.
type exitWatch struct {
	pid   int
	fd    int // readable once the process has exited
	pidfd bool
	w     int // the fallback pipe's write end
	// With the fallback on systems that cannot wait without reaping, the
	// waiting goroutine reaps and leaves the status here.
	status *waitResult
	done   chan struct{}
}

type waitResult struct {
	ws  unix.WaitStatus
	ru  unix.Rusage
	err error
}

func watchExit(pid, pidfd int) (*exitWatch, error) {
	if pidfd >= 0 {
		return &exitWatch{pid: pid, fd: pidfd, pidfd: true, w: -1}, nil
	}
	var p [2]int
	if err := cloexecPipe(&p); err != nil {
		return nil, err
	}
	w := &exitWatch{pid: pid, fd: p[0], w: p[1], done: make(chan struct{})}
	go func() {
		defer close(w.done)
		if exitBeforeReap {
			waitExit(pid)
		} else {
			r := &waitResult{}
			_, r.err = unix.Wait4(pid, &r.ws, 0, &r.ru)
			w.status = r
		}
		unix.Write(w.w, []byte{0})
	}()
	return w, nil
}

// reap collects the exited process's status.
func (w *exitWatch) reap() (unix.WaitStatus, unix.Rusage, error) {
	if w.done != nil {
		<-w.done
	}
	if w.status != nil {
		return w.status.ws, w.status.ru, w.status.err
	}
	var ws unix.WaitStatus
	var ru unix.Rusage
	for {
		_, err := unix.Wait4(w.pid, &ws, 0, &ru)
		if err != unix.EINTR {
			return ws, ru, err
		}
	}
}

func (w *exitWatch) close() {
	closeFds(w.fd, w.w)
}
