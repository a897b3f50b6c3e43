package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/golden"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// exampleState is the state of testdata/state.golden.json (before the write
// that bumps it to serial 5). Everything is added out of order to show that
// the file is sorted anyway.
func exampleState(t *testing.T) *State {
	t.Helper()
	st := New()
	st.LithopsVersion = "0.1.0"
	st.Lineage = "6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b"
	st.Serial = 4
	attrs, err := ScrubAttributes(json.RawMessage(`{"host":"10.0.0.5","password":"hunter2","port":22}`), []string{"password"})
	if err != nil {
		t.Fatal(err)
	}
	st.Resources[`executor.lab.bootstrap["10.0.0.5"]`] = Resource{
		Addr:         `executor.lab.bootstrap["10.0.0.5"]`,
		Type:         "vm_bootstrap",
		Block:        "executor.lab",
		Status:       StatusTainted,
		Attributes:   attrs,
		Dependencies: []string{"storage.data", "executor.lab.key"},
	}
	st.Resources["storage.data"] = Resource{
		Addr:       "storage.data",
		Type:       "localhost_directory",
		Block:      "storage.data",
		Attributes: json.RawMessage(`{"path":"/tmp/lithops-data"}`),
	}

	wc := &JobRun{
		Name:             "job.wordcount",
		DefinitionDigest: Digest([]byte("wc -w")),
		Executor:         "executor.local",
		Started:          t0,
		Finished:         t0.Add(3 * time.Second),
		Complete:         true,
		TaskCount:        3,
	}
	counts, err := InlineJSONOutput([]byte("{\"words\": 12}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []TaskRecord{
		{Index: 2, Key: "c.txt", InputDigest: Digest([]byte("c")), Output: counts, ExitCode: 0, Attempts: 1, Duration: 900 * time.Millisecond, Worker: "localhost/1"},
		{Index: 0, Key: "a.txt", InputDigest: Digest([]byte("a")), Output: InlineOutput([]byte("7\n")), Log: InlineOutput([]byte("warning: long line\n")), Attempts: 2, Duration: 1200 * time.Millisecond, Worker: "localhost/0"},
		{Index: 1, Key: "b.txt", InputDigest: Digest([]byte("b")), Output: InlineOutput([]byte{0xff, 0xfe, '\n'}), Attempts: 1, Duration: 30 * time.Millisecond, Worker: "localhost/1"},
	} {
		wc.Record(rec)
	}
	wc.Reduce = &TaskRecord{Index: 0, Key: "reduce", InputDigest: Digest([]byte("7\n\xff\xfe\n{\"words\": 12}\n")), Output: InlineOutput([]byte("19\n")), Attempts: 1, Duration: 5 * time.Millisecond, Worker: "localhost/0"}
	st.Jobs[wc.Name] = wc

	grep := &JobRun{
		Name:             "job.errors",
		DefinitionDigest: Digest([]byte("grep -c ERROR")),
		Executor:         "executor.fleet",
		Storage:          "storage.logs",
		Started:          t0.Add(time.Minute).In(time.FixedZone("CET", 3600)),
		TaskCount:        4,
	}
	grep.Record(TaskRecord{Index: 3, Key: "3", InputDigest: Digest([]byte("chunk 3")), ExitCode: 1, Error: "timed out", Log: ObjectOutput("storage.logs", "lithops/job.errors/3/stderr", 1<<20, Digest([]byte("log"))), Attempts: 3, Duration: 10 * time.Minute, Worker: "10.0.0.5/2"})
	grep.Record(TaskRecord{Index: 0, Key: "0", InputDigest: Digest([]byte("chunk 0")), Output: ObjectOutput("storage.logs", "lithops/job.errors/0/stdout", 64<<20, Digest([]byte("out"))), Attempts: 1, Duration: 4 * time.Second, Worker: "10.0.0.5/1"})
	st.Jobs[grep.Name] = grep

	st.Outputs["words"] = Output{Value: json.RawMessage(`19`), Type: json.RawMessage(`"number"`)}
	st.Outputs["token"] = Output{Value: json.RawMessage(`"s3cr3t"`), Type: json.RawMessage(`"string"`), Sensitive: true}
	return st
}

// view is a State as plain comparable data, sorted.
func view(t *testing.T, st *State) *fileState {
	t.Helper()
	fst, err := encodeState(st, st.Lineage, st.Serial)
	if err != nil {
		t.Fatal(err)
	}
	return fst
}

func TestWriteGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	if err := Write(path, exampleState(t)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "state.golden.json", string(got))
}

