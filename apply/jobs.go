package apply

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"lithops/hcl"
	"lithops/objstore"
	"lithops/plan"
	"lithops/sched"
	"lithops/state"
)

// errSkipped marks a job that did not run because one it needs failed.
var errSkipped = errors.New("skipped")

// applyJobs runs the plan's jobs, each as soon as the jobs it depends on
// succeeded, so independent jobs run at the same time. A failed job fails
// the jobs that depend on it; the others still run.
func (e *Engine) applyJobs(ctx context.Context, p *plan.Plan, res *Result) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		done = map[string]chan struct{}{}
		ok   = map[string]bool{}
	)
	for _, jp := range p.Jobs {
		done[jp.Name] = make(chan struct{})
	}
	for _, jp := range p.Jobs {
		wg.Add(1)
		go func(jp *plan.JobPlan) {
			defer wg.Done()
			defer close(done[jp.Name])
			for _, dep := range jp.DependsOn {
				ch, inPlan := done[dep]
				if !inPlan {
					continue
				}
				<-ch
				mu.Lock()
				depOK := ok[dep]
				mu.Unlock()
				if !depOK {
					if ctx.Err() == nil {
						why := fmt.Sprintf("job.%s did not run because job.%s failed", jp.Name, dep)
						e.emit(JobFinished{Time: e.now(), Job: "job." + jp.Name, Skipped: true, Err: why})
					}
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			err := e.runJob(ctx, jp, res, &mu)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					errs = append(errs, err)
				}
				return
			}
			ok[jp.Name] = true
		}(jp)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runJob carries out one job's plan.
func (e *Engine) runJob(ctx context.Context, jp *plan.JobPlan, res *Result, mu *sync.Mutex) error {
	switch jp.Status {
	case plan.JobRemove:
		return e.removeJob(ctx, jp)
	case plan.JobUpToDate:
		return nil
	case plan.JobUnknown:
		// Its inputs are known now that the jobs before it ran.
		fresh, diags := e.Planner.ExpandJob(ctx, jp.Name, e.Replace["job."+jp.Name])
		if diags.HasErrors() {
			err := fmt.Errorf("job.%s: %s", jp.Name, diags.Error())
			e.emit(JobFinished{Time: e.now(), Job: "job." + jp.Name, Err: err.Error()})
			return err
		}
		switch fresh.Status {
		case plan.JobUpToDate:
			if diags := e.Planner.LoadResults(ctx, fresh); diags.HasErrors() {
				return fmt.Errorf("job.%s: %s", jp.Name, diags.Error())
			}
			e.emit(Message{Time: e.now(), Level: "info", Text: fmt.Sprintf("job.%s is up to date (%d tasks unchanged)", jp.Name, fresh.Total)})
			return nil
		case plan.JobUnknown:
			err := fmt.Errorf("job.%s: its tasks are still unknown after the jobs it depends on ran (%s)", jp.Name, fresh.Reason)
			e.emit(JobFinished{Time: e.now(), Job: "job." + jp.Name, Err: err.Error()})
			return err
		}
		jp = fresh
	}
	return e.runTasks(ctx, jp, res, mu)
}

// jobRun tracks one running job.
type jobRun struct {
	e       *Engine
	jp      *plan.JobPlan
	store   objstore.Store
	keys    objstore.JobKeys
	storage string // storage name; "" is the implicit local storage
	// outputs holds every task's output reference by task index.
	outputs   []state.OutputRef
	mu        sync.Mutex
	failed    []failure
	retried   int
	ran       int
	reduceRec *state.TaskRecord
}

func (e *Engine) runTasks(ctx context.Context, jp *plan.JobPlan, res *Result, mu *sync.Mutex) error {
	addr := "job." + jp.Name
	start := e.now()
	fail := func(err error) error {
		e.emit(JobFinished{Time: e.now(), Job: addr, Err: err.Error(), Elapsed: e.now().Sub(start)})
		return err
	}
	for _, block := range []string{jp.Executor, jp.Storage} {
		if why := e.blocked(block); why != "" {
			return fail(fmt.Errorf("%s did not run: %s", addr, why))
		}
	}
	d, err := e.dispatcher(ctx, jp.Executor)
	if err != nil {
		return fail(fmt.Errorf("%s: open %s: %w", addr, jp.Executor, err))
	}
	storage := strings.TrimPrefix(jp.Storage, "storage.")
	store, layout, err := e.OpenStore(ctx, storage)
	if err != nil {
		return fail(fmt.Errorf("%s: open storage: %w", addr, err))
	}
	r := &jobRun{e: e, jp: jp, store: store, keys: layout.Job(jp.Name), storage: storage, outputs: make([]state.OutputRef, len(jp.Tasks))}

	run := &state.JobRun{
		Name: jp.Name, DefinitionDigest: jp.DefinitionDigest, Executor: jp.Executor, Storage: jp.Storage,
		Started: start.UTC(), TaskCount: len(jp.Tasks),
	}
	var toRun []*plan.TaskPlan
	for _, t := range jp.Tasks {
		if t.Cached != nil {
			run.Record(*t.Cached)
			r.outputs[t.Task.Index] = t.Cached.Output
		} else {
			toRun = append(toRun, t)
		}
	}
	if err := e.Journal.JobStarted(run); err != nil {
		return fail(err)
	}
	files, err := jobFiles(e.Planner, jp.Spec)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", addr, err))
	}
	if len(toRun) > 0 {
		e.emit(JobStarted{Time: e.now(), Job: addr, Executor: jp.Executor, Tasks: len(toRun), Cached: jp.Cached, Phase: "map"})
		sum, err := r.schedule(ctx, d, "map", toRun, files)
		mu.Lock()
		res.Tasks += sum.Done + sum.Failed
		res.Retried += sum.Retried
		res.Failed += sum.Failed
		mu.Unlock()
		if err := r.finishPhase(ctx, err, sum, start); err != nil {
			return err
		}
	}
	var reduce *state.OutputRef
	if jp.Spec.Reduce != nil {
		rec, err := r.reduce(ctx, d, files)
		mu.Lock()
		res.Tasks++
		mu.Unlock()
		if err != nil {
			if errors.Is(err, context.Canceled) {
				e.Journal.JobFinished(jp.Name, e.now().UTC(), false)
				return err
			}
			e.Journal.JobFinished(jp.Name, e.now().UTC(), false)
			return fail(err)
		}
		reduce = &rec.Output
	}
	if err := e.Planner.SetResults(ctx, jp, r.outputs, reduce); err != nil {
		e.Journal.JobFinished(jp.Name, e.now().UTC(), false)
		return fail(err)
	}
	if err := e.Journal.JobFinished(jp.Name, e.now().UTC(), true); err != nil {
		return fail(err)
	}
	mu.Lock()
	res.JobsRan++
	mu.Unlock()
	e.emit(JobFinished{Time: e.now(), Job: addr, Tasks: r.ran, Cached: jp.Cached, Retried: r.retried, Elapsed: e.now().Sub(start)})
	return nil
}

