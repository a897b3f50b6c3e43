package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lithops/objstore"
	"lithops/partition"
	"lithops/sched"
)

// LambdaOptions configure the Lambda runtime mode.
type LambdaOptions struct {
	// RuntimeAPI is the Runtime API's address (AWS_LAMBDA_RUNTIME_API).
	RuntimeAPI string
	// Env is every task's environment before its own variables: the
	// function's environment. TMPDIR in it (else /tmp) is where job files,
	// task directories and spilled outputs go.
	Env []string
	// OpenStore opens the storage a StorageRef describes, with the
	// function's own credentials.
	OpenStore func(ctx context.Context, ref StorageRef) (objstore.Store, objstore.Layout, error)
	// Version names this build.
	Version string
	// Grace is the time between SIGTERM and SIGKILL for a task stopped by
	// its timeout or by the function's deadline; 0 means one second.
	Grace time.Duration
	// Margin is how long before the invocation's deadline running tasks
	// are stopped, so that their statuses can still be written; 0 means
	// three seconds (at most a fifth of the invocation's time).
	Margin time.Duration
	// HTTPClient talks to the Runtime API; nil means a plain client.
	HTTPClient *http.Client
	// Logf receives diagnostics (they go to the function's log).
	Logf func(format string, args ...any)
}

// maxInlineResponse is the most status data repeated in an invocation's
// response; Invoke's response is limited to 6 MB.
const maxInlineResponse = 5 << 20

// Lambda is the worker's Lambda runtime mode, what the lithops binary does
// as a provided.al2023 function's bootstrap: it polls the Runtime API for
// invocations and, for each, reads its LambdaPayload from storage, runs
// the tasks with the same machinery as a local worker (an in-process
// worker served over pipes: process groups, timeouts, stdout and stderr
// capture, job files cached by digest across warm invocations), writes
// each task's status (and large outputs) back to storage and answers with
// a LambdaResponse. It returns when ctx is cancelled or the Runtime API
// fails.
func Lambda(ctx context.Context, opts LambdaOptions) error {
	if opts.Grace <= 0 {
		opts.Grace = time.Second
	}
	if opts.Margin <= 0 {
		opts.Margin = 3 * time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	api := newRuntimeAPI(opts.RuntimeAPI, opts.HTTPClient)
	lw, err := newLambdaWorker(opts)
	if err != nil {
		if perr := api.initFailed(ctx, "Lithops.InitError", err); perr != nil {
			opts.Logf("lithops: %v", perr)
		}
		return err
	}
	defer lw.close()
	for {
		inv, err := api.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		resp, herr := lw.handle(ctx, inv)
		if herr != nil {
			opts.Logf("lithops: invocation %s: %v", inv.id, herr)
			if err := api.fail(ctx, inv.id, "Lithops.InvocationError", herr); err != nil {
				return err
			}
			continue
		}
		body, err := json.Marshal(resp)
		if err != nil {
			return fmt.Errorf("encode response: %w", err)
		}
		if err := api.respond(ctx, inv.id, body); err != nil {
			return err
		}
	}
}

// lambdaWorker is one execution environment's state, kept across warm
// invocations.
type lambdaWorker struct {
	opts  LambdaOptions
	base  string // <TMPDIR>/lithops
	files string // job files fetched from storage, by hex digest
	name  string

	// conn is the in-process worker and its client; remade if it breaks.
	conn *lambdaConn

	mu       sync.Mutex
	stores   map[string]openedRef  // by the ref's JSON
	storages map[string]StorageRef // the current invocation's, by name
}

type openedRef struct {
	store  objstore.Store
	layout objstore.Layout
}

// lambdaConn is a worker served in this process over pipes, and its client.
type lambdaConn struct {
	client *Client
	cancel context.CancelFunc
	served chan struct{}
}

func newLambdaWorker(opts LambdaOptions) (*lambdaWorker, error) {
	tmp := lookupEnv(opts.Env, "TMPDIR")
	if !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	base := filepath.Join(tmp, "lithops")
	files := filepath.Join(base, "fetched")
	for _, d := range []string{base, files, filepath.Join(base, "spill")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("lambda worker: %w", err)
		}
	}
	name := "lambda"
	if fn := lookupEnv(opts.Env, "AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		name = "lambda:" + fn
	}
	lw := &lambdaWorker{opts: opts, base: base, files: files, name: name, stores: map[string]openedRef{}}
	if err := lw.connect(); err != nil {
		return nil, err
	}
	return lw, nil
}

