package sched

import (
	"context"
	"sync"
	"time"
)

// cancelReason says why the scheduler itself cancelled an invocation.
type cancelReason uint8

const (
	notCancelled cancelReason = iota
	// lostRace: the other launch of a speculated task succeeded first.
	lostRace
	// overdue: the invocation outlived its tasks' timeouts plus a grace
	// period, so the dispatcher is presumed to have lost it.
	overdue
	// aborted: the job is being given up (dispatcher broken, no capacity).
	aborted
)

// flight is one invocation in flight: the launches of a chunk of tasks on
// one worker slot. Only the scheduler's loop touches it, except inv, which
// the dispatcher reads.
type flight struct {
	inv     Invocation
	entries []entry // in chunk order
	left    int     // tasks not yet reported
	dup     bool    // a speculative duplicate of one straggler
	index   int     // in scheduler.flights
	cancel  context.CancelFunc
	why     cancelReason
	done    bool // Dispatcher.Run returned
	// limit is how long it may run before Run presumes it lost; zero when
	// some task has no Timeout.
	limit time.Duration
	// cur is the first unreported task in chunk order: the one running,
	// since a slot runs its chunk one task after another. curStart is when
	// it started (the invocation's start, or the previous report).
	cur      int
	curStart time.Time
}

// entry is one task of a flight.
type entry struct {
	pos      int32 // in Job.Tasks
	attempt  int32 // this launch's number
	reported bool
}

// find returns the chunk position of the task with the given Index, or -1.
// Reports usually come in chunk order, so it looks at cur first.
func (f *flight) find(tasks []Task, index int) int {
	if f.cur < len(f.entries) && tasks[f.entries[f.cur].pos].Index == index {
		return f.cur
	}
	for i, e := range f.entries {
		if tasks[e.pos].Index == index {
			return i
		}
	}
	return -1
}

// advance moves cur past reported tasks.
func (f *flight) advance() {
	for f.cur < len(f.entries) && f.entries[f.cur].reported {
		f.cur++
	}
}

// event is what an invocation's goroutine tells the scheduler's loop: one
// task's result, or (done) that Dispatcher.Run returned err.
type event struct {
	f    *flight
	done bool
	err  error
	res  Result
}

// inbox carries events from the dispatcher's goroutines to the loop. Posting
// appends under a mutex and wakes the loop when the inbox was empty; the
// loop takes the whole batch at once, so a burst of results costs one
// wake-up.
type inbox struct {
	mu     sync.Mutex
	events []event
	wake   chan struct{}
}

func newInbox() *inbox { return &inbox{wake: make(chan struct{}, 1)} }

func (b *inbox) post(e event) {
	b.mu.Lock()
	b.events = append(b.events, e)
	first := len(b.events) == 1
	b.mu.Unlock()
	if first {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
}

// take swaps the pending events with spare (emptied) and returns them.
func (b *inbox) take(spare []event) []event {
	clear(spare)
	b.mu.Lock()
	got := b.events
	b.events = spare[:0]
	b.mu.Unlock()
	return got
}