// failure is a task that failed for good.
type failure struct {
	index int
	msg   string
}

// finishPhase turns a phase's outcome into the job's error, if any.
func (r *jobRun) finishPhase(ctx context.Context, err error, sum sched.Summary, start time.Time) error {
	e, jp := r.e, r.jp
	addr := "job." + jp.Name
	if ctx.Err() != nil || sum.Stopped {
		e.Journal.JobFinished(jp.Name, e.now().UTC(), false)
		e.emit(JobFinished{Time: e.now(), Job: addr, Tasks: r.ran, Cached: jp.Cached, Retried: r.retried, Failed: len(r.failed), Elapsed: e.now().Sub(start), Stopped: true})
		return context.Canceled
	}
	shown := err // what the job's line says; its counts are beside it
	if len(r.failed) > 0 {
		// The scheduler numbers the tasks it ran; the job's own indexes are
		// in r.failed.
		sort.Slice(r.failed, func(i, j int) bool { return r.failed[i].index < r.failed[j].index })
		err = fmt.Errorf("%d of %d tasks failed; first: %s", len(r.failed), len(jp.Tasks), r.failed[0].msg)
		shown = fmt.Errorf("first failure: %s", r.failed[0].msg)
	}
	if err != nil {
		e.Journal.JobFinished(jp.Name, e.now().UTC(), false)
		e.emit(JobFinished{Time: e.now(), Job: addr, Tasks: r.ran, Cached: jp.Cached, Retried: r.retried, Failed: len(r.failed), Elapsed: e.now().Sub(start), Err: shown.Error()})
		return fmt.Errorf("%s: %w", addr, err)
	}
	return nil
}

