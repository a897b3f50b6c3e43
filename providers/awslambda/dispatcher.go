package awslambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"lithops/objstore"
	"lithops/partition"
	"lithops/sched"
	"lithops/worker"
)

// inlineStdin is the largest task input carried in the payload itself;
// larger ones are uploaded as objects of their own.
const inlineStdin = 64 << 10

// cleanupTimeout bounds the deletion of an invocation's objects.
const cleanupTimeout = time.Minute

// dispatcherConfig is what a dispatcher needs.
type dispatcherConfig struct {
	API      lambdaAPI
	Function string
	Capacity int
	// Store, Layout and Storage are the executor's storage: where payloads,
	// statuses, inputs and outputs go, and its description for the
	// function.
	Store   objstore.Store
	Layout  objstore.Layout
	Storage worker.StorageRef
	// Describe describes other storages that tasks read objects from.
	Describe func(ctx context.Context, name string) (worker.StorageRef, error)
	// SpillDir receives large outputs; "" means os.TempDir().
	SpillDir string
	// Sleep waits between retries of Invoke; nil means a timer (tests
	// record the delays instead).
	Sleep func(ctx context.Context, d time.Duration) error
	// Session names this dispatcher's runs; "" means a new one.
	Session string
}

// dispatcher is a sched.Dispatcher that runs each invocation as one
// synchronous Invoke of the executor's function.
type dispatcher struct {
	cfg   dispatcherConfig
	sleep func(ctx context.Context, d time.Duration) error
	seq   atomic.Int64

	mu       sync.Mutex
	files    map[string]*upload           // job files, by digest
	storages map[string]worker.StorageRef // described storages, by name

	cleanup   sync.WaitGroup
	throttled atomic.Int64 // throttled Invoke calls, waited out
}

// upload is one job file on its way to storage.
type upload struct {
	done chan struct{}
	err  error
}

var _ sched.Dispatcher = (*dispatcher)(nil)

func newDispatcher(cfg dispatcherConfig) *dispatcher {
	if cfg.Session == "" {
		var b [3]byte
		rand.Read(b[:])
		cfg.Session = time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
	}
	if cfg.Capacity < 1 {
		cfg.Capacity = 1
	}
	d := &dispatcher{cfg: cfg, sleep: cfg.Sleep, files: map[string]*upload{}, storages: map[string]worker.StorageRef{}}
	if d.sleep == nil {
		d.sleep = objstore.Sleep
	}
	d.storages[cfg.Storage.Name] = cfg.Storage
	return d
}

// Capacity implements sched.Dispatcher: max_workers.
func (d *dispatcher) Capacity() int { return d.cfg.Capacity }

// Close implements sched.Dispatcher: it waits for the deletion of the last
// invocations' objects.
func (d *dispatcher) Close(context.Context) error {
	d.cleanup.Wait()
	return nil
}

// Run implements sched.Dispatcher. It uploads the job files the storage
// lacks (once per dispatcher), writes the payload and the inputs the
// function cannot read where they are, invokes the function and reports
// each task's status. Tasks whose input no function can read fail at once
// without an invocation.
func (d *dispatcher) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	if err := d.uploadFiles(ctx, inv.Files); err != nil {
		return err
	}
	job := strings.TrimPrefix(inv.Job, "job.")
	run := fmt.Sprintf("%s-%06d", d.cfg.Session, d.seq.Add(1))
	keys := d.cfg.Layout.Job(job).Run(run)
	var written []string
	defer func() { d.clean(written) }()

	p, more, err := d.payload(ctx, inv, keys, report)
	written = append(written, more...)
	if err != nil {
		return err
	}
	if len(p.Invocation.Tasks) == 0 {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	if _, err := d.cfg.Store.Put(ctx, keys.Payload(0), bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("write payload: %w", err)
	}
	written = append(written, keys.Payload(0))
	for _, t := range p.Invocation.Tasks {
		written = append(written, keys.Status(t.Index))
	}

	event, _ := json.Marshal(worker.LambdaEvent{Version: worker.LambdaVersion, Storage: d.cfg.Storage, Job: job, Run: run})
	out, err := d.invoke(ctx, event)
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		// The function failed as a whole (a crash, its timeout, a payload
		// it could not read): what finished before has its status.
		reported := d.collect(ctx, p.Invocation.Tasks, keys, nil, report, &written)
		return fmt.Errorf("Lambda function %s failed (%s) after %d of %d tasks: %s",
			d.cfg.Function, aws.ToString(out.FunctionError), reported, len(p.Invocation.Tasks), functionErrorMessage(out.Payload))
	}
	var resp worker.LambdaResponse
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return fmt.Errorf("Lambda function %s answered what is not a lithops worker's response (is its bootstrap lithops?): %w: %.200q", d.cfg.Function, err, out.Payload)
	}
	reported := d.collect(ctx, p.Invocation.Tasks, keys, &resp, report, &written)
	if reported < len(p.Invocation.Tasks) {
		why := resp.Stopped
		if why == "" {
			why = "no status for some tasks"
		}
		return fmt.Errorf("Lambda function %s: %s", d.cfg.Function, why)
	}
	return nil
}

