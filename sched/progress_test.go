package sched

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunProgress(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name     string
		tasks    int
		took     func(index int) time.Duration
		fail     func(index, attempt int) bool
		retries  int
		want     []Progress
		wantWhen []time.Duration
	}{
		{
			name:     "first change at once, last change always",
			tasks:    2,
			took:     func(i int) time.Duration { return ms(10 * (i + 1)) },
			want:     []Progress{{Running: 2}, {Done: 2}},
			wantWhen: []time.Duration{0, ms(20)},
		},
		{
			name:  "throttled to one call per 50ms",
			tasks: 3,
			took:  func(i int) time.Duration { return ms(40 * (i + 1)) },
			want: []Progress{
				{Running: 3},
				{Done: 1, Running: 2}, // at 40ms, sent at 50ms
				{Done: 2, Running: 1}, // at 80ms, sent at 100ms
				{Done: 3},             // at 120ms, the last: sent at once
			},
			wantWhen: []time.Duration{0, ms(50), ms(100), ms(120)},
		},
		{
			name:    "retries and waiting tasks",
			tasks:   1,
			took:    func(int) time.Duration { return ms(100) },
			fail:    func(_, attempt int) bool { return attempt == 1 },
			retries: 1,
			want: []Progress{
				{Running: 1},
				{Queued: 1},              // waiting out its 200ms backoff
				{Running: 1, Retried: 1}, // at 300ms
				{Done: 1, Retried: 1},
			},
			wantWhen: []time.Duration{0, ms(100), ms(300), ms(400)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := &fakeDispatcher{RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
					task := inv.Tasks[0]
					sleep(ctx, tt.took(task.Index))
					r := Result{Index: task.Index}
					if tt.fail != nil && tt.fail(task.Index, task.Attempt) {
						r.ExitCode = 1
					}
					report(r)
					return nil
				}}
				rec := newRecorder()
				sum, err := run(t.Context(), d, &Job{Tasks: newTasks(tt.tasks), Retries: tt.retries}, rec.hooks(), testOptions())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, rec.progress); diff != "" {
					t.Errorf("wrong progress calls (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantWhen, rec.times); diff != "" {
					t.Errorf("wrong progress times (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(rec.progress[len(rec.progress)-1], sum.Progress); diff != "" {
					t.Errorf("summary differs from the last progress (-last +summary):\n%s", diff)
				}
			})
		})
	}
}

// TestRunProgressInvariants runs a busy job and checks every Progress call:
// the counters sum to the number of tasks, calls are at least 50ms apart
// (but the last), and no call repeats the previous one.
func TestRunProgressInvariants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 200
		d := &fakeDispatcher{
			CapacityFn: func() int { return 7 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				for _, task := range inv.Tasks {
					sleep(ctx, time.Duration(1+task.Index%13)*time.Millisecond)
					report(Result{Index: task.Index, ExitCode: task.Index % 17 / 16})
				}
				return nil
			},
		}
		rec := newRecorder()
		job := &Job{Tasks: newTasks(n), ChunkSize: 3, Retries: 1, Backoff: Backoff{Base: 5 * time.Millisecond}}
		sum, err := run(t.Context(), d, job, rec.hooks(), testOptions())
		if err == nil {
			t.Fatal("want an error for the tasks that always fail")
		}
		for i, p := range rec.progress {
			if s := p.Done + p.Running + p.Failed + p.Queued; s != n {
				t.Errorf("progress %d: %+v sums to %d, want %d", i, p, s, n)
			}
			if i > 0 && p == rec.progress[i-1] {
				t.Errorf("progress %d repeats the previous one: %+v", i, p)
			}
			if i > 0 && i < len(rec.progress)-1 && rec.times[i]-rec.times[i-1] < defaultProgressEvery {
				t.Errorf("progress %d only %v after the previous one", i, rec.times[i]-rec.times[i-1])
			}
		}
		if len(rec.progress) < 3 {
			t.Errorf("only %d progress calls", len(rec.progress))
		}
		if diff := cmp.Diff(rec.progress[len(rec.progress)-1], sum.Progress); diff != "" {
			t.Errorf("summary differs from the last progress (-last +summary):\n%s", diff)
		}
	})
}
