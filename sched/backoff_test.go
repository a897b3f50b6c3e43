package sched

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoffCeiling(t *testing.T) {
	tests := []struct {
		name    string
		backoff Backoff
		n       []int
		want    []time.Duration
	}{
		{
			name:    "doubles then caps",
			backoff: Backoff{Base: 100 * time.Millisecond, Max: time.Second},
			n:       []int{1, 2, 3, 4, 5, 50},
			want:    []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second},
		},
		{
			name:    "defaults",
			backoff: Backoff{}.withDefaults(),
			n:       []int{1, 2, 8, 9},
			want:    []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 25600 * time.Millisecond, 30 * time.Second},
		},
		{
			name:    "max below base",
			backoff: Backoff{Base: time.Second, Max: 300 * time.Millisecond},
			n:       []int{1, 2},
			want:    []time.Duration{300 * time.Millisecond, 300 * time.Millisecond},
		},
		{
			name:    "no overflow near the largest duration",
			backoff: Backoff{Base: time.Hour, Max: math.MaxInt64},
			n:       []int{1, 40, 1000},
			want:    []time.Duration{time.Hour, math.MaxInt64, math.MaxInt64},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []time.Duration
			for _, n := range tt.n {
				got = append(got, tt.backoff.ceiling(n))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong ceilings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBackoffDelayFullJitter checks that the delay is drawn from the whole
// interval [0, ceiling]: the jitter source is asked for ceiling+1 values.
func TestBackoffDelayFullJitter(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	var asked []int64
	draw := func(v func(n int64) int64) func(int64) int64 {
		return func(n int64) int64 { asked = append(asked, n); return v(n) }
	}
	got := []time.Duration{
		b.delay(1, draw(func(int64) int64 { return 0 })),
		b.delay(2, draw(func(n int64) int64 { return n - 1 })),
		b.delay(3, draw(func(n int64) int64 { return n / 2 })),
	}
	want := []time.Duration{0, 200 * time.Millisecond, 200 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong delays (-want +got):\n%s", diff)
	}
	wantAsked := []int64{int64(100*time.Millisecond) + 1, int64(200*time.Millisecond) + 1, int64(400*time.Millisecond) + 1}
	if diff := cmp.Diff(wantAsked, asked); diff != "" {
		t.Errorf("wrong jitter ranges (-want +got):\n%s", diff)
	}
	for range 1000 {
		if d := b.delay(4, defaultInt64n); d < 0 || d > 800*time.Millisecond {
			t.Fatalf("delay %v outside [0, 800ms]", d)
		}
	}
}

// TestRunRetriesWithBackoff runs one task that fails a given number of
// times and checks when each attempt started, what Hooks.Result saw, and the
// outcome.
func TestRunRetriesWithBackoff(t *testing.T) {
	tests := []struct {
		name       string
		retries    int
		backoff    Backoff
		int64n     func(int64) int64
		failures   int // the first failures attempts fail
		wantStarts []time.Duration
		wantCalls  []call
		wantSum    Progress
		wantErr    string
	}{
		{
			name:       "succeeds on the third attempt",
			retries:    3,
			backoff:    Backoff{Base: 100 * time.Millisecond, Max: time.Second},
			failures:   2,
			wantStarts: []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond},
			wantCalls: []call{
				{Attempt: 1}, {Attempt: 2, At: 100 * time.Millisecond},
				{Attempt: 3, Final: true, OK: true, At: 300 * time.Millisecond},
			},
			wantSum: Progress{Done: 1, Retried: 2},
		},
		{
			name:       "gives up after its retries, delays capped",
			retries:    3,
			backoff:    Backoff{Base: 100 * time.Millisecond, Max: 250 * time.Millisecond},
			failures:   99,
			wantStarts: []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 550 * time.Millisecond},
			wantCalls: []call{
				{Attempt: 1}, {Attempt: 2, At: 100 * time.Millisecond}, {Attempt: 3, At: 300 * time.Millisecond},
				{Attempt: 4, Final: true, At: 550 * time.Millisecond},
			},
			wantSum: Progress{Failed: 1, Retried: 3},
			wantErr: "1 of 1 tasks failed; first: task 0 (key \"t0\"): exit status 3 after 4 attempts; stderr:\nboom",
		},
		{
			name:       "full jitter draws below the ceiling",
			retries:    2,
			backoff:    Backoff{Base: 100 * time.Millisecond, Max: time.Second},
			int64n:     func(n int64) int64 { return n / 4 },
			failures:   2,
			wantStarts: []time.Duration{0, 25 * time.Millisecond, 75 * time.Millisecond},
			wantCalls: []call{
				{Attempt: 1}, {Attempt: 2, At: 25 * time.Millisecond},
				{Attempt: 3, Final: true, OK: true, At: 75 * time.Millisecond},
			},
			wantSum: Progress{Done: 1, Retried: 2},
		},
		{
			name:       "default backoff",
			retries:    2,
			failures:   2,
			wantStarts: []time.Duration{0, 200 * time.Millisecond, 600 * time.Millisecond},
			wantCalls: []call{
				{Attempt: 1}, {Attempt: 2, At: 200 * time.Millisecond},
				{Attempt: 3, Final: true, OK: true, At: 600 * time.Millisecond},
			},
			wantSum: Progress{Done: 1, Retried: 2},
		},
		{
			name:       "no retries",
			failures:   1,
			wantStarts: []time.Duration{0},
			wantCalls:  []call{{Attempt: 1, Final: true}},
			wantSum:    Progress{Failed: 1},
			wantErr:    "1 of 1 tasks failed; first: task 0 (key \"t0\"): exit status 3; stderr:\nboom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var starts []time.Duration
				attempts := 0
				d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
					starts = append(starts, time.Since(start))
					attempts++
					r := Result{Index: inv.Tasks[0].Index}
					if attempts <= tt.failures {
						r.ExitCode, r.Stderr = 3, []byte("boom\n")
					}
					report(r)
					return nil
				}}
				opt := testOptions()
				if tt.int64n != nil {
					opt.int64n = tt.int64n
				}
				rec := newRecorder()
				job := &Job{Tasks: newTasks(1), Retries: tt.retries, Backoff: tt.backoff}
				sum, err := run(t.Context(), d, job, rec.hooks(), opt)
				if got := errString(err); got != tt.wantErr {
					t.Errorf("wrong error:\n got %q\nwant %q", got, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantStarts, starts); diff != "" {
					t.Errorf("wrong attempt start times (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantCalls, rec.calls); diff != "" {
					t.Errorf("wrong results (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantSum, sum.Progress); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestRunRetryHoldsNoSlot: while a failed task waits out its backoff, the
// only slot runs the other tasks.
func TestRunRetryHoldsNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var l launches
		failed := false
		d := &fakeDispatcher{
			CapacityFn: func() int { return 1 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				l.enter(inv, time.Since(start))
				defer l.leave()
				r := Result{Index: inv.Tasks[0].Index}
				if r.Index == 0 && !failed {
					failed = true
					r.ExitCode = 1
				} else {
					sleep(ctx, time.Second)
				}
				report(r)
				return nil
			},
		}
		job := &Job{Tasks: newTasks(4), Retries: 1, Backoff: Backoff{Base: 10 * time.Second}}
		if _, err := run(t.Context(), d, job, Hooks{}, testOptions()); err != nil {
			t.Fatal(err)
		}
		want := [][]launched{
			{{Index: 0, Attempt: 1}},
			{{Index: 1, Attempt: 1}},
			{{Index: 2, Attempt: 1, At: time.Second}},
			{{Index: 3, Attempt: 1, At: 2 * time.Second}},
			{{Index: 0, Attempt: 2, At: 10 * time.Second}},
		}
		if diff := cmp.Diff(want, l.sorted()); diff != "" {
			t.Errorf("wrong launches (-want +got):\n%s", diff)
		}
	})
}

// TestRunFailSlow: a failed task does not stop the others, and the error
// names the failed task with the lowest index whatever the order of
// failures.
func TestRunFailSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDispatcher{
			CapacityFn: func() int { return 2 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				i := inv.Tasks[0].Index
				switch i {
				case 3:
					sleep(ctx, time.Minute) // fails last, yet has the lowest index
					report(Result{Index: i, ExitCode: -1, Signal: "SIGKILL", Stderr: []byte("out of memory")})
				case 6:
					report(Result{Index: i, Err: `exec: "nope": executable file not found in $PATH`, ExitCode: -1})
				case 7:
					report(Result{Index: i, TimedOut: true, ExitCode: -1})
				default:
					report(Result{Index: i})
				}
				return nil
			},
		}
		rec := newRecorder()
		tasks := newTasks(10)
		tasks[3].Key = ""
		sum, err := run(t.Context(), d, &Job{Tasks: tasks}, rec.hooks(), testOptions())
		wantErr := "3 of 10 tasks failed; first: task 3: killed by SIGKILL; stderr:\nout of memory"
		if got := errString(err); got != wantErr {
			t.Errorf("wrong error:\n got %q\nwant %q", got, wantErr)
		}
		if diff := cmp.Diff(Progress{Done: 7, Failed: 3}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
		want := map[int]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}
		if diff := cmp.Diff(want, rec.finals()); diff != "" {
			t.Errorf("wrong finals per task (-want +got):\n%s", diff)
		}
	})
}
