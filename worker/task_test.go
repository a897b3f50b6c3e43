package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/sched"
)

func TestTaskSeesItsEnvironment(t *testing.T) {
	w := startWorker(t, ServeOptions{Env: []string{"PATH=" + os.Getenv("PATH"), "TEST_BASE=worker", "TEST_OVERRIDE=worker"}}, ClientOptions{SharedFS: true})
	dir := t.TempDir()
	files := []sched.File{
		jobFile(t, dir, "script.sh", "#!/bin/sh\necho hi\n", 0o755),
		jobFile(t, dir, "data/input.txt", "some input\n", 0o644),
	}
	task := helperTask(t, "inspect", "a", "b c")
	task.Env = append(task.Env, "TEST_OVERRIDE=task", "TEST_TASK=1", "TEST_TASK=2")
	got, err := w.run(context.Background(), &sched.Invocation{Files: files, Tasks: []sched.Task{task}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].OK() {
		t.Fatalf("task failed: %+v", got)
	}
	var in inspection
	if err := json.Unmarshal(got[0].Stdout, &in); err != nil {
		t.Fatalf("%v in %q", err, got[0].Stdout)
	}
	want := inspection{
		Args: []string{"a", "b c"},
		Dir:  in.Dir,
		Env:  map[string]string{"TEST_BASE": "worker", "TEST_OVERRIDE": "task", "TEST_TASK": "2"},
		Files: map[string]string{
			"script.sh":      "555 #!/bin/sh\necho hi\n",
			"data/input.txt": "444 some input\n",
		},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("wrong task view (-want +got)\n%s", diff)
	}
	if !strings.HasPrefix(in.Dir, w.workDir+string(filepath.Separator)) {
		t.Errorf("task ran in %s, want a directory under %s", in.Dir, w.workDir)
	}
}

func TestEachTaskStartsInAnEmptyDirectory(t *testing.T) {
	w := startWorker(t, ServeOptions{Slots: 1}, ClientOptions{SharedFS: true})
	dir := t.TempDir()
	files := []sched.File{jobFile(t, dir, "in/data.txt", "data", 0o644)}
	look := sched.Task{Argv: []string{"sh", "-c", `stat -c %a .; ls -A`}}
	tests := []struct {
		name  string
		mess  string // what the previous task does to its directory
		files []sched.File
	}{
		{"leaves files", `echo x > junk; mkdir -p a/b; echo y > a/b/c`, nil},
		{"leaves a read-only tree", `mkdir ro; echo x > ro/f; chmod 500 ro; chmod 400 ro/f`, nil},
		{"changes its mode", `chmod 755 .`, nil},
		{"removes it", `cd /; rmdir "$OLDPWD"`, nil},
		{"has job files", `true`, files},
		{"leaves nothing", `true`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.run(context.Background(), &sched.Invocation{Files: tt.files, Tasks: []sched.Task{
				{Argv: []string{"sh", "-c", tt.mess}}, look,
			}})
			if err != nil || len(got) != 2 || !got[0].OK() || !got[1].OK() {
				t.Fatalf("Run: %v %+v", err, got)
			}
			want := "700\n"
			if tt.files != nil {
				want += "in\n" // the next task of the invocation has the files too
			}
			if diff := cmp.Diff(want, string(got[1].Stdout)); diff != "" {
				t.Errorf("the next task's directory (-want +got)\n%s", diff)
			}
		})
	}
}

