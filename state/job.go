package state

import (
	"cmp"
	"slices"
	"time"
)

// JobRun is a job's last run: the definition it ran, and one record per
// finished task. A run that was interrupted (Complete false) keeps the tasks
// that did finish, so that the next apply reruns only the others.
//
// The task records are held behind methods because two indexes are built
// over them (by task index, and by input digest for Lookup). Use a JobRun
// through its pointer; it is not safe for concurrent use.
type JobRun struct {
	// Name is the job's address: "job.wordcount".
	Name string
	// DefinitionDigest is "sha256:<hex>" of everything that defines the job
	// besides its inputs (command, env, files, runtime). A task's stored
	// output is reused only by a run with the same definition digest.
	DefinitionDigest string
	// Executor and Storage are the addresses of the executor the job ran on
	// and of the storage that holds its payloads and large outputs (empty
	// when everything stayed inline or local).
	Executor string
	Storage  string
	// Started and Finished bound the run; Finished is zero while it runs or
	// when it was interrupted.
	Started  time.Time
	Finished time.Time
	// Complete is true when every task (and the reduce, if any) succeeded.
	Complete bool
	// TaskCount is the number of map tasks the run had, finished or not.
	TaskCount int
	// Reduce is the reduce task's record, for a map-reduce job whose reduce
	// finished.
	Reduce *TaskRecord

	tasks    []TaskRecord   // in arrival order until sorted
	sorted   bool           // tasks is sorted by Index
	byIndex  map[int]int    // task index -> position in tasks
	byDigest map[string]int // input digest -> position of a successful record
}

// Record adds the record of a finished task, replacing an earlier record of
// the same index. O(1) amortised.
func (j *JobRun) Record(t TaskRecord) {
	j.ensureIndex()
	pos, ok := j.byIndex[t.Index]
	if ok {
		j.tasks[pos] = t
	} else {
		pos = len(j.tasks)
		if pos > 0 && j.tasks[pos-1].Index > t.Index {
			j.sorted = false
		}
		j.tasks = append(j.tasks, t)
		j.byIndex[t.Index] = pos
	}
	if t.OK() {
		j.byDigest[t.InputDigest] = pos
	}
}

// Lookup returns the successful task record whose input digest is digest.
// O(1). When several tasks share an input digest, any one of them.
func (j *JobRun) Lookup(digest string) (TaskRecord, bool) {
	pos, ok := j.byDigest[digest]
	if !ok {
		return TaskRecord{}, false
	}
	// A later record of the same index may have replaced the one indexed.
	if t := j.tasks[pos]; t.InputDigest == digest && t.OK() {
		return t, true
	}
	return TaskRecord{}, false
}

// Task returns the record of the task with the given index.
func (j *JobRun) Task(index int) (TaskRecord, bool) {
	pos, ok := j.byIndex[index]
	if !ok {
		return TaskRecord{}, false
	}
	return j.tasks[pos], true
}

// Len returns the number of task records.
func (j *JobRun) Len() int { return len(j.tasks) }

// Tasks returns the task records sorted by index. The slice is the run's
// own: the caller must not modify it, and it is valid until the next Record.
func (j *JobRun) Tasks() []TaskRecord {
	j.ensureIndex()
	if !j.sorted {
		slices.SortFunc(j.tasks, func(a, b TaskRecord) int { return cmp.Compare(a.Index, b.Index) })
		for pos, t := range j.tasks {
			j.byIndex[t.Index] = pos
		}
		clear(j.byDigest)
		for pos, t := range j.tasks {
			if t.OK() {
				j.byDigest[t.InputDigest] = pos
			}
		}
		j.sorted = true
	}
	return j.tasks
}

// ensureIndex makes the zero JobRun usable.
func (j *JobRun) ensureIndex() {
	if j.byIndex == nil {
		j.byIndex = map[int]int{}
		j.byDigest = map[string]int{}
		j.sorted = true
	}
}

// TaskRecord is one finished task: its final attempt, successful or not.
type TaskRecord struct {
	// Index is the task's position in its job's run.
	Index int `json:"index"`
	// Key is each.key rendered as a string, for messages.
	Key string `json:"key"`
	// InputDigest is "sha256:<hex>" of everything that makes this task's
	// input (its item, its chunk's bytes or their identity); with the job's
	// definition digest it decides whether a later run can reuse Output.
	InputDigest string `json:"input_digest"`
	// Output is the task's stdout; Log its stderr.
	Output OutputRef `json:"output,omitzero"`
	Log    OutputRef `json:"log,omitzero"`
	// ExitCode is the command's exit status, -1 when killed or not started.
	ExitCode int `json:"exit_code"`
	// Error says why a task failed other than by its exit status ("timed
	// out", "killed by SIGKILL", "executable file not found"); empty on
	// success.
	Error string `json:"error,omitempty"`
	// Attempts is the number of attempts made, retries included.
	Attempts int `json:"attempts"`
	// Duration is the final attempt's wall time.
	Duration time.Duration `json:"duration_ns"`
	// Worker names the slot that ran the final attempt: "localhost/3".
	Worker string `json:"worker,omitempty"`
}

// OK reports whether the task succeeded.
func (t TaskRecord) OK() bool { return t.ExitCode == 0 && t.Error == "" }
