package remote

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// keepalive sends keepalive@openssh.com every interval while none is
// outstanding (sshd answers such requests, with a failure, which is a reply
// all the same), and closes the connection when one has been outstanding for
// timeout and nothing at all arrived from the host for as long. Counting
// any received byte as a sign of life keeps a slow link that is busy with
// an upload, where the reply queues behind the data, from looking dead.
func (c *Conn) keepalive(tcp *activityConn, interval, timeout time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	replies := make(chan error, 1)
	var sent time.Time // when the outstanding request went out; zero if none
	for {
		select {
		case <-c.done:
			return
		case err := <-replies:
			sent = time.Time{}
			if err != nil {
				c.setErr(fmt.Errorf("ssh %s: %w: keepalive: %w", c.host, ErrConnLost, err))
				c.client.Close()
				return
			}
		case now := <-tick.C:
			if sent.IsZero() {
				sent = now
				go func() {
					_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
					replies <- err
				}()
				continue
			}
			if now.Sub(sent) >= timeout && tcp.idle() >= timeout {
				c.setErr(fmt.Errorf("ssh %s: %w: nothing received for %s, keepalive unanswered", c.host, ErrConnLost, timeout))
				c.client.Close()
				return
			}
		}
	}
}

// activityConn notes when bytes last arrived.
type activityConn struct {
	net.Conn
	start    time.Time
	lastRead atomic.Int64 // since start
}

func newActivityConn(c net.Conn) *activityConn {
	a := &activityConn{Conn: c, start: time.Now()}
	return a
}

func (a *activityConn) Read(p []byte) (int, error) {
	n, err := a.Conn.Read(p)
	if n > 0 {
		a.lastRead.Store(int64(time.Since(a.start)))
	}
	return n, err
}

// idle is how long ago bytes last arrived.
func (a *activityConn) idle() time.Duration {
	return time.Since(a.start) - time.Duration(a.lastRead.Load())
}
