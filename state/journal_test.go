package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/golden"
)

const testLineage = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"

// baseState is the state before the journal of journalSteps: serial 1, an
// old bucket, a previous run of job.wc, and a job about to be removed.
func baseState() *State {
	st := New()
	st.LithopsVersion = "0.0.9"
	st.Lineage, st.Serial = testLineage, 1
	st.Resources["storage.old"] = Resource{Addr: "storage.old", Type: "localhost_directory", Block: "storage.old", Status: StatusReady, Attributes: json.RawMessage(`{"path":"/old"}`)}
	old := &JobRun{Name: "job.wc", DefinitionDigest: "sha256:wc", Executor: "executor.local", Started: t0.Add(-time.Hour), Finished: t0.Add(-time.Hour), Complete: true, TaskCount: 1}
	old.Record(TaskRecord{Index: 0, Key: "a", InputDigest: "sha256:a", Output: InlineOutput([]byte("1\n")), Attempts: 1})
	st.Jobs[old.Name] = old
	st.Jobs["job.gone"] = &JobRun{Name: "job.gone", DefinitionDigest: "sha256:gone", Complete: true}
	return st
}

var (
	stepBucket = Resource{Addr: "storage.data", Type: "localhost_directory", Block: "storage.data", Status: StatusReady, Attributes: json.RawMessage(`{"path":"/data"}`)}
	stepHost   = Resource{Addr: `executor.lab.bootstrap["10.0.0.5"]`, Type: "vm_bootstrap", Block: "executor.lab", Status: StatusTainted,
		Attributes: json.RawMessage(`{"host":"10.0.0.5","key":null}`), Dependencies: []string{"storage.data"}}
	stepTask1 = TaskRecord{Index: 1, Key: "a", InputDigest: "sha256:a", Output: InlineOutput([]byte("1\n")), Attempts: 1} // reused
	stepTask2 = TaskRecord{Index: 2, Key: "c", InputDigest: "sha256:c", Output: ObjectOutput("storage.data", "job.wc/2", 1<<20, "sha256:out2"), Attempts: 2, Duration: time.Second, Worker: "localhost/1"}
	stepTask0 = TaskRecord{Index: 0, Key: "b", InputDigest: "sha256:b", Log: InlineOutput([]byte("boom\n")), ExitCode: 1, Attempts: 3, Duration: 2 * time.Millisecond, Worker: "localhost/0"}
	stepRed   = TaskRecord{Index: 0, Key: "reduce", InputDigest: "sha256:r", Output: InlineOutput([]byte("3\n")), Attempts: 1}
)

