package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/testhosts"
	"lithops/objstore"
	"lithops/objstore/dirstore"
	"lithops/providers"
	"lithops/sched"
)

// trickyItems are values that a remote shell would mangle if a command were
// ever re-parsed by one.
var trickyItems = []string{
	`plain`,
	`two words`,
	`it's`,
	`say "hi"`,
	`$HOME $(id -u) ${PATH} $1`,
	"back`tick`",
	"new\nline\n",
	`back\slash\n`,
	`; rm -rf ~ ; echo`,
	`*.go ? [a-z]`,
	`~ ~/x`,
	`a|b&c>d<e`,
	"tab\there",
	`-n`,
	``,
	`--help`,
	"ünïcødé ✓",
}

// TestFleetRunsTasks: a three-host fleet runs tasks on every host, their
// argv arriving byte for byte (no shell in between), with the executor's
// env, job files shipped once per host, and file and object chunks
// streamed from here.
func TestFleetRunsTasks(t *testing.T) {
	f := testhosts.Start(t, 3)
	b := testBackend(t)
	body := fleetBody(t, f, `
worker_processes = 2
env              = { LITHOPS_TEST_ENV = "a b'c $X" }`)
	states := bootstrapAll(t, b, body)
	ev := &events{}
	// Object inputs are read here, from the storage they name, and their
	// chunks streamed to the hosts.
	store, err := dirstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	object := strings.Repeat("row\n", 25000)
	if _, err := store.Put(context.Background(), "in/rows", strings.NewReader(object), int64(len(object))); err != nil {
		t.Fatal(err)
	}
	resp, err := b.Open(context.Background(), providers.OpenExecutorRequest{Name: "lab", Body: body, Resources: states, Hosts: ev.add,
		OpenStore: func(_ context.Context, name string) (objstore.Store, error) {
			if name != "logs" {
				return nil, fmt.Errorf("no storage %q", name)
			}
			return store, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	fl := resp.Dispatcher.(*fleet)
	t.Cleanup(func() { fl.Close(context.Background()) })
	if got := fl.Capacity(); got != 6 {
		t.Errorf("capacity %d, want 6 (3 hosts of 2 slots)", got)
	}
	var wantReady []string
	for _, h := range f.Hosts {
		wantReady = append(wantReady, h.Spec()+" ready")
	}
	got := slices.DeleteFunc(ev.states(""), func(s string) bool { return strings.HasSuffix(s, " connecting") })
	slices.Sort(got)
	if diff := cmp.Diff(wantReady, got); diff != "" {
		t.Errorf("wrong host events (-want +got):\n%s", diff)
	}

	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	content := []byte("job file content\n")
	os.WriteFile(data, content, 0o644)
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	input := filepath.Join(dir, "input")
	os.WriteFile(input, []byte(strings.Repeat("line\n", 30000)), 0o644)

	var tasks []sched.Task
	var want []string
	for rep := range 4 {
		for _, item := range trickyItems {
			tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"printf", "%s|", item}})
			want = append(want, item+"|")
			tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"sh", "-c", `printf '%s' "$1"`, "sh", item}})
			want = append(want, item)
		}
		tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"sh", "-c", `printf '%s' "$LITHOPS_TEST_ENV"`}})
		want = append(want, "a b'c $X")
		tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"cat", "data.txt"}})
		want = append(want, string(content))
		tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"wc", "-l"},
			Stdin: &sched.Input{File: &sched.Range{Path: input, Offset: int64(rep) * 30000, Length: 30000, Size: 150000, Newline: true}}})
		want = append(want, "6000\n")
		tasks = append(tasks, sched.Task{Index: len(tasks), Argv: []string{"wc", "-l"},
			Stdin: &sched.Input{Object: &sched.Range{Storage: "logs", Path: "in/rows", Offset: int64(rep) * 25000, Length: 25000, Size: 100000, Newline: true}}})
		want = append(want, "6250\n")
	}
	job := &sched.Job{Name: "tricky", Tasks: tasks, Files: []sched.File{{Name: "data.txt", Source: data, Digest: "sha256:" + digest, Mode: 0o644}}}
	finals := map[int]sched.Result{}
	if _, err := sched.Run(context.Background(), fl, job, sched.Hooks{Result: func(r sched.Result, final bool) {
		if final {
			finals[r.Index] = r
		}
	}}); err != nil {
		t.Fatal(err)
	}
	perHost := map[string]int{}
	var gotOut []string
	for i := range tasks {
		r := finals[i]
		if !r.OK() {
			t.Errorf("task %d %q failed: %+v", i, tasks[i].Argv, r)
		}
		gotOut = append(gotOut, string(r.Stdout))
		host, _, _ := strings.Cut(r.Worker, "/")
		perHost[host]++
	}
	if diff := cmp.Diff(want, gotOut); diff != "" {
		t.Errorf("wrong outputs (-want +got):\n%s", diff)
	}
	for _, h := range f.Hosts {
		if perHost[h.Spec()] == 0 {
			t.Errorf("no task ran on %s (per host: %v)", h.Spec(), perHost)
		}
		// The job file is in each host's cache, once.
		if _, err := os.Stat(filepath.Join(h.Home, ".lithops", "cache", digest)); err != nil {
			t.Errorf("job file not cached on %s: %v", h.Spec(), err)
		}
	}
}

// sleepers are n tasks that each take a moment and print their index.
func sleepers(n int) []sched.Task {
	tasks := make([]sched.Task, n)
	for i := range tasks {
		tasks[i] = sched.Task{Index: i, Argv: []string{"sh", "-c", `sleep 0.2; echo "$1"`, "sh", strconv.Itoa(i)}}
	}
	return tasks
}

