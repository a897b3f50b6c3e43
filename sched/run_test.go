package sched

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunChunking(t *testing.T) {
	tests := []struct {
		name    string
		indices []int // task indices; nil means none
		chunk   int
		want    [][]int
	}{
		{name: "no tasks", chunk: 3, want: nil},
		{name: "chunk 0 means one", indices: []int{0, 1, 2}, chunk: 0, want: [][]int{{0}, {1}, {2}}},
		{name: "chunk 1", indices: []int{0, 1, 2}, chunk: 1, want: [][]int{{0}, {1}, {2}}},
		{name: "chunk 2 with a short last", indices: []int{0, 1, 2, 3, 4}, chunk: 2, want: [][]int{{0, 1}, {2, 3}, {4}}},
		{name: "chunk larger than job", indices: []int{0, 1, 2}, chunk: 10, want: [][]int{{0, 1, 2}}},
		{name: "indices with gaps (cached tasks left out)", indices: []int{0, 2, 5, 7, 9}, chunk: 2, want: [][]int{{0, 2}, {5, 7}, {9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var tasks []Task
				for _, i := range tt.indices {
					tasks = append(tasks, Task{Index: i, Argv: []string{"true"}})
				}
				var got [][]int
				d := &fakeDispatcher{
					CapacityFn: func() int { return 1 },
					RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
						var chunk []int
						for _, task := range inv.Tasks {
							chunk = append(chunk, task.Index)
							report(Result{Index: task.Index})
						}
						got = append(got, chunk)
						return nil
					},
				}
				job := &Job{Name: "j", Tasks: tasks, ChunkSize: tt.chunk}
				sum, err := run(t.Context(), d, job, Hooks{}, testOptions())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("wrong invocations (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(Progress{Done: len(tasks)}, sum.Progress); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRunPassesJobToInvocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []*Invocation
		d := &fakeDispatcher{
			CapacityFn: func() int { return 1 },
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				got = append(got, inv)
				for _, task := range inv.Tasks {
					report(Result{Index: task.Index})
				}
				return nil
			},
		}
		files := []File{{Name: "a.sh", Source: "/src/a.sh", Digest: "sha256:00", Mode: 0o755}}
		tasks := []Task{
			{Index: 0, Key: "a", Argv: []string{"echo", "a"}, Env: []string{"X=1"}, Timeout: time.Minute},
			{Index: 1, Key: "b", Argv: []string{"echo", "b"}, Stdin: &Input{Data: []byte("in")}},
		}
		job := &Job{Name: "wordcount", Tasks: tasks, Files: files, ChunkSize: 2, InlineLimit: 1 << 20}
		if _, err := run(t.Context(), d, job, Hooks{}, testOptions()); err != nil {
			t.Fatal(err)
		}
		wantTasks := append([]Task(nil), tasks...)
		wantTasks[0].Attempt, wantTasks[1].Attempt = 1, 1
		want := []*Invocation{{Job: "wordcount", Files: files, Tasks: wantTasks, InlineLimit: 1 << 20}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("wrong invocations (-want +got):\n%s", diff)
		}
		if tasks[0].Attempt != 0 {
			t.Errorf("Run changed the job's tasks: Attempt = %d", tasks[0].Attempt)
		}
	})
}

func TestRunMaxInFlight(t *testing.T) {
	tests := []struct {
		name                   string
		tasks, chunk           int
		capacity, maxWorkers   int
		wantMost, wantLaunches int
	}{
		{name: "capacity bounds", tasks: 20, capacity: 4, wantMost: 4, wantLaunches: 20},
		{name: "max_workers bounds", tasks: 20, capacity: 4, maxWorkers: 2, wantMost: 2, wantLaunches: 20},
		{name: "max_workers above capacity", tasks: 20, capacity: 3, maxWorkers: 8, wantMost: 3, wantLaunches: 20},
		{name: "fewer tasks than slots", tasks: 3, capacity: 8, wantMost: 3, wantLaunches: 3},
		{name: "chunks count as one", tasks: 20, chunk: 5, capacity: 8, wantMost: 4, wantLaunches: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var l launches
				start := time.Now()
				d := &fakeDispatcher{
					CapacityFn: func() int { return tt.capacity },
					RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
						l.enter(inv, time.Since(start))
						defer l.leave()
						for _, task := range inv.Tasks {
							sleep(ctx, time.Second)
							report(Result{Index: task.Index})
						}
						return nil
					},
				}
				job := &Job{Tasks: newTasks(tt.tasks), ChunkSize: tt.chunk, MaxWorkers: tt.maxWorkers}
				if _, err := run(t.Context(), d, job, Hooks{}, testOptions()); err != nil {
					t.Fatal(err)
				}
				got := []int{l.most, len(l.invs)}
				if diff := cmp.Diff([]int{tt.wantMost, tt.wantLaunches}, got); diff != "" {
					t.Errorf("wrong [most in flight, launches] (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestRunFollowsCapacity changes the dispatcher's capacity over time (a
// fleet losing hosts, then gaining some) and checks that no invocation
// starts beyond the capacity of its moment, and that growth is used.
func TestRunFollowsCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		capacity := func() int {
			switch e := time.Since(start); {
			case e < 10*time.Second:
				return 4
			case e < 20*time.Second:
				return 1
			default:
				return 3
			}
		}
		phase := func(at time.Duration) int { return int(min(at/(10*time.Second), 2)) }
		var l launches
		most := make([]int, 3) // largest number in flight at a launch, per phase
		d := &fakeDispatcher{
			CapacityFn: capacity,
			RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
				at := time.Since(start)
				others := l.enter(inv, at)
				defer l.leave()
				if c := capacity(); others >= c {
					t.Errorf("invocation started at %v with %d others in flight, capacity %d", at, others, c)
				}
				l.mu.Lock()
				most[phase(at)] = max(most[phase(at)], others+1)
				l.mu.Unlock()
				sleep(ctx, 3*time.Second)
				report(Result{Index: inv.Tasks[0].Index})
				return nil
			},
		}
		sum, err := run(t.Context(), d, &Job{Tasks: newTasks(40)}, Hooks{}, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{4, 1, 3}, most); diff != "" {
			t.Errorf("wrong most in flight per phase (-want +got):\n%s", diff)
		}
		if sum.Done != 40 {
			t.Errorf("done = %d, want 40", sum.Done)
		}
	})
}

func TestRunNoCapacity(t *testing.T) {
	tests := []struct {
		name     string
		capacity func(elapsed time.Duration) int
		want     Summary
		wantErr  string
	}{
		{
			name:     "never any slot",
			capacity: func(time.Duration) int { return 0 },
			want:     Summary{Progress: Progress{Queued: 3}, Elapsed: time.Minute},
			wantErr:  "no worker capacity: the dispatcher offered no slot for 1m0s with 3 of 3 tasks unfinished",
		},
		{
			name: "a host comes back in time",
			capacity: func(e time.Duration) int {
				if e < 30*time.Second {
					return 0
				}
				return 2
			},
			want: Summary{Progress: Progress{Done: 3}, Elapsed: 30 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				rec := newRecorder()
				d := &fakeDispatcher{CapacityFn: func() int { return tt.capacity(time.Since(start)) }}
				sum, err := run(t.Context(), d, &Job{Tasks: newTasks(3)}, rec.hooks(), testOptions())
				if got := errString(err); got != tt.wantErr {
					t.Errorf("wrong error:\n got %q\nwant %q", got, tt.wantErr)
				}
				if diff := cmp.Diff(tt.want, sum); diff != "" {
					t.Errorf("wrong summary (-want +got):\n%s", diff)
				}
				if tt.wantErr != "" && len(rec.calls) != 0 {
					t.Errorf("results reported for a job that never ran: %+v", rec.calls)
				}
			})
		})
	}
}

