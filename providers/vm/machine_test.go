package vm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/testhosts"
	"lithops/remote"
	"lithops/sched"
)

// Machines (hosts another backend made) are verified by the one host key
// they were given, not by known_hosts; Install, Present, OpenFleet and
// Uninstall do for them what a vm_bootstrap and Open do for a block's
// hosts.
func TestMachines(t *testing.T) {
	f := testhosts.Start(t, 2)
	b := testBackend(t) // its home has no known_hosts: only host keys verify
	var machines []Machine
	for i, h := range f.Hosts {
		machines = append(machines, Machine{
			Name:    fmt.Sprintf("instance[%d]", i),
			Host:    remote.Host{User: h.User, Addr: h.Addr, Port: h.Port},
			KeyFile: f.ClientKey,
			HostKey: h.HostKeys[0],
		})
	}
	ctx := context.Background()
	digest := selfDigest(t, b)
	var workers []Worker
	for _, m := range machines {
		in, err := b.Install(ctx, m, digest, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if in.Platform != b.platform() || in.Digest != digest || !strings.HasPrefix(in.RemotePath, "/") {
			t.Errorf("%s: installed %+v", m.Name, in)
		}
		if ok, err := b.Present(ctx, m, in.RemotePath); !ok || err != nil {
			t.Errorf("%s: present %v, %v", m.Name, ok, err)
		}
		workers = append(workers, Worker{Machine: m, RemotePath: in.RemotePath})
	}

	ev := &events{}
	d, err := b.OpenFleet(ctx, FleetRequest{Name: "executor.fleet", Workers: workers, Processes: 2, Env: map[string]string{"X": "y z"}, Hosts: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Capacity(); got != 4 {
		t.Errorf("capacity %d, want 4", got)
	}
	tasks := []sched.Task{
		{Index: 0, Argv: []string{"sh", "-c", `printf '%s' "$X"`}},
		{Index: 1, Argv: []string{"printf", "b"}},
	}
	finals := map[int]string{}
	if _, err := sched.Run(ctx, d, &sched.Job{Name: "j", Tasks: tasks}, sched.Hooks{Result: func(r sched.Result, final bool) {
		if final {
			finals[r.Index] = string(r.Stdout)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"y z", "b"}, []string{finals[0], finals[1]}); diff != "" {
		t.Errorf("wrong outputs (-want +got):\n%s", diff)
	}
	d.Close(ctx)
	if got := ev.states("instance[0]"); !slices.Contains(got, "instance[0] ready") {
		t.Errorf("no ready event for instance[0]: %v", got)
	}

	// A machine presenting another host key is refused: nothing runs there.
	wrong := machines[0]
	wrong.HostKey = f.Hosts[1].HostKeys[0]
	if _, err := b.Install(ctx, wrong, digest, nil, nil); err == nil || !strings.Contains(err.Error(), "CHANGED") {
		t.Errorf("install on a machine with the wrong host key: %v", err)
	}
	if _, err := b.OpenFleet(ctx, FleetRequest{Name: "executor.fleet", Workers: []Worker{{Machine: wrong, RemotePath: workers[0].RemotePath}}}); err == nil {
		t.Error("a fleet opened on a machine with the wrong host key")
	}

	for _, w := range workers {
		if err := b.Uninstall(ctx, w.Machine, w.RemotePath, "executor.fleet.bootstrap"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.Present(ctx, w.Machine, w.RemotePath); ok || err != nil {
			t.Errorf("%s: present after uninstall: %v, %v", w.Name, ok, err)
		}
	}
	if _, err := b.OpenFleet(ctx, FleetRequest{Name: "executor.fleet"}); err == nil || !strings.Contains(err.Error(), "no machine") {
		t.Errorf("a fleet of no machine: %v", err)
	}
}
