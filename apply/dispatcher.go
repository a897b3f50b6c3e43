package apply

import (
	"context"
	"sync"
	"time"

	"lithops/sched"
)

// sharedDispatcher lets several jobs use one executor at once without
// together running more invocations than it has slots: each job's scheduler
// may ask for up to Capacity, and the shared count keeps the sum there. The
// limit follows Capacity as it changes (a fleet host lost, or back).
type sharedDispatcher struct {
	d       sched.Dispatcher
	mu      sync.Mutex
	busy    int
	changed chan struct{} // closed and replaced when a slot frees
}

var _ sched.Dispatcher = (*sharedDispatcher)(nil)

func newShared(d sched.Dispatcher) *sharedDispatcher {
	return &sharedDispatcher{d: d, changed: make(chan struct{})}
}

func (s *sharedDispatcher) Capacity() int { return s.d.Capacity() }

func (s *sharedDispatcher) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	for {
		s.mu.Lock()
		if s.busy < max(1, s.d.Capacity()) {
			s.busy++
			s.mu.Unlock()
			break
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-time.After(time.Second): // capacity may have grown
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() {
		s.mu.Lock()
		s.busy--
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}()
	return s.d.Run(ctx, inv, report)
}

func (s *sharedDispatcher) Close(ctx context.Context) error { return s.d.Close(ctx) }

// dispatcher opens an executor's dispatcher once per apply. Jobs that ask
// while it is being opened wait for that open rather than starting their
// own: independent jobs all start at once, and each open of a localhost
// executor starts a pool of worker processes.
func (e *Engine) dispatcher(ctx context.Context, addr string) (*sharedDispatcher, error) {
	e.mu.Lock()
	if d, ok := e.dispatchers[addr]; ok {
		e.mu.Unlock()
		return d, nil
	}
	if o, ok := e.opening[addr]; ok {
		e.mu.Unlock()
		select {
		case <-o.done:
			return o.d, o.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	o := &opening{done: make(chan struct{})}
	if e.opening == nil {
		e.opening = map[string]*opening{}
	}
	e.opening[addr] = o
	e.mu.Unlock()

	d, err := e.OpenExecutor(ctx, addr, e.blockResources(addr))
	e.mu.Lock()
	delete(e.opening, addr)
	if err == nil {
		o.d = newShared(d)
		e.dispatchers[addr] = o.d
	}
	o.err = err
	e.mu.Unlock()
	close(o.done)
	return o.d, o.err
}

// opening is an executor being opened; done is closed when d or err is set.
// A failed open is not remembered: the next job to ask tries again.
type opening struct {
	done chan struct{}
	d    *sharedDispatcher
	err  error
}

func (e *Engine) closeDispatchers() {
	e.mu.Lock()
	ds := e.dispatchers
	e.dispatchers = map[string]*sharedDispatcher{}
	e.mu.Unlock()
	for _, d := range ds {
		d.Close(context.Background())
	}
}