// journalSteps records one apply: resources created, tainted and deleted, a
// job with a reused task, two finished tasks (one failed) and its reduce, a
// job removed, outputs (one sensitive).
func journalSteps(t *testing.T, j *Journal) {
	t.Helper()
	run := &JobRun{Name: "job.wc", DefinitionDigest: "sha256:wc", Executor: "executor.local", Storage: "storage.data", Started: t0, TaskCount: 3}
	run.Record(stepTask1)
	for _, step := range []func() error{
		func() error { return j.SetResource(stepBucket) },
		func() error { return j.SetResource(stepHost) },
		func() error { return j.DeleteResource("storage.old") },
		func() error { return j.JobStarted(run) },
		func() error { return j.TaskFinished("job.wc", stepTask2) },
		func() error { return j.TaskFinished("job.wc", stepTask0) },
		func() error { return j.ReduceFinished("job.wc", stepRed) },
		func() error { return j.JobFinished("job.wc", t0.Add(5*time.Second), false) },
		func() error { return j.JobRemoved("job.gone") },
		func() error {
			return j.SetOutputs(map[string]Output{
				"words": {Value: json.RawMessage(`3`), Type: json.RawMessage(`"number"`)},
				"token": {Value: json.RawMessage(`"s3cr3t"`), Type: json.RawMessage(`"string"`), Sensitive: true},
			})
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
}

// stateAfterSteps is baseState with journalSteps applied, built by hand.
func stateAfterSteps() *State {
	st := New()
	st.LithopsVersion = "0.1.0"
	st.Lineage, st.Serial = testLineage, 2
	st.Resources[stepBucket.Addr] = stepBucket
	st.Resources[stepHost.Addr] = stepHost
	run := &JobRun{Name: "job.wc", DefinitionDigest: "sha256:wc", Executor: "executor.local", Storage: "storage.data", Started: t0, Finished: t0.Add(5 * time.Second), TaskCount: 3, Reduce: &stepRed}
	run.Record(stepTask0)
	run.Record(stepTask1)
	run.Record(stepTask2)
	st.Jobs[run.Name] = run
	st.Outputs["words"] = Output{Value: json.RawMessage(`3`), Type: json.RawMessage(`"number"`)}
	st.Outputs["token"] = Output{Type: json.RawMessage(`"string"`), Sensitive: true}
	return st
}

// writtenBase writes baseState to a new state file and returns its path.
func writtenBase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lithops.state")
	st := baseState()
	st.Serial = 0
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

// journalBytes records journalSteps against baseState and returns the
// journal file's content.
func journalBytes(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lithops.state")
	st := baseState()
	st.LithopsVersion = "0.1.0"
	j, err := OpenJournal(path, st, JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	journalSteps(t, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(journalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestJournalGolden(t *testing.T) {
	golden.Check(t, "journal.golden.jsonl", string(journalBytes(t)))
}

func TestJournalCommitFoldsIntoState(t *testing.T) {
	path := writtenBase(t)
	st, _, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	st.LithopsVersion = "0.1.0"
	j, err := OpenJournal(path, st, JournalOptions{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	journalSteps(t, j)
	got, err := j.Commit()
	if err != nil {
		t.Fatal(err)
	}
	want := stateAfterSteps()
	if diff := cmp.Diff(view(t, want), view(t, got)); diff != "" {
		t.Errorf("wrong state returned by Commit (-want +got):\n%s", diff)
	}
	onDisk, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(view(t, want), view(t, onDisk)); diff != "" {
		t.Errorf("wrong state file after Commit (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(journalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal still there after Commit: %v", err)
	}
	if b, err := Read(backupPath(path)); err != nil || b.Serial != 1 {
		t.Errorf("backup after Commit: serial %v, %v; want 1", b.Serial, err)
	}
	// The reused task is found by its input digest at its new index.
	if r, ok := got.Cached("job.wc", "sha256:wc", "sha256:a"); !ok || r.Index != 1 {
		t.Errorf("Cached(job.wc, a) = %+v, %v; want task 1", r, ok)
	}
	if _, ok := got.Cached("job.wc", "sha256:wc", "sha256:b"); ok {
		t.Errorf("Cached found the failed task")
	}
}

func TestJournalNeverRecordsSensitiveValues(t *testing.T) {
	data := journalBytes(t)
	if bytes.Contains(data, []byte("s3cr3t")) {
		t.Errorf("journal contains a sensitive output value:\n%s", data)
	}
}

func TestRecoverWithoutJournalReadsState(t *testing.T) {
	path := writtenBase(t)
	st, info, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RecoverInfo{}, info); diff != "" {
		t.Errorf("wrong RecoverInfo (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(view(t, baseState()), view(t, st)); diff != "" {
		t.Errorf("wrong state (-want +got):\n%s", diff)
	}
}

// putJournal writes a journal file with the given header and the records of
// journalSteps.
func putJournal(t *testing.T, path, lineage string, serial uint64) {
	t.Helper()
	data := journalBytes(t)
	h, _ := json.Marshal(journalHeader{JournalVersion: 1, Lineage: lineage, Serial: serial, LithopsVersion: "0.1.0"})
	data = append(append(h, '\n'), data[bytes.IndexByte(data, '\n')+1:]...)
	if err := os.WriteFile(journalPath(path), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverRefusesJournalOfAnotherState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lineage string
		serial  uint64
	}{
		{"other lineage", "ffffffff-0000-4000-8000-000000000000", 1},
		{"other lineage, one write behind", "ffffffff-0000-4000-8000-000000000000", 0},
		{"journal ahead of state", testLineage, 2},
		{"state moved on since", testLineage, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writtenBase(t)
			if tc.serial == 7 { // a state at serial 9
				for range 8 {
					st, _ := Read(path)
					Write(path, st)
				}
			}
			before, _ := os.ReadFile(path)
			putJournal(t, path, tc.lineage, tc.serial)
			_, _, err := Recover(path)
			var mm *MismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("Recover error = %v, want a *MismatchError", err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "journal belongs to state lineage") {
				t.Errorf("error %q does not say which state and why", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Errorf("Recover changed the state file")
			}
			if _, err := os.Stat(journalPath(path)); err != nil {
				t.Errorf("Recover removed the refused journal: %v", err)
			}
		})
	}
}

func TestRecoverJournalAlreadyFolded(t *testing.T) {
	// The process died after writing the folded state (serial 2) and before
	// removing the journal (made for serial 1).
	path := writtenBase(t)
	st, _ := Read(path)
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	putJournal(t, path, testLineage, 1)
	got, info, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RecoverInfo{Journal: true, AlreadyFolded: true}, info); diff != "" {
		t.Errorf("wrong RecoverInfo (-want +got):\n%s", diff)
	}
	if got.Serial != 2 {
		t.Errorf("serial %d, want 2 (nothing written)", got.Serial)
	}
	if _, err := os.Stat(journalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal still there: %v", err)
	}
}

func TestFirstApplyTakesLineageFromJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	st, _, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, st, JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lineage := st.Lineage
	if lineage == "" {
		t.Fatal("OpenJournal gave a new state no lineage")
	}
	if err := j.SetResource(stepBucket); err != nil {
		t.Fatal(err)
	}
	j.Close() // as if killed: the next run recovers
	if fi, err := os.Stat(journalPath(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	got, info, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lineage != lineage || got.Serial != 1 || info.Records != 1 {
		t.Errorf("recovered lineage %q serial %d records %d, want %q 1 1", got.Lineage, got.Serial, info.Records, lineage)
	}
}

func TestJournalMisuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	st := New()
	j, err := OpenJournal(path, st, JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(path, st, JournalOptions{}); !errors.Is(err, ErrJournalPending) {
		t.Errorf("second OpenJournal: error = %v, want ErrJournalPending", err)
	}
	if err := j.TaskFinished("job.x", stepTask0); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("TaskFinished of a job not started: error = %v", err)
	}
	if err := j.SetResource(Resource{Addr: "storage.a", Status: "bogus"}); err == nil {
		t.Errorf("SetResource accepted an unknown status")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.DeleteResource("storage.a"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("record after Close: error = %v", err)
	}
}

func TestFoldRefusesNewerJournal(t *testing.T) {
	st := baseState()
	_, err := Fold(st, strings.NewReader(`{"journal_version":2,"lineage":"`+testLineage+`","serial":1,"lithops_version":"3.0.0"}`+"\n"))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Version != 2 || fe.WrittenBy != "3.0.0" {
		t.Errorf("Fold of a newer journal: error = %v, want a FormatError", err)
	}
	if _, err := Fold(st, strings.NewReader("{\"op\":\"task\"}\n")); err == nil || !strings.Contains(err.Error(), "not a lithops journal") {
		t.Errorf("Fold without a header: error = %v", err)
	}
}

// TestFoldTruncatedAtEveryOffset cuts the journal at every byte: folding
// never fails, applies exactly the records whose line is complete, reports
// the rest as dropped, and gives the state of the last complete line.
func TestFoldTruncatedAtEveryOffset(t *testing.T) {
	data := journalBytes(t)
	// atLine[n] is the state after the first n records.
	var ends []int // end offset of each line, header first
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	atLine := make([]*fileState, len(ends))
	for n := range ends {
		st := baseState()
		if _, err := Fold(st, bytes.NewReader(data[:ends[n]])); err != nil {
			t.Fatalf("fold of %d records: %v", n, err)
		}
		atLine[n] = view(t, st)
	}
	whole := stateAfterSteps()
	whole.Serial = 1 // folded in memory, not written
	if diff := cmp.Diff(view(t, whole), atLine[len(atLine)-1]); diff != "" {
		t.Fatalf("wrong fold of the whole journal (-want +got):\n%s", diff)
	}
	unchanged := view(t, baseState())
	for k := 0; k <= len(data); k++ {
		st := baseState()
		info, err := Fold(st, bytes.NewReader(data[:k]))
		if err != nil {
			t.Fatalf("cut at %d: %v", k, err)
		}
		complete := 0 // lines complete within data[:k]
		for complete < len(ends) && ends[complete] <= k {
			complete++
		}
		end, want := 0, unchanged
		if complete > 0 {
			end, want = ends[complete-1], atLine[complete-1]
		}
		wantInfo := FoldInfo{Records: max(complete-1, 0), Dropped: int64(k - end)}
		if diff := cmp.Diff(wantInfo, info); diff != "" {
			t.Fatalf("cut at %d: wrong FoldInfo (-want +got):\n%s", k, diff)
		}
		if diff := cmp.Diff(want, view(t, st)); diff != "" {
			t.Fatalf("cut at %d: wrong state (-want +got):\n%s", k, diff)
		}
	}
}

func TestFoldStopsAtDamagedLine(t *testing.T) {
	data := journalBytes(t)
	lines := bytes.SplitAfter(data, []byte("\n"))
	// After a power loss, unsynced pages may read back as zeros: damage in
	// the middle of record 3 (line 4); what follows is not trusted.
	damaged := bytes.Join(lines[:3], nil)
	bad := bytes.Repeat([]byte{0}, len(lines[3])-1)
	damaged = append(append(damaged, bad...), '\n')
	rest := bytes.Join(lines[4:], nil)
	damaged = append(damaged, rest...)

	st := baseState()
	info, err := Fold(st, bytes.NewReader(damaged))
	if err != nil {
		t.Fatal(err)
	}
	want := FoldInfo{Records: 2, Dropped: int64(len(bad) + 1 + len(rest))}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("wrong FoldInfo (-want +got):\n%s", diff)
	}
	wantSt := baseState()
	Fold(wantSt, bytes.NewReader(bytes.Join(lines[:3], nil)))
	if diff := cmp.Diff(view(t, wantSt), view(t, st)); diff != "" {
		t.Errorf("wrong state (-want +got):\n%s", diff)
	}
}

// TestRecoverAfterWriterKilled kills a process that appends task records as
// fast as it can; the next run recovers every record that was complete.
func TestRecoverAfterWriterKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	if err := Write(path, New()); err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, "write-journal", path)
	if got := h.line(t); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	h.kill(t)

	st, info, err := Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	run := st.Jobs["job.big"]
	if run == nil || run.Len() < 50 {
		t.Fatalf("recovered run %+v, want at least 50 tasks", run)
	}
	for i, got := range run.Tasks() {
		if diff := cmp.Diff(taskFixture(i), got); diff != "" {
			t.Fatalf("wrong task %d of %d (-want +got):\n%s", i, run.Len(), diff)
		}
	}
	if !info.Journal || info.Records != run.Len()+1 || st.Serial != 2 {
		t.Errorf("RecoverInfo %+v serial %d, want %d records (job start and tasks), serial 2", info, st.Serial, run.Len()+1)
	}
	if _, err := os.Stat(journalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal still there: %v", err)
	}
	t.Logf("recovered %d tasks, dropped %d torn bytes", run.Len(), info.Dropped)
}

// TestJournalConcurrentRecords records tasks of two jobs from several
// goroutines while the sync timer runs; every record is folded.
func TestJournalConcurrentRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	st := New()
	j, err := OpenJournal(path, st, JournalOptions{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	jobs := []string{"job.a", "job.b"}
	for _, job := range jobs {
		if err := j.JobStarted(&JobRun{Name: job, TaskCount: 400}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < 400; i += 4 {
				for _, job := range jobs {
					if err := j.TaskFinished(job, taskFixture(i)); err != nil {
						t.Error(err)
						return
					}
				}
				if i%50 == 0 {
					time.Sleep(2 * time.Millisecond) // let the sync timer fire
				}
			}
		})
	}
	wg.Wait()
	got, err := j.Commit()
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range jobs {
		run := got.Jobs[job]
		if run.Len() != 400 {
			t.Fatalf("%s has %d tasks, want 400", job, run.Len())
		}
		for i, rec := range run.Tasks() {
			if diff := cmp.Diff(taskFixture(i), rec); diff != "" {
				t.Fatalf("wrong task %d of %s (-want +got):\n%s", i, job, diff)
			}
		}
	}
}