// connect starts the in-process worker and its client.
func (lw *lambdaWorker) connect() error {
	c2wR, c2wW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("lambda worker: %w", err)
	}
	w2cR, w2cW, err := os.Pipe()
	if err != nil {
		c2wR.Close()
		c2wW.Close()
		return fmt.Errorf("lambda worker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	conn := &lambdaConn{cancel: cancel, served: make(chan struct{})}
	go func() {
		defer close(conn.served)
		err := Serve(ctx, c2wR, w2cW, ServeOptions{
			Slots: 1, CacheDir: filepath.Join(lw.base, "cache"), WorkDir: filepath.Join(lw.base, "work"),
			Env: lw.opts.Env, Version: lw.opts.Version, Logf: lw.opts.Logf,
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			lw.opts.Logf("lithops: worker: %v", err)
		}
		w2cW.Close()
		c2wR.Close()
	}()
	hctx, hcancel := context.WithTimeout(ctx, 30*time.Second)
	defer hcancel()
	client, err := NewClient(hctx, pipeStream{r: w2cR, w: c2wW}, ClientOptions{
		Name: lw.name, SharedFS: true, SpillDir: filepath.Join(lw.base, "spill"),
		Grace: lw.opts.Grace, Version: lw.opts.Version, OpenObject: lw.openObject,
	})
	if err != nil {
		cancel()
		<-conn.served
		return fmt.Errorf("lambda worker: %w", err)
	}
	conn.client = client
	lw.conn = conn
	return nil
}

func (lw *lambdaWorker) close() {
	if lw.conn != nil {
		lw.conn.client.Close()
		lw.conn.cancel()
		<-lw.conn.served
		lw.conn = nil
	}
}

// store opens (once per environment) the storage ref describes.
func (lw *lambdaWorker) store(ctx context.Context, ref StorageRef) (objstore.Store, objstore.Layout, error) {
	id, _ := json.Marshal(ref)
	lw.mu.Lock()
	o, ok := lw.stores[string(id)]
	lw.mu.Unlock()
	if ok {
		return o.store, o.layout, nil
	}
	if lw.opts.OpenStore == nil {
		return nil, objstore.Layout{}, fmt.Errorf("storage %q: this worker cannot open storages", ref.Name)
	}
	st, layout, err := lw.opts.OpenStore(ctx, ref)
	if err != nil {
		return nil, objstore.Layout{}, fmt.Errorf("open storage %q (%s): %w", ref.Name, ref.Backend, err)
	}
	lw.mu.Lock()
	lw.stores[string(id)] = openedRef{st, layout}
	lw.mu.Unlock()
	return st, layout, nil
}

// openObject opens an object of a storage the current invocation names,
// for a task's stdin.
func (lw *lambdaWorker) openObject(ctx context.Context, storage, key string) (partition.Source, error) {
	lw.mu.Lock()
	ref, ok := lw.storages[storage]
	lw.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("storage %q is not described in the invocation's payload", storage)
	}
	st, _, err := lw.store(ctx, ref)
	if err != nil {
		return nil, err
	}
	return objstore.Source(ctx, st, key)
}

// handle runs one invocation.
func (lw *lambdaWorker) handle(ctx context.Context, inv *invocation) (*LambdaResponse, error) {
	var ev LambdaEvent
	if err := json.Unmarshal(inv.event, &ev); err != nil {
		return nil, fmt.Errorf("event is not a lithops invocation: %w", err)
	}
	if ev.Version != LambdaVersion {
		return nil, fmt.Errorf("the client sent a version %d event; this worker (lithops %s) reads version %d: apply with the same lithops version that deployed the function", ev.Version, lw.opts.Version, LambdaVersion)
	}
	store, layout, err := lw.store(ctx, ev.Storage)
	if err != nil {
		return nil, err
	}
	keys := layout.Job(ev.Job).Run(ev.Run)
	p, err := readPayload(ctx, store, keys.Payload(0))
	if err != nil {
		return nil, err
	}
	runCtx, cancel := lw.deadline(ctx, inv.deadline)
	defer cancel()
	if err := lw.fetchFiles(runCtx, store, layout, p.Invocation.Files); err != nil {
		return nil, err
	}
	storages := map[string]StorageRef{ev.Storage.Name: ev.Storage}
	for name, ref := range p.Storages {
		storages[name] = ref
	}
	lw.mu.Lock()
	lw.storages = storages
	lw.mu.Unlock()

	if lw.conn == nil || lw.conn.client.Err() != nil {
		lw.close()
		if err := lw.connect(); err != nil {
			return nil, err
		}
	}
	resp := &LambdaResponse{Reported: []int{}}
	size := 0
	report := func(res sched.Result) {
		if res.Signal != "" && errors.Is(runCtx.Err(), context.DeadlineExceeded) {
			res.Stderr = append(res.Stderr, "\nlithops: stopped at the Lambda function's time limit: give the function a longer timeout, or the task a shorter one\n"...)
		}
		// Written even when the deadline stopped the task: the margin
		// before the invocation's end is for this.
		st := lw.record(ctx, store, keys, res)
		resp.Reported = append(resp.Reported, st.Index)
		b, _ := json.Marshal(st)
		size += len(b)
		resp.Statuses = append(resp.Statuses, st)
	}
	err = lw.conn.client.Run(runCtx, &p.Invocation, report)
	switch {
	case err == nil:
	case runCtx.Err() != nil && ctx.Err() == nil:
		resp.Stopped = fmt.Sprintf("the function's time limit was near: %d of %d tasks ran", len(resp.Reported), len(p.Invocation.Tasks))
	default:
		return nil, fmt.Errorf("run tasks: %w", err)
	}
	if size > maxInlineResponse {
		resp.Statuses = nil
	}
	return resp, nil
}

// deadline is the context tasks run under: it ends Margin (at most a
// fifth of the time left) before the invocation's deadline.
func (lw *lambdaWorker) deadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	margin := min(lw.opts.Margin, time.Until(deadline)/5)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

func readPayload(ctx context.Context, store objstore.Store, key string) (*LambdaPayload, error) {
	rc, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read payload: %w", err)
	}
	defer rc.Close()
	var p LambdaPayload
	if err := json.NewDecoder(rc).Decode(&p); err != nil {
		return nil, fmt.Errorf("read payload %s: %w", key, err)
	}
	return &p, nil
}