// schedule runs tasks through the scheduler, recording each final result.
func (r *jobRun) schedule(ctx context.Context, d sched.Dispatcher, phase string, tasks []*plan.TaskPlan, files []sched.File) (sched.Summary, error) {
	e, js := r.e, r.jp.Spec
	addr := "job." + r.jp.Name
	job := &sched.Job{
		Name:        addr,
		Files:       files,
		Retries:     js.Retries,
		Backoff:     sched.Backoff{Base: 200 * time.Millisecond, Max: 30 * time.Second},
		ChunkSize:   js.ChunkSize,
		MaxWorkers:  js.MaxWorkers,
		InlineLimit: e.inlineLimit(),
	}
	if e.Backoff != nil {
		job.Backoff = *e.Backoff
	}
	if js.Speculation && phase == "map" {
		job.Speculation = &sched.Speculation{Quantile: 0.75, Multiplier: 2}
	}
	// The scheduler numbers the tasks it runs 0..n-1.
	job.Tasks = make([]sched.Task, len(tasks))
	for i, t := range tasks {
		job.Tasks[i] = t.Task
		job.Tasks[i].Index = i
	}
	total := len(tasks)
	hooks := sched.Hooks{
		Result: func(res sched.Result, final bool) {
			t := tasks[res.Index]
			if !final {
				// After a stop, tasks that were cut short are not failures:
				// they run next time.
				if !res.OK() && ctx.Err() == nil {
					r.mu.Lock()
					r.retried++
					r.mu.Unlock()
					e.emit(taskFailed(addr, phase, t, res, false))
				}
				return
			}
			r.record(ctx, phase, t, res)
		},
		Progress: func(p sched.Progress) {
			e.emit(JobProgress{Time: e.now(), Job: addr, Phase: phase, Total: total, Done: p.Done, Running: p.Running, Failed: p.Failed, Queued: p.Queued, Retried: p.Retried})
		},
	}
	return sched.Run(ctx, d, job, hooks)
}

func (e *Engine) inlineLimit() int64 {
	if e.InlineLimit > 0 {
		return e.InlineLimit
	}
	return DefaultInlineLimit
}

// record stores a task's final result: its output and log in the state (or,
// when large, in the job's storage), in the journal.
func (r *jobRun) record(ctx context.Context, phase string, t *plan.TaskPlan, res sched.Result) {
	e, jp := r.e, r.jp
	addr := "job." + jp.Name
	rec := state.TaskRecord{
		Index: t.Task.Index, Key: t.Task.Key, InputDigest: t.Digest,
		ExitCode: res.ExitCode, Attempts: res.Attempt, Duration: res.Finished.Sub(res.Started), Worker: res.Worker,
	}
	outputKind := jp.Spec.Output
	if phase == "reduce" {
		outputKind = jp.Spec.Reduce.Output
	}
	if res.OK() {
		out, err := r.storeOutput(ctx, t, res, outputKind)
		if err != nil {
			rec.Error = err.Error()
		} else {
			rec.Output = out
		}
	} else {
		rec.Error = describe(res, t.Task.Timeout)
	}
	if res.StdoutFile != "" {
		os.Remove(res.StdoutFile)
	}
	if len(res.Stderr) > 0 {
		if ref, err := r.storeLog(ctx, t, res.Stderr); err == nil {
			rec.Log = ref
		}
	}
	r.mu.Lock()
	r.ran++
	if rec.Error != "" {
		r.failed = append(r.failed, failure{t.Task.Index, fmt.Sprintf("task %d (key %q): %s%s", t.Task.Index, t.Task.Key, rec.Error, tailSuffix(res.Stderr))})
	} else if phase == "map" {
		r.outputs[t.Task.Index] = rec.Output
	}
	r.mu.Unlock()
	if rec.Error != "" {
		ev := taskFailed(addr, phase, t, res, true)
		ev.Err = rec.Error
		e.emit(ev)
	}
	var err error
	if phase == "reduce" {
		err = e.Journal.ReduceFinished(jp.Name, rec)
	} else {
		err = e.Journal.TaskFinished(jp.Name, rec)
	}
	if err != nil {
		r.mu.Lock()
		r.failed = append(r.failed, failure{t.Task.Index, fmt.Sprintf("task %d: recording its result: %s", t.Task.Index, err)})
		r.mu.Unlock()
	}
	if phase == "reduce" {
		r.mu.Lock()
		r.reduceRec = &rec
		r.mu.Unlock()
	}
}

