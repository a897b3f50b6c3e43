package tui

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"lithops/apply"
)

func TestStateUpdate(t *testing.T) {
	ignoreRate := cmpopts.IgnoreFields(job{}, "Rate")
	tests := []struct {
		name   string
		events []apply.Event
		want   state
	}{
		{
			name: "resource created, another failed, a third running",
			events: []apply.Event{
				apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionCreate},
				apply.ResourceStarted{Time: at(1), Addr: "runtime.py", Action: apply.ActionReplace},
				apply.ResourceStarted{Time: at(2), Addr: "executor.lab", Action: apply.ActionCreate},
				apply.ResourceFinished{Time: at(2), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: secs(2)},
				apply.ResourceFinished{Time: at(4), Addr: "runtime.py", Action: apply.ActionReplace, Elapsed: secs(3), Err: "image not found"},
			},
			want: state{Resources: []resource{
				{Addr: "storage.data", Action: apply.ActionCreate, Started: at(0), Done: true, Elapsed: secs(2)},
				{Addr: "runtime.py", Action: apply.ActionReplace, Started: at(1), Done: true, Elapsed: secs(3), Err: "image not found"},
				{Addr: "executor.lab", Action: apply.ActionCreate, Started: at(2)},
			}},
		},
		{
			name: "a finish without a start still shows, started elapsed before",
			events: []apply.Event{
				apply.ResourceFinished{Time: at(5), Addr: "storage.data", Action: apply.ActionDelete, Elapsed: secs(2)},
			},
			want: state{Resources: []resource{
				{Addr: "storage.data", Action: apply.ActionDelete, Started: at(3), Done: true, Elapsed: secs(2)},
			}},
		},
		{
			name: "job progress keeps the latest counters",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Executor: "executor.local", Tasks: 100, Cached: 2, Phase: "map"},
				apply.JobProgress{Time: at(1), Job: "job.wc", Phase: "map", Total: 100, Done: 10, Running: 8, Queued: 82, Elapsed: secs(1)},
				apply.JobProgress{Time: at(2), Job: "job.wc", Phase: "map", Total: 100, Done: 30, Running: 8, Failed: 1, Queued: 61, Retried: 4, Elapsed: secs(2)},
			},
			want: state{Jobs: []job{
				{Name: "job.wc", Phase: "map", Executor: "executor.local", Started: at(0), Cached: 2,
					Total: 100, Done: 30, Running: 8, Failed: 1, Queued: 61, Retried: 4, Elapsed: secs(2)},
			}},
		},
		{
			name: "reduce starting ends the map phase; JobFinished ends both",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 10, Phase: "map"},
				apply.JobProgress{Time: at(5), Job: "job.wc", Phase: "map", Total: 10, Done: 9, Running: 1, Elapsed: secs(5)},
				apply.JobStarted{Time: at(6), Job: "job.wc", Tasks: 1, Phase: "reduce"},
				apply.JobProgress{Time: at(7), Job: "job.wc", Phase: "reduce", Total: 1, Running: 1, Elapsed: secs(1)},
				apply.JobProgress{Time: at(8), Job: "job.wc", Phase: "reduce", Total: 1, Done: 1, Elapsed: secs(2)},
				apply.JobFinished{Time: at(8), Job: "job.wc", Tasks: 11, Elapsed: secs(8)},
			},
			want: state{Jobs: []job{
				{Name: "job.wc", Phase: "map", Started: at(0), Total: 10, Done: 9, Elapsed: secs(5), Ended: true, Finished: true},
				{Name: "job.wc", Phase: "reduce", Started: at(6), Total: 1, Done: 1, Elapsed: secs(2), Ended: true, Finished: true},
			}},
		},
		{
			name: "a one-phase job takes JobFinished's counters",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 10, Phase: "map"},
				apply.JobProgress{Time: at(5), Job: "job.wc", Phase: "map", Total: 10, Done: 7, Failed: 1, Running: 2, Elapsed: secs(5)},
				apply.JobFinished{Time: at(8), Job: "job.wc", Tasks: 10, Failed: 2, Retried: 3, Elapsed: secs(8), Err: "2 tasks failed"},
			},
			want: state{Jobs: []job{
				{Name: "job.wc", Phase: "map", Started: at(0), Total: 10, Done: 7, Failed: 2, Retried: 3,
					Elapsed: secs(8), Ended: true, Finished: true, Err: "2 tasks failed"},
			}},
		},
		{
			name: "a finished job missing its last progress counts its tasks done",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 10},
				apply.JobProgress{Time: at(5), Job: "job.wc", Total: 10, Done: 7, Running: 3, Elapsed: secs(5)},
				apply.JobFinished{Time: at(6), Job: "job.wc", Tasks: 10, Elapsed: secs(6)},
			},
			want: state{Jobs: []job{
				{Name: "job.wc", Started: at(0), Total: 10, Done: 10, Elapsed: secs(6), Ended: true, Finished: true},
			}},
		},
		{
			name: "a stopped job keeps the tasks it did not run",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 1000},
				apply.JobProgress{Time: at(5), Job: "job.wc", Total: 1000, Done: 508, Elapsed: secs(5)},
				apply.JobFinished{Time: at(6), Job: "job.wc", Tasks: 508, Elapsed: secs(6)},
			},
			want: state{Jobs: []job{
				{Name: "job.wc", Started: at(0), Total: 1000, Done: 508, Elapsed: secs(6), Ended: true, Finished: true},
			}},
		},
		{
			name: "a skipped job appears without having started",
			events: []apply.Event{
				apply.JobFinished{Time: at(3), Job: "job.report", Skipped: true, Err: "job.wc failed"},
			},
			want: state{Jobs: []job{
				{Name: "job.report", Started: at(3), Ended: true, Finished: true, Skipped: true, Err: "job.wc failed"},
			}},
		},
		{
			name: "failures keep the last five and count them all",
			events: func() []apply.Event {
				var ev []apply.Event
				for i := range 7 {
					ev = append(ev, apply.TaskFailed{Time: at(float64(i)), Job: "job.wc", Index: i, Attempt: 1, ExitCode: 2,
						StderrTail: "one\n\ntwo\nthree\nfour\n"})
				}
				return ev
			}(),
			want: func() state {
				s := state{FailuresSeen: 7}
				for i := 2; i < 7; i++ {
					s.Failures = append(s.Failures, failure{Job: "job.wc", Event: apply.TaskFailed{Time: at(float64(i)), Job: "job.wc",
						Index: i, Attempt: 1, ExitCode: 2, StderrTail: "one\n\ntwo\nthree\nfour\n"},
						Stderr: []string{"two", "three", "four"}})
				}
				return s
			}(),
		},
		{
			name: "hosts group by executor in the order first seen",
			events: []apply.Event{
				apply.HostChanged{Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostConnecting},
				apply.HostChanged{Executor: "executor.gpu", Host: "10.0.1.1", State: apply.HostConnecting},
				apply.HostChanged{Executor: "executor.lab", Host: "10.0.0.6", State: apply.HostConnecting},
				apply.HostChanged{Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostReady, Slots: 4},
				apply.HostChanged{Executor: "executor.lab", Host: "10.0.0.6", State: apply.HostLost, Detail: "EOF"},
			},
			want: state{Executors: []executor{
				{Name: "executor.lab", Hosts: []host{
					{Host: "10.0.0.5", State: apply.HostReady, Slots: 4},
					{Host: "10.0.0.6", State: apply.HostLost, Detail: "EOF"},
				}},
				{Name: "executor.gpu", Hosts: []host{{Host: "10.0.1.1", State: apply.HostConnecting}}},
			}},
		},
		{
			name: "stopping, then finished ends the running job",
			events: []apply.Event{
				apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 10},
				apply.JobProgress{Time: at(1), Job: "job.wc", Total: 10, Done: 4, Running: 2, Queued: 4, Elapsed: secs(1)},
				apply.Stopping{Time: at(2)},
				apply.Finished{Time: at(3), Operation: "apply", Stopped: true},
			},
			want: state{
				Operation: "apply",
				Jobs:      []job{{Name: "job.wc", Started: at(0), Total: 10, Done: 4, Elapsed: secs(1), Ended: true}},
				Stopping:  true,
				Finished:  &apply.Finished{Time: at(3), Operation: "apply", Stopped: true},
			},
		},
		{
			name: "messages keep the last five",
			events: func() []apply.Event {
				var ev []apply.Event
				for i := range 6 {
					ev = append(ev, apply.Message{Level: "warn", Text: string(rune('a' + i))})
				}
				return ev
			}(),
			want: state{Messages: []apply.Message{
				{Level: "warn", Text: "b"}, {Level: "warn", Text: "c"}, {Level: "warn", Text: "d"},
				{Level: "warn", Text: "e"}, {Level: "warn", Text: "f"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(Options{})
			next, _ := m.Update(frameMsg{now: at(100), events: tt.events})
			got := next.(model).st
			if diff := cmp.Diff(tt.want, got, ignoreRate, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("wrong state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name    string
		samples []sample // (elapsed, done) progress in order
		now     time.Duration
		want    float64
	}{
		{name: "nothing yet", want: 0},
		{
			name:    "a stall counts: no progress for the last 10s halves the rate",
			samples: []sample{{secs(1), 10}, {secs(2), 20}, {secs(11), 110}},
			now:     secs(21),
			want:    5,
		},
		{name: "under a second: average since start", samples: []sample{{secs(0.5), 5}}, want: 10},
		{name: "steady", samples: []sample{{secs(1), 10}, {secs(2), 20}, {secs(3), 30}}, want: 10},
		{
			name:    "only the last ten seconds count",
			samples: []sample{{secs(1), 1000}, {secs(20), 1100}, {secs(25), 1150}, {secs(30), 1200}},
			want:    10,
		},
		{
			name: "events closer than the sampling step still move the end",
			samples: func() []sample {
				var s []sample
				for i := 1; i <= 300; i++ {
					s = append(s, sample{secs(float64(i) * 0.01), i * 2})
				}
				return s
			}(),
			want: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r rate
			var last sample
			for _, s := range tt.samples {
				r.add(s.At, s.Done)
				last = s
			}
			now := max(tt.now, last.At)
			got := r.perSecond(last.Done, now)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("wrong rate (-want +got):\n%s", diff)
			}
		})
	}
}
