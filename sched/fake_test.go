package sched

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// fakeDispatcher is a Dispatcher made of functions. A nil CapacityFn means a
// capacity of 4; a nil RunFn reports every task successful at once.
type fakeDispatcher struct {
	CapacityFn func() int
	RunFn      func(ctx context.Context, inv *Invocation, report func(Result)) error
	CloseFn    func(ctx context.Context) error
}

var _ Dispatcher = (*fakeDispatcher)(nil)

func (f *fakeDispatcher) Capacity() int {
	if f.CapacityFn == nil {
		return 4
	}
	return f.CapacityFn()
}

func (f *fakeDispatcher) Run(ctx context.Context, inv *Invocation, report func(Result)) error {
	if f.RunFn == nil {
		for _, t := range inv.Tasks {
			report(Result{Index: t.Index})
		}
		return nil
	}
	return f.RunFn(ctx, inv, report)
}

func (f *fakeDispatcher) Close(ctx context.Context) error {
	if f.CloseFn == nil {
		return nil
	}
	return f.CloseFn(ctx)
}

// newTasks returns n tasks with indices 0..n-1 and keys "t0".."t<n-1>".
func newTasks(n int) []Task {
	tasks := make([]Task, n)
	for i := range tasks {
		tasks[i] = Task{Index: i, Key: fmt.Sprintf("t%d", i), Argv: []string{"true"}}
	}
	return tasks
}

// testOptions are Run's defaults with a jitter source that always draws the
// ceiling, so backoff delays are exact.
func testOptions() options {
	opt := defaultOptions()
	opt.int64n = func(n int64) int64 { return n - 1 }
	return opt
}

// sleep waits d, or until ctx is cancelled; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// call is one Hooks.Result call, reduced to what tests compare.
type call struct {
	Index, Attempt int
	Final, OK      bool
	Signal         string
	At             time.Duration // since the recorder was made
}

// recorder collects what Run reports through Hooks. Hooks are called from
// Run's goroutine only; tests read it after Run returns.
type recorder struct {
	start    time.Time
	calls    []call
	progress []Progress
	times    []time.Duration // of progress calls
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

func (r *recorder) hooks() Hooks {
	return Hooks{
		Result: func(res Result, final bool) {
			r.calls = append(r.calls, call{Index: res.Index, Attempt: res.Attempt, Final: final,
				OK: res.OK(), Signal: res.Signal, At: time.Since(r.start)})
		},
		Progress: func(p Progress) {
			r.progress = append(r.progress, p)
			r.times = append(r.times, time.Since(r.start))
		},
	}
}

// sorted returns the calls ordered by time, then index and attempt: the
// order of results that arrive at the same moment is not defined.
func (r *recorder) sorted() []call {
	out := append([]call(nil), r.calls...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.At != b.At {
			return a.At < b.At
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.Attempt < b.Attempt
	})
	return out
}

// finals counts the final results of each task index.
func (r *recorder) finals() map[int]int {
	m := map[int]int{}
	for _, c := range r.calls {
		if c.Final {
			m[c.Index]++
		}
	}
	return m
}

// launches records invocations as a dispatcher sees them.
type launches struct {
	mu   sync.Mutex
	invs [][]launched
	cur  int // invocations in Dispatcher.Run now
	most int // the largest cur seen
}

// launched is one task of a recorded invocation.
type launched struct {
	Index, Attempt int
	At             time.Duration
}

// enter records inv at elapsed time at and returns how many other
// invocations were in Dispatcher.Run then.
func (l *launches) enter(inv *Invocation, at time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rec []launched
	for _, t := range inv.Tasks {
		rec = append(rec, launched{Index: t.Index, Attempt: t.Attempt, At: at})
	}
	l.invs = append(l.invs, rec)
	others := l.cur
	l.cur++
	l.most = max(l.most, l.cur)
	return others
}

func (l *launches) leave() {
	l.mu.Lock()
	l.cur--
	l.mu.Unlock()
}

// sorted returns the recorded invocations ordered by start time, then first
// task index.
func (l *launches) sorted() [][]launched {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([][]launched(nil), l.invs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i][0].At != out[j][0].At {
			return out[i][0].At < out[j][0].At
		}
		return out[i][0].Index < out[j][0].Index
	})
	return out
}
