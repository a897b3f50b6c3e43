package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/objstore"
	"lithops/objstore/dirstore"
	"lithops/sched"
)

// fakeRuntimeAPI is the Lambda Runtime API for one function environment:
// /next hands out the queued events (then waits), and each /response or
// /error is recorded.
type fakeRuntimeAPI struct {
	srv    *httptest.Server
	events chan fakeEvent
	mu     sync.Mutex
	posts  map[string]fakePost // by request id
	posted chan string
}

type fakeEvent struct {
	id       string
	deadline time.Time
	body     []byte
}

type fakePost struct {
	kind    string // "response" or "error"
	body    []byte
	errType string
}

func newFakeRuntimeAPI(t *testing.T) *fakeRuntimeAPI {
	f := &fakeRuntimeAPI{events: make(chan fakeEvent, 10), posts: map[string]fakePost{}, posted: make(chan string, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-f.events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(ev.deadline.UnixMilli(), 10))
			w.Write(ev.body)
		case <-r.Context().Done():
		}
	})
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.posts[r.PathValue("id")] = fakePost{kind: kind, body: b, errType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
			f.mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			f.posted <- r.PathValue("id")
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// invoke queues an event and waits for what the worker posts for it.
func (f *fakeRuntimeAPI) invoke(t *testing.T, id string, timeout time.Duration, event any) fakePost {
	t.Helper()
	b, _ := json.Marshal(event)
	f.events <- fakeEvent{id: id, deadline: time.Now().Add(timeout), body: b}
	select {
	case got := <-f.posted:
		if got != id {
			t.Fatalf("worker answered %s, want %s", got, id)
		}
	case <-time.After(time.Minute):
		t.Fatalf("no answer to %s", id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts[id]
}

// lambdaBench runs the Lambda mode against a fake Runtime API and a
// directory store.
type lambdaBench struct {
	api    *fakeRuntimeAPI
	store  objstore.Store
	layout objstore.Layout
	ref    StorageRef
}

func startLambda(t *testing.T, margin time.Duration) *lambdaBench {
	t.Helper()
	store, err := dirstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	layout, _ := objstore.NewLayout("p/")
	b := &lambdaBench{api: newFakeRuntimeAPI(t), store: store, layout: layout, ref: StorageRef{Name: "data", Backend: "test", Body: json.RawMessage(`{}`)}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Lambda(ctx, LambdaOptions{
			RuntimeAPI: strings.TrimPrefix(b.api.srv.URL, "http://"),
			Env:        []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "AWS_LAMBDA_FUNCTION_NAME=fn"},
			Margin:     margin,
			Grace:      100 * time.Millisecond,
			OpenStore: func(_ context.Context, ref StorageRef) (objstore.Store, objstore.Layout, error) {
				if ref.Name != "data" {
					return nil, objstore.Layout{}, errors.New("unknown storage " + ref.Name)
				}
				return store, layout, nil
			},
			Logf: t.Logf,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Lambda returned %v", err)
		}
	})
	return b
}

func (b *lambdaBench) putPayload(t *testing.T, run string, p LambdaPayload) {
	t.Helper()
	data, _ := json.Marshal(p)
	if _, err := b.store.Put(context.Background(), b.layout.Job("j").Run(run).Payload(0), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

func (b *lambdaBench) event(run string) LambdaEvent {
	return LambdaEvent{Version: LambdaVersion, Storage: b.ref, Job: "j", Run: run}
}

// TestLambdaRunsPayload: an invocation's tasks run in order; each status
// is written to its key and repeated in the response; an output over the
// inline limit is an object of its own.
func TestLambdaRunsPayload(t *testing.T) {
	b := startLambda(t, 0)
	b.putPayload(t, "r1", LambdaPayload{Invocation: sched.Invocation{Job: "job.j", InlineLimit: 8, Tasks: []sched.Task{
		{Index: 3, Attempt: 1, Argv: []string{"echo", "hi"}},
		{Index: 5, Attempt: 2, Argv: []string{"sh", "-c", "printf 0123456789abcdef; echo warn >&2; exit 4"}},
		{Index: 6, Attempt: 1, Argv: []string{"cat"}, Stdin: &sched.Input{Data: []byte("in")}},
	}}})
	post := b.api.invoke(t, "req-1", time.Minute, b.event("r1"))
	if post.kind != "response" {
		t.Fatalf("worker posted %s: %s", post.kind, post.body)
	}
	var resp LambdaResponse
	if err := json.Unmarshal(post.body, &resp); err != nil {
		t.Fatal(err)
	}
	type short struct {
		Index, Attempt, ExitCode  int
		Stdout, Stderr, StdoutKey string
		Size                      int64
	}
	var got []short
	for _, st := range resp.Statuses {
		got = append(got, short{st.Index, st.Attempt, st.ExitCode, string(st.Stdout), string(st.Stderr), st.StdoutKey, st.StdoutSize})
	}
	run := b.layout.Job("j").Run("r1")
	want := []short{
		{3, 1, 0, "hi\n", "", "", 3},
		{5, 2, 4, "", "warn\n", run.Output(5), 16},
		{6, 1, 0, "in", "", "", 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{3, 5, 6}, resp.Reported); diff != "" {
		t.Errorf("wrong reported (-want +got):\n%s", diff)
	}
	for _, i := range []int{3, 5, 6} {
		rc, _, err := b.store.Get(context.Background(), run.Status(i))
		if err != nil {
			t.Errorf("status %d: %v", i, err)
			continue
		}
		var st LambdaStatus
		json.NewDecoder(rc).Decode(&st)
		rc.Close()
		if st.Index != i {
			t.Errorf("status object of %d says index %d", i, st.Index)
		}
	}
	rc, _, err := b.store.Get(context.Background(), run.Output(5))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(rc)
	rc.Close()
	if string(out) != "0123456789abcdef" {
		t.Errorf("output object %q", out)
	}
}

// TestLambdaDeadline: when the invocation's time runs out, the running
// task is stopped and reported, the rest do not run, and the response says
// why, so that the client runs them again elsewhere.
func TestLambdaDeadline(t *testing.T) {
	b := startLambda(t, 500*time.Millisecond)
	b.putPayload(t, "r2", LambdaPayload{Invocation: sched.Invocation{Job: "job.j", Tasks: []sched.Task{
		{Index: 0, Attempt: 1, Argv: []string{"sleep", "30"}},
		{Index: 1, Attempt: 1, Argv: []string{"echo", "never"}},
	}}})
	post := b.api.invoke(t, "req-2", 3*time.Second, b.event("r2"))
	var resp LambdaResponse
	if err := json.Unmarshal(post.body, &resp); err != nil {
		t.Fatalf("%s: %v", post.body, err)
	}
	if diff := cmp.Diff([]int{0}, resp.Reported); diff != "" {
		t.Errorf("wrong reported (-want +got):\n%s", diff)
	}
	if !strings.Contains(resp.Stopped, "time limit") || len(resp.Statuses) != 1 || resp.Statuses[0].Signal == "" ||
		!strings.Contains(string(resp.Statuses[0].Stderr), "stopped at the Lambda function's time limit") {
		t.Errorf("response %+v: want the sleeping task killed and the reason", resp)
	}
	run := b.layout.Job("j").Run("r2")
	if _, err := b.store.Head(context.Background(), run.Status(0)); err != nil {
		t.Errorf("the stopped task's status was not written: %v", err)
	}
	if _, err := b.store.Head(context.Background(), run.Status(1)); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("a task that did not run has a status: %v", err)
	}
}

// TestLambdaRefusesWhatItCannotRun: events of another version, or whose
// payload is missing, are invocation errors that say so; the worker goes
// on serving.
func TestLambdaRefusesWhatItCannotRun(t *testing.T) {
	b := startLambda(t, 0)
	ev := b.event("r3")
	ev.Version = 99
	post := b.api.invoke(t, "req-3", time.Minute, ev)
	if post.kind != "error" || !strings.Contains(string(post.body), "version 99 event") || post.errType != "Lithops.InvocationError" {
		t.Errorf("another version: posted %s %s %q", post.kind, post.errType, post.body)
	}
	post = b.api.invoke(t, "req-4", time.Minute, b.event("missing"))
	if post.kind != "error" || !strings.Contains(string(post.body), "read payload") {
		t.Errorf("missing payload: posted %s %q", post.kind, post.body)
	}
	b.putPayload(t, "r5", LambdaPayload{Invocation: sched.Invocation{Job: "job.j", Tasks: []sched.Task{{Index: 0, Attempt: 1, Argv: []string{"true"}}}}})
	if post := b.api.invoke(t, "req-5", time.Minute, b.event("r5")); post.kind != "response" {
		t.Errorf("after errors: posted %s %q", post.kind, post.body)
	}
}
