package worker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/sched"
)

// leaveGrandchild is a task that starts a sleeping grandchild, writes
// "<its pid> <grandchild pid>" to file (atomically) and waits.
func leaveGrandchild(file string) sched.Task {
	return sched.Task{Argv: []string{"sh", "-c", `sleep 1000 & echo $$ $! > "$1.tmp"; mv "$1.tmp" "$1"; wait`, "sh", file}}
}

// readPids waits for file and returns the pids in it.
func readPids(t *testing.T, file string) []int {
	t.Helper()
	waitFile(t, file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad pid file %q", b)
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestWorkerKillsItsTasksWhenItStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(w *testWorker, cancel context.CancelFunc)
	}{
		{"its input ends", func(w *testWorker, _ context.CancelFunc) { w.client.stream.Close() }},
		{"it is cancelled (SIGTERM)", func(_ *testWorker, cancel context.CancelFunc) { cancel() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := startWorkerCtx(t, ctx, ServeOptions{Slots: 2}, ClientOptions{SharedFS: true})
			dir := t.TempDir()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var res []sched.Result
					res, errs[i] = w.run(context.Background(), &sched.Invocation{Tasks: []sched.Task{leaveGrandchild(filepath.Join(dir, strconv.Itoa(i)))}})
					if len(res) > 0 {
						t.Errorf("reported %+v: a task the worker dropped must be left for a retry", res)
					}
				}()
			}
			pids := append(readPids(t, filepath.Join(dir, "0")), readPids(t, filepath.Join(dir, "1"))...)
			tt.stop(w, cancel)
			waitGone(t, pids...)
			wg.Wait()
			for i, err := range errs {
				if err == nil {
					t.Errorf("run %d: no error although its worker stopped", i)
				}
			}
			<-w.served
			w.client.Close()
			w.client = nil
			if left, _ := os.ReadDir(w.workDir); len(left) != 0 {
				t.Errorf("work directory not cleaned: %v", left)
			}
		})
	}
}

// startPool starts a pool of this test binary as workers.
func startPool(t *testing.T, processes int) *Pool {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(context.Background(), PoolOptions{
		Binary: self, Processes: processes,
		Env:     append(os.Environ(), modeEnv+"=worker", noRaceSleep),
		WorkDir: t.TempDir(), SpillDir: t.TempDir(),
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func TestPoolRunsInvocationsInParallel(t *testing.T) {
	p := startPool(t, 2)
	if got := p.Capacity(); got != 2 {
		t.Fatalf("Capacity %d, want 2", got)
	}
	// Two invocations that each wait for the other's file: they only
	// finish if they run at the same time.
	dir := t.TempDir()
	rendezvous := func(mine, theirs string) sched.Task {
		return sched.Task{Argv: []string{"sh", "-c", `touch "$1/$2"; while [ ! -e "$1/$3" ]; do sleep 0.01; done; echo $2`, "sh", dir, mine, theirs}}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	workers := map[string]bool{}
	var outs []string
	for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{rendezvous(pair[0], pair[1])}}, func(r sched.Result) {
				mu.Lock()
				defer mu.Unlock()
				workers[r.Worker] = true
				outs = append(outs, string(r.Stdout))
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(map[string]bool{"localhost/1": true, "localhost/2": true}, workers); diff != "" {
		t.Errorf("wrong workers (-want +got)\n%s", diff)
	}
	if len(outs) != 2 {
		t.Errorf("got outputs %q", outs)
	}
}

func TestPoolRestartsAWorkerThatDies(t *testing.T) {
	p := startPool(t, 1)
	var reported []sched.Result
	// The task kills its own worker process.
	err := p.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{
		{Index: 0, Argv: []string{"sh", "-c", "kill -KILL $PPID; sleep 1000"}},
	}}, func(r sched.Result) { reported = append(reported, r) })
	if err == nil || !strings.Contains(err.Error(), "worker localhost/1") {
		t.Errorf("Run returned %v, want an error about worker localhost/1", err)
	}
	if len(reported) != 0 {
		t.Errorf("reported %+v for a task whose worker died", reported)
	}
	// The scheduler would retry: the pool serves again.
	got := collect(t, p, sched.Task{Index: 1, Argv: []string{"echo", "again"}})
	if !got.OK() || string(got.Stdout) != "again\n" {
		t.Errorf("after the restart: %+v", got)
	}
	if c := p.Capacity(); c != 1 {
		t.Errorf("Capacity %d after the restart, want 1", c)
	}
}

// collect runs one task on a pool.
func collect(t *testing.T, p *Pool, task sched.Task) sched.Result {
	t.Helper()
	var got []sched.Result
	if err := p.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{task}}, func(r sched.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d results", len(got))
	}
	return got[0]
}

func TestPoolCloseLeavesNothing(t *testing.T) {
	self, _ := os.Executable()
	work := t.TempDir()
	p, err := NewPool(context.Background(), PoolOptions{
		Binary: self, Processes: 2, Env: append(os.Environ(), modeEnv+"=worker", noRaceSleep), WorkDir: work,
	})
	if err != nil {
		t.Fatal(err)
	}
	workers := childrenOf(os.Getpid())
	dir := t.TempDir()
	go p.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{leaveGrandchild(filepath.Join(dir, "pids"))}}, func(sched.Result) {})
	pids := readPids(t, filepath.Join(dir, "pids"))
	cache := p.opts.CacheDir
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, append(pids, workers...)...)
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("temporary cache %s is still there", cache)
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("work directory not cleaned: %v", left)
	}
	if err := p.Run(context.Background(), &sched.Invocation{}, func(sched.Result) {}); err != ErrClosed {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
}

func TestPoolFailsWithABadBinary(t *testing.T) {
	_, err := NewPool(context.Background(), PoolOptions{Binary: "/bin/echo", Processes: 1})
	if err == nil || !strings.Contains(err.Error(), "is not a lithops worker") {
		t.Errorf("NewPool: %v, want a handshake error", err)
	}
}

func TestKillingTheClientLeavesNoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a client process")
	}
	self, _ := os.Executable()
	dir := t.TempDir()
	cmd := exec.Command(self, dir)
	cmd.Env = append(os.Environ(), modeEnv+"=pool-client", noRaceSleep, "TMPDIR="+dir) // its temporary cache goes in dir
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	tasks := append(readPids(t, filepath.Join(dir, "pids.0")), readPids(t, filepath.Join(dir, "pids.1"))...)
	workers := childrenOf(cmd.Process.Pid)
	if len(workers) != 2 {
		t.Fatalf("client has children %v, want 2 workers", workers)
	}
	if caches, _ := filepath.Glob(filepath.Join(dir, "lithops-cache-*")); len(caches) != 1 {
		t.Fatalf("temporary caches %v, want one", caches)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitGone(t, append(workers, tasks...)...)
	// The workers had time to clean their directories and, the last one,
	// the temporary cache.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(dir, "lithops-worker-*"))
		caches, _ := filepath.Glob(filepath.Join(dir, "lithops-cache-*"))
		left = append(left, caches...)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("worker directories left: %v", left)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}