func tailSuffix(stderr []byte) string {
	tail := stderrTail(stderr)
	if tail == "" {
		return ""
	}
	return "; stderr: " + tail
}

// describe says how an attempt failed.
func describe(res sched.Result, timeout time.Duration) string {
	switch {
	case res.Err != "":
		return "could not start: " + res.Err
	case res.TimedOut:
		return fmt.Sprintf("timed out after %s", timeout)
	case res.Signal != "":
		return "killed by " + res.Signal
	default:
		return fmt.Sprintf("exit status %d", res.ExitCode)
	}
}

func taskFailed(job, phase string, t *plan.TaskPlan, res sched.Result, final bool) TaskFailed {
	return TaskFailed{
		Time: time.Now(), Job: job, Phase: phase, Index: t.Task.Index, Key: t.Task.Key, Attempt: res.Attempt,
		ExitCode: res.ExitCode, Signal: res.Signal, TimedOut: res.TimedOut, Err: res.Err,
		StderrTail: stderrTail(res.Stderr), Worker: res.Worker, Final: final,
	}
}

// stderrTail is the last few lines of stderr, at most 400 bytes.
func stderrTail(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) > 400 {
		b = b[len(b)-400:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// storeOutput records a successful task's stdout: inline when small, else
// as an object of the job's storage.
func (r *jobRun) storeOutput(ctx context.Context, t *plan.TaskPlan, res sched.Result, kind string) (state.OutputRef, error) {
	limit := r.e.inlineLimit()
	if res.StdoutFile == "" && int64(len(res.Stdout)) <= limit {
		if kind == "json" {
			if !json.Valid(res.Stdout) {
				return state.OutputRef{}, fmt.Errorf("its output is not valid JSON (output = \"json\")")
			}
			return state.InlineJSONOutput(res.Stdout)
		}
		return state.InlineOutput(res.Stdout), nil
	}
	var src io.Reader = bytes.NewReader(res.Stdout)
	size := int64(len(res.Stdout))
	if res.StdoutFile != "" {
		f, err := os.Open(res.StdoutFile)
		if err != nil {
			return state.OutputRef{}, fmt.Errorf("read its output: %w", err)
		}
		defer f.Close()
		st, _ := f.Stat()
		src, size = f, st.Size()
	}
	if kind == "json" {
		if err := validJSONStream(src); err != nil {
			return state.OutputRef{}, fmt.Errorf("its output is not valid JSON (output = \"json\"): %w", err)
		}
		if seeker, ok := src.(io.Seeker); ok {
			seeker.Seek(0, io.SeekStart)
		} else {
			src = bytes.NewReader(res.Stdout)
		}
	}
	h := sha256.New()
	key := r.keys.Output(t.Digest)
	if _, err := r.store.Put(ctx, key, io.TeeReader(src, h), size); err != nil {
		return state.OutputRef{}, fmt.Errorf("store its output: %w", err)
	}
	return state.ObjectOutput(r.storage, key, size, "sha256:"+hex.EncodeToString(h.Sum(nil))), nil
}

// storeLog keeps a task's stderr in the job's storage.
func (r *jobRun) storeLog(ctx context.Context, t *plan.TaskPlan, stderr []byte) (state.OutputRef, error) {
	key := r.keys.Log(t.Digest)
	if _, err := r.store.Put(ctx, key, bytes.NewReader(stderr), int64(len(stderr))); err != nil {
		return state.OutputRef{}, err
	}
	return state.ObjectOutput(r.storage, key, int64(len(stderr)), state.Digest(stderr)), nil
}

// jobFiles describes a job's files for the workers.
func jobFiles(p *plan.Planner, js *hcl.JobSpec) ([]sched.File, error) {
	var out []sched.File
	for _, f := range js.Files {
		d, ok, err := p.Hasher.File(f.Source)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("file %s does not exist", f.Source)
		}
		st, err := os.Stat(f.Source)
		if err != nil {
			return nil, err
		}
		out = append(out, sched.File{Name: f.Name, Source: f.Source, Digest: d, Mode: uint32(st.Mode().Perm())})
	}
	return out, nil
}

// validJSONStream checks that r holds exactly one JSON value, reading it as
// a stream.
func validJSONStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if depth != 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 && dec.More() {
			return fmt.Errorf("more than one value")
		}
	}
}

