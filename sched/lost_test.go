package sched

import (
	"context"
	"errors"
	"sort"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

var errHostLost = errors.New("host 10.0.0.5 lost")

// TestRunRequeuesLostTasks: an invocation that reports its first task and
// then fails (a lost host) has its other tasks run again, without using an
// attempt (Retries is 0, so a counted attempt would fail them).
func TestRunRequeuesLostTasks(t *testing.T) {
	tests := []struct {
		name string
		// fail ends the first invocation after its first task.
		fail func(ctx context.Context) error
	}{
		{name: "dispatcher error", fail: func(context.Context) error { return errHostLost }},
		{name: "returned without reporting", fail: func(context.Context) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var l launches
				d := &fakeDispatcher{
					CapacityFn: func() int { return 1 },
					RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
						first := len(l.invs) == 0
						l.enter(inv, time.Since(start))
						defer l.leave()
						for _, task := range inv.Tasks {
							report(Result{Index: task.Index})
							if first {
								return tt.fail(ctx)
							}
						}
						return nil
					},
				}
				rec := newRecorder()
				job := &Job{Tasks: newTasks(6), ChunkSize: 3}
				sum, err := run(t.Context(), d, job, rec.hooks(), testOptions())
				if err != nil {
					t.Fatal(err)
				}
				want := [][]launched{
					{{Index: 0, Attempt: 1}, {Index: 1, Attempt: 1}, {Index: 2, Attempt: 1}},
					{{Index: 3, Attempt: 1}, {Index: 4, Attempt: 1}, {Index: 5, Attempt: 1}},
					// After the backoff of a first loss (200ms with the ceiling
					// drawn), with a new launch number.
					{{Index: 1, Attempt: 2, At: 200 * time.Millisecond}, {Index: 2, Attempt: 2, At: 200 * time.Millisecond}},
				}
				if diff := cmp.Diff(want, l.sorted()); diff != "" {
					t.Errorf("wrong launches (-want +got):\n%s", diff)
				}
				wantCalls := []call{
					{Index: 0, Attempt: 1, Final: true, OK: true},
					{Index: 3, Attempt: 1, Final: true, OK: true},
					{Index: 4, Attempt: 1, Final: true, OK: true},
					{Index: 5, Attempt: 1, Final: true, OK: true},
					{Index: 1, Attempt: 2, Final: true, OK: true, At: 200 * time.Millisecond},
					{Index: 2, Attempt: 2, Final: true, OK: true, At: 200 * time.Millisecond},
				}
				if diff := cmp.Diff(wantCalls, rec.sorted()); diff != "" {
					t.Errorf("wrong results (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(Progress{Done: 6}, sum.Progress); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestRunBrokenDispatcher: a dispatcher that fails every invocation makes
// the job fail after ten losses of a task in a row, with backoff between
// them, instead of looping forever; no task gets a final result.
func TestRunBrokenDispatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var l launches
		d := &fakeDispatcher{
			CapacityFn: func() int { return 1 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				l.enter(inv, time.Since(start))
				l.leave()
				return errHostLost
			},
		}
		rec := newRecorder()
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(1), Retries: 3}, rec.hooks(), testOptions())
		if !errors.Is(err, errHostLost) {
			t.Errorf("error %v does not wrap the dispatcher's", err)
		}
		wantErr := "dispatch failed 10 times in a row while no task reported a result: host 10.0.0.5 lost"
		if got := errString(err); got != wantErr {
			t.Errorf("wrong error:\n got %q\nwant %q", got, wantErr)
		}
		var starts []time.Duration
		for _, inv := range l.sorted() {
			starts = append(starts, inv[0].At)
		}
		ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
		// Default backoff with the ceiling drawn: 0.2s doubling, capped at 30s.
		wantStarts := []time.Duration{0, ms(200), ms(600), ms(1400), ms(3000), ms(6200), ms(12600), ms(25400), ms(51000), ms(81000)}
		if diff := cmp.Diff(wantStarts, starts); diff != "" {
			t.Errorf("wrong launch times (-want +got):\n%s", diff)
		}
		want := Summary{Progress: Progress{Queued: 1}, Elapsed: ms(81000)}
		if diff := cmp.Diff(want, sum); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
		if len(rec.calls) != 0 {
			t.Errorf("results reported although no task ran: %+v", rec.calls)
		}
	})
}

// TestRunPoisonTask: a task that brings its worker down every time fails
// alone when other tasks report meanwhile; the job goes on.
func TestRunPoisonTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDispatcher{
			CapacityFn: func() int { return 2 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				i := inv.Tasks[0].Index
				if i == 3 {
					return errHostLost
				}
				sleep(ctx, 10*time.Second)
				report(Result{Index: i})
				return nil
			},
		}
		rec := newRecorder()
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(20)}, rec.hooks(), testOptions())
		wantErr := `1 of 20 tasks failed; first: task 3 (key "t3"): its worker was lost 10 times in a row: host 10.0.0.5 lost`
		if got := errString(err); got != wantErr {
			t.Errorf("wrong error:\n got %q\nwant %q", got, wantErr)
		}
		if diff := cmp.Diff(Progress{Done: 19, Failed: 1}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
		var got []call
		for _, c := range rec.calls {
			if c.Index == 3 {
				c.At = 0
				got = append(got, c)
			}
		}
		if diff := cmp.Diff([]call{{Index: 3, Attempt: 10, Final: true}}, got); diff != "" {
			t.Errorf("wrong results of task 3 (-want +got):\n%s", diff)
		}
	})
}

