package state

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchState has one job of n finished tasks (taskFixture: small inline
// outputs, as a map of word counts has).
func benchState(n int) *State {
	st := New()
	st.Lineage = testLineage
	run := &JobRun{Name: "job.big", DefinitionDigest: "sha256:def", Executor: "executor.local", Started: t0, Finished: t0, Complete: true, TaskCount: n}
	for i := range n {
		run.Record(taskFixture(i))
	}
	st.Jobs[run.Name] = run
	return st
}

var benchSizes = []int{1_000, 10_000, 100_000}

// BenchmarkWrite writes a whole state (temporary file, fsync, backup link,
// rename, directory fsync). Its cost per task must not grow with the size.
func BenchmarkWrite(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			st := benchState(n)
			path := filepath.Join(b.TempDir(), "lithops.state")
			if err := Write(path, st); err != nil {
				b.Fatal(err)
			}
			fi, _ := os.Stat(path)
			b.SetBytes(fi.Size())
			b.ResetTimer()
			for b.Loop() {
				if err := Write(path, st); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
		})
	}
}

// BenchmarkRead reads and indexes a whole state.
func BenchmarkRead(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "lithops.state")
			if err := Write(path, benchState(n)); err != nil {
				b.Fatal(err)
			}
			fi, _ := os.Stat(path)
			b.SetBytes(fi.Size())
			b.ResetTimer()
			for b.Loop() {
				if _, err := Read(path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
		})
	}
}

// BenchmarkJournalTaskFinished appends one task record: with the default
// sync policy (fsync at most every 200ms), and with an fsync per record.
func BenchmarkJournalTaskFinished(b *testing.B) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{{"sync=200ms", 0}, {"sync=each", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "lithops.state")
			st := New()
			j, err := OpenJournal(path, st, JournalOptions{SyncInterval: tc.interval})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			if err := j.JobStarted(&JobRun{Name: "job.big"}); err != nil {
				b.Fatal(err)
			}
			rec := taskFixture(12345)
			b.ResetTimer()
			i := 0
			for b.Loop() {
				rec.Index = i
				i++
				if err := j.TaskFinished("job.big", rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bigJournal is the journal of a job of n tasks recorded one by one.
func bigJournal(b *testing.B, n int) []byte {
	b.Helper()
	path := filepath.Join(b.TempDir(), "lithops.state")
	st := New()
	st.Lineage = testLineage
	j, err := OpenJournal(path, st, JournalOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := j.JobStarted(&JobRun{Name: "job.big", DefinitionDigest: "sha256:def", TaskCount: n}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := j.TaskFinished("job.big", taskFixture(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.JobFinished("job.big", t0, true); err != nil {
		b.Fatal(err)
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(journalPath(path))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkFold folds a 100k-task journal into a state in memory.
func BenchmarkFold(b *testing.B) {
	const n = 100_000
	data := bigJournal(b, n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		st := New()
		st.Lineage = testLineage
		info, err := Fold(st, bytes.NewReader(data))
		if err != nil || info.Records != n+2 {
			b.Fatalf("Fold = %+v, %v", info, err)
		}
	}
}

// BenchmarkCommit100k is the end of an apply that ran 100k tasks: read the
// journal file, fold it, write the state, remove the journal.
func BenchmarkCommit100k(b *testing.B) {
	const n = 100_000
	data := bigJournal(b, n)
	path := filepath.Join(b.TempDir(), "lithops.state")
	st := New()
	st.Lineage = testLineage
	if err := Write(path, st); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		// The journal must name the state's current serial.
		cur, err := Read(path)
		if err != nil {
			b.Fatal(err)
		}
		header := fmt.Sprintf(`{"journal_version":1,"lineage":%q,"serial":%d}`, testLineage, cur.Serial)
		body := data[bytes.IndexByte(data, '\n'):]
		if err := os.WriteFile(journalPath(path), append([]byte(header), body...), 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, info, err := Recover(path); err != nil || info.Records != n+2 {
			b.Fatalf("Recover = %+v, %v", info, err)
		}
	}
}
