package vm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"lithops/objstore"
	"lithops/partition"
	"lithops/providers"
	"lithops/remote"
	"lithops/sched"
	"lithops/worker"
)

// fleet is a vm executor's dispatcher: a worker per host, each over its own
// long-lived SSH connection, serving worker_processes slots. Run takes a
// slot on the live host with the most free slots; Capacity is the sum of
// the live hosts' slots. A host that is lost (its connection or worker
// gone) takes its invocations down with it, so that the scheduler runs
// their tasks again elsewhere, and is connected again in the background
// with backoff, as are the hosts unreachable when the fleet opened.
type fleet struct {
	b      *Backend
	name   string // "executor.lab"
	timing Timing
	hosts  []*fleetHost
	events func(providers.HostEvent)
	open   func(ctx context.Context, name string) (objstore.Store, error)

	life   context.Context // cancelled by Close: ends workers and reconnects
	cancel context.CancelFunc
	wg     sync.WaitGroup // watchers and reconnect loops

	mu      sync.Mutex
	changed chan struct{} // closed (and replaced) when slots or hosts change
	closed  bool
}

var _ sched.Dispatcher = (*fleet)(nil)

// fleetHost is one host of the fleet.
type fleetHost struct {
	entry      string // as written in hosts
	addr       remote.Host
	keyFile    string
	knownHosts string
	hostKey    string   // a Machine's host key, in place of knownHosts
	argv       []string // the worker's command line; nil when not bootstrapped

	cur *session // the live session, or nil; guarded by fleet.mu
}

// connectLimit bounds the hosts connected to at once when the fleet opens.
const connectLimit = 32

// Open implements providers.ExecutorBackend: it starts a worker on every
// bootstrapped host at once. Hosts that cannot be reached are reported and
// tried again in the background; the fleet opens when at least one host is
// up. A refused host key fails it: nothing runs until the key is sorted out.
func (b *Backend) Open(ctx context.Context, req providers.OpenExecutorRequest) (providers.OpenExecutorResponse, error) {
	s, ps := b.decode(req.Body)
	if len(ps) > 0 {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: %s: %s", req.Name, ps[0].Summary, ps[0].Detail)
	}
	f := &fleet{
		b: b, name: "executor." + req.Name, timing: b.Timing.withDefaults(),
		events: req.Hosts, open: req.OpenStore, changed: make(chan struct{}),
	}
	if f.events == nil {
		f.events = func(providers.HostEvent) {}
	}
	f.life, f.cancel = context.WithCancel(context.Background())
	for _, m := range s.members {
		h := &fleetHost{entry: m.entry, addr: m.host, keyFile: s.keyFile, knownHosts: s.knownHosts}
		if v, ok := req.Resources[resourceName(m.entry)]; ok {
			if a, err := decodeBootstrap(v); err == nil && a.remotePath != "" {
				h.argv = s.workerArgv(a.remotePath, f.timing.ClientTimeout)
			}
		}
		f.hosts = append(f.hosts, h)
	}
	return f.start(ctx)
}

// start connects to the fleet's hosts: see Open.
func (f *fleet) start(ctx context.Context) (providers.OpenExecutorResponse, error) {
	sessions := make([]*session, len(f.hosts))
	errs := make([]error, len(f.hosts))
	sem := make(chan struct{}, connectLimit)
	var wg sync.WaitGroup
	for i, h := range f.hosts {
		if h.argv == nil {
			errs[i] = fmt.Errorf("%s is not bootstrapped: the state has no %s.%s; run lithops apply to install the worker", h.entry, f.name, resourceName(h.entry))
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f.events(providers.HostEvent{Host: h.entry, State: "connecting"})
			sessions[i], errs[i] = f.connect(ctx, f.life, h)
		})
	}
	wg.Wait()

	var refused, failed []string
	up := 0
	for i := range f.hosts {
		switch {
		case errs[i] == nil:
			up++
		case isHostKeyError(errs[i]):
			refused = append(refused, errs[i].Error())
		default:
			failed = append(failed, errs[i].Error()) // each names its host
		}
	}
	if len(refused) > 0 || up == 0 {
		for _, sess := range sessions {
			if sess != nil {
				sess.close(ctx, 5*time.Second)
			}
		}
		f.cancel()
		for i, h := range f.hosts {
			if errs[i] != nil {
				f.events(providers.HostEvent{Host: h.entry, State: "unreachable", Detail: errs[i].Error()})
			}
		}
		if len(refused) > 0 {
			return providers.OpenExecutorResponse{}, fmt.Errorf("nothing runs on this fleet while a host key is refused: %s", strings.Join(refused, "; "))
		}
		return providers.OpenExecutorResponse{}, fmt.Errorf("none of its %d hosts could be reached: %s", len(f.hosts), strings.Join(failed, "; "))
	}
	for i, h := range f.hosts {
		if sessions[i] != nil {
			f.adopt(sessions[i])
			continue
		}
		f.events(providers.HostEvent{Host: h.entry, State: "unreachable", Detail: errs[i].Error()})
		if h.argv != nil {
			f.wg.Go(func() { f.reconnect(h) })
		}
	}
	return providers.OpenExecutorResponse{Dispatcher: f}, nil
}

