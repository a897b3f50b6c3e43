package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/apply"
	"lithops/hcl"
	"lithops/internal/fakeprovider"
	"lithops/objstore"
	"lithops/objstore/dirstore"
	"lithops/plan"
	"lithops/providers"
	"lithops/providers/localhost"
	"lithops/sched"
	"lithops/state"
)

// fakeDispatcher runs tasks in process: run decides each task's outcome.
type fakeDispatcher struct {
	run func(t sched.Task) sched.Result
}

var _ sched.Dispatcher = (*fakeDispatcher)(nil)

func (d *fakeDispatcher) Capacity() int { return 4 }
func (d *fakeDispatcher) Run(ctx context.Context, inv *sched.Invocation, report func(sched.Result)) error {
	for _, t := range inv.Tasks {
		r := d.run(t)
		r.Index, r.Attempt = t.Index, t.Attempt
		r.Started, r.Finished = time.Now(), time.Now()
		report(r)
	}
	return nil
}
func (d *fakeDispatcher) Close(context.Context) error { return nil }

// echo succeeds with the task's last argument as output.
func echo(t sched.Task) sched.Result {
	return sched.Result{Stdout: []byte(t.Argv[len(t.Argv)-1] + "\n"), StdoutSize: int64(len(t.Argv[len(t.Argv)-1]) + 1)}
}

// events records what the engine reports.
type events struct {
	mu  sync.Mutex
	all []apply.Event
}

func (e *events) Observe(ev apply.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) jobsFinished() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	for _, ev := range e.all {
		if f, ok := ev.(apply.JobFinished); ok {
			switch {
			case f.Skipped:
				out[f.Job] = "skipped"
			case f.Err != "":
				out[f.Job] = "failed"
			default:
				out[f.Job] = "ok"
			}
		}
	}
	return out
}

// world is a configuration, a fake cloud, a state file and a local store.
type world struct {
	t        *testing.T
	dir      string
	cloud    *fakeprovider.Cloud
	bucket   *fakeprovider.Bucket
	reg      *providers.Registry
	store    objstore.Store
	dispatch *fakeDispatcher
	// opens counts the executor opens; openDelay makes each one take time.
	opens     atomic.Int64
	openDelay time.Duration
}

func newWorld(t *testing.T, config string) *world {
	w := &world{t: t, dir: t.TempDir(), cloud: fakeprovider.NewCloud(), dispatch: &fakeDispatcher{run: echo}}
	w.reg, w.bucket = fakeprovider.Registry(w.cloud, map[string]providers.ExecutorBackend{"localhost": &localhost.Executor{}})
	st, err := dirstore.New(filepath.Join(w.dir, ".store"))
	if err != nil {
		t.Fatal(err)
	}
	w.store = st
	w.write(config)
	return w
}

func (w *world) write(config string) {
	if err := os.WriteFile(filepath.Join(w.dir, "main.hcl"), []byte(config), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) statePath() string { return filepath.Join(w.dir, "lithops.state") }

// apply plans and applies once, as the apply command does.
func (w *world) apply(opts plan.Options, inline int64) (*events, error) {
	w.t.Helper()
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: w.dir, Registry: w.reg})
	if diags.HasErrors() {
		w.t.Fatal(diags)
	}
	st, _, err := state.Recover(w.statePath())
	if err != nil {
		w.t.Fatal(err)
	}
	pl := plan.NewPlanner(cfg, w.reg, st)
	layout, _ := objstore.NewLayout("")
	pl.OpenStore = func(context.Context, string) (objstore.Store, error) { return w.store, nil }
	p, diags := pl.Plan(context.Background(), opts)
	if diags.HasErrors() {
		w.t.Fatal(diags)
	}
	j, err := state.OpenJournal(w.statePath(), st, state.JournalOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	ev := &events{}
	eng := &apply.Engine{
		Planner: pl, Journal: j, Observer: ev, InlineLimit: inline,
		Backoff: &sched.Backoff{Base: time.Millisecond, Max: time.Millisecond},
		OpenExecutor: func(context.Context, string, map[string]cty.Value) (sched.Dispatcher, error) {
			w.opens.Add(1)
			time.Sleep(w.openDelay)
			return w.dispatch, nil
		},
		OpenStore: func(context.Context, string) (objstore.Store, objstore.Layout, error) {
			return w.store, layout, nil
		},
	}
	_, applyErr := eng.Apply(context.Background(), p)
	if _, err := j.Commit(); err != nil {
		w.t.Fatal(err)
	}
	return ev, applyErr
}

