package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalVersion is the version of the journal format this package reads and
// writes.
const JournalVersion = 1

// DefaultSyncInterval is how long a task record may stay written but not
// fsynced when JournalOptions.SyncInterval is zero.
const DefaultSyncInterval = 200 * time.Millisecond

// JournalOptions tune a Journal.
type JournalOptions struct {
	// SyncInterval bounds the time a task record stays unsynced (see
	// Journal); zero means DefaultSyncInterval, a negative value syncs every
	// task record.
	SyncInterval time.Duration
}

// Journal records the progress of one apply in <path>.journal, one JSON line
// per step, appended in a single write each, so that the cost of a record is
// O(1) and a killed process leaves at most a torn last line that the fold
// ignores. The first line names the lineage and serial of the state the
// journal applies to. Journal.Commit (or, after a crash, Recover) folds it
// into the state file and removes it.
//
// Durability: a record is in the file (and survives the process being
// killed) when its method returns. Resource, job and output records are also
// fsynced before their method returns: a resource that exists in the cloud
// is never forgotten. Task records are fsynced at most SyncInterval apart
// (by the next record after the interval, or by a timer when none comes) and
// by JobFinished, so a power loss loses at most the task records of the last
// interval (those tasks rerun) and never corrupts what was synced.
//
// A Journal is safe for concurrent use. The first failed write or sync makes
// every later record fail with the same error, so no record follows a torn
// one.
type Journal struct {
	path     string // the state file
	interval time.Duration

	mu       sync.Mutex
	f        *os.File // nil once closed
	started  map[string]bool
	dirty    bool // task records written since the last sync
	lastSync time.Time
	timer    *time.Timer
	err      error // sticky
}

// journalHeader is the journal's first line.
type journalHeader struct {
	JournalVersion int    `json:"journal_version"`
	Lineage        string `json:"lineage"`
	Serial         uint64 `json:"serial"`
	LithopsVersion string `json:"lithops_version,omitempty"`
}

// The record operations.
const (
	opResource        = "resource"         // Resource set (created, updated, tainted)
	opResourceDeleted = "resource_deleted" // Addr removed
	opJobStarted      = "job_started"      // Run replaces the job's run (with its reused tasks)
	opTask            = "task"             // Task of Job finished
	opReduce          = "reduce"           // Task is Job's reduce
	opJobFinished     = "job_finished"     // Job ended at Finished, Complete or not
	opJobRemoved      = "job_removed"      // Job's run forgotten
	opOutputs         = "outputs"          // Outputs replace the root outputs
)

// record is one journal line after the header.
type record struct {
	Op       string            `json:"op"`
	Job      string            `json:"job,omitempty"`
	Addr     string            `json:"addr,omitempty"`
	Resource *Resource         `json:"resource,omitempty"`
	Run      *fileJob          `json:"run,omitempty"`
	Task     *TaskRecord       `json:"task,omitempty"`
	Finished time.Time         `json:"finished,omitzero"`
	Complete bool              `json:"complete,omitempty"`
	Outputs  map[string]Output `json:"outputs,omitempty"`
}

// OpenJournal starts the journal of the state file at path, whose content is
// st (as Recover returned it). It fails with ErrJournalPending when a journal
// exists already. A state never written gets its lineage here (st.Lineage is
// set), so that the journal can name it.
func OpenJournal(path string, st *State, opts JournalOptions) (*Journal, error) {
	if st.Lineage == "" {
		if st.Serial != 0 {
			return nil, fmt.Errorf("open journal of state %q: state has serial %d but no lineage", path, st.Serial)
		}
		st.Lineage = newLineage()
	}
	jp := journalPath(path)
	f, err := os.OpenFile(jp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open journal of state %q: %w", path, ErrJournalPending)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal of state %q: %w", path, err)
	}
	j := &Journal{path: path, interval: opts.SyncInterval, f: f, started: map[string]bool{}, lastSync: time.Now()}
	if j.interval == 0 {
		j.interval = DefaultSyncInterval
	}
	h, err := json.Marshal(journalHeader{JournalVersion: JournalVersion, Lineage: st.Lineage, Serial: st.Serial, LithopsVersion: st.LithopsVersion})
	if err == nil {
		_, err = f.Write(append(h, '\n'))
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(filepath.Dir(jp))
	}
	if err != nil {
		f.Close()
		os.Remove(jp)
		return nil, fmt.Errorf("open journal of state %q: %w", path, err)
	}
	return j, nil
}

