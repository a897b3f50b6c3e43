package state

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MismatchError reports a journal that was made for another state than the
// one it is folded into.
type MismatchError struct {
	StateLineage, JournalLineage string
	StateSerial, JournalSerial   uint64
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("journal belongs to state lineage %q serial %d, but the state is lineage %q serial %d",
		e.JournalLineage, e.JournalSerial, e.StateLineage, e.StateSerial)
}

// FoldInfo says what Fold did.
type FoldInfo struct {
	// Records is the number of records applied.
	Records int
	// Dropped is the number of bytes ignored at the end of the journal: a
	// torn last record (the writer was killed during it) or, after a power
	// loss, an unsynced tail. Zero for a journal that was closed cleanly.
	Dropped int64
}

// Fold applies the journal read from r to st, in memory. The journal's
// header must name st's lineage and serial (else a *MismatchError); a state
// never written (no lineage, serial 0) takes the lineage of a journal made
// for serial 0. Fold reads complete lines only: it stops at the first line
// without its newline or that does not parse, and reports the bytes it
// ignored, so a journal cut at any byte folds to the records before the cut.
// On error st may be partly folded and should be discarded.
func Fold(st *State, r io.Reader) (FoldInfo, error) {
	var info FoldInfo
	if st.Resources == nil {
		st.Resources = map[string]Resource{}
	}
	if st.Jobs == nil {
		st.Jobs = map[string]*JobRun{}
	}
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	line, ok, err := lr.next()
	if err != nil {
		return info, err
	}
	if !ok { // empty, or a torn header: nothing was recorded
		info.Dropped = lr.rest
		return info, nil
	}
	var h journalHeader
	if err := json.Unmarshal(line, &h); err != nil || h.JournalVersion == 0 {
		return info, fmt.Errorf("not a lithops journal (bad header)")
	}
	if h.JournalVersion > JournalVersion {
		return info, &FormatError{Version: h.JournalVersion, Supported: JournalVersion, WrittenBy: h.LithopsVersion}
	}
	switch {
	case st.Lineage == "" && st.Serial == 0 && h.Serial == 0:
		st.Lineage = h.Lineage
	case st.Lineage != h.Lineage || st.Serial != h.Serial:
		return info, &MismatchError{StateLineage: st.Lineage, StateSerial: st.Serial, JournalLineage: h.Lineage, JournalSerial: h.Serial}
	}
	for n := 2; ; n++ {
		line, ok, err := lr.next()
		if err != nil {
			return info, err
		}
		if !ok {
			info.Dropped = lr.rest
			break
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			// A complete line that does not parse can only be damage past
			// the last synced record (a power loss): nothing after it is
			// trusted.
			rest, err := lr.discard()
			if err != nil {
				return info, err
			}
			info.Dropped = int64(len(line)) + 1 + rest
			break
		}
		if err := st.apply(&rec); err != nil {
			return info, fmt.Errorf("journal line %d: %w", n, err)
		}
		info.Records++
	}
	if info.Records > 0 && h.LithopsVersion != "" {
		st.LithopsVersion = h.LithopsVersion
	}
	return info, nil
}

// lineReader yields complete lines. A line may be longer than the buffer.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	// rest is the length of the incomplete last line, once next reported
	// the end.
	rest int64
}

// next returns the next line without its newline; ok is false when no
// complete line is left.
func (lr *lineReader) next() (line []byte, ok bool, err error) {
	lr.long = lr.long[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil:
			if len(lr.long) > 0 {
				lr.long = append(lr.long, frag[:len(frag)-1]...)
				return lr.long, true, nil
			}
			return frag[:len(frag)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			lr.long = append(lr.long, frag...)
		case errors.Is(err, io.EOF):
			lr.rest = int64(len(lr.long) + len(frag))
			return nil, false, nil
		default:
			return nil, false, fmt.Errorf("read journal: %w", err)
		}
	}
}

