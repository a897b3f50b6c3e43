package worker

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// A worker reached over SSH cannot count on its stdin ending when its client
// goes. When the link is cut rather than closed (a machine that lost power,
// a dropped route), sshd keeps the session, and so the worker's stdin, open
// until TCP gives up, hours later, and the worker and its tasks would run on
// unseen. So a client may ping the worker every ClientOptions.Heartbeat, and
// a worker served with ServeOptions.ClientTimeout gives up on a client from
// which nothing at all (ping, task or data) arrived for that long: it kills
// its tasks and ends as when its stdin ends.

// activityReader notes when bytes last arrived from the client.
type activityReader struct {
	r    io.Reader
	last atomic.Int64 // time.Now().UnixNano() of the last bytes
}

func newActivityReader(r io.Reader) *activityReader {
	a := &activityReader{r: r}
	a.last.Store(time.Now().UnixNano())
	return a
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// silence is how long ago bytes last arrived.
func (a *activityReader) silence() time.Duration {
	return time.Duration(time.Now().UnixNano() - a.last.Load())
}

// watchClient returns a channel that receives an error once nothing has
// arrived on a for timeout. It checks a few times per timeout and stops
// when stop is closed.
func watchClient(a *activityReader, timeout time.Duration, stop <-chan struct{}) <-chan error {
	silent := make(chan error, 1)
	go func() {
		t := time.NewTicker(max(timeout/8, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if d := a.silence(); d >= timeout {
					silent <- fmt.Errorf("nothing from the client for %v (timeout %v): it is gone or its link is cut", d.Round(time.Millisecond), timeout)
					return
				}
			}
		}
	}()
	return silent
}

// heartbeat pings the worker every interval until the connection ends.
func (c *Client) heartbeat(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.out.post(msgPing, 0, nil) != nil {
				return
			}
		}
	}
}
