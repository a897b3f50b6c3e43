package tui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lithops/apply"
	"lithops/tui"
	"lithops/views"
)

const (
	driverEnv = "LITHOPS_TUI_DRIVER" // set: run drive instead of the tests
	gateEnv   = "LITHOPS_TUI_GATE"   // directory of the gate files
	// killedStatus is the driver's exit status after Kill; not 130, so a
	// SIGINT that killed it would show.
	killedStatus = 3
)

// drive is a stand-in for `lithops apply` on a real terminal: the real UI on
// stdin and stdout, fed a synthetic apply with real timing. At 500 of 1000
// tasks it waits for the gate file "finish" (then completes) or for q /
// ctrl-c (then reports Stopping and, once the gate file "stopped" exists,
// finishes stopped). A second ctrl-c exits with killedStatus.
//
// With LITHOPS_TUI_DRIVER=approve it first asks for approval as apply does,
// on the same terminal, and exits 1 with "Apply cancelled." unless the answer
// is yes.
func drive() int {
	gate := os.Getenv(gateEnv)
	if os.Getenv(driverEnv) == "approve" {
		ok, err := views.Approve(context.Background(), views.Approval{In: os.Stdin, Out: os.Stdout, Operation: "apply", Color: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if !ok {
			fmt.Println("Apply cancelled.")
			return 1
		}
	}
	stop := make(chan struct{})
	var stopOnce sync.Once
	killed := false
	u := tui.New(tui.Options{
		Out: os.Stdout, In: os.Stdin, Color: true, Operation: "apply",
		Stop: func() { stopOnce.Do(func() { close(stop) }) },
		Kill: func() { killed = true },
	})
	go feed(u, gate, stop)
	if err := u.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if killed {
		return killedStatus
	}
	return 0
}

// waitGate waits until the gate file name exists, or stop closes (then it
// returns false).
func waitGate(gate, name string, stop <-chan struct{}) bool {
	for {
		if _, err := os.Stat(filepath.Join(gate, name)); err == nil {
			return true
		}
		select {
		case <-stop:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func feed(o apply.Observer, gate string, stop <-chan struct{}) {
	start := time.Now()
	now := time.Now
	pause := func() { time.Sleep(20 * time.Millisecond) }
	o.Observe(apply.ResourceStarted{Time: now(), Addr: "storage.data", Action: apply.ActionCreate})
	o.Observe(apply.ResourceStarted{Time: now(), Addr: "runtime.python", Action: apply.ActionCreate})
	time.Sleep(300 * time.Millisecond)
	o.Observe(apply.ResourceFinished{Time: now(), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: time.Since(start)})
	time.Sleep(200 * time.Millisecond)
	o.Observe(apply.ResourceFinished{Time: now(), Addr: "runtime.python", Action: apply.ActionCreate, Elapsed: time.Since(start)})

	const total = 1000
	jobStart := now()
	o.Observe(apply.JobStarted{Time: jobStart, Job: "job.wordcount", Executor: "executor.local", Tasks: total, Phase: "map"})
	progress := func(done, retried int) {
		running := min(8, total-done)
		o.Observe(apply.JobProgress{Time: now(), Job: "job.wordcount", Phase: "map", Total: total, Done: done,
			Running: running, Queued: total - done - running, Retried: retried, Elapsed: time.Since(jobStart)})
	}
	retried := 0
	for done := 0; done <= 500; done += 5 {
		if done == 250 {
			retried++
			o.Observe(apply.TaskFailed{Time: now(), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt", Attempt: 1,
				ExitCode: 1, StderrTail: "wc: a.txt: No such file or directory\n"})
		}
		progress(done, retried)
		if done%25 == 0 {
			pause()
		}
	}
	if !waitGate(gate, "finish", stop) {
		o.Observe(apply.Stopping{Time: now()})
		waitGate(gate, "stopped", nil)
		o.Observe(apply.JobProgress{Time: now(), Job: "job.wordcount", Phase: "map", Total: total, Done: 508,
			Retried: retried, Elapsed: time.Since(jobStart)})
		o.Observe(apply.JobFinished{Time: now(), Job: "job.wordcount", Tasks: 508, Retried: retried, Elapsed: time.Since(jobStart)})
		o.Observe(apply.Finished{Time: now(), Operation: "apply", Added: 2, JobsRan: 1, Tasks: 508, Retried: retried,
			Elapsed: time.Since(start), Stopped: true})
		return
	}
	for done := 505; done <= total; done += 5 {
		if done == 750 {
			retried++
		}
		progress(done, retried)
		if done%50 == 0 {
			pause()
		}
	}
	o.Observe(apply.JobFinished{Time: now(), Job: "job.wordcount", Tasks: total, Retried: retried, Elapsed: time.Since(jobStart)})
	o.Observe(apply.Finished{Time: now(), Operation: "apply", Added: 2, JobsRan: 1, Tasks: total, Retried: retried,
		Elapsed: time.Since(start), Outputs: []apply.OutputValue{
			{Name: "words", Value: "1234567"},
			{Name: "token", Value: "s3cr3t", Sensitive: true},
		}})
}
