// Package sched turns a job into tasks on workers: it groups tasks into
// invocations (chunksize), keeps at most max_workers of them in flight on a
// Dispatcher, retries failed tasks with exponential backoff and jitter,
// re-launches stragglers when speculation is on, and reports every finished
// task exactly once.
//
// It knows nothing of HCL, state or rendering. apply/ builds a Job from the
// evaluated configuration, hands it a Dispatcher that an executor backend
// made (the localhost process pool, an SSH fleet, a Lambda invoker), and
// receives results through the Job's callbacks. The entry point is Run.
package sched
