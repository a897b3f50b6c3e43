package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"lithops/remote"
	"lithops/worker"
)

// session is one host's worker: an SSH connection, the `lithops worker`
// process started on it, and the protocol client over that process's stdin
// and stdout. A session that ends is not revived; the fleet connects a new
// one.
type session struct {
	h      *fleetHost
	conn   *remote.Conn
	proc   *remote.Process
	client *worker.Client
	stderr *tailBuffer
	// stderrDone is closed once the worker's stderr has ended.
	stderrDone chan struct{}
	slots      int

	// Guarded by the fleet's mutex.
	free int
	dead bool
}

// connect logs in to h, starts its worker and shakes hands with it. The
// worker process lives until life is cancelled or the session is closed;
// ctx bounds only the start.
func (f *fleet) connect(ctx, life context.Context, h *fleetHost) (*session, error) {
	conn, err := f.b.dial(ctx, h.addr, h.keyFile, h.knownHosts, h.hostKey)
	if err != nil {
		return nil, err
	}
	proc, err := conn.Start(life, h.argv)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := &session{h: h, conn: conn, proc: proc, stderr: &tailBuffer{limit: 4 << 10}, stderrDone: make(chan struct{})}
	// Stdout and stderr share the channel's window: stderr is always read.
	go func() {
		defer close(s.stderrDone)
		io.Copy(s.stderr, proc.Stderr)
	}()
	hctx, cancel := context.WithTimeout(ctx, f.timing.Handshake)
	defer cancel()
	s.client, err = worker.NewClient(hctx, proc.Stream(), worker.ClientOptions{
		Name:       h.entry,
		SharedFS:   false,
		OpenObject: f.openObject,
		Version:    f.b.Version,
		Heartbeat:  f.timing.Heartbeat,
	})
	if err != nil {
		why := s.ended()
		conn.Close()
		if why != "" {
			return nil, fmt.Errorf("start the worker on %s: %w (%s)", h.addr, err, why)
		}
		return nil, fmt.Errorf("start the worker on %s: %w", h.addr, err)
	}
	s.slots = s.client.Info().Slots
	s.free = s.slots
	return s, nil
}

// ended describes how the worker process ended: its exit status and the
// tail of its stderr, waiting a little for them to arrive.
func (s *session) ended() string {
	waited := make(chan error, 1)
	go func() {
		select {
		case <-s.stderrDone:
		case <-time.After(2 * time.Second):
		}
		waited <- s.proc.Wait()
	}()
	var parts []string
	select {
	case err := <-waited:
		var ee *remote.ExitError
		if errors.As(err, &ee) {
			parts = append(parts, "worker "+ee.Error())
		}
	case <-time.After(3 * time.Second):
	}
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		parts = append(parts, "stderr: "+t)
	}
	return strings.Join(parts, "; ")
}

// alive reports whether neither the connection nor the worker stream has
// ended.
func (s *session) alive() bool {
	return s.conn.Err() == nil && s.client.Err() == nil
}

// lostReason says why a session ended without Close.
func (s *session) lostReason() string {
	var why string
	if err := s.conn.Err(); err != nil {
		why = err.Error()
	} else if err := s.client.Err(); err != nil {
		why = "worker connection: " + err.Error()
	}
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		why += "; worker stderr: " + t
	}
	return why
}

// failure is the error of an invocation that the session could not finish:
// the connection's end reason when it was lost, else err.
func (s *session) failure(err error) error {
	if cerr := s.conn.Err(); cerr != nil {
		return fmt.Errorf("host %s: %w", s.h.entry, cerr)
	}
	return fmt.Errorf("host %s: %w", s.h.entry, err)
}

// close ends the worker gracefully (its stdin ends: it kills its tasks and
// exits), then the connection; the connection is closed regardless once ctx
// is done or after a grace period.
func (s *session) close(ctx context.Context, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		s.client.Close()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	s.conn.Close()
	<-done
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	limit int
	mu    sync.Mutex
	b     []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.limit; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
