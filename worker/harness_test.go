package worker

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"lithops/sched"
)

// testWorker is a worker served in the test process over a pair of pipes.
type testWorker struct {
	client   *Client
	cacheDir string
	workDir  string
	served   chan error
	sent     *frameCounter // frames the client wrote
}

// startWorker serves a worker in this process and connects a client to it.
func startWorker(t *testing.T, sopts ServeOptions, copts ClientOptions) *testWorker {
	t.Helper()
	return startWorkerCtx(t, context.Background(), sopts, copts)
}

// startWorkerCtx is startWorker with a context for Serve.
func startWorkerCtx(t *testing.T, ctx context.Context, sopts ServeOptions, copts ClientOptions) *testWorker {
	t.Helper()
	if sopts.CacheDir == "" {
		sopts.CacheDir = t.TempDir()
	}
	if sopts.WorkDir == "" {
		sopts.WorkDir = t.TempDir()
	}
	if sopts.Env == nil {
		sopts.Env = []string{"PATH=" + os.Getenv("PATH"), "TEST_WORKER=yes"}
	}
	if copts.SpillDir == "" {
		copts.SpillDir = t.TempDir()
	}
	if copts.Name == "" {
		copts.Name = "test"
	}
	cr, ww, err := os.Pipe() // worker → client
	if err != nil {
		t.Fatal(err)
	}
	wr, cw, err := os.Pipe() // client → worker
	if err != nil {
		t.Fatal(err)
	}
	w := &testWorker{cacheDir: sopts.CacheDir, workDir: sopts.WorkDir, served: make(chan error, 1), sent: &frameCounter{}}
	go func() {
		err := Serve(ctx, wr, ww, sopts)
		ww.Close()
		wr.Close()
		w.served <- err
	}()
	stream := countingStream{pipeStream{r: cr, w: cw}, w.sent}
	w.client, err = NewClient(context.Background(), stream, copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop closes the client and waits for the worker to return.
func (w *testWorker) stop(t *testing.T) {
	if w.client == nil {
		return
	}
	w.client.Close()
	w.client = nil
	if err := <-w.served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// run runs one invocation and returns its results in report order.
func (w *testWorker) run(ctx context.Context, inv *sched.Invocation) ([]sched.Result, error) {
	var mu sync.Mutex
	var got []sched.Result
	err := w.client.Run(ctx, inv, func(r sched.Result) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	})
	return got, err
}

// runOne runs a single task and returns its result.
func (w *testWorker) runOne(t *testing.T, task sched.Task) sched.Result {
	t.Helper()
	got, err := w.run(context.Background(), &sched.Invocation{Tasks: []sched.Task{task}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	return got[0]
}

// countingStream counts the frames written to a stream, by type.
type countingStream struct {
	io.ReadWriteCloser
	c *frameCounter
}

func (s countingStream) Write(p []byte) (int, error) {
	s.c.feed(p)
	return s.ReadWriteCloser.Write(p)
}

// frameCounter parses a written byte stream (magic, then frames) and counts
// the frames of each type.
type frameCounter struct {
	mu     sync.Mutex
	buf    []byte
	magic  bool
	counts map[msgType]int
}

func (c *frameCounter) feed(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[msgType]int{}
	}
	c.buf = append(c.buf, p...)
	if !c.magic {
		if len(c.buf) < len(magic) {
			return
		}
		c.buf, c.magic = c.buf[len(magic):], true
	}
	for len(c.buf) >= 5 {
		n := int(binary.BigEndian.Uint32(c.buf))
		if len(c.buf) < 4+n {
			return
		}
		c.counts[msgType(c.buf[4])]++
		c.buf = c.buf[4+n:]
	}
}

func (c *frameCounter) count(t msgType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[t]
}

// jobFile writes content to a file in dir and describes it as a job file.
func jobFile(t *testing.T, dir, name, content string, mode uint32) sched.File {
	t.Helper()
	src := filepath.Join(dir, "src-"+filepath.Base(name)+"-"+hex.EncodeToString([]byte{byte(mode)}))
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return sched.File{Name: name, Source: src, Digest: "sha256:" + hex.EncodeToString(sum[:]), Mode: mode}
}

// noRaceSleep spares a re-executed race-enabled test binary the second
// the race detector sleeps at exit.
const noRaceSleep = "GORACE=atexit_sleep_ms=0"

// helperTask is a task running this test binary as helper mode.
func helperTask(t *testing.T, mode string, args ...string) sched.Task {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return sched.Task{Argv: append([]string{self}, args...), Env: []string{helperEnv + "=" + mode, noRaceSleep}}
}

// runtimeMem samples the heap statistics.
type runtimeMem struct{ totalAlloc uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.totalAlloc = s.TotalAlloc
}
