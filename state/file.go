package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The files kept next to a state file at path.
func backupPath(path string) string  { return path + ".backup" }
func journalPath(path string) string { return path + ".journal" }
func lockPath(path string) string    { return path + ".lock" }

// ErrJournalPending is returned by Write and OpenJournal when the state has a
// journal that was not folded yet (an apply was interrupted): Recover it
// first.
var ErrJournalPending = errors.New("state has a journal of an interrupted run; recover it first")

// FormatError reports a state or journal written in a format newer than this
// lithops reads.
type FormatError struct {
	Version   int    // the file's format version
	Supported int    // the newest version this package reads
	WrittenBy string // the lithops version that wrote it, if recorded
}

func (e *FormatError) Error() string {
	by := ""
	if e.WrittenBy != "" {
		by = " by lithops " + e.WrittenBy
	}
	return fmt.Sprintf("format version %d (written%s) is newer than this lithops reads (%d): upgrade lithops", e.Version, by, e.Supported)
}

// fileState is the state file's layout (format version 1). Slices are sorted
// so that two writes of the same state are the same bytes.
type fileState struct {
	FormatVersion  int               `json:"format_version"`
	LithopsVersion string            `json:"lithops_version"`
	Lineage        string            `json:"lineage"`
	Serial         uint64            `json:"serial"`
	Resources      []Resource        `json:"resources"`
	Jobs           []fileJob         `json:"jobs"`
	Outputs        map[string]Output `json:"outputs"`
}

// fileJob is a JobRun in the state file and in the journal's job_started
// record.
type fileJob struct {
	Name             string       `json:"name"`
	DefinitionDigest string       `json:"definition_digest"`
	Executor         string       `json:"executor"`
	Storage          string       `json:"storage,omitempty"`
	Started          time.Time    `json:"started,omitzero"`
	Finished         time.Time    `json:"finished,omitzero"`
	Complete         bool         `json:"complete"`
	TaskCount        int          `json:"task_count"`
	Tasks            []TaskRecord `json:"tasks"`
	Reduce           *TaskRecord  `json:"reduce,omitempty"`
}

// Read reads the state file at path. A missing file is an empty state (New).
// A file of a newer format version is refused with a *FormatError.
func Read(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	st, err := decodeState(data)
	if err != nil {
		return nil, fmt.Errorf("read state %q: %w", path, err)
	}
	return st, nil
}

// Write writes st to path atomically and bumps st.Serial; the first write of
// a state also sets st.Lineage. The previous file, if any, becomes
// <path>.backup (the only backup kept). The file is mode 0600. Write refuses
// (ErrJournalPending) while <path>.journal exists. Call it with the lock held.
//
// The new file is written to a temporary file in the same directory, synced,
// and renamed over path, and the directory is synced: after a crash path
// holds either the old or the new state, never a mix.
func Write(path string, st *State) error {
	if _, err := os.Lstat(journalPath(path)); err == nil {
		return fmt.Errorf("write state %q: %w", path, ErrJournalPending)
	}
	return writeState(path, st)
}

