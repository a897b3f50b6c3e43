package sched

import "time"

// Task is one unit of work: a command run once per map item or chunk, or
// once for a reduce.
type Task struct {
	// Index is the task's position in its job (0-based, stable for a given
	// configuration). Results are reported by Index.
	Index int
	// Key is each.key rendered as a string, for logs and messages.
	Key string
	// Argv is the command; Argv[0] is looked up in PATH on the worker.
	// It is never passed through a shell.
	Argv []string
	// Env holds extra KEY=VALUE pairs added to the worker's environment:
	// LITHOPS_ITEM, LITHOPS_TASK_INDEX, LITHOPS_JOB and the job's env.
	Env []string
	// Stdin is what the task reads on standard input; nil means empty.
	Stdin *Input
	// Timeout bounds one attempt; zero means none. On expiry the task's
	// whole process group is killed.
	Timeout time.Duration
	// Attempt is set by Run on the copy it dispatches: the 1-based number of
	// this launch of the task. Every launch takes the next number (a retry,
	// a speculative duplicate, a relaunch after a lost worker), so two
	// launches of one task never share it; a worker may use it to name what
	// an attempt writes. Run reports it back in Result.Attempt.
	Attempt int
}

// Input is a task's standard input: exactly one of Data, File or Object is set.
type Input struct {
	// Data is inline bytes (a reduce's concatenated map outputs, for example).
	Data []byte
	// File is a nominal byte range of a local file; the reader resolves line
	// boundaries when Newline is set (see package partition).
	File *Range
	// Object is a nominal byte range of an object in the job's storage.
	Object *Range
}

// Range is a nominal byte range [Offset, Offset+Length) of a file or object
// of Size bytes. With Newline, the bytes delivered start at the first line
// that begins inside the range and end with the line that crosses its end,
// so that the chunks of one source, concatenated, equal the source.
type Range struct {
	// Path is a local path (File) or an object key (Object).
	Path string
	// Storage names the storage block an Object range is read from.
	Storage string
	Offset  int64
	Length  int64
	Size    int64
	Newline bool
}

// File is a job file shipped to the worker and placed in each task's working
// directory under Name.
type File struct {
	// Name is the path relative to the task's working directory.
	Name string
	// Source is the local path the client reads it from.
	Source string
	// Digest is "sha256:<hex>" of the content; workers cache files by it.
	Digest string
	// Mode is the file's permission bits (executables stay executable).
	Mode uint32
}

// Invocation is what one worker slot runs: a chunk of a job's tasks, run one
// after another, sharing the job's files.
type Invocation struct {
	Job   string
	Files []File
	Tasks []Task
	// InlineLimit is the largest stdout kept in memory and returned in
	// Result.Stdout; a larger output is spilled to Result.StdoutFile.
	InlineLimit int64
}

// Result is one finished attempt of one task.
type Result struct {
	Index   int
	Attempt int // 1-based
	// ExitCode is the command's exit status; -1 when it was killed by a signal
	// or could not start.
	ExitCode int
	// Signal names the signal that killed it ("SIGKILL"), if any.
	Signal   string
	TimedOut bool
	// Err describes a failure to run the command at all ("executable file not
	// found in $PATH"); empty when the command ran.
	Err string
	// Stdout is the task's output when it fits InlineLimit.
	Stdout []byte
	// StdoutFile, when set, is a local path holding the whole output; the
	// receiver owns it and removes it once stored.
	StdoutFile string
	// StdoutSize is the output's size in bytes whichever way it is carried.
	StdoutSize int64
	// Stderr is the task's log (bounded by the worker; the tail is kept).
	Stderr   []byte
	Started  time.Time
	Finished time.Time
	// Worker names the slot that ran it: "localhost/3", "10.0.0.5/1".
	Worker string
}

// OK reports whether the attempt succeeded.
func (r *Result) OK() bool { return r.Err == "" && r.ExitCode == 0 && !r.TimedOut && r.Signal == "" }