func TestArgvArrivesByteExact(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true})
	tests := []struct {
		name string
		argv []string
	}{
		{"quotes", []string{`"double"`, `'single'`, "`back`"}},
		{"dollar", []string{"$HOME", "${PATH}", "$(id)", "$"}},
		{"spaces", []string{"a b", " lead", "trail ", "  "}},
		{"newlines", []string{"line1\nline2", "\n", "cr\r\n"}},
		{"empty", []string{"", "x", ""}},
		{"glob and operators", []string{"*", "?", "[a]", ";", "&&", "|", ">out", "<in", "#comment"}},
		{"backslashes", []string{`\`, `\n`, `a\\b`}},
		{"not utf-8", []string{"\xff\xfe", "caf\xe9", "\x01\x7f"}},
		{"unicode", []string{"héllo", "日本語", "🙂"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.runOne(t, helperTask(t, "args", tt.argv...))
			if !r.OK() {
				t.Fatalf("task failed: %+v", r)
			}
			got := strings.Split(strings.TrimSuffix(string(r.Stdout), "\x00"), "\x00")
			if diff := cmp.Diff(tt.argv, got); diff != "" {
				t.Errorf("wrong argv (-want +got)\n%s", diff)
			}
		})
	}
}

func TestTaskStatus(t *testing.T) {
	w := startWorker(t, ServeOptions{Slots: 1}, ClientOptions{SharedFS: true})
	notExec := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(notExec, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	type status struct {
		ExitCode int
		Signal   string
		Err      string
		Stdout   string
		Stderr   string
	}
	tests := []struct {
		name string
		argv []string
		want status
	}{
		{"success", []string{"echo", "hello"}, status{Stdout: "hello\n"}},
		{"exit code", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, status{ExitCode: 3, Stdout: "out\n", Stderr: "err\n"}},
		{"killed by a signal", []string{"sh", "-c", "kill -KILL $$"}, status{ExitCode: -1, Signal: "SIGKILL"}},
		{"not found", []string{"no-such-command-lithops"}, status{ExitCode: -1, Err: `"no-such-command-lithops": executable file not found in $PATH`}},
		{"empty argv", nil, status{ExitCode: -1, Err: "empty command"}},
		{"not executable", []string{notExec}, status{ExitCode: -1, Err: "fork/exec " + notExec + ": permission denied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.runOne(t, sched.Task{Index: 7, Attempt: 2, Argv: tt.argv})
			got := status{ExitCode: r.ExitCode, Signal: r.Signal, Err: r.Err, Stdout: string(r.Stdout), Stderr: string(r.Stderr)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong status (-want +got)\n%s", diff)
			}
			if r.Index != 7 || r.Attempt != 2 || r.Worker != "test/1" {
				t.Errorf("result of task %d attempt %d on %q, want task 7 attempt 2 on test/1", r.Index, r.Attempt, r.Worker)
			}
			if r.Finished.Before(r.Started) || r.Started.IsZero() {
				t.Errorf("started %v, finished %v", r.Started, r.Finished)
			}
		})
	}
}

func TestInvocationRunsTasksInOrder(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true})
	var inv sched.Invocation
	for i := range 5 {
		inv.Tasks = append(inv.Tasks, sched.Task{Index: 10 + i, Argv: []string{"echo", strconv.Itoa(i)}})
	}
	got, err := w.run(context.Background(), &inv)
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	var out string
	for _, r := range got {
		idx = append(idx, r.Index)
		out += string(r.Stdout)
	}
	if diff := cmp.Diff([]int{10, 11, 12, 13, 14}, idx); diff != "" {
		t.Errorf("wrong report order (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff("0\n1\n2\n3\n4\n", out); diff != "" {
		t.Errorf("wrong outputs (-want +got)\n%s", diff)
	}
}

func TestLargeStdoutSpillsToFile(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true})
	const size = 50 << 20
	task := helperTask(t, "stdout", strconv.Itoa(size))
	var before, after runtimeMem
	before.read()
	got, err := w.run(context.Background(), &sched.Invocation{Tasks: []sched.Task{task}, InlineLimit: 1 << 20})
	after.read()
	if err != nil || len(got) != 1 {
		t.Fatalf("Run: %v, %d results", err, len(got))
	}
	r := got[0]
	if !r.OK() || r.Stdout != nil || r.StdoutFile == "" || r.StdoutSize != size {
		t.Fatalf("want %d bytes in a file, got OK=%v inline=%d file=%q size=%d", size, r.OK(), len(r.Stdout), r.StdoutFile, r.StdoutSize)
	}
	defer os.Remove(r.StdoutFile)
	b, err := os.ReadFile(r.StdoutFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != size {
		t.Fatalf("spill file has %d bytes, want %d", len(b), size)
	}
	for i := range b {
		if b[i] != pattern(i) {
			t.Fatalf("spill file differs at byte %d", i)
		}
	}
	// Worker and client both run in this process: what they allocated
	// while 50 MB went through is bounded by the windows and buffers.
	if alloc := after.totalAlloc - before.totalAlloc; alloc > 16<<20 && !raceEnabled {
		t.Errorf("moving %d bytes allocated %d bytes, want under 16 MiB", size, alloc)
	}
}

func TestStderrKeepsTheTail(t *testing.T) {
	w := startWorker(t, ServeOptions{StderrTail: 64 << 10}, ClientOptions{SharedFS: true})
	tests := []struct {
		name string
		size int
	}{
		{"none", 0},
		{"small", 100},
		{"exactly the limit", 64 << 10},
		{"much more", 3<<20 + 12345},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.runOne(t, helperTask(t, "stderr", strconv.Itoa(tt.size)))
			if !r.OK() {
				t.Fatalf("task failed: %+v", r)
			}
			var want []byte
			for i := max(0, tt.size-64<<10); i < tt.size; i++ {
				want = append(want, pattern(i))
			}
			if !bytes.Equal(want, r.Stderr) {
				t.Errorf("stderr: got %d bytes, want the last %d", len(r.Stderr), len(want))
			}
		})
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true, Grace: 100 * time.Millisecond})
	// The shell leaves a sleeping grandchild, prints its pid, and waits.
	r := w.runOne(t, sched.Task{Argv: []string{"sh", "-c", "sleep 1000 & echo $!; wait"}, Timeout: 200 * time.Millisecond})
	if !r.TimedOut || r.Signal == "" || r.ExitCode != -1 {
		t.Errorf("want a timed out task killed by a signal, got timedOut=%v signal=%q exit=%d", r.TimedOut, r.Signal, r.ExitCode)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(r.Stdout)))
	if err != nil {
		t.Fatalf("no grandchild pid in %q", r.Stdout)
	}
	waitGone(t, pid)
}

func TestTimeoutEscalatesToSIGKILL(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true, Grace: 100 * time.Millisecond})
	r := w.runOne(t, sched.Task{Argv: []string{"sh", "-c", `trap "" TERM; sleep 1000 & echo $!; wait`}, Timeout: 200 * time.Millisecond})
	if diff := cmp.Diff([2]any{true, "SIGKILL"}, [2]any{r.TimedOut, r.Signal}); diff != "" {
		t.Errorf("wrong timedOut, signal (-want +got)\n%s", diff)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(r.Stdout)))
	waitGone(t, pid)
}

func TestCancelSendsSIGTERMThenSIGKILL(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		exitCode int
		signal   string
	}{
		{"task exits on SIGTERM", `trap "exit 42" TERM`, 42, ""},
		{"task ignores SIGTERM", `trap "" TERM`, -1, "SIGKILL"},
		{"task dies of SIGTERM", ``, -1, "SIGTERM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: true, Grace: 300 * time.Millisecond})
			ready := filepath.Join(t.TempDir(), "ready")
			script := tt.script + `; touch "$1"; while :; do sleep 0.05; done`
			if tt.script == "" {
				script = `touch "$1"; exec sleep 1000`
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type outcome struct {
				res []sched.Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := w.run(ctx, &sched.Invocation{Tasks: []sched.Task{
					{Index: 0, Argv: []string{"sh", "-c", script, "sh", ready}},
					{Index: 1, Argv: []string{"true"}}, // never runs
				}})
				done <- outcome{res, err}
			}()
			waitFile(t, ready)
			cancel()
			o := <-done
			if o.err != context.Canceled {
				t.Errorf("Run returned %v, want context.Canceled", o.err)
			}
			if len(o.res) != 1 {
				t.Fatalf("got %d results, want the cancelled task's only", len(o.res))
			}
			got := [2]any{o.res[0].ExitCode, o.res[0].Signal}
			if diff := cmp.Diff([2]any{tt.exitCode, tt.signal}, got); diff != "" {
				t.Errorf("wrong exit code, signal (-want +got)\n%s", diff)
			}
		})
	}
}

// waitFile waits for a file that a task creates.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
