package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"lithops/internal/testhosts"
	"lithops/providers"
	"lithops/sched"
	"lithops/worker"
)

// TestMain: the backend installs this test binary on the test hosts as
// ~/.lithops/bin/lithops-<digest> and runs `… worker ARGS` there; run under
// that name, it is a worker.
func TestMain(m *testing.M) {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "lithops-") {
		if len(os.Args) < 2 || os.Args[1] != "worker" {
			fmt.Fprintf(os.Stderr, "test worker binary: want `worker ...`, got %q\n", os.Args[1:])
			os.Exit(2)
		}
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
	}
	os.Exit(m.Run())
}

// fastTiming notices a cut link within a few seconds, and lets a worker
// whose client went silent go within two.
var fastTiming = Timing{
	KeepaliveInterval: 300 * time.Millisecond,
	KeepaliveTimeout:  1500 * time.Millisecond,
	Heartbeat:         200 * time.Millisecond,
	ClientTimeout:     2 * time.Second,
	ReconnectMin:      200 * time.Millisecond,
	ReconnectMax:      time.Second,
}

// testBackend is a backend that installs this test binary.
func testBackend(t testing.TB) *Backend {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Backend{Binary: self, User: "nobody-here", Home: t.TempDir(), Version: "test", Timing: fastTiming}
}

// fleetBody is an executor body for the fleet's hosts, plus extra
// attributes.
func fleetBody(t testing.TB, f *testhosts.Fleet, extra string) cty.Value {
	t.Helper()
	var hosts []string
	for _, h := range f.Hosts {
		hosts = append(hosts, fmt.Sprintf("%q", h.Spec()))
	}
	return decodeBody(t, fmt.Sprintf(`
hosts = [%s]
%s
ssh {
  private_key_file = %q
  known_hosts_file = %q
}`, strings.Join(hosts, ", "), extra, f.ClientKey, f.KnownHosts))
}

// selfDigest is the worker digest of this test binary.
func selfDigest(t testing.TB, b *Backend) string {
	t.Helper()
	d, err := fileDigest(b.Binary)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// bootstrapAll plans and creates every host's bootstrap, as apply would,
// and returns the states by resource name.
func bootstrapAll(t testing.TB, b *Backend, body cty.Value) map[string]cty.Value {
	t.Helper()
	ctx := context.Background()
	resp, err := b.Resources(ctx, providers.ExecutorResourcesRequest{Name: "lab", Body: body, WorkerDigest: selfDigest(t, b)})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]cty.Value{}
	for _, r := range resp.Resources {
		cr, err := r.Resource.Create(ctx, providers.CreateRequest{Addr: "executor.lab." + r.Name, Planned: planned(r.Config)})
		if err != nil {
			t.Fatalf("create %s: %v", r.Name, err)
		}
		states[r.Name] = cr.State
	}
	return states
}

// planned is a config with its computed attributes unknown, as the planner
// passes it to Create.
func planned(config cty.Value) cty.Value {
	m := config.AsValueMap()
	for name, a := range bootstrapSchema.Attributes {
		if a.Computed {
			m[name] = cty.UnknownVal(a.Type)
		}
	}
	return cty.ObjectVal(m)
}

// events records host events.
type events struct {
	mu  sync.Mutex
	evs []providers.HostEvent
}

func (e *events) add(ev providers.HostEvent) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

// states lists "host state" in order, for one host or all ("").
func (e *events) states(host string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		if host == "" || ev.Host == host {
			out = append(out, ev.Host+" "+ev.State)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after a generous
// time (a ceiling for busy machines, not a performance figure).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openFleet opens the executor on the bootstrapped hosts.
func openFleet(t testing.TB, b *Backend, body cty.Value, states map[string]cty.Value, ev *events) *fleet {
	t.Helper()
	resp, err := b.Open(context.Background(), providers.OpenExecutorRequest{Name: "lab", Body: body, Resources: states, Hosts: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	f := resp.Dispatcher.(*fleet)
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// runJob runs tasks on d and returns the final result of each, by index,
// failing the test on a result reported twice as final.
func runJob(t testing.TB, d sched.Dispatcher, tasks []sched.Task, onResult func(sched.Result)) (map[int]sched.Result, error) {
	t.Helper()
	finals := map[int]sched.Result{}
	_, err := sched.Run(context.Background(), d, &sched.Job{Name: "test", Tasks: tasks, Backoff: sched.Backoff{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond}}, sched.Hooks{
		Result: func(r sched.Result, final bool) {
			if onResult != nil {
				onResult(r)
			}
			if !final {
				return
			}
			if _, dup := finals[r.Index]; dup {
				t.Errorf("task %d decided twice", r.Index)
			}
			finals[r.Index] = r
		},
	})
	return finals, err
}

// userProcesses lists the commands of the processes running as the login
// of a test host (the hosts share this machine's process table).
func userProcesses(t testing.TB, h testhosts.Host) []string {
	t.Helper()
	st, err := os.Stat(h.Home)
	if err != nil {
		t.Fatal(err)
	}
	uid := fileUID(st)
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		p := filepath.Join("/proc", e.Name())
		pst, err := os.Stat(p)
		if err != nil || fileUID(pst) != uid || !e.IsDir() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		out = append(out, strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " "))
	}
	return out
}

// workers are the user's processes that are lithops workers.
func workers(t testing.TB, h testhosts.Host) []string {
	var out []string
	for _, c := range userProcesses(t, h) {
		if strings.Contains(c, "/.lithops/bin/lithops-") && strings.Contains(c, " worker ") {
			out = append(out, c)
		}
	}
	return out
}