// reduce runs a job's reduce over every map output, in task order, on
// stdin.
func (r *jobRun) reduce(ctx context.Context, d sched.Dispatcher, files []sched.File) (*state.TaskRecord, error) {
	e, jp := r.e, r.jp
	addr := "job." + jp.Name
	var input bytes.Buffer
	digests := make([]string, len(r.outputs))
	for i, ref := range r.outputs {
		digests[i] = ref.Digest
		data, ok := ref.Inline()
		if !ok {
			rc, _, err := r.store.Get(ctx, ref.Key)
			if err != nil {
				return nil, fmt.Errorf("%s reduce: read the output of task %d: %w", addr, i, err)
			}
			_, err = io.Copy(&input, rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s reduce: read the output of task %d: %w", addr, i, err)
			}
			continue
		}
		input.Write(data)
	}
	t := *jp.ReduceTask
	t.Digest = plan.ReduceDigest(jp.DefinitionDigest, jp.Spec, digests)
	t.Task.Stdin = &sched.Input{Data: input.Bytes()}
	start := e.now()
	e.emit(JobStarted{Time: start, Job: addr, Executor: jp.Executor, Tasks: 1, Phase: "reduce"})
	sum, err := r.schedule(ctx, d, "reduce", []*plan.TaskPlan{&t}, files)
	r.mu.Lock()
	rec := r.reduceRec
	r.mu.Unlock()
	if ctx.Err() != nil || sum.Stopped {
		return nil, context.Canceled
	}
	if err == nil && len(r.failed) > 0 {
		err = fmt.Errorf("its reduce failed: %s", r.failed[len(r.failed)-1].msg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if rec == nil {
		return nil, fmt.Errorf("%s: its reduce reported no result", addr)
	}
	return rec, nil
}

// removeJob forgets a job's results and deletes the objects they kept in
// its storage.
func (e *Engine) removeJob(ctx context.Context, jp *plan.JobPlan) error {
	run := e.Planner.State.Jobs[jp.Name]
	var errs []error
	if run != nil {
		refs := []state.OutputRef{}
		for _, t := range run.Tasks() {
			refs = append(refs, t.Output, t.Log)
		}
		if run.Reduce != nil {
			refs = append(refs, run.Reduce.Output, run.Reduce.Log)
		}
		for _, ref := range refs {
			if ref.Kind != state.OutputObject {
				continue
			}
			store, _, err := e.OpenStore(ctx, ref.Storage)
			if err != nil {
				errs = append(errs, fmt.Errorf("job.%s: open storage %q: %w", jp.Name, ref.Storage, err))
				break
			}
			if err := store.Delete(ctx, ref.Key); err != nil {
				errs = append(errs, fmt.Errorf("job.%s: delete %s: %w", jp.Name, ref.Key, err))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return e.Journal.JobRemoved(jp.Name)
}