// writeState is Write without the journal check; the fold of a journal uses
// it before removing the journal.
func writeState(path string, st *State) error {
	lineage := st.Lineage
	if lineage == "" {
		lineage = newLineage()
	}
	fst, err := encodeState(st, lineage, st.Serial+1)
	if err != nil {
		return fmt.Errorf("write state %q: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return encodeIndented(w, fst) }); err != nil {
		return fmt.Errorf("write state %q: %w", path, err)
	}
	st.Lineage, st.Serial = lineage, fst.Serial
	return nil
}

// encodeIndented writes fst exactly as json.MarshalIndent(fst, "", "  ")
// and a newline would, but one task record at a time, so that writing a
// state needs memory for one record rather than for the whole document
// several times over (170 MB to write a state of 100,000 tasks).
func encodeIndented(w io.Writer, fst *fileState) error {
	shell := *fst
	shell.Jobs = []fileJob{}
	head, err := json.MarshalIndent(&shell, "", "  ")
	if err != nil {
		return err
	}
	// The top-level keys are the only lines indented by exactly two spaces.
	before, after, ok := bytes.Cut(head, []byte("\n  \"jobs\": []"))
	if !ok {
		return errors.New("encode state: no jobs key")
	}
	if len(fst.Jobs) == 0 {
		before, after = head, nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	if len(fst.Jobs) > 0 {
		bw.WriteString("\n  \"jobs\": [")
		for i := range fst.Jobs {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			if err := encodeJobIndented(bw, &fst.Jobs[i]); err != nil {
				return err
			}
		}
		bw.WriteString("\n  ]")
		bw.Write(after)
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// encodeJobIndented writes one job of the state's jobs array, as
// encodeIndented does the whole state.
func encodeJobIndented(w *bufio.Writer, job *fileJob) error {
	const prefix = "    " // a job is an element of the top-level jobs array
	shell := *job
	shell.Tasks = []TaskRecord{}
	head, err := json.MarshalIndent(&shell, prefix, "  ")
	if err != nil {
		return err
	}
	// A job's own keys are the only lines indented by exactly six spaces.
	before, after, ok := bytes.Cut(head, []byte("\n      \"tasks\": []"))
	if !ok {
		return errors.New("encode state: no tasks key")
	}
	if len(job.Tasks) == 0 {
		_, err := w.Write(head)
		return err
	}
	w.Write(before)
	w.WriteString("\n      \"tasks\": [")
	// One encoder and buffer for every record: its output is MarshalIndent's
	// and a newline.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent(prefix+"    ", "  ")
	for i := range job.Tasks {
		if i > 0 {
			w.WriteByte(',')
		}
		buf.Reset()
		if err := enc.Encode(&job.Tasks[i]); err != nil {
			return err
		}
		w.WriteString("\n        ")
		w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	w.WriteString("\n      ]")
	_, err = w.Write(after)
	return err
}

// writeAtomic replaces path by what write writes: temporary file, fsync,
// hard link of the old file to the backup, rename, directory fsync.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := backup(path, tmp+".backup"); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// backup makes the current file at path the backup, atomically: a hard link
// (the old inode, no copy) renamed over <path>.backup. Where hard links are
// not supported it copies. Nothing to do when path does not exist.
func backup(path, tmp string) error {
	if err := os.Link(path, tmp); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err := copyFile(path, tmp); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := os.Rename(tmp, backupPath(path)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(to)
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(to)
		return err
	}
	return dst.Close()
}

// syncDir makes the directory entries of dir (a rename, a new or removed
// file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %q: %w", dir, err)
	}
	return nil
}

// encodeState converts st to the file layout, sorted, with the given lineage
// and serial.
func encodeState(st *State, lineage string, serial uint64) (*fileState, error) {
	fst := &fileState{
		FormatVersion:  FormatVersion,
		LithopsVersion: st.LithopsVersion,
		Lineage:        lineage,
		Serial:         serial,
		Resources:      make([]Resource, 0, len(st.Resources)),
		Jobs:           make([]fileJob, 0, len(st.Jobs)),
		Outputs:        make(map[string]Output, len(st.Outputs)),
	}
	for addr, r := range st.Resources {
		if addr != r.Addr {
			return nil, fmt.Errorf("resource recorded under %q has address %q", addr, r.Addr)
		}
		r, err := normalResource(r)
		if err != nil {
			return nil, err
		}
		fst.Resources = append(fst.Resources, r)
	}
	slices.SortFunc(fst.Resources, func(a, b Resource) int { return strings.Compare(a.Addr, b.Addr) })
	for name, run := range st.Jobs {
		if run == nil || name != run.Name {
			return nil, fmt.Errorf("job run recorded under %q is not that job's", name)
		}
		fst.Jobs = append(fst.Jobs, run.file())
	}
	slices.SortFunc(fst.Jobs, func(a, b fileJob) int { return strings.Compare(a.Name, b.Name) })
	for name, o := range st.Outputs {
		fst.Outputs[name] = o.scrubbed()
	}
	return fst, nil
}

// normalResource checks r and returns it with its status defaulted and its
// dependencies sorted (in a copy).
func normalResource(r Resource) (Resource, error) {
	if r.Addr == "" {
		return r, fmt.Errorf("resource of type %q has no address", r.Type)
	}
	switch r.Status {
	case "":
		r.Status = StatusReady
	case StatusReady, StatusTainted:
	default:
		return r, fmt.Errorf("resource %q: unknown status %q", r.Addr, r.Status)
	}
	if !slices.IsSorted(r.Dependencies) {
		r.Dependencies = slices.Sorted(slices.Values(r.Dependencies))
	}
	return r, nil
}

// file returns the run in the file layout, tasks sorted by index and times
// in UTC.
func (j *JobRun) file() fileJob {
	tasks := j.Tasks()
	if tasks == nil {
		tasks = []TaskRecord{}
	}
	return fileJob{
		Name:             j.Name,
		DefinitionDigest: j.DefinitionDigest,
		Executor:         j.Executor,
		Storage:          j.Storage,
		Started:          utc(j.Started),
		Finished:         utc(j.Finished),
		Complete:         j.Complete,
		TaskCount:        j.TaskCount,
		Tasks:            tasks,
		Reduce:           j.Reduce,
	}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// run converts a job of the file layout back, indexing its tasks. Two
// records of one task index are an error.
func (fj *fileJob) run() (*JobRun, error) {
	if fj.Name == "" {
		return nil, fmt.Errorf("job run without a name")
	}
	j := &JobRun{
		Name:             fj.Name,
		DefinitionDigest: fj.DefinitionDigest,
		Executor:         fj.Executor,
		Storage:          fj.Storage,
		Started:          fj.Started,
		Finished:         fj.Finished,
		Complete:         fj.Complete,
		TaskCount:        fj.TaskCount,
		Reduce:           fj.Reduce,
		tasks:            make([]TaskRecord, 0, len(fj.Tasks)),
	}
	for _, t := range fj.Tasks {
		if t.Output.Kind == OutputJSON {
			t.Output.JSON = compactRaw(t.Output.JSON)
		}
		j.Record(t)
	}
	if j.Len() != len(fj.Tasks) {
		return nil, fmt.Errorf("job %q: two records of one task index", fj.Name)
	}
	return j, nil
}

// decodeState parses a state file, refusing a newer format version.
func decodeState(data []byte) (*State, error) {
	var fst fileState
	err := json.Unmarshal(data, &fst)
	if err != nil || fst.FormatVersion != FormatVersion {
		var probe struct {
			FormatVersion  *int   `json:"format_version"`
			LithopsVersion string `json:"lithops_version"`
		}
		if perr := json.Unmarshal(data, &probe); perr != nil {
			if err == nil {
				err = perr
			}
			return nil, err
		}
		switch v := probe.FormatVersion; {
		case v == nil:
			return nil, errors.New("no format_version: not a lithops state file")
		case *v > FormatVersion:
			return nil, &FormatError{Version: *v, Supported: FormatVersion, WrittenBy: probe.LithopsVersion}
		case *v != FormatVersion:
			return nil, fmt.Errorf("unsupported format_version %d", *v)
		}
		return nil, err
	}
	if fst.Lineage == "" {
		return nil, errors.New("no lineage")
	}
	st := New()
	st.LithopsVersion, st.Lineage, st.Serial = fst.LithopsVersion, fst.Lineage, fst.Serial
	for _, r := range fst.Resources {
		r, err := normalResource(r)
		if err != nil {
			return nil, err
		}
		r.Attributes = compactRaw(r.Attributes)
		if _, dup := st.Resources[r.Addr]; dup {
			return nil, fmt.Errorf("resource %q recorded twice", r.Addr)
		}
		st.Resources[r.Addr] = r
	}
	for i := range fst.Jobs {
		run, err := fst.Jobs[i].run()
		if err != nil {
			return nil, err
		}
		if _, dup := st.Jobs[run.Name]; dup {
			return nil, fmt.Errorf("job %q recorded twice", run.Name)
		}
		st.Jobs[run.Name] = run
	}
	for name, o := range fst.Outputs {
		o.Value, o.Type = compactRaw(o.Value), compactRaw(o.Type)
		st.Outputs[name] = o.scrubbed()
	}
	return st, nil
}

// compactRaw undoes the indentation that writing a state adds to the JSON
// values it holds, so that they read back as they were recorded (compact,
// as cty's JSON encoding writes them).
func compactRaw(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return raw // cannot happen: the decoder validated it
	}
	return buf.Bytes()
}