// checkSleepers checks that every task finished once, with its output.
func checkSleepers(t *testing.T, n int, finals map[int]sched.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(finals) != n {
		t.Errorf("%d tasks decided, want %d", len(finals), n)
	}
	for i := range n {
		if r := finals[i]; !r.OK() || string(r.Stdout) != strconv.Itoa(i)+"\n" {
			t.Errorf("task %d: %+v", i, r)
		}
	}
}

// TestFleetFaults: a host that dies mid-job (its sshd and everything it
// ran killed), and one whose link is cut mid-job, take their invocations
// down; the scheduler runs those tasks on the hosts left, and every task
// finishes exactly once. The worker behind the cut link exits on its own
// (it hears no heartbeat), and the host, once its link is back, is
// connected again.
func TestFleetFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(f *testhosts.Fleet, i int)
	}{
		{name: "sshd killed", fault: (*testhosts.Fleet).KillSSHD},
		{name: "link cut", fault: (*testhosts.Fleet).CutLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testhosts.Start(t, 3)
			b := testBackend(t)
			body := fleetBody(t, f, `worker_processes = 2`)
			fl := openFleet(t, b, body, bootstrapAll(t, b, body), &events{})
			ev := &events{}
			fl.events = ev.add
			victim := f.Hosts[1]

			const n = 120
			var once sync.Once
			results := 0
			finals, err := runJob(t, fl, sleepers(n), func(r sched.Result) {
				results++ // Hooks are never called concurrently
				if results == 20 {
					once.Do(func() { go tt.fault(f, 1) })
				}
			})
			checkSleepers(t, n, finals, err)
			waitFor(t, "the victim to be reported lost", func() bool {
				return slices.Contains(ev.states(victim.Spec()), victim.Spec()+" lost")
			})
			// The victim's tasks in flight were launched again elsewhere.
			relaunched := 0
			for _, r := range finals {
				if r.Attempt > 1 {
					relaunched++
					if strings.HasPrefix(r.Worker, victim.Spec()+"/") {
						t.Errorf("task %d relaunched on the lost host: %+v", r.Index, r)
					}
				}
			}
			if relaunched == 0 {
				t.Error("no task was relaunched: the fault hit no task in flight")
			}
			if got := fl.Capacity(); got != 4 && tt.name == "sshd killed" {
				t.Errorf("capacity %d after losing a host, want 4", got)
			}
			if tt.name != "link cut" {
				return
			}
			waitFor(t, "the worker behind the cut link to exit", func() bool { return len(workers(t, victim)) == 0 })
			f.RestoreLink(1)
			waitFor(t, "the host to be connected again", func() bool {
				s := ev.states(victim.Spec())
				return len(s) > 0 && s[len(s)-1] == victim.Spec()+" ready"
			})
			if got := fl.Capacity(); got != 6 {
				t.Errorf("capacity %d once the host is back, want 6", got)
			}
			finals, err = runJob(t, fl, sleepers(12), nil)
			checkSleepers(t, 12, finals, err)
		})
	}
}

// TestFleetUnreachableHosts: a host down when the fleet opens is reported
// unreachable and the others run the job; with none up, Open fails and
// says why for each host.
func TestFleetUnreachableHosts(t *testing.T) {
	f := testhosts.Start(t, 3)
	b := testBackend(t)
	body := fleetBody(t, f, `worker_processes = 2`)
	states := bootstrapAll(t, b, body)
	f.KillSSHD(2)

	ev := &events{}
	fl := openFleet(t, b, body, states, ev)
	down := f.Hosts[2].Spec()
	if s := ev.states(down); !slices.Contains(s, down+" unreachable") {
		t.Errorf("events of the host that is down: %q, want it unreachable", s)
	}
	if got := fl.Capacity(); got != 4 {
		t.Errorf("capacity %d, want 4", got)
	}
	finals, err := runJob(t, fl, sleepers(20), nil)
	checkSleepers(t, 20, finals, err)
	fl.Close(context.Background())

	f.KillSSHD(0)
	f.KillSSHD(1)
	_, err = b.Open(context.Background(), providers.OpenExecutorRequest{Name: "lab", Body: body, Resources: states})
	if err == nil {
		t.Fatal("a fleet with no host up opened")
	}
	want := fmt.Sprintf("none of its 3 hosts could be reached: ssh %s: ", f.Hosts[0].Spec())
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q, want it to start with %q and say the connection was refused", err, want)
	}
}

// TestFleetNotBootstrapped: a host without a bootstrap in the state is
// reported, and the fleet runs on the others.
func TestFleetNotBootstrapped(t *testing.T) {
	f := testhosts.Start(t, 2)
	b := testBackend(t)
	body := fleetBody(t, f, `worker_processes = 1`)
	states := bootstrapAll(t, b, body)
	delete(states, resourceName(f.Hosts[1].Spec()))
	ev := &events{}
	fl := openFleet(t, b, body, states, ev)
	if fl.Capacity() != 1 {
		t.Errorf("capacity %d, want 1", fl.Capacity())
	}
	found := false
	for _, e := range ev.evs {
		if e.Host == f.Hosts[1].Spec() && e.State == "unreachable" && strings.Contains(e.Detail, "not bootstrapped") {
			found = true
		}
	}
	if !found {
		t.Errorf("no unreachable event saying the host is not bootstrapped: %+v", ev.evs)
	}
}