func TestReadGoldenRoundTrip(t *testing.T) {
	st, err := Read(filepath.Join("testdata", "state.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := exampleState(t)
	want.Serial = 5
	if diff := cmp.Diff(view(t, want), view(t, st)); diff != "" {
		t.Errorf("wrong state read back (-want +got):\n%s", diff)
	}
	// Writing what was read changes nothing but the serial.
	path := filepath.Join(t.TempDir(), "lithops.state")
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	orig, _ := os.ReadFile(filepath.Join("testdata", "state.golden.json"))
	orig = bytes.Replace(orig, []byte(`"serial": 5,`), []byte(`"serial": 6,`), 1)
	if diff := cmp.Diff(string(orig), string(got)); diff != "" {
		t.Errorf("wrong rewrite of the golden state (-want +got):\n%s", diff)
	}
}

func TestReadMissingFileIsEmptyState(t *testing.T) {
	st, err := Read(filepath.Join(t.TempDir(), "none.state"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(view(t, New()), view(t, st)); diff != "" {
		t.Errorf("wrong state for a missing file (-want +got):\n%s", diff)
	}
}

func TestWriteSerialLineageBackupMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lithops.state")
	st := New()
	type snapshot struct {
		Serial       uint64
		BackupSerial uint64 // 0: no backup
		Mode         os.FileMode
		Files        []string
	}
	var lineage string
	var got []snapshot
	for i := range 3 {
		st.Outputs["n"] = Output{Value: json.RawMessage(strings.Repeat("1", i+1))}
		if err := Write(path, st); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			lineage = st.Lineage
		}
		if st.Lineage != lineage || lineage == "" {
			t.Fatalf("lineage changed from %q to %q on write %d", lineage, st.Lineage, i+1)
		}
		onDisk, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if onDisk.Serial != st.Serial || onDisk.Lineage != lineage {
			t.Fatalf("file has lineage %q serial %d, memory %q %d", onDisk.Lineage, onDisk.Serial, st.Lineage, st.Serial)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		s := snapshot{Serial: st.Serial, Mode: fi.Mode().Perm()}
		if b, err := Read(backupPath(path)); err == nil && b.Lineage != "" {
			s.BackupSerial = b.Serial
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			s.Files = append(s.Files, e.Name())
		}
		got = append(got, s)
	}
	want := []snapshot{
		{Serial: 1, BackupSerial: 0, Mode: 0o600, Files: []string{"lithops.state"}},
		{Serial: 2, BackupSerial: 1, Mode: 0o600, Files: []string{"lithops.state", "lithops.state.backup"}},
		{Serial: 3, BackupSerial: 2, Mode: 0o600, Files: []string{"lithops.state", "lithops.state.backup"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong files after each write (-want +got):\n%s", diff)
	}
	// A state read back keeps its lineage through further writes.
	again, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(path, again); err != nil {
		t.Fatal(err)
	}
	if again.Lineage != lineage || again.Serial != 4 {
		t.Errorf("after read and write: lineage %q serial %d, want %q 4", again.Lineage, again.Serial, lineage)
	}
}

func TestWriteNeverRecordsSensitiveValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	if err := Write(path, exampleState(t)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "s3cr3t"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("state file contains the sensitive value %q", secret)
		}
	}
	st, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Output{Type: json.RawMessage(`"string"`), Sensitive: true}
	if diff := cmp.Diff(want, st.Outputs["token"]); diff != "" {
		t.Errorf("wrong sensitive output (-want +got):\n%s", diff)
	}
}

func TestReadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, file, err string
	}{
		{"newer format", `{"format_version": 2, "lithops_version": "0.9.0", "lineage": "x", "resources": {"new": "layout"}}`,
			`format version 2 (written by lithops 0.9.0) is newer than this lithops reads (1): upgrade lithops`},
		{"no format version", `{"lineage": "x"}`, `no format_version: not a lithops state file`},
		{"old format version", `{"format_version": 0, "lineage": "x"}`, `unsupported format_version 0`},
		{"not JSON", `terraform`, `invalid character`},
		{"no lineage", `{"format_version": 1, "serial": 3}`, `no lineage`},
		{"resource twice", `{"format_version": 1, "lineage": "x", "resources": [{"addr": "storage.a"}, {"addr": "storage.a"}]}`,
			`resource "storage.a" recorded twice`},
		{"unknown status", `{"format_version": 1, "lineage": "x", "resources": [{"addr": "storage.a", "status": "gone"}]}`,
			`resource "storage.a": unknown status "gone"`},
		{"job twice", `{"format_version": 1, "lineage": "x", "jobs": [{"name": "job.a"}, {"name": "job.a"}]}`,
			`job "job.a" recorded twice`},
		{"task twice", `{"format_version": 1, "lineage": "x", "jobs": [{"name": "job.a", "tasks": [{"index": 1}, {"index": 1}]}]}`,
			`job "job.a": two records of one task index`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lithops.state")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Read error = %v, want one naming %q and containing %q", err, path, tc.err)
			}
		})
	}
}

