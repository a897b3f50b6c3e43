package sched

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunStop cancels ctx at 15s while tasks 2 and 3 run (two slots, tasks
// of 10s each). Nothing starts afterwards, Run waits for the invocations in
// flight (they take 5s to wind down), and only successes decide a task.
func TestRunStop(t *testing.T) {
	tests := []struct {
		name string
		// onStop is what the dispatcher reports for a task it was running
		// when ctx was cancelled; nil reports nothing.
		onStop    func(index int) *Result
		failFirst bool // task 0 fails for good at 10s
		wantCalls []call
		wantSum   Summary
		wantErr   string
	}{
		{
			name:   "killed by a signal: not final",
			onStop: func(i int) *Result { return &Result{Index: i, ExitCode: -1, Signal: "SIGTERM"} },
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 2, Attempt: 1, Signal: "SIGTERM", At: 20 * time.Second},
				{Index: 3, Attempt: 1, Signal: "SIGTERM", At: 20 * time.Second},
			},
			wantSum: Summary{Progress: Progress{Done: 2, Queued: 8}, Elapsed: 20 * time.Second, Stopped: true},
			wantErr: "stopped with 8 of 10 tasks unfinished: context canceled",
		},
		{
			name:   "finished in the grace period: done",
			onStop: func(i int) *Result { return &Result{Index: i} },
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 2, Attempt: 1, Final: true, OK: true, At: 20 * time.Second},
				{Index: 3, Attempt: 1, Final: true, OK: true, At: 20 * time.Second},
			},
			wantSum: Summary{Progress: Progress{Done: 4, Queued: 6}, Elapsed: 20 * time.Second, Stopped: true},
			wantErr: "stopped with 6 of 10 tasks unfinished: context canceled",
		},
		{
			name:   "trapped SIGTERM and exited 1: not final",
			onStop: func(i int) *Result { return &Result{Index: i, ExitCode: 1} },
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 2, Attempt: 1, At: 20 * time.Second},
				{Index: 3, Attempt: 1, At: 20 * time.Second},
			},
			wantSum: Summary{Progress: Progress{Done: 2, Queued: 8}, Elapsed: 20 * time.Second, Stopped: true},
			wantErr: "stopped with 8 of 10 tasks unfinished: context canceled",
		},
		{
			name: "nothing reported",
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
			},
			wantSum: Summary{Progress: Progress{Done: 2, Queued: 8}, Elapsed: 20 * time.Second, Stopped: true},
			wantErr: "stopped with 8 of 10 tasks unfinished: context canceled",
		},
		{
			name:      "a failure before the stop is kept",
			onStop:    func(i int) *Result { return &Result{Index: i, ExitCode: -1, Signal: "SIGKILL"} },
			failFirst: true,
			wantCalls: []call{
				{Index: 0, Attempt: 1, Final: true, At: 10 * time.Second},
				{Index: 1, Attempt: 1, Final: true, OK: true, At: 10 * time.Second},
				{Index: 2, Attempt: 1, Signal: "SIGKILL", At: 20 * time.Second},
				{Index: 3, Attempt: 1, Signal: "SIGKILL", At: 20 * time.Second},
			},
			wantSum: Summary{Progress: Progress{Done: 1, Failed: 1, Queued: 8}, Elapsed: 20 * time.Second, Stopped: true},
			wantErr: "1 of 10 tasks failed; first: task 0 (key \"t0\"): exit status 1\n" +
				"stopped with 8 of 10 tasks unfinished: context canceled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(15*time.Second, cancel)
				var l launches
				d := &fakeDispatcher{
					CapacityFn: func() int { return 2 },
					RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
						l.enter(inv, time.Since(start))
						defer l.leave()
						i := inv.Tasks[0].Index
						if !sleep(ctx, 10*time.Second) {
							time.Sleep(5 * time.Second) // SIGTERM, grace period, SIGKILL
							if tt.onStop != nil {
								report(*tt.onStop(i))
							}
							return ctx.Err()
						}
						r := Result{Index: i}
						if i == 0 && tt.failFirst {
							r.ExitCode = 1
						}
						report(r)
						return nil
					},
				}
				rec := newRecorder()
				sum, err := run(ctx, d, &Job{Tasks: newTasks(10)}, rec.hooks(), testOptions())
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v does not wrap context.Canceled", err)
				}
				if got := errString(err); got != tt.wantErr {
					t.Errorf("wrong error:\n got %q\nwant %q", got, tt.wantErr)
				}
				if len(l.invs) != 4 {
					t.Errorf("%d invocations started, want 4 (none after the stop)", len(l.invs))
				}
				if diff := cmp.Diff(tt.wantCalls, rec.sorted()); diff != "" {
					t.Errorf("wrong results (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantSum, sum); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestRunStopDuringBackoff: a task waiting to be retried when the job stops
// is unfinished, not failed, and Run does not wait for its backoff.
func TestRunStopDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Second, cancel)
		d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			report(Result{Index: inv.Tasks[0].Index, ExitCode: 1})
			return nil
		}}
		rec := newRecorder()
		job := &Job{Tasks: newTasks(1), Retries: 1, Backoff: Backoff{Base: time.Minute}}
		sum, err := run(ctx, d, job, rec.hooks(), testOptions())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v does not wrap context.Canceled", err)
		}
		want := Summary{Progress: Progress{Queued: 1}, Elapsed: 5 * time.Second, Stopped: true}
		if diff := cmp.Diff(want, sum); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]call{{Attempt: 1}}, rec.calls); diff != "" {
			t.Errorf("wrong results (-want +got):\n%s", diff)
		}
	})
}

func TestRunCancelledBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			t.Error("an invocation started after the stop")
			return nil
		}}
		sum, err := run(ctx, d, &Job{Tasks: newTasks(3)}, Hooks{}, testOptions())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v does not wrap context.Canceled", err)
		}
		if diff := cmp.Diff(Summary{Progress: Progress{Queued: 3}, Stopped: true}, sum); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}

// TestRunCancelledAfterTheEnd: a ctx cancelled once every task is decided
// does not make the job stopped.
func TestRunCancelledAfterTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			report(Result{Index: inv.Tasks[0].Index})
			cancel() // the last task is reported before the cancel
			return nil
		}}
		sum, err := run(ctx, d, &Job{Tasks: newTasks(1)}, Hooks{}, testOptions())
		if err != nil {
			t.Errorf("unexpected error: %v", err)
		}
		if diff := cmp.Diff(Summary{Progress: Progress{Done: 1}}, sum); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}
