package testhosts

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFleetUpAndDown brings up a namespace fleet and a local host, checks
// what a test relies on, and that teardown (run twice: once here, once by
// the cleanup) removes every namespace and user.
func TestFleetUpAndDown(t *testing.T) {
	f := Start(t, 2)
	l := Local(t)
	t.Logf("namespace fleet of 2 up in %s, local host in %s", f.Startup, l.Startup)
	if len(f.Hosts) != 2 || len(l.Hosts) != 1 {
		t.Fatalf("got %d and %d hosts, want 2 and 1", len(f.Hosts), len(l.Hosts))
	}
	for _, h := range append(f.Hosts, l.Hosts...) {
		if len(h.HostKeys) != 2 || !strings.HasPrefix(h.HostKeys[0], "ssh-ed25519 ") || !strings.HasPrefix(h.HostKeys[1], "ecdsa-sha2-nistp256 ") {
			t.Errorf("host %s: wrong host keys %q", h.Spec(), h.HostKeys)
		}
		if _, err := os.Stat(h.Home); err != nil {
			t.Errorf("host %s: home: %v", h.Spec(), err)
		}
	}
	if f.Hosts[0].Hostname == f.Hosts[1].Hostname || f.Hosts[0].User == f.Hosts[1].User {
		t.Errorf("hosts share a hostname or user: %+v", f.Hosts)
	}
	known, err := os.ReadFile(f.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(known), "\n"); got != 2 {
		t.Errorf("known_hosts has %d lines, want 2:\n%s", got, known)
	}

	// Up again changes nothing; down removes everything, and again is a no-op.
	f.do("up", f.Dir, "2")
	users := []string{f.Hosts[0].User, f.Hosts[1].User, l.Hosts[0].User}
	ns := strings.TrimSuffix(f.Hosts[0].User, "h1")
	for range 2 {
		f.do("down", f.Dir)
		l.do("down", l.Dir)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), ns) {
		t.Errorf("namespaces of %s left after down:\n%s", ns, out)
	}
	for _, u := range users {
		if err := exec.Command("id", "-u", u).Run(); err == nil {
			t.Errorf("user %s left after down", u)
		}
	}
}
