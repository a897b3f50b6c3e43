package views

import (
	"time"

	"lithops/apply"
)

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// step is one moment of a run: the clock moves to At, then the event is
// observed, or, when Event is nil, the renderer's Tick runs.
type step struct {
	At    float64
	Event apply.Event
}

func tick(s float64) step { return step{At: s} }

func ev(e apply.Event) step {
	return step{At: eventSeconds(e), Event: e}
}

// eventSeconds reads an event's time as seconds since t0.
func eventSeconds(e apply.Event) float64 {
	var t time.Time
	switch e := e.(type) {
	case apply.ResourceStarted:
		t = e.Time
	case apply.ResourceFinished:
		t = e.Time
	case apply.JobStarted:
		t = e.Time
	case apply.JobProgress:
		t = e.Time
	case apply.TaskFailed:
		t = e.Time
	case apply.JobFinished:
		t = e.Time
	case apply.HostChanged:
		t = e.Time
	case apply.Stopping:
		t = e.Time
	case apply.Message:
		t = e.Time
	case apply.Finished:
		t = e.Time
	}
	return t.Sub(t0).Seconds()
}

// applyRun: two resources (one slow), a fleet host, a job of 1000 tasks at
// 50 tasks/s with progress every half second, two failed attempts, a
// reduce, the summary and outputs.
func applyRun() []step {
	s := []step{
		ev(apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionCreate}),
		ev(apply.ResourceStarted{Time: at(0), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionCreate}),
		ev(apply.HostChanged{Time: at(1), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostConnecting}),
		ev(apply.ResourceFinished{Time: at(2), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: secs(2)}),
		tick(3), tick(5), tick(6),
		ev(apply.HostChanged{Time: at(7), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostReady, Slots: 8}),
		ev(apply.ResourceFinished{Time: at(7), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionCreate, Elapsed: secs(7)}),
		ev(apply.Message{Time: at(7), Level: "warn", Text: "runtime image is 2 GiB;\nfirst start may be slow"}),
		ev(apply.JobStarted{Time: at(10), Job: "job.wordcount", Executor: "executor.lab", Tasks: 1000, Cached: 3, Phase: "map"}),
	}
	for i := 1; i <= 40; i++ {
		done := min(1000, i*25)
		failed, retried := 0, 0
		if i >= 9 {
			retried = 1
		}
		if i == 8 {
			s = append(s, ev(apply.TaskFailed{Time: at(10 + float64(i)/2), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt",
				Attempt: 1, ExitCode: 1, StderrTail: "wc: a.txt: No such file or directory\n", Worker: "10.0.0.5"}))
		}
		if i == 20 {
			s = append(s, ev(apply.TaskFailed{Time: at(10 + float64(i)/2), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt",
				Attempt: 2, Signal: "SIGKILL", StderrTail: "\x1b[31mkilled\x1b[0m\r\n", Worker: "10.0.0.5"}))
			retried = 2
		}
		if i > 20 {
			retried = 2
		}
		running := min(8, 1000-done)
		s = append(s, ev(apply.JobProgress{Time: at(10 + float64(i)/2), Job: "job.wordcount", Phase: "map", Total: 1000,
			Done: done, Running: running, Failed: failed, Queued: 1000 - done - running - failed, Retried: retried,
			Elapsed: secs(float64(i) / 2)}))
	}
	return append(s,
		ev(apply.JobStarted{Time: at(30), Job: "job.wordcount", Executor: "executor.lab", Tasks: 1, Phase: "reduce"}),
		tick(36),
		ev(apply.JobProgress{Time: at(37), Job: "job.wordcount", Phase: "reduce", Total: 1, Done: 1, Elapsed: secs(7)}),
		ev(apply.JobFinished{Time: at(37), Job: "job.wordcount", Tasks: 1001, Cached: 3, Retried: 2, Elapsed: secs(27)}),
		ev(apply.Finished{Time: at(38), Operation: "apply", Added: 2, JobsRan: 1, Tasks: 1001, Retried: 2, Elapsed: secs(38),
			Outputs: []apply.OutputValue{{Name: "words", Value: "1234567"}, {Name: "token", Value: "s3cr3t", Sensitive: true}}}),
	)
}