// TestRunOverdueInvocation: an invocation that outlives its tasks'
// timeouts (a dropped function, a hung host) is cancelled and its task run
// again, without using an attempt.
func TestRunOverdueInvocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var l launches
		var cancelledAt time.Duration
		d := &fakeDispatcher{
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				first := len(l.invs) == 0
				l.enter(inv, time.Since(start))
				defer l.leave()
				if first {
					<-ctx.Done() // never reports
					cancelledAt = time.Since(start)
					return ctx.Err()
				}
				report(Result{Index: inv.Tasks[0].Index})
				return nil
			},
		}
		rec := newRecorder()
		tasks := newTasks(1)
		tasks[0].Timeout = 10 * time.Second
		sum, err := run(t.Context(), d, &Job{Tasks: tasks}, rec.hooks(), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		// 1.5 × 10s + 1m of grace, then a first-loss backoff of 200ms.
		if want := 75 * time.Second; cancelledAt != want {
			t.Errorf("invocation cancelled at %v, want %v", cancelledAt, want)
		}
		want := [][]launched{{{Index: 0, Attempt: 1}}, {{Index: 0, Attempt: 2, At: 75*time.Second + 200*time.Millisecond}}}
		if diff := cmp.Diff(want, l.sorted()); diff != "" {
			t.Errorf("wrong launches (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Progress{Done: 1}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}

// TestRunIgnoresBadReports: reports for a task not in the invocation, a
// second report of a task, and reports after Dispatcher.Run returned are
// dropped.
func TestRunIgnoresBadReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		late := make(chan func(Result), 1)
		d := &fakeDispatcher{
			CapacityFn: func() int { return 1 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				i := inv.Tasks[0].Index
				if inv.Tasks[0].Attempt == 1 {
					report(Result{Index: 99})
					report(Result{Index: i, ExitCode: 1})
					report(Result{Index: i}) // second report of the attempt
					return nil
				}
				report(Result{Index: i})
				if i == 0 {
					late <- report
				}
				return nil
			},
		}
		rec := newRecorder()
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(2), Retries: 1}, rec.hooks(), testOptions())
		(<-late)(Result{Index: 0}) // after Run returned: must not panic or count
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Progress{Done: 2, Retried: 2}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
		want := []call{
			{Index: 0, Attempt: 1}, {Index: 0, Attempt: 2, Final: true, OK: true},
			{Index: 1, Attempt: 1}, {Index: 1, Attempt: 2, Final: true, OK: true},
		}
		var got []call
		for _, c := range rec.calls {
			c.At = 0
			got = append(got, c)
		}
		sort.Slice(got, func(i, j int) bool {
			return got[i].Index < got[j].Index || got[i].Index == got[j].Index && got[i].Attempt < got[j].Attempt
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("wrong results (-want +got):\n%s", diff)
		}
	})
}

// TestRunDropsReportsAfterReturn: a result reported after Dispatcher.Run
// returned is dropped even when the task is still undecided; the task ran
// again as a lost one.
func TestRunDropsReportsAfterReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			task := inv.Tasks[0]
			if task.Attempt == 1 {
				time.AfterFunc(50*time.Millisecond, func() { report(Result{Index: task.Index}) })
				return nil // returns without reporting; reports 50ms later
			}
			report(Result{Index: task.Index})
			return nil
		}}
		rec := newRecorder()
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(1)}, rec.hooks(), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		want := []call{{Attempt: 2, Final: true, OK: true, At: 200 * time.Millisecond}}
		if diff := cmp.Diff(want, rec.calls); diff != "" {
			t.Errorf("wrong results (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Progress{Done: 1}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}

// TestRunBrokenDispatcherCancelsOthers: when Run gives up on a broken
// dispatcher, the invocations still in flight are cancelled and waited for,
// and what they report then is not final.
func TestRunBrokenDispatcherCancelsOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var stoppedAt time.Duration
		d := &fakeDispatcher{
			CapacityFn: func() int { return 2 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				i := inv.Tasks[0].Index
				if i == 0 {
					return errHostLost
				}
				<-ctx.Done() // task 1 runs until cancelled
				stoppedAt = time.Since(start)
				report(Result{Index: i, ExitCode: -1, Signal: "SIGTERM"})
				return ctx.Err()
			},
		}
		rec := newRecorder()
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(2)}, rec.hooks(), testOptions())
		if !errors.Is(err, errHostLost) {
			t.Errorf("error %v does not wrap the dispatcher's", err)
		}
		if want := 81 * time.Second; stoppedAt != want {
			t.Errorf("task 1 cancelled at %v, want %v (task 0's tenth loss)", stoppedAt, want)
		}
		want := []call{{Index: 1, Attempt: 1, Signal: "SIGTERM", At: 81 * time.Second}}
		if diff := cmp.Diff(want, rec.calls); diff != "" {
			t.Errorf("wrong results (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Summary{Progress: Progress{Queued: 2}, Elapsed: 81 * time.Second}, sum); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}
