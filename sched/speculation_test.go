package sched

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpeculatorMedian(t *testing.T) {
	s := newSpeculator(Speculation{Quantile: 0.5, Multiplier: 2}, 0)
	var got []time.Duration
	for _, d := range []time.Duration{5, 1, 9, 3, 7, 2} {
		s.add(d)
		got = append(got, s.median())
	}
	want := []time.Duration{5, 3, 5, 4, 5, 4} // (5+3)/2 = 4 when even
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong running medians (-want +got):\n%s", diff)
	}
	if got := s.threshold(); got != 8 {
		t.Errorf("threshold = %v, want 2 × median = 8", got)
	}
	floored := newSpeculator(Speculation{Quantile: 0.5, Multiplier: 2}, time.Second)
	floored.add(time.Millisecond)
	if got := floored.threshold(); got != time.Second {
		t.Errorf("threshold = %v, want the floor 1s", got)
	}
}

// outcome is how one launch of a task behaves in a fake dispatcher: it
// runs for Took, then reports success or exit status 1.
type outcome struct {
	Took time.Duration
	Fail bool
}

// scriptedDispatcher runs each task of an invocation in turn as script says
// for (index, attempt). A cancelled task is reported killed by SIGTERM and
// the rest of its invocation is not run. It records launches and which
// attempts saw their context cancelled.
func scriptedDispatcher(capacity int, start time.Time, l *launches, cancelled *[]string,
	script func(index, attempt int) outcome) *fakeDispatcher {
	return &fakeDispatcher{
		CapacityFn: func() int { return capacity },
		RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			l.enter(inv, time.Since(start))
			defer l.leave()
			for _, task := range inv.Tasks {
				o := script(task.Index, task.Attempt)
				if !sleep(ctx, o.Took) {
					l.mu.Lock()
					*cancelled = append(*cancelled, fmt.Sprintf("%d/%d at %v", task.Index, task.Attempt, time.Since(start)))
					l.mu.Unlock()
					report(Result{Index: task.Index, ExitCode: -1, Signal: "SIGTERM"})
					return ctx.Err()
				}
				r := Result{Index: task.Index}
				if o.Fail {
					r.ExitCode = 1
				}
				report(r)
			}
			return nil
		},
	}
}

