package sched

import "time"

// Job is what Run executes.
type Job struct {
	Name  string
	Tasks []Task
	Files []File
	// Retries is the number of extra attempts a failed task gets.
	Retries int
	// Backoff spaces retries: attempt n waits about Base·2^(n-1), capped at
	// Max, with full jitter.
	Backoff Backoff
	// ChunkSize is the number of tasks per invocation; 0 or 1 means one.
	ChunkSize int
	// MaxWorkers caps the invocations in flight; 0 means the dispatcher's
	// capacity.
	MaxWorkers int
	// Speculation, when set, re-launches stragglers; the first result wins.
	Speculation *Speculation
	// InlineLimit is passed to every invocation (see Invocation).
	InlineLimit int64
}

// Backoff is the retry delay policy.
type Backoff struct {
	Base time.Duration // default 200ms
	Max  time.Duration // default 30s
}

// Speculation re-launches a running task when it has run Multiplier times the
// median duration of finished tasks, once at least Quantile of the tasks are
// done.
type Speculation struct {
	Quantile   float64 // default 0.75
	Multiplier float64 // default 2
}

// Hooks receive what Run observes. Each may be nil. They are called from
// Run's goroutines, never concurrently with themselves.
type Hooks struct {
	// Result is called for every attempt. Final is true for the attempt that
	// decides the task: a success, or the last failure.
	Result func(r Result, final bool)
	// Progress is called when the counters change, at most every few tens of
	// milliseconds and always on the last change.
	Progress func(Progress)
}

// Progress counts a job's tasks. Done+Failed+Running+Queued = tasks total.
type Progress struct {
	Done, Running, Failed, Queued int
	// Retried counts retry attempts started so far; Speculated duplicates.
	Retried, Speculated int
}

// Summary is what Run returns.
type Summary struct {
	Progress
	Elapsed time.Duration
	// Stopped is true when ctx was cancelled before every task finished.
	Stopped bool
}