// failedRun: a job whose 30 tasks all fail, more than the failure lines
// printed, a dependent job skipped, a stop, and an error at the end.
func failedRun() []step {
	s := []step{
		ev(apply.JobStarted{Time: at(0), Job: "job.grep", Executor: "executor.local", Tasks: 30}),
	}
	for i := range 30 {
		s = append(s,
			ev(apply.TaskFailed{Time: at(float64(i) / 10), Job: "job.grep", Index: i, Key: "", Attempt: 1, ExitCode: 2,
				StderrTail: "line one\nline two\nline three\nline four\nline five\nline six\nline seven\n", Final: true}),
			ev(apply.JobProgress{Time: at(float64(i) / 10), Job: "job.grep", Total: 30, Failed: i + 1, Running: min(4, 29-i),
				Queued: max(0, 29-i-4), Elapsed: secs(float64(i) / 10)}),
		)
	}
	return append(s,
		ev(apply.Stopping{Time: at(3)}),
		ev(apply.JobFinished{Time: at(3), Job: "job.grep", Tasks: 30, Failed: 30, Elapsed: secs(3), Err: "30 tasks failed"}),
		ev(apply.JobFinished{Time: at(3), Job: "job.count", Skipped: true, Err: "job.grep failed"}),
		ev(apply.Finished{Time: at(3), Operation: "apply", JobsRan: 1, Tasks: 30, Failed: 30, Elapsed: secs(3),
			Err: "job.grep: 30 of 30 tasks failed;\njob.count skipped"}),
	)
}

func destroyRun() []step {
	return []step{
		ev(apply.ResourceStarted{Time: at(0), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionDelete}),
		ev(apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionDelete}),
		ev(apply.HostChanged{Time: at(1), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostClosed}),
		ev(apply.ResourceFinished{Time: at(2), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionDelete, Elapsed: secs(2)}),
		tick(5),
		ev(apply.ResourceFinished{Time: at(6), Addr: "storage.data", Action: apply.ActionDelete, Elapsed: secs(6)}),
		ev(apply.Finished{Time: at(6), Operation: "destroy", Destroyed: 2, Elapsed: secs(6)}),
	}
}

// allEvents has one event of every type, every field set.
func allEvents() []apply.Event {
	return []apply.Event{
		apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionCreate},
		apply.ResourceFinished{Time: at(2.5), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: secs(2.5), Err: "bucket exists"},
		apply.JobStarted{Time: at(3), Job: "job.wordcount", Executor: "executor.local", Tasks: 1000, Cached: 3, Phase: "map"},
		apply.JobProgress{Time: at(43), Job: "job.wordcount", Phase: "map", Total: 1000, Done: 812, Running: 12, Failed: 3, Queued: 173, Retried: 2, Elapsed: secs(40)},
		apply.TaskFailed{Time: at(44), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt", Attempt: 3, ExitCode: 1, Signal: "SIGKILL",
			TimedOut: true, Err: "task exceeded its 10m timeout", StderrTail: "wc: a.txt: No such file or directory\n", Worker: "10.0.0.5", Final: true},
		apply.JobFinished{Time: at(50), Job: "job.wordcount", Tasks: 997, Cached: 3, Retried: 2, Failed: 3, Elapsed: secs(47.25), Err: "3 tasks failed", Skipped: true},
		apply.HostChanged{Time: at(51), Executor: "executor.lab", Host: "10.0.0.7", State: apply.HostUnreachable, Slots: 8, Detail: "connection refused"},
		apply.Stopping{Time: at(52)},
		apply.Message{Time: at(53), Level: "warn", Text: "state lock held for 30s"},
		apply.Finished{Time: at(60), Operation: "apply", Added: 1, Changed: 2, Destroyed: 3, JobsRan: 1, Tasks: 1000, Retried: 2, Failed: 3,
			Outputs: []apply.OutputValue{{Name: "words", Value: "1234567"}, {Name: "token", Value: "s3cr3t", Sensitive: true}},
			Elapsed: secs(60), Err: "job.wordcount failed", Stopped: true},
	}
}