// payload builds the invocation's payload: job files by digest, and each
// task's input as something the function can read (inline bytes, or an
// object range). It returns the keys it wrote. Tasks whose input cannot be
// made readable are reported failed and left out.
func (d *dispatcher) payload(ctx context.Context, inv *sched.Invocation, keys objstore.RunKeys, report func(sched.Result)) (*worker.LambdaPayload, []string, error) {
	p := &worker.LambdaPayload{Invocation: sched.Invocation{Job: inv.Job, InlineLimit: inv.InlineLimit}, Storages: map[string]worker.StorageRef{}}
	for _, f := range inv.Files {
		f.Source = ""
		p.Invocation.Files = append(p.Invocation.Files, f)
	}
	var written []string
	for _, t := range inv.Tasks {
		in, key, err := d.stdin(ctx, t, keys, p.Storages)
		if key != "" {
			written = append(written, key)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, written, ctx.Err()
			}
			var te *taskError
			if !errors.As(err, &te) {
				return nil, written, err
			}
			now := time.Now()
			report(sched.Result{Index: t.Index, Attempt: t.Attempt, ExitCode: -1, Err: te.Error(), Started: now, Finished: now, Worker: "lambda:" + d.cfg.Function})
			continue
		}
		t.Stdin = in
		p.Invocation.Tasks = append(p.Invocation.Tasks, t)
	}
	return p, written, nil
}

// taskError is a task's own problem (its input cannot reach a function),
// as opposed to a failure of the storage.
type taskError struct{ msg string }

func (e *taskError) Error() string { return e.msg }

// stdin makes a task's input readable by the function; it returns the key
// it uploaded, if any.
func (d *dispatcher) stdin(ctx context.Context, t sched.Task, keys objstore.RunKeys, storages map[string]worker.StorageRef) (*sched.Input, string, error) {
	in := t.Stdin
	switch {
	case in == nil:
		return nil, "", nil
	case in.Data != nil:
		if len(in.Data) <= inlineStdin {
			return in, "", nil
		}
		key := keys.Stdin(t.Index)
		if _, err := d.cfg.Store.Put(ctx, key, bytes.NewReader(in.Data), int64(len(in.Data))); err != nil {
			return nil, key, fmt.Errorf("upload the input of task %d: %w", t.Index, err)
		}
		n := int64(len(in.Data))
		return &sched.Input{Object: &sched.Range{Storage: d.cfg.Storage.Name, Path: key, Length: n, Size: n}}, key, nil
	case in.File != nil:
		// A local file's chunk: line-aligned here, then uploaded whole.
		src, err := partition.OpenFile(in.File.Path)
		if err != nil {
			return nil, "", &taskError{fmt.Sprintf("stdin: %v", err)}
		}
		defer src.Close()
		rc, err := partition.Open(ctx, src, *in.File)
		if err != nil {
			return nil, "", &taskError{fmt.Sprintf("stdin: %v", err)}
		}
		defer rc.Close()
		key := keys.Stdin(t.Index)
		cr := &countingReader{r: rc}
		if _, err := d.cfg.Store.Put(ctx, key, cr, -1); err != nil {
			return nil, key, fmt.Errorf("upload the input of task %d: %w", t.Index, err)
		}
		return &sched.Input{Object: &sched.Range{Storage: d.cfg.Storage.Name, Path: key, Length: cr.n, Size: cr.n}}, key, nil
	case in.Object != nil:
		name := in.Object.Storage
		if name == "" {
			return nil, "", &taskError{fmt.Sprintf("stdin: object %q is in the local storage of this machine, which a Lambda function cannot read: declare a storage block for it", in.Object.Path)}
		}
		ref, err := d.describe(ctx, name)
		if err != nil {
			return nil, "", &taskError{fmt.Sprintf("stdin: %v", err)}
		}
		storages[name] = ref
		return in, "", nil
	}
	return nil, "", nil
}