// SetResource records that r was created or updated (or half-created, with
// StatusTainted). Scrub sensitive attributes first (ScrubAttributes).
func (j *Journal) SetResource(r Resource) error {
	r, err := normalResource(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return j.append(record{Op: opResource, Resource: &r}, true)
}

// DeleteResource records that the resource at addr was deleted.
func (j *Journal) DeleteResource(addr string) error {
	return j.append(record{Op: opResourceDeleted, Addr: addr}, true)
}

// JobStarted records that run began; it replaces the job's recorded run. The
// tasks already recorded in run are the ones reused from the previous run
// (at their index in this run): they are written with it, in one record.
func (j *Journal) JobStarted(run *JobRun) error {
	if run.Name == "" {
		return fmt.Errorf("journal: job run without a name")
	}
	fj := run.file()
	if err := j.append(record{Op: opJobStarted, Run: &fj}, true); err != nil {
		return err
	}
	j.mu.Lock()
	j.started[run.Name] = true
	j.mu.Unlock()
	return nil
}

// TaskFinished records the final attempt of one task of job, which must have
// been started by JobStarted on this journal.
func (j *Journal) TaskFinished(job string, t TaskRecord) error {
	if err := j.checkStarted(job); err != nil {
		return err
	}
	return j.append(record{Op: opTask, Job: job, Task: &t}, false)
}

// ReduceFinished records the final attempt of job's reduce task.
func (j *Journal) ReduceFinished(job string, t TaskRecord) error {
	if err := j.checkStarted(job); err != nil {
		return err
	}
	return j.append(record{Op: opReduce, Job: job, Task: &t}, true)
}

// JobFinished records that job ended at finished; complete says every task
// succeeded. It syncs the job's task records.
func (j *Journal) JobFinished(job string, finished time.Time, complete bool) error {
	if err := j.checkStarted(job); err != nil {
		return err
	}
	return j.append(record{Op: opJobFinished, Job: job, Finished: finished.UTC(), Complete: complete}, true)
}

// JobRemoved records that job's run is forgotten (the job left the
// configuration, or destroy).
func (j *Journal) JobRemoved(job string) error {
	return j.append(record{Op: opJobRemoved, Job: job}, true)
}

// SetOutputs records the root outputs, replacing all earlier ones. The values
// of sensitive outputs are not written.
func (j *Journal) SetOutputs(outputs map[string]Output) error {
	scrubbed := make(map[string]Output, len(outputs))
	for name, o := range outputs {
		scrubbed[name] = o.scrubbed()
	}
	return j.append(record{Op: opOutputs, Outputs: scrubbed}, true)
}

func (j *Journal) checkStarted(job string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started[job] {
		return fmt.Errorf("journal: job %q was not started in this journal", job)
	}
	return nil
}

// append writes rec as one line in one write call, then syncs it now
// (durable) or within the sync interval.
func (j *Journal) append(rec record, durable bool) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("journal %s: %w", rec.Op, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if j.f == nil {
		return fmt.Errorf("journal %s: journal is closed", rec.Op)
	}
	if _, err := j.f.Write(line); err != nil {
		j.err = fmt.Errorf("journal of state %q: %w", j.path, err)
		return j.err
	}
	j.dirty = true
	switch {
	case durable || j.interval < 0 || time.Since(j.lastSync) >= j.interval:
		return j.syncLocked()
	case j.timer == nil:
		j.timer = time.AfterFunc(j.interval-time.Since(j.lastSync), j.syncTimer)
	}
	return nil
}

// syncTimer syncs task records nobody synced within the interval.
func (j *Journal) syncTimer() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timer = nil
	if j.f != nil && j.err == nil && j.dirty {
		j.syncLocked() // a failure is sticky and reported by the next call
	}
}

func (j *Journal) syncLocked() error {
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("journal of state %q: sync: %w", j.path, err)
		return j.err
	}
	j.dirty = false
	j.lastSync = time.Now()
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	return nil
}

// Close syncs and closes the journal and leaves it in place: the next
// Recover folds it. Commit is the usual end of a journal; Close is for a run
// that must leave its state file untouched.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	err := j.err
	if err == nil && j.dirty {
		err = j.syncLocked()
	}
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal of state %q: %w", j.path, cerr)
	}
	j.f = nil
	return err
}

// Commit closes the journal, folds it into the state file (one write,
// serial+1) and removes it, through the same path as Recover, and returns the
// new state. Every record that was written is folded, even after a record
// failed.
func (j *Journal) Commit() (*State, error) {
	j.Close() // a failed sync is no reason not to fold what was written
	st, _, err := Recover(j.path)
	if err != nil {
		return nil, err
	}
	return st, nil
}
