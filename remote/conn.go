package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// ErrConnLost is wrapped by Conn.Err when the connection ended without Close:
// the host died, sshd went away, or keepalives went unanswered.
var ErrConnLost = errors.New("connection lost")

// ErrClosed is Conn.Err after Close.
var ErrClosed = errors.New("connection closed")

// Conn is one authenticated SSH connection to a host. It is safe for
// concurrent use; each Start opens its own session on it.
type Conn struct {
	host   Host
	client *ssh.Client

	done    chan struct{}
	errOnce sync.Once
	err     error // set once, before done closes

	mu      sync.Mutex
	sftp    *sftp.Client
	home    string
	closing bool
}

// Dial connects to h, verifies its host key, logs in, and starts keepalives.
// ctx bounds only the dial and login; the connection then lives until Close
// or until it is lost (see Done).
func Dial(ctx context.Context, h Host, cfg Config) (*Conn, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("ssh %s: %w", h, err)
	}
	cfg = cfg.withDefaults()
	c, err := dial(ctx, h, cfg)
	var hke *HostKeyError
	switch {
	case errors.As(err, &hke):
		return nil, hke // it names the host and says what to do
	case err != nil:
		return nil, fmt.Errorf("ssh %s: %w", h, err)
	}
	return c, nil
}

func dial(parent context.Context, h Host, cfg Config) (*Conn, error) {
	ctx, cancel := context.WithTimeout(parent, cfg.ConnectTimeout)
	defer cancel()

	creds, err := loadCredentials(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer creds.close()

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", h.Address())
	if err != nil {
		return nil, err
	}
	tcp := newActivityConn(raw)
	check, err := newHostKeyCheck(cfg, h, tcp.RemoteAddr())
	if err != nil {
		tcp.Close()
		return nil, err
	}

	// The handshake has no context: a deadline bounds it, and cancelling
	// ctx closes the socket under it.
	if deadline, ok := ctx.Deadline(); ok {
		tcp.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { tcp.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(tcp, h.Address(), &ssh.ClientConfig{
		User:              h.User,
		Auth:              []ssh.AuthMethod{creds.auth()},
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms,
	})
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		tcp.Close()
		if parent.Err() != nil {
			return nil, context.Cause(parent)
		}
		return nil, fmt.Errorf("no login within %s: %w", cfg.ConnectTimeout, ctx.Err())
	}
	if err != nil {
		tcp.Close()
		err = check.negotiationError(h, err)
		var hke *HostKeyError
		if errors.As(err, &hke) {
			return nil, hke
		}
		var ne net.Error
		switch {
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("log in as %s with %s: %w", h.User, creds.describe(), err)
		case errors.As(err, &ne) && ne.Timeout():
			return nil, fmt.Errorf("no login within %s: %w", cfg.ConnectTimeout, err)
		}
		return nil, err
	}
	tcp.SetDeadline(time.Time{})

	c := &Conn{host: h, client: ssh.NewClient(sc, chans, reqs), done: make(chan struct{})}
	go c.watch()
	go c.keepalive(tcp, cfg.KeepaliveInterval, cfg.KeepaliveTimeout)
	return c, nil
}

// Host is the host this connection reaches.
func (c *Conn) Host() Host { return c.host }

// Done is closed when the connection has ended, by Close or by loss.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up. After Done it says why it ended:
// ErrClosed after Close, else an error wrapping ErrConnLost.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close ends the connection and every process started on it, and waits for
// it to be down.
func (c *Conn) Close() error {
	c.setErr(ErrClosed)
	c.mu.Lock()
	c.closing = true
	s := c.sftp
	c.mu.Unlock()
	// The socket first: closing the SFTP session writes to it, which on a
	// dead link would block until the keepalive gave up.
	c.client.Close()
	if s != nil {
		s.Close()
	}
	<-c.done
	return nil
}

// setErr records why the connection ends; the first reason wins.
func (c *Conn) setErr(err error) {
	c.errOnce.Do(func() { c.err = err })
}

// watch closes done when the transport ends.
func (c *Conn) watch() {
	err := c.client.Wait()
	if err == nil {
		err = errors.New("the host closed the connection")
	}
	c.setErr(fmt.Errorf("ssh %s: %w: %w", c.host, ErrConnLost, err))
	close(c.done)
}

// lost returns the connection's end reason if it has ended, else err.
func (c *Conn) lost(err error) error {
	select {
	case <-c.done:
		return c.err
	default:
		return err
	}
}