func TestRunSpeculation(t *testing.T) {
	sec := func(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }
	// Tasks take 1s unless the case says otherwise for (index, attempt).
	tests := []struct {
		name          string
		chunk         int
		retries       int
		quantile      float64
		special       map[[2]int]outcome
		wantLaunches  [][]launched
		wantCalls     []call
		wantCancelled []string
		wantSum       Summary
	}{
		{
			name:    "duplicate wins, original cancelled",
			special: map[[2]int]outcome{{3, 1}: {Took: sec(100)}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}}, {{Index: 2, Attempt: 1}}, {{Index: 3, Attempt: 1}},
				{{Index: 3, Attempt: 2, At: sec(2)}}, // 2 × median (1s) after it started
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 3, Attempt: 2, Final: true, OK: true, At: sec(3)},
			},
			wantCancelled: []string{"3/1 at 3s"},
			wantSum:       Summary{Progress: Progress{Done: 4, Speculated: 1}, Elapsed: sec(3)},
		},
		{
			name:    "original wins, duplicate cancelled",
			special: map[[2]int]outcome{{3, 1}: {Took: sec(5)}, {3, 2}: {Took: sec(100)}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}}, {{Index: 2, Attempt: 1}}, {{Index: 3, Attempt: 1}},
				{{Index: 3, Attempt: 2, At: sec(2)}},
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 3, Attempt: 1, Final: true, OK: true, At: sec(5)},
			},
			wantCancelled: []string{"3/2 at 5s"},
			wantSum:       Summary{Progress: Progress{Done: 4, Speculated: 1}, Elapsed: sec(5)},
		},
		{
			name:    "failed duplicate uses no attempt",
			special: map[[2]int]outcome{{3, 1}: {Took: sec(5)}, {3, 2}: {Took: sec(1), Fail: true}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}}, {{Index: 2, Attempt: 1}}, {{Index: 3, Attempt: 1}},
				{{Index: 3, Attempt: 2, At: sec(2)}},
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 3, Attempt: 2, At: sec(3)},
				{Index: 3, Attempt: 1, Final: true, OK: true, At: sec(5)},
			},
			wantSum: Summary{Progress: Progress{Done: 4, Speculated: 1}, Elapsed: sec(5)},
		},
		{
			name:    "both fail: one attempt used, then a retry",
			retries: 1,
			special: map[[2]int]outcome{{3, 1}: {Took: sec(5), Fail: true}, {3, 2}: {Took: sec(1), Fail: true}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}}, {{Index: 2, Attempt: 1}}, {{Index: 3, Attempt: 1}},
				{{Index: 3, Attempt: 2, At: sec(2)}},
				{{Index: 3, Attempt: 3, At: sec(5.2)}}, // first retry's backoff: 200ms
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 3, Attempt: 2, At: sec(3)},
				{Index: 3, Attempt: 1, At: sec(5)},
				{Index: 3, Attempt: 3, Final: true, OK: true, At: sec(6.2)},
			},
			wantSum: Summary{Progress: Progress{Done: 4, Retried: 1, Speculated: 1}, Elapsed: sec(6.2)},
		},
		{
			name:     "nothing before the quantile is done",
			quantile: 1,
			special:  map[[2]int]outcome{{3, 1}: {Took: sec(100)}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}}, {{Index: 2, Attempt: 1}}, {{Index: 3, Attempt: 1}},
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 3, Attempt: 1, Final: true, OK: true, At: sec(100)},
			},
			wantSum: Summary{Progress: Progress{Done: 4}, Elapsed: sec(100)},
		},
		{
			name:    "straggler inside a chunk: the rest of the chunk runs again",
			chunk:   2,
			special: map[[2]int]outcome{{2, 1}: {Took: sec(100)}},
			wantLaunches: [][]launched{
				{{Index: 0, Attempt: 1}, {Index: 1, Attempt: 1}},
				{{Index: 2, Attempt: 1}, {Index: 3, Attempt: 1}},
				{{Index: 2, Attempt: 2, At: sec(2)}},
				{{Index: 3, Attempt: 2, At: sec(3)}}, // its invocation was cancelled before it ran
			},
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: sec(1)},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: sec(2)},
				{Index: 2, Attempt: 2, Final: true, OK: true, At: sec(3)},
				{Index: 3, Attempt: 2, Final: true, OK: true, At: sec(4)},
			},
			wantCancelled: []string{"2/1 at 3s"},
			wantSum:       Summary{Progress: Progress{Done: 4, Speculated: 1}, Elapsed: sec(4)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var l launches
				var cancelled []string
				d := scriptedDispatcher(8, start, &l, &cancelled, func(index, attempt int) outcome {
					if o, ok := tt.special[[2]int{index, attempt}]; ok {
						return o
					}
					return outcome{Took: time.Second}
				})
				q := tt.quantile
				if q == 0 {
					q = 0.5
				}
				job := &Job{Tasks: newTasks(4), ChunkSize: tt.chunk, Retries: tt.retries,
					Speculation: &Speculation{Quantile: q, Multiplier: 2}}
				rec := newRecorder()
				sum, err := run(t.Context(), d, job, rec.hooks(), testOptions())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantLaunches, l.sorted()); diff != "" {
					t.Errorf("wrong launches (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantCalls, rec.sorted()); diff != "" {
					t.Errorf("wrong results (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantCancelled, cancelled); diff != "" {
					t.Errorf("wrong cancelled attempts (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantSum, sum); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestRunSpeculationWaitsForQueuedWork: duplicates only use slots that no
// queued task wants.
func TestRunSpeculationWaitsForQueuedWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var l launches
		var cancelled []string
		d := scriptedDispatcher(2, start, &l, &cancelled, func(index, attempt int) outcome {
			if index == 0 && attempt == 1 {
				return outcome{Took: 100 * time.Second}
			}
			return outcome{Took: time.Second}
		})
		job := &Job{Tasks: newTasks(6), Speculation: &Speculation{Quantile: 0.1, Multiplier: 2}}
		sum, err := run(t.Context(), d, job, Hooks{}, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		// Task 0 is a straggler from 2s on, but tasks 1..5 use the other
		// slot until 5s; then the duplicate runs.
		want := [][]launched{
			{{Index: 0, Attempt: 1}}, {{Index: 1, Attempt: 1}},
			{{Index: 2, Attempt: 1, At: time.Second}},
			{{Index: 3, Attempt: 1, At: 2 * time.Second}},
			{{Index: 4, Attempt: 1, At: 3 * time.Second}},
			{{Index: 5, Attempt: 1, At: 4 * time.Second}},
			{{Index: 0, Attempt: 2, At: 5 * time.Second}},
		}
		if diff := cmp.Diff(want, l.sorted()); diff != "" {
			t.Errorf("wrong launches (-want +got):\n%s", diff)
		}
		if sum.Elapsed != 6*time.Second {
			t.Errorf("elapsed %v, want 6s", sum.Elapsed)
		}
	})
}

// TestRunRemovesDroppedOutput: the loser's spilled stdout is removed, since
// nobody receives its result; the winner's belongs to Hooks.Result.
func TestRunRemovesDroppedOutput(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDispatcher{
			CapacityFn: func() int { return 4 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				task := inv.Tasks[0]
				took := time.Second
				if task.Index == 1 && task.Attempt == 1 {
					took = 10 * time.Second
				}
				sleep(ctx, took) // the loser finishes anyway, ignoring the cancel
				path := filepath.Join(dir, fmt.Sprintf("%d.%d", task.Index, task.Attempt))
				if err := os.WriteFile(path, []byte("out"), 0o600); err != nil {
					return err
				}
				report(Result{Index: task.Index, StdoutFile: path, StdoutSize: 3})
				return nil
			},
		}
		var kept []string
		hooks := Hooks{Result: func(r Result, final bool) { kept = append(kept, filepath.Base(r.StdoutFile)) }}
		job := &Job{Tasks: newTasks(2), Speculation: &Speculation{Quantile: 0.5, Multiplier: 2}}
		if _, err := run(t.Context(), d, job, hooks, testOptions()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"0.1", "1.2"}, kept); diff != "" {
			t.Errorf("wrong outputs passed to Hooks.Result (-want +got):\n%s", diff)
		}
	})
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string{"0.1", "1.2"}, left); diff != "" {
		t.Errorf("wrong files left (-want +got):\n%s", diff)
	}
}
