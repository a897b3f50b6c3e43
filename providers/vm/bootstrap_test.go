package vm

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"lithops/internal/testhosts"
	"lithops/providers"
	"lithops/sched"
)

// The bootstrap tests run against a real sshd (internal/testhosts); they
// skip where it cannot run, unless LITHOPS_REQUIRE_SSH_HOSTS=1.

// TestBootstrapLifecycle: create installs the binary under the login's
// home, a second create finds it there and sends nothing, read sees it,
// read of a removed binary reports it gone, delete removes the binary and
// what came with it, and deleting again is no error.
func TestBootstrapLifecycle(t *testing.T) {
	f := testhosts.Local(t)
	h := f.Hosts[0]
	b := testBackend(t)
	body := fleetBody(t, f, "")
	ctx := context.Background()
	states := bootstrapAll(t, b, body)
	name := resourceName(h.Spec())
	st := states[name]
	a, err := decodeBootstrap(st)
	if err != nil {
		t.Fatal(err)
	}
	digest := selfDigest(t, b)
	installed := filepath.Join(h.Home, ".lithops", "bin", "lithops-"+strings.TrimPrefix(digest, "sha256:")[:16])
	if a.remotePath != installed || a.binDigest != digest || a.platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("state: remote_path %s, binary_digest %s, platform %s; want %s, %s, %s/%s",
			a.remotePath, a.binDigest, a.platform, installed, digest, runtime.GOOS, runtime.GOARCH)
	}
	before, err := os.Stat(installed)
	if err != nil {
		t.Fatalf("binary not installed: %v", err)
	}

	// Present: a new bootstrap (as after `state rm`) sends nothing.
	again := bootstrapAll(t, b, body)
	after, err := os.Stat(installed)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a bootstrap already present was uploaded again")
	}
	if !again[name].RawEquals(st) {
		t.Errorf("second create recorded %#v, first %#v", again[name], st)
	}

	res := b.BootstrapResource()
	read := func() providers.ReadResponse {
		t.Helper()
		resp, err := res.Read(ctx, providers.ReadRequest{Addr: "executor.lab." + name, State: st})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if r := read(); r.Gone || !r.State.RawEquals(st) {
		t.Errorf("read of a present bootstrap: gone %v, state %#v", r.Gone, r.State)
	}
	if err := os.Remove(installed); err != nil {
		t.Fatal(err)
	}
	if r := read(); !r.Gone {
		t.Error("read of a removed binary does not report it gone")
	}

	// Delete removes the binary, the cache and ~/.lithops.
	bootstrapAll(t, b, body)
	os.MkdirAll(filepath.Join(h.Home, ".lithops", "cache"), 0o755) // as a worker would
	for range 2 {
		if _, err := res.Delete(ctx, providers.DeleteRequest{Addr: "executor.lab." + name, State: st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(h.Home, ".lithops")); !os.IsNotExist(err) {
		t.Errorf("~/.lithops left after delete: %v", err)
	}
}

// TestBootstrapDeleteKeepsOtherBinaries: a login that holds another lithops
// binary (another configuration's) keeps it, and its cache.
func TestBootstrapDeleteKeepsOtherBinaries(t *testing.T) {
	f := testhosts.Local(t)
	h := f.Hosts[0]
	b := testBackend(t)
	st := bootstrapAll(t, b, fleetBody(t, f, ""))[resourceName(h.Spec())]
	other := filepath.Join(h.Home, ".lithops", "bin", "lithops-0123456789abcdef")
	if err := os.WriteFile(other, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(h.Home, ".lithops", "cache"), 0o755)
	if _, err := b.BootstrapResource().Delete(context.Background(), providers.DeleteRequest{State: st}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{other, filepath.Join(h.Home, ".lithops", "cache")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestBootstrapOtherPlatform: a host of another platform than this lithops
// gets the binary worker_binaries names for it, or a clear error saying how
// to provide one. (The host is linux/amd64 like this machine; the backend
// is told it is built for another platform.)
func TestBootstrapOtherPlatform(t *testing.T) {
	f := testhosts.Local(t)
	h := f.Hosts[0]
	host := runtime.GOOS + "/" + runtime.GOARCH
	b := testBackend(t)
	b.Platform = "plan9/mips"
	ctx := context.Background()

	body := fleetBody(t, f, "")
	resp, err := b.Resources(ctx, providers.ExecutorResourcesRequest{Name: "lab", Body: body, WorkerDigest: "sha256:" + strings.Repeat("0", 64)})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Resources[0]
	_, err = r.Resource.Create(ctx, providers.CreateRequest{Planned: planned(r.Config)})
	if err == nil || !strings.Contains(err.Error(), "worker_binaries = { \""+host+"\" = ") {
		t.Fatalf("create on a host of another platform: %v; want the way to give a binary for it", err)
	}
	if _, err := os.Stat(filepath.Join(h.Home, ".lithops", "bin")); !os.IsNotExist(err) {
		t.Errorf("something was installed: %v", err)
	}

	// This test binary is the worker binary for the host's platform.
	body = fleetBody(t, f, `worker_binaries = { "`+host+`" = "`+b.Binary+`" }`)
	resp, err = b.Resources(ctx, providers.ExecutorResourcesRequest{Name: "lab", Body: body, WorkerDigest: "sha256:" + strings.Repeat("0", 64)})
	if err != nil {
		t.Fatal(err)
	}
	r = resp.Resources[0]
	cr, err := r.Resource.Create(ctx, providers.CreateRequest{Planned: planned(r.Config)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := decodeBootstrap(cr.State)
	if a.binDigest != selfDigest(t, b) || a.platform != host {
		t.Errorf("installed %s for %s, want %s for %s", a.binDigest, a.platform, selfDigest(t, b), host)
	}
	if _, err := os.Stat(a.remotePath); err != nil {
		t.Error(err)
	}
}

// TestWrongHostKeyRefused: with a known_hosts file that holds another key
// for the host, or none, read, create, delete and open all fail with the
// host key error, and nothing is installed or run on the host.
func TestWrongHostKeyRefused(t *testing.T) {
	f := testhosts.Local(t)
	h := f.Hosts[0]
	b := testBackend(t)
	ctx := context.Background()
	good := bootstrapAll(t, b, fleetBody(t, f, ""))[resourceName(h.Spec())]
	a, _ := decodeBootstrap(good)
	os.RemoveAll(filepath.Join(h.Home, ".lithops"))

	// Another host's key on record for this one: "CHANGED".
	other := testhosts.Local(t).Hosts[0]
	changed := filepath.Join(t.TempDir(), "known_hosts")
	line := "[127.0.0.1]:" + strconv.Itoa(h.Port) + " " + strings.Join(strings.Fields(other.HostKeys[0])[:2], " ") + "\n"
	os.WriteFile(changed, []byte(line), 0o644)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o644)

	for _, tc := range []struct{ name, knownHosts, want string }{
		{"changed", changed, "CHANGED"},
		{"unknown", empty, "is not in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a
			a.knownHosts = tc.knownHosts
			st := a.value()
			res := b.BootstrapResource()
			check := func(op string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: got %v, want a host key error (%q)", op, err, tc.want)
				}
			}
			_, err := res.Read(ctx, providers.ReadRequest{State: st})
			check("read", err)
			cfg := st.AsValueMap()
			for _, c := range []string{"platform", "binary_digest", "remote_path"} {
				cfg[c] = cty.UnknownVal(cty.String)
			}
			_, err = (&bootstrap{b: b}).Create(ctx, providers.CreateRequest{Planned: cty.ObjectVal(cfg)})
			check("create", err)
			_, err = res.Delete(ctx, providers.DeleteRequest{State: st})
			check("delete", err)
			body := decodeBody(t, `
hosts = ["`+h.Spec()+`"]
ssh {
  private_key_file = "`+f.ClientKey+`"
  known_hosts_file = "`+tc.knownHosts+`"
}`)
			_, err = b.Open(ctx, providers.OpenExecutorRequest{Name: "lab", Body: body, Resources: map[string]cty.Value{resourceName(h.Spec()): good}})
			check("open", err)
			if _, err := os.Stat(filepath.Join(h.Home, ".lithops")); !os.IsNotExist(err) {
				t.Errorf("something was installed on the host: %v", err)
			}
			if w := workers(t, h); len(w) > 0 {
				t.Errorf("workers run on the host: %q", w)
			}
		})
	}
}

// TestAgentAndLocalUser: with no user in the host entry or the ssh block,
// the login is the local user's name (main passes it), and with no
// private_key_file the keys come from the SSH agent (main passes
// SSH_AUTH_SOCK); a job runs that way.
func TestAgentAndLocalUser(t *testing.T) {
	f := testhosts.Local(t)
	h := f.Hosts[0]
	pem, err := os.ReadFile(f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	b := testBackend(t)
	b.User = h.User
	b.AgentSocket = testhosts.ServeAgent(t, keyring)
	body := decodeBody(t, `
hosts = ["`+h.Addr+`:`+strconv.Itoa(h.Port)+`"]
ssh {
  known_hosts_file = "`+f.KnownHosts+`"
}`)
	states := bootstrapAll(t, b, body)
	fl := openFleet(t, b, body, states, &events{})
	finals, err := runJob(t, fl, []sched.Task{{Argv: []string{"id", "-un"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(finals[0].Stdout); got != h.User+"\n" {
		t.Errorf("task ran as %q, want %s", got, h.User)
	}
}
