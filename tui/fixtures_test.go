package tui

import (
	"time"

	"lithops/apply"
)

// t0 is the fixed start of every scenario, so frames are deterministic.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// scenario is an event sequence and the moment the screen is looked at.
type scenario struct {
	name   string
	op     string
	now    time.Time
	events []apply.Event
	// stopAsked presses q before the frame.
	stopAsked bool
}

func resourcesCreating() []apply.Event {
	return []apply.Event{
		apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionCreate},
		apply.ResourceStarted{Time: at(0), Addr: "runtime.python", Action: apply.ActionCreate},
		apply.ResourceStarted{Time: at(1), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionCreate},
		apply.ResourceStarted{Time: at(1), Addr: "storage.scratch", Action: apply.ActionUpdate},
		apply.ResourceFinished{Time: at(2), Addr: "storage.scratch", Action: apply.ActionUpdate, Elapsed: secs(1)},
		apply.ResourceFinished{Time: at(9), Addr: "runtime.python", Action: apply.ActionCreate, Elapsed: secs(9)},
		apply.HostChanged{Time: at(3), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostConnecting},
		apply.HostChanged{Time: at(3), Executor: "executor.lab", Host: "10.0.0.6", State: apply.HostConnecting},
	}
}

func resourcesCreated() []apply.Event {
	return append(resourcesCreating(),
		apply.ResourceFinished{Time: at(14), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: secs(14)},
		apply.HostChanged{Time: at(15), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostReady, Slots: 8},
		apply.HostChanged{Time: at(15), Executor: "executor.lab", Host: "10.0.0.6", State: apply.HostUnreachable,
			Detail: "dial tcp 10.0.0.6:22: connect: connection refused"},
		apply.ResourceFinished{Time: at(16), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionCreate, Elapsed: secs(15)},
	)
}

// jobRunning: job.wordcount started at 20s and is 40s in, with progress
// every 2s at 20 tasks/s.
func jobRunning() []apply.Event {
	ev := append(resourcesCreated(),
		apply.JobStarted{Time: at(20), Job: "job.wordcount", Executor: "executor.lab", Tasks: 1000, Cached: 3, Phase: "map"},
	)
	for i := 1; i <= 20; i++ {
		done := i * 40
		if i == 20 {
			done = 812
		}
		ev = append(ev, apply.JobProgress{Time: at(20 + float64(2*i)), Job: "job.wordcount", Phase: "map",
			Total: 1000, Done: done, Running: 12, Failed: 0, Queued: 1000 - done - 12, Retried: 0, Elapsed: secs(float64(2 * i))})
	}
	return ev
}

func jobFailures() []apply.Event {
	ev := jobRunning()
	ev = append(ev,
		apply.TaskFailed{Time: at(55), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt", Attempt: 1, ExitCode: 1,
			StderrTail: "reading a.txt\nwc: a.txt: No such file or directory\n", Worker: "10.0.0.5"},
		apply.TaskFailed{Time: at(57), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt", Attempt: 2, ExitCode: 1,
			StderrTail: "wc: a.txt: No such file or directory\n", Worker: "10.0.0.5"},
		apply.TaskFailed{Time: at(58), Job: "job.wordcount", Phase: "map", Index: 404, Key: "404", Attempt: 3, Signal: "SIGKILL",
			Final: true, StderrTail: "fatal: out of memory\x1b[31m\tafter 3 allocations\r\n", Worker: "10.0.0.5"},
		apply.TaskFailed{Time: at(59), Job: "job.wordcount", Phase: "map", Index: 733, Key: "z.txt", Attempt: 3, TimedOut: true,
			Final: true, Err: "task exceeded its 10m timeout", Worker: "10.0.0.5"},
		apply.JobProgress{Time: at(60), Job: "job.wordcount", Phase: "map", Total: 1000, Done: 812, Running: 12,
			Failed: 3, Queued: 173, Retried: 2, Elapsed: secs(40)},
	)
	return ev
}

