package fakeec2

import (
	"context"
	"slices"
	"sync"
)

// Host is what an instance runs on. The server calls Start when an
// instance launches and Stop when it goes away, each from its own goroutine
// and outside the server's lock, so a Host may take its time (boot an SSH
// server in a network namespace, say) and may call back into the Server.
//
// The instance is pending until Start returns (plus Options.BootDelay). If
// Start fails, the instance terminates with state reason
// Server.InternalError, as a launch failure does on EC2. Stop is called
// exactly once after a successful Start: when the instance is terminated,
// stopped, powered off, interrupted, or when the server closes. Both get a
// context that is cancelled when the server closes; Start must return
// promptly then.
type Host interface {
	Start(ctx context.Context, inst Instance) error
	Stop(ctx context.Context, inst Instance) error
}

var (
	_ Host = (*MemoryHost)(nil)
	_ Host = HostFuncs{}
)

// MemoryHost is the default Host: nothing runs, it only remembers which
// instances are up, so a test can check that every started host was
// stopped.
type MemoryHost struct {
	mu sync.Mutex
	up map[string]Instance
}

// Start records inst as up.
func (h *MemoryHost) Start(_ context.Context, inst Instance) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.up == nil {
		h.up = map[string]Instance{}
	}
	h.up[inst.ID] = inst
	return nil
}

// Stop records inst as down.
func (h *MemoryHost) Stop(_ context.Context, inst Instance) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.up, inst.ID)
	return nil
}

// Up returns the IDs of the instances that are up, sorted.
func (h *MemoryHost) Up() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.up))
	for id := range h.up {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// HostFuncs is a Host made of functions, for tests that make a host fail,
// block or record; a nil function succeeds.
type HostFuncs struct {
	StartFunc func(ctx context.Context, inst Instance) error
	StopFunc  func(ctx context.Context, inst Instance) error
}

// Start calls StartFunc.
func (h HostFuncs) Start(ctx context.Context, inst Instance) error {
	if h.StartFunc == nil {
		return nil
	}
	return h.StartFunc(ctx, inst)
}

// Stop calls StopFunc.
func (h HostFuncs) Stop(ctx context.Context, inst Instance) error {
	if h.StopFunc == nil {
		return nil
	}
	return h.StopFunc(ctx, inst)
}
