package vm

import (
	"context"
	"fmt"
	"sort"

	"lithops/objstore"
	"lithops/providers"
	"lithops/remote"
	"lithops/sched"
)

// Machine is a host that another backend made, a cloud instance: where it
// is, the key that logs in, and the one host key it may present (the key
// generated when it was created, so there is no known_hosts entry to
// trust). Cloud fleet backends (aws_ec2) install the worker on their
// machines and dispatch jobs to them through Install and OpenFleet,
// exactly as the vm backend does with the hosts of its block.
type Machine struct {
	// Name names the machine in host events and errors.
	Name string
	Host remote.Host
	// KeyFile is the private key that logs in.
	KeyFile string
	// HostKey is the machine's host key, in authorized_keys form.
	HostKey string
}

func (m Machine) attrs() bootstrapAttrs {
	return bootstrapAttrs{host: m.Host, keyFile: m.KeyFile, hostKey: m.HostKey}
}

// Installed is a worker binary on a machine, as a vm_bootstrap records it.
type Installed struct {
	// Platform is the machine's "os/arch".
	Platform string
	// Digest is "sha256:…" of the installed binary.
	Digest string
	// RemotePath is where it is: ~/.lithops/bin/lithops-<digest>.
	RemotePath string
}

// Install puts the worker on m as a vm_bootstrap does: this lithops
// (workerDigest is its digest) when m's platform is this build's, else
// binaries[platform] (a local path) whose digest is digests[platform];
// content-addressed, so a binary already there is not sent again; and
// checked to run there.
func (b *Backend) Install(ctx context.Context, m Machine, workerDigest string, binaries, digests map[string]string) (Installed, error) {
	a := m.attrs()
	a.digest, a.binaries = workerDigest, digests
	a, err := (&bootstrap{b: b, binaries: binaries}).install(ctx, a)
	if err != nil {
		return Installed{}, err
	}
	return Installed{Platform: a.platform, Digest: a.binDigest, RemotePath: a.remotePath}, nil
}

// Present reports whether the worker binary at remotePath is still on m,
// as a vm_bootstrap's refresh does: true also when m cannot be reached
// (its state is kept), an error for a refused host key or login.
func (b *Backend) Present(ctx context.Context, m Machine, remotePath string) (bool, error) {
	a := m.attrs()
	a.remotePath = remotePath
	resp, err := (&bootstrap{b: b}).read(ctx, a)
	return !resp, err
}

// Uninstall removes what Install put on m, as destroying a vm_bootstrap
// does; name is the resource to forget (lithops state rm) if m is gone for
// good.
func (b *Backend) Uninstall(ctx context.Context, m Machine, remotePath, name string) error {
	a := m.attrs()
	a.remotePath = remotePath
	return (&bootstrap{b: b}).remove(ctx, name, a)
}

// Worker is a machine whose worker is installed.
type Worker struct {
	Machine
	RemotePath string
}

// FleetRequest says which machines a fleet is made of and how their
// workers run.
type FleetRequest struct {
	// Name is the executor's address, "executor.fleet".
	Name    string
	Workers []Worker
	// Processes is the task slots per machine; 0: its CPU count.
	Processes int
	// Env is added to every task's environment.
	Env map[string]string
	// Hosts receives host events; may be nil.
	Hosts func(providers.HostEvent)
	// OpenStore opens the storages that object inputs name.
	OpenStore func(ctx context.Context, name string) (objstore.Store, error)
}

// OpenFleet opens the dispatcher of a fleet of machines, the vm
// executor's: one long-lived worker per machine over one SSH connection,
// lost machines' invocations retried on the others and the machines
// reconnected; see Open.
func (b *Backend) OpenFleet(ctx context.Context, req FleetRequest) (sched.Dispatcher, error) {
	if len(req.Workers) == 0 {
		return nil, fmt.Errorf("%s has no machine with a worker installed: run lithops apply", req.Name)
	}
	s := settings{processes: req.Processes}
	for k, v := range req.Env {
		s.env = append(s.env, k+"="+v)
	}
	sort.Strings(s.env)
	f := &fleet{
		b: b, name: req.Name, timing: b.Timing.withDefaults(),
		events: req.Hosts, open: req.OpenStore, changed: make(chan struct{}),
	}
	if f.events == nil {
		f.events = func(providers.HostEvent) {}
	}
	f.life, f.cancel = context.WithCancel(context.Background())
	for _, w := range req.Workers {
		f.hosts = append(f.hosts, &fleetHost{
			entry: w.Name, addr: w.Host, keyFile: w.KeyFile, hostKey: w.HostKey,
			argv: s.workerArgv(w.RemotePath, f.timing.ClientTimeout),
		})
	}
	resp, err := f.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Name, err)
	}
	return resp.Dispatcher, nil
}