// workerArgv is the command line of a host's worker. The environment goes
// through env(1), the one thing a login shell runs besides the worker:
// every word is quoted for it (remote.QuoteCommand), and tasks' own argv
// travel inside the protocol, never through a shell.
func (s settings) workerArgv(remotePath string, clientTimeout time.Duration) []string {
	var argv []string
	if len(s.env) > 0 {
		argv = append(append(argv, "env"), s.env...)
	}
	argv = append(argv, remotePath, "worker", "-cache", cacheDir(remotePath), "-client-timeout", clientTimeout.String())
	if s.processes > 0 {
		argv = append(argv, "-slots", strconv.Itoa(s.processes))
	}
	return argv
}

// openObject opens an object input's chunk source in the storage it names.
func (f *fleet) openObject(ctx context.Context, storage, key string) (partition.Source, error) {
	if f.open == nil {
		return nil, fmt.Errorf("object input %s: no storage can be opened here", key)
	}
	store, err := f.open(ctx, storage)
	if err != nil {
		return nil, err
	}
	return objstore.Source(ctx, store, key)
}

// broadcastLocked wakes the invocations waiting for a slot.
func (f *fleet) broadcastLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// adopt makes s its host's live session and watches it.
func (f *fleet) adopt(s *session) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		s.close(context.Background(), 5*time.Second)
		return
	}
	s.h.cur = s
	f.broadcastLocked()
	f.mu.Unlock()
	f.events(providers.HostEvent{Host: s.h.entry, State: "ready", Slots: s.slots})
	f.wg.Go(func() { f.watch(s) })
}

// watch waits for a session to end; unless the fleet is closing, the host
// is reported lost and connected again.
func (f *fleet) watch(s *session) {
	select {
	case <-s.client.Done():
	case <-s.conn.Done():
	case <-f.life.Done():
		return
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	s.dead = true
	if s.h.cur == s {
		s.h.cur = nil
	}
	f.broadcastLocked()
	f.mu.Unlock()
	// The worker may still run (its stream broke, not its connection):
	// closing the connection ends it.
	s.conn.Close()
	<-s.stderrDone
	f.events(providers.HostEvent{Host: s.h.entry, State: "lost", Detail: s.lostReason()})
	f.reconnect(s.h)
}

// reconnect tries to reach h again, with exponential backoff, until it is
// up or the fleet closes. A refused host key ends the attempts.
func (f *fleet) reconnect(h *fleetHost) {
	delay := f.timing.ReconnectMin
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-f.life.Done():
			t.Stop()
			return
		}
		delay = min(2*delay, f.timing.ReconnectMax)
		s, err := f.connect(f.life, f.life, h)
		if err == nil {
			f.adopt(s)
			return
		}
		if isHostKeyError(err) {
			f.events(providers.HostEvent{Host: h.entry, State: "unreachable", Detail: err.Error()})
			return
		}
	}
}

// Capacity implements sched.Dispatcher: the live hosts' slots.
func (f *fleet) Capacity() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hosts {
		if h.cur != nil && h.cur.alive() {
			n += h.cur.slots
		}
	}
	return n
}

// errNoHost is Run's error when no host is up.
var errNoHost = errors.New("no host is up")

// acquire takes a slot on the live host with the most free slots, waiting
// for one while every slot is busy.
func (f *fleet) acquire(ctx context.Context) (*session, error) {
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, worker.ErrClosed
		}
		var best *session
		live := 0
		for _, h := range f.hosts {
			s := h.cur
			if s == nil || !s.alive() {
				continue // a session that just ended is not its host's for long
			}
			live++
			if s.free > 0 && (best == nil || s.free > best.free) {
				best = s
			}
		}
		if best != nil {
			best.free--
			f.mu.Unlock()
			return best, nil
		}
		if live == 0 {
			f.mu.Unlock()
			return nil, fmt.Errorf("%w in %s", errNoHost, f.name)
		}
		wake := f.changed
		f.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fleet) release(s *session) {
	f.mu.Lock()
	s.free++
	f.broadcastLocked()
	f.mu.Unlock()
}

// Run implements sched.Dispatcher. An invocation cut short by a lost host
// returns an error naming the host: the scheduler runs its unreported tasks
// again, on the hosts that are left, without counting an attempt.
func (f *fleet) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	s, err := f.acquire(ctx)
	if err != nil {
		return err
	}
	err = s.client.Run(ctx, inv, report)
	f.release(s)
	if err != nil && ctx.Err() == nil {
		return s.failure(err)
	}
	return err
}

// Close implements sched.Dispatcher: every worker sees its stdin end, kills
// its tasks and exits; connections still open when ctx ends, or after a
// grace period, are closed under them.
func (f *fleet) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	var live []*session
	for _, h := range f.hosts {
		if h.cur != nil {
			live = append(live, h.cur)
			h.cur = nil
		}
	}
	f.broadcastLocked()
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range live {
		wg.Go(func() {
			s.close(ctx, 10*time.Second)
			f.events(providers.HostEvent{Host: s.h.entry, State: "closed"})
		})
	}
	wg.Wait()
	f.cancel()
	f.wg.Wait()
	return nil
}
