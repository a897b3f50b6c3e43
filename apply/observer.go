package apply

import "time"

// Observer receives what apply and destroy do, as it happens. The terminal UI
// (package tui), the plain line renderer and the JSON renderer (package
// views) implement it; the engine knows none of them.
//
// Observe is called from the engine's goroutines, possibly concurrently; an
// implementation serialises what it needs. It must not block for long: a
// renderer that draws slowly keeps the latest state and draws on its own
// clock.
type Observer interface {
	Observe(Event)
}

// Event is one of the types below. The set is closed.
type Event interface{ event() }

// Action is what happens to a resource. The values are the plan's symbols.
type Action string

const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionDelete  Action = "delete"
	ActionRead    Action = "read" // refresh
)

// ResourceStarted: a resource change began.
type ResourceStarted struct {
	Time   time.Time
	Addr   string // "storage.data", "executor.lab.bootstrap[\"10.0.0.5\"]"
	Action Action
}

// ResourceFinished: a resource change ended. Err is empty on success.
type ResourceFinished struct {
	Time    time.Time
	Addr    string
	Action  Action
	Elapsed time.Duration
	Err     string
}

// JobStarted: a job began running its tasks.
type JobStarted struct {
	Time     time.Time
	Job      string // "job.wordcount"
	Executor string // "executor.local"
	// Tasks is the number of tasks that will run; Cached the number reused
	// from earlier runs. Phase is "map" or "reduce".
	Tasks, Cached int
	Phase         string
}

// JobProgress: the counters of a running job changed. Emitted at most every
// few tens of milliseconds per job, and on the last change.
type JobProgress struct {
	Time    time.Time
	Job     string
	Phase   string
	Total   int
	Done    int
	Running int
	Failed  int
	Queued  int
	Retried int
	Elapsed time.Duration
}

// TaskFailed: an attempt of a task failed. Final is true when no retry
// follows.
type TaskFailed struct {
	Time       time.Time
	Job        string
	Phase      string
	Index      int
	Key        string
	Attempt    int
	ExitCode   int
	Signal     string
	TimedOut   bool
	Err        string
	StderrTail string // last lines of stderr, at most a few hundred bytes
	Worker     string
	Final      bool
}

// JobFinished: a job ended. Err is empty when every task succeeded.
type JobFinished struct {
	Time    time.Time
	Job     string
	Tasks   int // tasks run (not cached)
	Cached  int
	Retried int
	Failed  int
	Elapsed time.Duration
	Err     string
	// Skipped is set when the job did not run because a job it depends on
	// failed; Err says which.
	Skipped bool
	// Stopped is set when the user stopped the apply before the job ended:
	// its unfinished tasks run next time. Err is empty then.
	Stopped bool
}

// HostChanged: a worker host of a fleet changed state.
type HostChanged struct {
	Time     time.Time
	Executor string // "executor.lab"
	Host     string // "10.0.0.5"
	State    HostState
	Slots    int
	Detail   string // why, when unreachable or lost
}

// HostState is the life of a fleet host as the client sees it.
type HostState string

const (
	HostConnecting  HostState = "connecting"
	HostReady       HostState = "ready"
	HostLost        HostState = "lost"
	HostUnreachable HostState = "unreachable"
	HostClosed      HostState = "closed"
)

// Stopping: the user asked to stop (first Ctrl-C or q). No new task starts;
// running tasks get SIGTERM, then SIGKILL after a grace period.
type Stopping struct {
	Time time.Time
}

// Message: a line the user should read that fits no other event (a warning,
// a fallback taken).
type Message struct {
	Time  time.Time
	Level string // "info", "warn"
	Text  string
}

// Finished: apply or destroy ended. Err is empty on success.
type Finished struct {
	Time      time.Time
	Operation string // "apply" or "destroy"
	Added     int
	Changed   int
	Destroyed int
	JobsRan   int
	Tasks     int
	Retried   int
	Failed    int
	Outputs   []OutputValue
	Elapsed   time.Duration
	Err       string
	Stopped   bool
}

// OutputValue is a root output after apply. Value is rendered in HCL syntax,
// or "(sensitive value)".
type OutputValue struct {
	Name      string
	Value     string
	Sensitive bool
}

func (ResourceStarted) event()  {}
func (ResourceFinished) event() {}
func (JobStarted) event()       {}
func (JobProgress) event()      {}
func (TaskFailed) event()       {}
func (JobFinished) event()      {}
func (HostChanged) event()      {}
func (Stopping) event()         {}
func (Message) event()          {}
func (Finished) event()         {}

// Observers fans events out to several observers.
type Observers []Observer

// Observe implements Observer.
func (os Observers) Observe(e Event) {
	for _, o := range os {
		o.Observe(e)
	}
}