func (d *dispatcher) describe(ctx context.Context, name string) (worker.StorageRef, error) {
	d.mu.Lock()
	ref, ok := d.storages[name]
	d.mu.Unlock()
	if ok {
		return ref, nil
	}
	if d.cfg.Describe == nil {
		return worker.StorageRef{}, fmt.Errorf("storage %q cannot be described to the function", name)
	}
	ref, err := d.cfg.Describe(ctx, name)
	if err != nil {
		return worker.StorageRef{}, err
	}
	d.mu.Lock()
	d.storages[name] = ref
	d.mu.Unlock()
	return ref, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// collect reports the statuses of an invocation's tasks: from the response
// when it carries them, else from the status objects of the tasks the
// response (or, when there is none, the invocation) names. It returns how
// many tasks it reported.
func (d *dispatcher) collect(ctx context.Context, tasks []sched.Task, keys objstore.RunKeys, resp *worker.LambdaResponse, report func(sched.Result), written *[]string) int {
	want := map[int]int{} // index -> attempt
	for _, t := range tasks {
		want[t.Index] = t.Attempt
	}
	var statuses []worker.LambdaStatus
	if resp != nil && len(resp.Statuses) > 0 {
		statuses = resp.Statuses
	} else {
		indexes := make([]int, 0, len(tasks))
		if resp != nil {
			indexes = resp.Reported
		} else {
			for _, t := range tasks {
				indexes = append(indexes, t.Index)
			}
		}
		for _, i := range indexes {
			st, err := d.readStatus(ctx, keys.Status(i))
			if err != nil {
				continue
			}
			statuses = append(statuses, st)
		}
	}
	reported := 0
	for _, st := range statuses {
		attempt, ok := want[st.Index]
		if !ok || st.Attempt != attempt {
			continue
		}
		delete(want, st.Index)
		res := st.Result
		res.StdoutFile = ""
		if st.StdoutKey != "" {
			*written = append(*written, st.StdoutKey)
			path, err := d.download(ctx, st.StdoutKey)
			if err != nil {
				res.Stdout, res.ExitCode, res.Err = nil, -1, fmt.Sprintf("read its output from %s: %v", st.StdoutKey, err)
			} else {
				res.StdoutFile = path
			}
		}
		report(res)
		reported++
	}
	return reported
}

func (d *dispatcher) readStatus(ctx context.Context, key string) (worker.LambdaStatus, error) {
	var st worker.LambdaStatus
	rc, _, err := d.cfg.Store.Get(ctx, key)
	if err != nil {
		return st, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(&st); err != nil {
		return st, fmt.Errorf("status %s: %w", key, err)
	}
	return st, nil
}

// download copies an output object into a spill file the receiver owns.
func (d *dispatcher) download(ctx context.Context, key string) (string, error) {
	rc, _, err := d.cfg.Store.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	f, err := os.CreateTemp(d.cfg.SpillDir, "lithops-lambda-stdout-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// functionErrorMessage extracts errorMessage from a function's error
// document.
func functionErrorMessage(payload []byte) string {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil || doc.Message == "" {
		return strings.TrimSpace(string(payload))
	}
	if doc.Type != "" {
		return doc.Type + ": " + doc.Message
	}
	return doc.Message
}

// uploadFiles puts the job files the storage lacks at Layout.File(digest),
// each once per dispatcher however many invocations need it.
func (d *dispatcher) uploadFiles(ctx context.Context, files []sched.File) error {
	for _, f := range files {
		d.mu.Lock()
		u, ok := d.files[f.Digest]
		if !ok {
			u = &upload{done: make(chan struct{})}
			d.files[f.Digest] = u
		}
		d.mu.Unlock()
		if !ok {
			u.err = d.uploadFile(ctx, f)
			if u.err != nil {
				d.mu.Lock()
				delete(d.files, f.Digest) // the next invocation tries again
				d.mu.Unlock()
			}
			close(u.done)
		}
		select {
		case <-u.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if u.err != nil {
			return u.err
		}
	}
	return nil
}

func (d *dispatcher) uploadFile(ctx context.Context, f sched.File) error {
	key := d.cfg.Layout.File(f.Digest)
	if _, err := d.cfg.Store.Head(ctx, key); err == nil {
		return nil
	} else if !errors.Is(err, objstore.ErrNotExist) {
		return fmt.Errorf("job file %s: %w", f.Name, err)
	}
	src, err := os.Open(f.Source)
	if err != nil {
		return fmt.Errorf("job file %s: %w", f.Name, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return fmt.Errorf("job file %s: %w", f.Name, err)
	}
	h := sha256.New()
	if _, err := d.cfg.Store.Put(ctx, key, io.TeeReader(src, h), fi.Size()); err != nil {
		return fmt.Errorf("job file %s: %w", f.Name, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != f.Digest {
		// Kept by content, so it must not stay under another digest.
		d.cfg.Store.Delete(ctx, key)
		return fmt.Errorf("job file %s changed since the plan was made (digest %s, planned %s): plan again", f.Name, got, f.Digest)
	}
	return nil
}

// clean deletes an invocation's objects in the background; Close waits.
func (d *dispatcher) clean(keys []string) {
	if len(keys) == 0 {
		return
	}
	d.cleanup.Add(1)
	go func() {
		defer d.cleanup.Done()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		for _, k := range keys {
			d.cfg.Store.Delete(ctx, k)
		}
	}()
}
