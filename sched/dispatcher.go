package sched

import "context"

// Dispatcher runs invocations on an executor's workers. Implementations: the
// localhost process pool (package worker), SSH fleets, serverless invokers.
//
// The scheduler calls Run from at most Capacity goroutines at once.
type Dispatcher interface {
	// Capacity is the number of invocations that may run at once (the total
	// number of worker slots).
	Capacity() int
	// Run executes inv's tasks and calls report once for each task that
	// finished, successfully or not, from any goroutine. It returns when every
	// task was reported or when it cannot go on.
	//
	// A non-nil error means the invocation failed for a reason that is not
	// the tasks' own (a lost host, throttling, a worker that died): tasks
	// not reported are retried elsewhere without counting an attempt.
	//
	// When ctx is cancelled, running tasks get SIGTERM, then SIGKILL after a
	// grace period; Run returns once they are gone, reporting them with
	// Signal set.
	Run(ctx context.Context, inv *Invocation, report func(Result)) error
	// Close stops the workers; nothing may run afterwards.
	Close(ctx context.Context) error
}
