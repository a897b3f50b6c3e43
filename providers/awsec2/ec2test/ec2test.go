// Package ec2test backs the instances of an EC2 fake (internal/fakeec2)
// with real SSH hosts in network namespaces (internal/testhosts), so that
// an aws_ec2 fleet can be launched, bootstrapped and used end to end in a
// test: an instance given a host's address boots that host the way
// cloud-init would boot the instance, with the host key its user data
// carries, the key pair's public key for the image's login, and, when
// asked, the idle watchdog from its user data, whose power-off powers the
// fake instance off. Terminating the instance halts the host. Hosts is the
// entry point; the awsec2 package's tests and the end-to-end tests of the
// lithops command use it.
package ec2test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lithops/internal/fakeec2"
	"lithops/internal/testhosts"
	"lithops/providers/awsec2"
)

// Hosts is a fakeec2.Host made of a testhosts fleet.
type Hosts struct {
	Fleet *testhosts.Fleet
	// Login is the image's login, which the key pair's key opens
	// (default "ubuntu", as on Ubuntu images).
	Login string
	// Watchdog runs the idle watchdog of each instance's user data on its
	// host, every second, with the settings of its systemd unit; its
	// power-off asks Server to power the instance off.
	Watchdog bool
	// Server is the fake the hosts back; needed with Watchdog.
	Server *fakeec2.Server

	dir  string
	mu   sync.Mutex
	stop map[string]chan struct{} // instance ID → closed when it stops
	errs []error
}

var _ fakeec2.Host = (*Hosts)(nil)

// New returns hosts over fleet; dir receives the instances' init scripts
// and watchdog state.
func New(fleet *testhosts.Fleet, dir string) *Hosts {
	return &Hosts{Fleet: fleet, Login: "ubuntu", dir: dir, stop: map[string]chan struct{}{}}
}

// Addresses is the address pool of a fake whose instances are the fleet's
// hosts: each host's address is both private and public.
func Addresses(f *testhosts.Fleet) []fakeec2.Address {
	out := make([]fakeec2.Address, len(f.Hosts))
	for i, h := range f.Hosts {
		out[i] = fakeec2.Address{Private: h.Addr, Public: h.Addr}
	}
	return out
}

func (h *Hosts) index(inst fakeec2.Instance) (int, error) {
	for i, host := range h.Fleet.Hosts {
		if host.Addr == inst.PrivateIP {
			return i, nil
		}
	}
	return 0, fmt.Errorf("instance %s has address %s, which is no test host's", inst.ID, inst.PrivateIP)
}

// Start boots the instance's host.
func (h *Hosts) Start(ctx context.Context, inst fakeec2.Instance) error {
	i, err := h.index(inst)
	if err != nil {
		return err
	}
	cc, err := awsec2.ParseUserData(inst.UserData)
	if err != nil {
		return fmt.Errorf("instance %s: %w", inst.ID, err)
	}
	boot := testhosts.Boot{HostKey: cc.SSHKeys["ed25519_private"], AuthorizedKeys: inst.PublicKey + "\n", Login: h.Login}
	var poweroff string
	if h.Watchdog {
		boot.Init, poweroff, err = h.watchdog(inst, cc)
		if err != nil {
			return err
		}
	}
	if err := h.Fleet.Boot(i, boot); err != nil {
		return fmt.Errorf("boot instance %s on test host %d: %w", inst.ID, i+1, err)
	}
	if h.Watchdog {
		stop := make(chan struct{})
		h.mu.Lock()
		h.stop[inst.ID] = stop
		h.mu.Unlock()
		go h.awaitPowerOff(inst.ID, poweroff, stop)
	}
	return nil
}

// watchdog writes the init program that runs the instance's watchdog as
// its systemd unit would, and returns it and the file its power-off
// creates.
func (h *Hosts) watchdog(inst fakeec2.Instance, cc awsec2.CloudConfig) (string, string, error) {
	script, ok := cc.File(awsec2.WatchdogPath)
	if !ok {
		return "", "", fmt.Errorf("instance %s: no %s in its user data", inst.ID, awsec2.WatchdogPath)
	}
	dir := filepath.Join(h.dir, inst.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	poweroff := filepath.Join(dir, "poweroff")
	if err := os.WriteFile(filepath.Join(dir, "watchdog"), []byte(script), 0o755); err != nil {
		return "", "", err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, kv := range cc.UnitEnvironment() {
		fmt.Fprintf(&b, "export %s\n", kv)
	}
	fmt.Fprintf(&b, "export LITHOPS_IDLE_INTERVAL=1 LITHOPS_IDLE_STATE=%s LITHOPS_IDLE_POWEROFF='touch %s'\n", filepath.Join(dir, "state"), poweroff)
	fmt.Fprintf(&b, "exec %s loop\n", filepath.Join(dir, "watchdog"))
	init := filepath.Join(dir, "init")
	if err := os.WriteFile(init, []byte(b.String()), 0o755); err != nil {
		return "", "", err
	}
	return init, poweroff, nil
}

// awaitPowerOff powers the instance off when its watchdog says so.
func (h *Hosts) awaitPowerOff(id, file string, stop chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if _, err := os.Stat(file); err == nil {
			if err := h.Server.PowerOff(id); err != nil {
				h.mu.Lock()
				h.errs = append(h.errs, err)
				h.mu.Unlock()
			}
			return
		}
	}
}

// Stop halts the instance's host.
func (h *Hosts) Stop(ctx context.Context, inst fakeec2.Instance) error {
	h.mu.Lock()
	if stop, ok := h.stop[inst.ID]; ok {
		close(stop)
		delete(h.stop, inst.ID)
	}
	h.mu.Unlock()
	i, err := h.index(inst)
	if err != nil {
		return err
	}
	return h.Fleet.Halt(i)
}

// PoweredOff lists the instances whose watchdog powered them off.
func (h *Hosts) PoweredOff() []string {
	var out []string
	entries, _ := os.ReadDir(h.dir)
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(h.dir, e.Name(), "poweroff")); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// Err reports what went wrong powering instances off.
func (h *Hosts) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%v", h.errs)
}