func stopping() []apply.Event {
	return append(jobRunning(), apply.Stopping{Time: at(60)})
}

func applyComplete() []apply.Event {
	ev := jobRunning()
	ev = append(ev,
		apply.JobProgress{Time: at(70), Job: "job.wordcount", Phase: "map", Total: 1000, Done: 1000, Retried: 3, Elapsed: secs(50)},
		apply.JobStarted{Time: at(70), Job: "job.wordcount", Executor: "executor.lab", Tasks: 1, Phase: "reduce"},
		apply.JobProgress{Time: at(72), Job: "job.wordcount", Phase: "reduce", Total: 1, Done: 1, Elapsed: secs(2)},
		apply.JobFinished{Time: at(72), Job: "job.wordcount", Tasks: 1000, Cached: 3, Retried: 3, Elapsed: secs(52)},
		apply.Message{Time: at(72), Level: "warn", Text: "host 10.0.0.6 never became ready; its 8 slots were not used"},
		apply.Finished{Time: at(73), Operation: "apply", Added: 4, Changed: 1, JobsRan: 1, Tasks: 1000, Retried: 3,
			Outputs: []apply.OutputValue{
				{Name: "words", Value: "1234567"},
				{Name: "token", Value: "s3cr3t", Sensitive: true},
				{Name: "files", Value: `["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt", "h.txt", "i.txt", "j.txt"]`},
			},
			Elapsed: secs(73)},
	)
	return ev
}

func applyFailed() []apply.Event {
	ev := jobFailures()
	ev = append(ev,
		apply.JobProgress{Time: at(80), Job: "job.wordcount", Phase: "map", Total: 1000, Done: 997, Failed: 3, Retried: 2, Elapsed: secs(60)},
		apply.JobFinished{Time: at(80), Job: "job.wordcount", Tasks: 1000, Cached: 3, Retried: 2, Failed: 3, Elapsed: secs(60),
			Err: "3 tasks failed"},
		apply.JobFinished{Time: at(80), Job: "job.report", Skipped: true, Err: "job.wordcount failed"},
		apply.Finished{Time: at(81), Operation: "apply", Added: 4, Changed: 1, JobsRan: 1, Tasks: 1000, Retried: 2, Failed: 3,
			Elapsed: secs(81), Err: "job.wordcount: 3 of 1000 tasks failed; job.report skipped"},
	)
	return ev
}

func destroyComplete() []apply.Event {
	return []apply.Event{
		apply.ResourceStarted{Time: at(0), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionDelete},
		apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionDelete},
		apply.HostChanged{Time: at(1), Executor: "executor.lab", Host: "10.0.0.5", State: apply.HostClosed},
		apply.ResourceFinished{Time: at(2), Addr: `executor.lab.bootstrap["10.0.0.5"]`, Action: apply.ActionDelete, Elapsed: secs(2)},
		apply.ResourceFinished{Time: at(3), Addr: "storage.data", Action: apply.ActionDelete, Elapsed: secs(3)},
		apply.Finished{Time: at(3), Operation: "destroy", Destroyed: 2, Elapsed: secs(3)},
	}
}

// scenarios are the screens kept as golden frames.
func scenarios() []scenario {
	return []scenario{
		{name: "starting", op: "apply", now: at(0)},
		{name: "resources-creating", op: "apply", now: at(12), events: resourcesCreating()},
		{name: "job-running", op: "apply", now: at(60), events: jobRunning()},
		{name: "job-failures", op: "apply", now: at(60), events: jobFailures()},
		{name: "stop-asked", op: "apply", now: at(60), events: jobRunning(), stopAsked: true},
		{name: "stopping", op: "apply", now: at(60), events: stopping(), stopAsked: true},
		{name: "apply-complete", op: "apply", now: at(73), events: applyComplete()},
		{name: "apply-failed", op: "apply", now: at(81), events: applyFailed()},
		{name: "destroy-complete", op: "destroy", now: at(3), events: destroyComplete()},
	}
}
