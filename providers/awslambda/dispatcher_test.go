package awslambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/internal/fakelambda"
	"lithops/objstore"
	"lithops/sched"
)

// outcome is what a test compares of a task's final result.
type outcome struct {
	Stdout   string
	ExitCode int
	TimedOut bool
	Stderr   string
	Attempt  int
}

// runJob runs tasks through d and returns each task's final outcome by
// index (stdout read from the spill file when there is one).
func runJob(t *testing.T, d *dispatcher, job *sched.Job) map[int]outcome {
	t.Helper()
	var mu sync.Mutex
	got := map[int]outcome{}
	_, err := sched.Run(context.Background(), d, job, sched.Hooks{Result: func(r sched.Result, final bool) {
		if !final {
			return
		}
		out := r.Stdout
		if r.StdoutFile != "" {
			b, err := os.ReadFile(r.StdoutFile)
			if err != nil {
				t.Errorf("task %d: read spilled stdout: %v", r.Index, err)
			}
			os.Remove(r.StdoutFile)
			out = b
		}
		if r.Err != "" {
			t.Logf("task %d: %s", r.Index, r.Err)
		}
		mu.Lock()
		got[r.Index] = outcome{Stdout: string(out), ExitCode: r.ExitCode, TimedOut: r.TimedOut, Stderr: string(r.Stderr), Attempt: r.Attempt}
		mu.Unlock()
	}})
	if err != nil {
		t.Logf("job: %v", err)
	}
	return got
}

func fileDigestOf(t *testing.T, data []byte) string {
	t.Helper()
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:])
}

// TestDispatcherRunsTasksInTheFunction runs tasks of every kind through
// the real SDK client, the fake Lambda service and the lithops binary as
// the function's bootstrap under the Runtime Interface Emulator, with S3
// served by gofakes3: inline and spilled outputs, inline, large and local
// file inputs, job files, a failing task's stderr, and a per-task timeout
// that kills the task's process group inside the function.
func TestDispatcherRunsTasksInTheFunction(t *testing.T) {
	b := newBench(t, true, fakelambda.Options{StateDelay: -1})
	e := &Executor{Bootstrap: lithopsBootstrap(t), WaitDelay: 10 * time.Millisecond, SpillDir: t.TempDir()}
	d, _ := b.deploy(t, e, b.executorBody(map[string]cty.Value{"timeout": cty.StringVal("30s"), "max_workers": cty.NumberIntVal(3)}))

	dir := t.TempDir()
	script := []byte("#!/bin/sh\necho \"script says $1\"\n")
	scriptPath := filepath.Join(dir, "say.sh")
	os.WriteFile(scriptPath, script, 0o755)
	lines := "one\ntwo\nthree\nfour\nfive\n"
	linesPath := filepath.Join(dir, "lines.txt")
	os.WriteFile(linesPath, []byte(lines), 0o644)
	big := bytes.Repeat([]byte("x"), 100_000)

	job := &sched.Job{
		Name:        "job.kinds",
		ChunkSize:   2,
		InlineLimit: 64 << 10,
		Files:       []sched.File{{Name: "bin/say.sh", Source: scriptPath, Digest: fileDigestOf(t, script), Mode: 0o755}},
		Tasks: []sched.Task{
			{Index: 0, Argv: []string{"echo", "hello"}},
			{Index: 1, Argv: []string{"sh", "-c", "head -c 200000 /dev/zero | tr '\\000' a"}},
			{Index: 2, Argv: []string{"wc", "-c"}, Stdin: &sched.Input{Data: big}},
			{Index: 3, Argv: []string{"wc", "-l"}, Stdin: &sched.Input{File: &sched.Range{Path: linesPath, Offset: 5, Length: 6, Size: int64(len(lines)), Newline: true}}},
			{Index: 4, Argv: []string{"bin/say.sh", "hi"}},
			{Index: 5, Argv: []string{"sh", "-c", "echo oops >&2; exit 3"}},
			{Index: 6, Argv: []string{"sh", "-c", "sleep 30 & sleep 30"}, Timeout: 500 * time.Millisecond},
			{Index: 7, Argv: []string{"sh", "-c", "echo $LITHOPS_TASK_INDEX $GREETING"}, Env: []string{"LITHOPS_TASK_INDEX=7", "GREETING=hej"}},
		},
	}
	got := runJob(t, d, job)
	for i := range got {
		o := got[i]
		o.Attempt = 0
		if i == 6 {
			o.Stderr = "" // whatever sh says when killed
		}
		got[i] = o
	}
	want := map[int]outcome{
		0: {Stdout: "hello\n"},
		1: {Stdout: strings.Repeat("a", 200000)},
		2: {Stdout: "100000\n"},
		3: {Stdout: "1\n"}, // "three", the one line starting in [5, 11)
		4: {Stdout: "script says hi\n"},
		5: {ExitCode: 3, Stderr: "oops\n"},
		6: {ExitCode: -1, TimedOut: true},
		7: {Stdout: "7 hej\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong outcomes (-want +got):\n%s", diff)
	}

	// Every invocation's objects are deleted once read; job files stay,
	// by content, for the next run.
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left []string
	b.store.List(context.Background(), b.layout.Root(), func(o objstore.ObjectInfo) error {
		left = append(left, strings.TrimPrefix(o.Key, b.layout.Root()))
		return nil
	})
	if diff := cmp.Diff([]string{"files/" + fileDigestOf(t, script)}, left); diff != "" {
		t.Errorf("wrong objects left in storage (-want +got):\n%s", diff)
	}
}