func TestReadNewerFormatIsFormatError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	os.WriteFile(path, []byte(`{"format_version": 3, "lithops_version": "2.0.0", "lineage": "x"}`), 0o600)
	_, err := Read(path)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("Read error = %v, want a *FormatError", err)
	}
	if diff := cmp.Diff(&FormatError{Version: 3, Supported: 1, WrittenBy: "2.0.0"}, fe); diff != "" {
		t.Errorf("wrong FormatError (-want +got):\n%s", diff)
	}
}

func TestWriteRefusesInconsistentState(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*State)
		err  string
	}{
		{"resource under another key", func(st *State) { st.Resources["storage.b"] = Resource{Addr: "storage.a"} },
			`resource recorded under "storage.b" has address "storage.a"`},
		{"unknown status", func(st *State) { st.Resources["storage.a"] = Resource{Addr: "storage.a", Status: "deleted"} },
			`resource "storage.a": unknown status "deleted"`},
		{"job under another key", func(st *State) { st.Jobs["job.b"] = &JobRun{Name: "job.a"} },
			`job run recorded under "job.b" is not that job's`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lithops.state")
			st := New()
			tc.edit(st)
			err := Write(path, st)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Write error = %v, want one containing %q", err, tc.err)
			}
			if st.Serial != 0 || st.Lineage != "" {
				t.Errorf("failed write changed the state: lineage %q serial %d", st.Lineage, st.Serial)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
				t.Errorf("failed write left files: %v", entries)
			}
		})
	}
}

func TestWriteRefusesWhileJournalPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	st := New()
	j, err := OpenJournal(path, st, JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := Write(path, st); !errors.Is(err, ErrJournalPending) {
		t.Fatalf("Write with a journal pending: error = %v, want ErrJournalPending", err)
	}
}

func TestWriteSortsDependenciesWithoutTouchingCaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	deps := []string{"storage.z", "storage.a"}
	st := New()
	st.Resources["executor.x"] = Resource{Addr: "executor.x", Attributes: json.RawMessage(`{}`), Dependencies: deps}
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Resources["executor.x"].Dependencies; !slices.Equal(got, []string{"storage.a", "storage.z"}) {
		t.Errorf("dependencies read back %v, want sorted", got)
	}
	if !slices.Equal(deps, []string{"storage.z", "storage.a"}) {
		t.Errorf("Write reordered the caller's slice: %v", deps)
	}
}

// TestEncodeIndentedIsMarshalIndent: the state is written one task record
// at a time, and the bytes are those of json.MarshalIndent of the whole
// document, whatever the state holds.
func TestEncodeIndentedIsMarshalIndent(t *testing.T) {
	tricky := New()
	tricky.Lineage = "l"
	tricky.Resources["storage.x"] = Resource{Addr: "storage.x", Type: "t", Block: "storage.x",
		Attributes: json.RawMessage(`{"jobs":[],"tasks":[],"nested":{"jobs":[],"tasks":[]},"s":"\n  \"jobs\": []"}`)}
	empty := &JobRun{Name: "job.empty", DefinitionDigest: "sha256:e", TaskCount: 3}
	tricky.Jobs[empty.Name] = empty
	onlyReduce := &JobRun{Name: "job.r", Reduce: &TaskRecord{Key: "<&>", Output: InlineOutput([]byte("a\tb\n"))}}
	tricky.Jobs[onlyReduce.Name] = onlyReduce
	tricky.Outputs["jobs"] = Output{Value: json.RawMessage(`{"jobs": [], "tasks": []}`), Type: json.RawMessage(`"dynamic"`)}

	tests := []struct {
		name string
		st   *State
	}{
		{"empty", New()},
		{"example", exampleState(t)},
		{"keys that look like the ones replaced", tricky},
		{"many tasks", benchState(1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fst := view(t, tt.st)
			want, err := json.MarshalIndent(fst, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := encodeIndented(&got, fst); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want)+"\n", got.String()); diff != "" {
				t.Errorf("wrong encoding (-MarshalIndent +encodeIndented):\n%s", diff)
			}
		})
	}
}