// record writes a finished task's status (and its output, when large) to
// storage and returns it. A failure to store the output fails the task: its
// output would be lost.
func (lw *lambdaWorker) record(ctx context.Context, store objstore.Store, keys objstore.RunKeys, res sched.Result) LambdaStatus {
	st := LambdaStatus{Result: res}
	if res.StdoutFile != "" {
		key := keys.Output(res.Index)
		if err := putFile(ctx, store, key, res.StdoutFile); err != nil {
			st.Err = fmt.Sprintf("store its output: %v", err)
			st.ExitCode = -1
		} else {
			st.StdoutKey = key
		}
		os.Remove(res.StdoutFile)
		st.StdoutFile = ""
	}
	b, err := json.Marshal(st)
	if err == nil {
		_, err = store.Put(ctx, keys.Status(res.Index), bytes.NewReader(b), int64(len(b)))
	}
	if err != nil {
		// The response still carries the status.
		lw.opts.Logf("lithops: write status of task %d: %v", res.Index, err)
	}
	return st
}

func putFile(ctx context.Context, store objstore.Store, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = store.Put(ctx, key, f, fi.Size())
	return err
}

// fetchFiles makes the job files local (once per environment), checking
// each one's digest, and points the files' Source at them.
func (lw *lambdaWorker) fetchFiles(ctx context.Context, store objstore.Store, layout objstore.Layout, files []sched.File) error {
	for i := range files {
		f := &files[i]
		h, err := hexOf(f.Digest)
		if err != nil {
			return fmt.Errorf("job file %q: %w", f.Name, err)
		}
		path := filepath.Join(lw.files, h)
		f.Source = path
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := fetchFile(ctx, store, layout.File(f.Digest), path, h); err != nil {
			return fmt.Errorf("job file %q: %w", f.Name, err)
		}
	}
	return nil
}

func fetchFile(ctx context.Context, store objstore.Store, key, path, wantHex string) error {
	rc, _, err := store.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantHex {
		return fmt.Errorf("%s has digest sha256:%s, not sha256:%s", key, got, wantHex)
	}
	return os.Rename(tmp.Name(), path)
}