// TestDispatcherWaitsOutThrottling: with more invocations in flight than
// the account's concurrency (the fake throttles those with 429, as the
// service does) and injected throttles on top, every task succeeds on its
// first attempt: throttling is waited out, never a task failure.
func TestDispatcherWaitsOutThrottling(t *testing.T) {
	b := newBench(t, true, fakelambda.Options{StateDelay: -1, ConcurrencyLimit: 2})
	e := &Executor{Bootstrap: lithopsBootstrap(t), WaitDelay: 10 * time.Millisecond, SpillDir: t.TempDir()}
	d, _ := b.deploy(t, e, b.executorBody(map[string]cty.Value{"max_workers": cty.NumberIntVal(6)}))
	b.lambda.ThrottleNext(fakelambda.OpInvoke, 4)
	job := &sched.Job{Name: "job.many", Tasks: make([]sched.Task, 12)}
	want := map[int]outcome{}
	for i := range job.Tasks {
		job.Tasks[i] = sched.Task{Index: i, Argv: []string{"sh", "-c", "sleep 0.2; echo $0", strconv.Itoa(i)}}
		want[i] = outcome{Stdout: strconv.Itoa(i) + "\n", Attempt: 1}
	}
	got := runJob(t, d, job)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong outcomes (-want +got):\n%s", diff)
	}
	throttled := 0
	for _, c := range b.lambda.Calls() {
		if c.Op == fakelambda.OpInvoke && c.Status == 429 {
			throttled++
		}
	}
	if throttled < 4 || int64(throttled) != d.throttled.Load() {
		t.Errorf("the fake throttled %d invokes and the dispatcher counted %d; want the same, at least the 4 injected", throttled, d.throttled.Load())
	}
	t.Logf("%d invokes throttled and waited out", throttled)
}

// TestDispatcherFunctionCrash: when the function dies in the middle of an
// invocation (its bootstrap killed), the tasks that finished before are
// read back from their status objects, and the one it was running is run
// again without using an attempt of its own.
func TestDispatcherFunctionCrash(t *testing.T) {
	marks := t.TempDir()
	b := newBench(t, true, fakelambda.Options{StateDelay: -1, Env: map[string]string{"MARKS": marks}})
	e := &Executor{Bootstrap: lithopsBootstrap(t), WaitDelay: 10 * time.Millisecond, SpillDir: t.TempDir()}
	d, _ := b.deploy(t, e, b.executorBody(nil))
	job := &sched.Job{Name: "job.crash", ChunkSize: 2, Tasks: []sched.Task{
		{Index: 0, Argv: []string{"echo", "before"}},
		// The first time, it kills the lithops worker running it.
		{Index: 1, Argv: []string{"sh", "-c", `if [ -e "$MARKS/crashed" ]; then echo after; else touch "$MARKS/crashed"; kill -KILL $PPID; sleep 10; fi`}},
	}}
	got := runJob(t, d, job)
	want := map[int]outcome{
		0: {Stdout: "before\n", Attempt: 1},
		1: {Stdout: "after\n", Attempt: 2}, // the relaunch takes the next number, but no retry was needed
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong outcomes (-want +got):\n%s", diff)
	}
	crashed := false
	for _, c := range b.lambda.Calls() {
		crashed = crashed || c.FunctionError != ""
	}
	if !crashed {
		t.Errorf("the function never failed: the test did not test a crash")
	}
}