func (w *world) state() *state.State {
	st, err := state.Read(w.statePath())
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// A failed job fails those that depend on it; an independent job runs.
func TestFailedJobSkipsDependents(t *testing.T) {
	w := newWorld(t, `
job "bad" {
  retries = 1
  map {
    over    = ["x"]
    command = ["fail", each.value]
  }
}
job "after_bad" {
  map {
    over    = job.bad.results
    command = ["echo", each.value]
  }
}
job "independent" {
  map {
    over    = ["a", "b"]
    command = ["echo", each.value]
  }
}
`)
	w.dispatch.run = func(t sched.Task) sched.Result {
		if t.Argv[0] == "fail" {
			return sched.Result{ExitCode: 3, Stderr: []byte("boom\n")}
		}
		return echo(t)
	}
	ev, err := w.apply(plan.Options{}, 0)
	if err == nil || !strings.Contains(err.Error(), "job.bad: 1 of 1 tasks failed; first: task 0 (key \"0\"): exit status 3; stderr: boom") {
		t.Fatalf("wrong error: %v", err)
	}
	want := map[string]string{"job.bad": "failed", "job.after_bad": "skipped", "job.independent": "ok"}
	if diff := cmp.Diff(want, ev.jobsFinished()); diff != "" {
		t.Errorf("wrong job outcomes (-want +got):\n%s", diff)
	}
	st := w.state()
	if run := st.Jobs["independent"]; run == nil || !run.Complete || run.Len() != 2 {
		t.Errorf("the independent job's run was not recorded complete: %+v", run)
	}
	if run := st.Jobs["bad"]; run == nil || run.Complete {
		t.Errorf("the failed job's run should be recorded incomplete: %+v", run)
	} else if rec, _ := run.Task(0); rec.Attempts != 2 || rec.OK() {
		t.Errorf("the failed task's record: %+v, want 2 attempts, failed", rec)
	}
}

// A resource whose creation fails half-way is recorded tainted, and the next
// plan replaces it: nothing leaks.
func TestHalfCreatedResourceIsRecordedTainted(t *testing.T) {
	w := newWorld(t, `
storage "data" {
  backend = "fake"
  name    = "results"
}
`)
	w.bucket.FailCreate = func(string) (bool, bool) { return true, true }
	_, err := w.apply(plan.Options{}, 0)
	if err == nil {
		t.Fatal("apply with a failing create succeeded")
	}
	r, ok := w.state().Resources["storage.data"]
	if !ok || r.Status != state.StatusTainted {
		t.Fatalf("the half-created bucket is not recorded tainted: %+v", r)
	}
	if got := w.cloud.IDs(); len(got) != 1 {
		t.Fatalf("the fake cloud holds %v, want the one half-created bucket", got)
	}
	w.bucket.FailCreate = nil
	if _, err := w.apply(plan.Options{Refresh: true}, 0); err != nil {
		t.Fatal(err)
	}
	if got := w.cloud.IDs(); len(got) != 1 || got[0] != "b-2" {
		t.Errorf("after the replacement the cloud holds %v, want only the new bucket b-2", got)
	}
	if r := w.state().Resources["storage.data"]; r.Status != state.StatusReady {
		t.Errorf("the replacement is recorded %q, want ready", r.Status)
	}
}

// Large outputs and logs go to the store; destroy removes them, then the
// resources, and leaves an empty state.
func TestDestroyRemovesResultsThenResources(t *testing.T) {
	w := newWorld(t, `
storage "data" {
  backend = "fake"
  name    = "results"
}
job "big" {
  map {
    over    = ["a", "b", "c"]
    command = ["echo", "${each.value}-a-long-output"]
  }
}
`)
	w.dispatch.run = func(t sched.Task) sched.Result {
		r := echo(t)
		r.Stderr = []byte("log of " + t.Key)
		return r
	}
	if _, err := w.apply(plan.Options{}, 4); err != nil {
		t.Fatal(err)
	}
	var keys []string
	w.store.List(context.Background(), "", func(o objstore.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 6 {
		t.Fatalf("want 3 outputs and 3 logs in the store, got %v", keys)
	}
	run := w.state().Jobs["big"]
	for _, rec := range run.Tasks() {
		if rec.Output.Kind != state.OutputObject || rec.Log.Kind != state.OutputObject {
			t.Errorf("task %d: output %q, log %q; want both in the store", rec.Index, rec.Output.Kind, rec.Log.Kind)
		}
	}
	if _, err := w.apply(plan.Options{Destroy: true, Refresh: true}, 4); err != nil {
		t.Fatal(err)
	}
	keys = nil
	w.store.List(context.Background(), "", func(o objstore.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	sort.Strings(keys)
	if len(keys) != 0 {
		t.Errorf("destroy left objects in the store: %v", keys)
	}
	st := w.state()
	if len(st.Resources)+len(st.Jobs)+len(st.Outputs) != 0 || len(w.cloud.IDs()) != 0 {
		t.Errorf("destroy left resources %v, jobs %v, outputs %v, cloud %v", st.Resources, st.Jobs, st.Outputs, w.cloud.IDs())
	}
	calls := strings.Join(w.cloud.Calls, ",")
	if !strings.HasSuffix(calls, "delete storage.data") {
		t.Errorf("the bucket should be deleted last; calls: %s", calls)
	}
}

// A json output that is not JSON fails the task with a clear error.
func TestInvalidJSONOutputFailsTheTask(t *testing.T) {
	w := newWorld(t, `
job "j" {
  output = "json"
  map {
    over    = ["{\"ok\": 1}", "not json"]
    command = ["echo", each.value]
  }
}
`)
	_, err := w.apply(plan.Options{}, 0)
	if err == nil || !strings.Contains(err.Error(), `task 1 (key "1"): its output is not valid JSON`) {
		t.Fatalf("wrong error: %v", err)
	}
}