func TestRunRejectsBadJobs(t *testing.T) {
	tests := []struct {
		name    string
		d       Dispatcher
		job     *Job
		wantErr string
	}{
		{name: "no dispatcher", job: &Job{}, wantErr: "no dispatcher"},
		{name: "no job", d: &fakeDispatcher{}, wantErr: "no job"},
		{name: "negative retries", d: &fakeDispatcher{}, job: &Job{Retries: -1}, wantErr: "retries -1 is negative"},
		{name: "negative chunk", d: &fakeDispatcher{}, job: &Job{ChunkSize: -2}, wantErr: "chunk size -2 is negative"},
		{name: "negative max workers", d: &fakeDispatcher{}, job: &Job{MaxWorkers: -1}, wantErr: "max workers -1 is negative"},
		{name: "negative backoff", d: &fakeDispatcher{}, job: &Job{Backoff: Backoff{Base: -time.Second}}, wantErr: "backoff -1s..0s is negative"},
		{name: "quantile above 1", d: &fakeDispatcher{}, job: &Job{Speculation: &Speculation{Quantile: 1.5}}, wantErr: "speculation quantile 1.5 is not within [0, 1]"},
		{name: "multiplier below 1", d: &fakeDispatcher{}, job: &Job{Speculation: &Speculation{Multiplier: 0.5}}, wantErr: "speculation multiplier 0.5 is less than 1"},
		{name: "negative index", d: &fakeDispatcher{}, job: &Job{Tasks: []Task{{Index: -1}}}, wantErr: "task -1 has a negative index"},
		{name: "duplicate index", d: &fakeDispatcher{}, job: &Job{Tasks: []Task{{Index: 3}, {Index: 1}, {Index: 3}}}, wantErr: "task index 3 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(t.Context(), tt.d, tt.job, Hooks{})
			if got := errString(err); got != tt.wantErr {
				t.Errorf("wrong error:\n got %q\nwant %q", got, tt.wantErr)
			}
		})
	}
}

func TestRunUnorderedIndices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		tasks := []Task{{Index: 7}, {Index: 2}, {Index: 5}}
		sum, err := run(t.Context(), &fakeDispatcher{}, &Job{Tasks: tasks, ChunkSize: 2}, rec.hooks(), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int]int{7: 1, 2: 1, 5: 1}, rec.finals()); diff != "" {
			t.Errorf("wrong finals per task (-want +got):\n%s", diff)
		}
		if sum.Done != 3 {
			t.Errorf("done = %d, want 3", sum.Done)
		}
	})
}

func TestRunWithoutHooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sum, err := run(t.Context(), &fakeDispatcher{}, &Job{Tasks: newTasks(10)}, Hooks{}, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Progress{Done: 10}, sum.Progress); diff != "" {
			t.Errorf("wrong summary (-want +got):\n%s", diff)
		}
	})
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