// discard reads what is left and returns its length.
func (lr *lineReader) discard() (int64, error) {
	n, err := io.Copy(io.Discard, lr.br)
	if err != nil {
		return n, fmt.Errorf("read journal: %w", err)
	}
	return n, nil
}

// apply folds one record into st.
func (st *State) apply(rec *record) error {
	switch rec.Op {
	case opResource:
		if rec.Resource == nil {
			return fmt.Errorf("%s record without a resource", rec.Op)
		}
		r, err := normalResource(*rec.Resource)
		if err != nil {
			return err
		}
		st.Resources[r.Addr] = r
	case opResourceDeleted:
		delete(st.Resources, rec.Addr)
	case opJobStarted:
		if rec.Run == nil {
			return fmt.Errorf("%s record without a run", rec.Op)
		}
		run, err := rec.Run.run()
		if err != nil {
			return err
		}
		st.Jobs[run.Name] = run
	case opTask, opReduce:
		run := st.Jobs[rec.Job]
		if run == nil {
			return fmt.Errorf("%s record of job %q, which has no run", rec.Op, rec.Job)
		}
		if rec.Task == nil {
			return fmt.Errorf("%s record of job %q without a task", rec.Op, rec.Job)
		}
		if rec.Op == opTask {
			run.Record(*rec.Task)
		} else {
			run.Reduce = rec.Task
		}
	case opJobFinished:
		run := st.Jobs[rec.Job]
		if run == nil {
			return fmt.Errorf("%s record of job %q, which has no run", rec.Op, rec.Job)
		}
		run.Finished, run.Complete = rec.Finished, rec.Complete
	case opJobRemoved:
		delete(st.Jobs, rec.Job)
	case opOutputs:
		st.Outputs = make(map[string]Output, len(rec.Outputs))
		for name, o := range rec.Outputs {
			st.Outputs[name] = o.scrubbed()
		}
	default:
		return fmt.Errorf("unknown record %q", rec.Op)
	}
	return nil
}

// RecoverInfo says what Recover found.
type RecoverInfo struct {
	// Journal is true when a journal was found (an apply was interrupted, or
	// this is Journal.Commit).
	Journal bool
	// FoldInfo counts the records folded and the torn bytes ignored.
	FoldInfo
	// AlreadyFolded is true when the journal had been folded into the state
	// but not yet removed when the process died; it is removed unread.
	AlreadyFolded bool
}

// Recover reads the state file at path and folds into it the journal an
// interrupted apply left (<path>.journal), if any: the folded state is
// written once (serial+1) and the journal removed. Call it, with the lock
// held, before planning: a killed apply then loses nothing that it recorded.
// A journal whose header names another state is refused (*MismatchError),
// except the one case a crash can produce: the state is the journal's
// state plus one write, because the fold was written but the journal not yet
// removed.
func Recover(path string) (*State, RecoverInfo, error) {
	var info RecoverInfo
	st, err := Read(path)
	if err != nil {
		return nil, info, err
	}
	jp := journalPath(path)
	f, err := os.Open(jp)
	if errors.Is(err, fs.ErrNotExist) {
		return st, info, nil
	}
	if err != nil {
		return nil, info, fmt.Errorf("recover state %q: %w", path, err)
	}
	info.Journal = true
	info.FoldInfo, err = Fold(st, f)
	f.Close()
	var mm *MismatchError
	switch {
	case errors.As(err, &mm) && mm.JournalLineage == mm.StateLineage && mm.StateSerial == mm.JournalSerial+1:
		// The header is checked before any record is applied: st is as read.
		info.AlreadyFolded = true
	case err != nil:
		return nil, info, fmt.Errorf("recover state %q from %q: %w", path, jp, err)
	case info.Records > 0:
		if err := writeState(path, st); err != nil {
			return nil, info, err
		}
	}
	if err := os.Remove(jp); err != nil {
		return nil, info, fmt.Errorf("recover state %q: %w", path, err)
	}
	if err := syncDir(filepath.Dir(jp)); err != nil {
		return nil, info, fmt.Errorf("recover state %q: %w", path, err)
	}
	return st, info, nil
}
