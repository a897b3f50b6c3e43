package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Process is a command running on a host, started by Conn.Start.
//
// Stdout and Stderr share the SSH channel's flow-control window: read both
// (concurrently) until EOF, or a chatty stderr stalls stdout. The remote
// login shell must print nothing when run non-interactively, or that output
// lands on Stdout ahead of the command's.
type Process struct {
	Stdin  io.WriteCloser
	Stdout io.Reader
	Stderr io.Reader

	conn    *Conn
	argv    []string
	session *ssh.Session
	stop    func() bool

	waitOnce sync.Once
	waitErr  error

	mu       sync.Mutex
	canceled error // why ctx ended, if it killed the process
}

// ExitError is a remote command's failure: a non-zero exit status or death
// by a signal.
type ExitError struct {
	Status int    // exit status; -1 when killed by a signal
	Signal string // signal name without "SIG" ("KILL"), if killed
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return "killed by signal " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Status)
}

// Signal is a signal name as SSH carries it, without "SIG".
type Signal string

// Signals that sshd delivers.
const (
	SIGTERM Signal = "TERM"
	SIGKILL Signal = "KILL"
	SIGINT  Signal = "INT"
	SIGHUP  Signal = "HUP"
	SIGQUIT Signal = "QUIT"
	SIGUSR1 Signal = "USR1"
	SIGUSR2 Signal = "USR2"
)

// Start runs argv on the host with pipes for its stdin, stdout and stderr.
// sshd hands the command line to the login shell, so each element is quoted
// with Quote and arrives byte-exact. argv[0] is looked up on the login
// shell's PATH, relative paths start from the home directory. Cancelling ctx
// kills the process (as exec.CommandContext does); so does Close.
func (c *Conn) Start(ctx context.Context, argv []string) (*Process, error) {
	p, err := c.start(ctx, argv)
	if err != nil {
		name := "command"
		if len(argv) > 0 {
			name = argv[0]
		}
		return nil, fmt.Errorf("start %s on %s: %w", name, c.host, err)
	}
	return p, nil
}

func (c *Conn) start(ctx context.Context, argv []string) (*Process, error) {
	cmd, err := QuoteCommand(argv)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := c.client.NewSession()
	if err != nil {
		return nil, c.lost(err)
	}
	p := &Process{conn: c, argv: argv, session: s}
	if p.Stdin, err = s.StdinPipe(); err != nil {
		s.Close()
		return nil, err
	}
	if p.Stdout, err = s.StdoutPipe(); err != nil {
		s.Close()
		return nil, err
	}
	if p.Stderr, err = s.StderrPipe(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Start(cmd); err != nil {
		s.Close()
		return nil, c.lost(err)
	}
	p.stop = context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.canceled = context.Cause(ctx)
		p.mu.Unlock()
		p.Close()
	})
	return p, nil
}

// Wait waits for the process to end and returns nil for exit status 0, an
// *ExitError for another status or a signal, or an error wrapping
// ErrConnLost when the connection went down first. Call it once all output
// has been read.
func (p *Process) Wait() error {
	p.waitOnce.Do(func() {
		err := p.session.Wait()
		p.stop()
		p.session.Close()
		var ee *ssh.ExitError
		var missing *ssh.ExitMissingError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			e := &ExitError{Status: ee.ExitStatus(), Signal: ee.Signal()}
			if e.Signal != "" {
				e.Status = -1
			}
			err = e
		case errors.As(err, &missing), errors.Is(err, io.EOF):
			err = p.conn.lost(errors.New("ended without an exit status"))
		default:
			err = p.conn.lost(err)
		}
		p.mu.Lock()
		if p.canceled != nil && err != nil {
			err = p.canceled
		}
		p.mu.Unlock()
		if err != nil {
			err = fmt.Errorf("%s on %s: %w", p.argv[0], p.conn.host, err)
		}
		p.waitErr = err
	})
	return p.waitErr
}

// Signal sends sig to the process.
func (p *Process) Signal(sig Signal) error {
	if err := p.session.Signal(ssh.Signal(sig)); err != nil {
		return fmt.Errorf("signal %s to %s on %s: %w", sig, p.argv[0], p.conn.host, err)
	}
	return nil
}

// Close kills the process (SIGKILL) and closes its session. Wait then
// reports how it ended.
func (p *Process) Close() error {
	p.session.Signal(ssh.SIGKILL)
	return p.session.Close()
}

// Stream joins the process's stdout (read) and stdin (write) into one
// byte stream, as a protocol spoken over the process wants; closing it
// closes stdin.
func (p *Process) Stream() io.ReadWriteCloser {
	return stream{p.Stdout, p.Stdin}
}

type stream struct {
	io.Reader
	io.WriteCloser
}

// Output runs argv to completion with no stdin and returns its stdout. On
// failure the error carries the tail of stderr.
func (c *Conn) Output(ctx context.Context, argv []string) ([]byte, error) {
	p, err := c.Start(ctx, argv)
	if err != nil {
		return nil, err
	}
	p.Stdin.Close()
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(&stderr, io.LimitReader(p.Stderr, 1<<20)); io.Copy(io.Discard, p.Stderr) })
	_, copyErr := io.Copy(&stdout, p.Stdout)
	wg.Wait()
	if err := p.Wait(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			if len(msg) > 2000 {
				msg = "..." + msg[len(msg)-2000:]
			}
			return nil, fmt.Errorf("%w: %s", err, msg)
		}
		return nil, err
	}
	if copyErr != nil {
		return nil, fmt.Errorf("%s on %s: read stdout: %w", argv[0], c.host, copyErr)
	}
	return stdout.Bytes(), nil
}
