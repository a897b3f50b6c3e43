package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"lithops/internal/testhosts"
)

// These tests run against real OpenSSH sshd processes started by
// internal/testhosts; they skip (or fail, with LITHOPS_REQUIRE_SSH_HOSTS=1)
// where that is impossible.

// detectWithin bounds how long loss detection may take in these tests,
// whose keepalives (fastKeepalive) notice a dead link within 2.5s. It is a
// generous ceiling for a busy CI machine, not a performance figure.
const detectWithin = 30 * time.Second

func host(t testing.TB, h testhosts.Host) Host {
	t.Helper()
	got, err := ParseHost(h.Spec(), HostDefaults{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func keyConfig(f *testhosts.Fleet) Config {
	return Config{PrivateKeyFiles: []string{f.ClientKey}, KnownHostsFiles: []string{f.KnownHosts}}
}

func fastKeepalive(c Config) Config {
	c.KeepaliveInterval = 500 * time.Millisecond
	c.KeepaliveTimeout = 2 * time.Second
	return c
}

func dialT(t testing.TB, h testhosts.Host, cfg Config) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), host(t, h), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func run(t testing.TB, c *Conn, argv ...string) string {
	t.Helper()
	out, err := c.Output(context.Background(), argv)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// logins counts the logins sshd accepted so far on fleet host i.
func logins(t testing.TB, f *testhosts.Fleet, i int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.Dir, fmt.Sprintf("h%d", i+1), "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("Accepted publickey"))
}

func TestDialProbeUploadStart(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	c := dialT(t, h, keyConfig(f))
	ctx := context.Background()

	info, err := c.Probe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := HostInfo{OS: "linux", Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Home: h.Home, Hostname: h.Hostname}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("wrong host info (-want +got)\n%s", diff)
	}
	if home, err := c.Home(ctx); err != nil || home != h.Home {
		t.Errorf("Home() = %q, %v; want %q", home, err, h.Home)
	}

	data := bytes.Repeat([]byte("lithops\n"), 100_000)
	if err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "~/a/b/data.txt", 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := c.Stat(ctx, "a/b/data.txt")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(len(data)) || fi.Mode().Perm() != 0o640 {
		t.Errorf("uploaded file: size %d mode %v, want %d and 0640", fi.Size(), fi.Mode().Perm(), len(data))
	}
	if got := run(t, c, "sha256sum", h.Home+"/a/b/data.txt"); !strings.HasPrefix(got, sha256hex(data)+" ") {
		t.Errorf("remote sha256sum %q, want %s", got, sha256hex(data))
	}

	// Replacing is atomic; a short source leaves the old file and no
	// temporary behind.
	if err := c.Upload(ctx, strings.NewReader("new"), 3, "a/b/data.txt", 0o600); err != nil {
		t.Fatal(err)
	}
	err = c.Upload(ctx, strings.NewReader("short"), 10, "a/b/data.txt", 0o600)
	if err == nil || !strings.Contains(err.Error(), "source ended after 5 of 10 bytes") {
		t.Errorf("short upload: wrong error %v", err)
	}
	if got := run(t, c, "sh", "-c", "ls -A a/b; cat a/b/data.txt"); got != "data.txt\nnew" {
		t.Errorf("after a failed upload the directory holds %q, want only data.txt with \"new\"", got)
	}

	if err := c.Remove(ctx, "a/b/data.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(ctx, "a/b/data.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat of a removed file: %v, want os.ErrNotExist", err)
	}
	if err := c.Upload(ctx, strings.NewReader("x"), 1, "a/c/d/e", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveAll(ctx, "~/a"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveAll(ctx, "~/a"); err != nil {
		t.Errorf("RemoveAll of a missing dir: %v", err)
	}
	if _, err := c.Stat(ctx, "a"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat after RemoveAll: %v, want os.ErrNotExist", err)
	}
	for _, p := range []string{"~", "/", "."} {
		if err := c.RemoveAll(ctx, p); err == nil || !strings.Contains(err.Error(), "refusing to remove") {
			t.Errorf("RemoveAll(%q): wrong error %v", p, err)
		}
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestStartArgvArrivesExact runs printf '%s\0' remotely through the login
// shells dash (host 0) and bash (host 1) and compares what printf received.
func TestStartArgvArrivesExact(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 2)
	for i, h := range f.Hosts {
		c := dialT(t, h, keyConfig(f))
		shell := run(t, c, "sh", "-c", `getent passwd "$(id -un)" | cut -d: -f7`)
		got := splitNUL([]byte(run(t, c, append([]string{"printf", `%s\0`}, trickyArgs...)...)))
		if diff := cmp.Diff(trickyArgs, got); diff != "" {
			t.Errorf("host %d (login shell %s): wrong arguments (-want +got)\n%s", i, strings.TrimSpace(shell), diff)
		}
	}
}

func TestProcess(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	c := dialT(t, f.Hosts[0], keyConfig(f))
	ctx := context.Background()

	t.Run("stream", func(t *testing.T) {
		p, err := c.Start(ctx, []string{"cat"})
		if err != nil {
			t.Fatal(err)
		}
		s := p.Stream()
		msg := []byte("frame 1\x00\xff")
		if _, err := s.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Errorf("echoed %q, want %q", got, msg)
		}
		s.Close()
		if rest, _ := io.ReadAll(s); len(rest) != 0 {
			t.Errorf("more output after stdin closed: %q", rest)
		}
		if err := p.Wait(); err != nil {
			t.Errorf("Wait: %v", err)
		}
	})
	t.Run("exit status and stderr", func(t *testing.T) {
		_, err := c.Output(ctx, []string{"sh", "-c", "echo boom >&2; exit 3"})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Status != 3 || !strings.HasSuffix(err.Error(), "exit status 3: boom") {
			t.Errorf("wrong error %v", err)
		}
	})
	t.Run("signal", func(t *testing.T) {
		p, err := c.Start(ctx, []string{"sleep", "600"})
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, p.Stderr)
		waitForProcess(t, c, "sleep 600")
		if err := p.Signal(SIGTERM); err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, p.Stdout)
		err = p.Wait()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Signal != "TERM" {
			t.Errorf("Wait after SIGTERM: %v, want killed by signal TERM", err)
		}
	})
	t.Run("context cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		p, err := c.Start(ctx, []string{"sleep", "601"})
		if err != nil {
			t.Fatal(err)
		}
		waitForProcess(t, c, "sleep 601")
		cancel()
		if err := p.Wait(); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after cancel: %v, want context.Canceled", err)
		}
		waitNoProcess(t, c, "sleep 601")
	})
	t.Run("NUL refused", func(t *testing.T) {
		_, err := c.Start(ctx, []string{"echo", "a\x00"})
		if err == nil || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("wrong error %v", err)
		}
	})
}

// waitForProcess waits until the host's user runs a process whose command
// line is cmdline.
func waitForProcess(t *testing.T, c *Conn, cmdline string) {
	t.Helper()
	for range 200 {
		if procs(t, c, cmdline) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%q never started", cmdline)
}

func waitNoProcess(t *testing.T, c *Conn, cmdline string) {
	t.Helper()
	for range 200 {
		if procs(t, c, cmdline) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%q still runs", cmdline)
}

// procs counts the user's processes with command line cmdline, from /proc.
func procs(t *testing.T, c *Conn, cmdline string) int {
	t.Helper()
	script := `n=0; for p in /proc/[0-9]*; do [ -O "$p" ] || continue; ` +
		`[ "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" = "$1 " ] && n=$((n+1)); done; echo $n`
	var n int
	fmt.Sscan(run(t, c, "sh", "-c", script, "sh", cmdline), &n)
	return n
}

func TestUnknownHostRefused(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	cfg := keyConfig(f)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	missing := filepath.Join(t.TempDir(), "nothing", "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	before := logins(t, f, 0)
	fp := fingerprint(t, h.HostKeys[0])
	for _, file := range []string{empty, missing} {
		cfg.KnownHostsFiles = []string{file}
		_, err := Dial(context.Background(), host(t, h), cfg)
		var hke *HostKeyError
		if !errors.As(err, &hke) || hke.Problem != HostKeyUnknown {
			t.Fatalf("Dial with %s: %v, want an unknown host key error", file, err)
		}
		note := ""
		if file == missing {
			note = " (no such file)"
		}
		want := fmt.Sprintf("host key for 127.0.0.1:%d is not in %s%s; add it with: ssh-keyscan -p %d -t ed25519 127.0.0.1 >> %s "+
			"(the host offered ssh-ed25519 %s: check it against the host's own key before trusting it)", h.Port, file, note, h.Port, file, fp)
		if err.Error() != want {
			t.Errorf("wrong error\nwant %s\n got %s", want, err)
		}
	}
	if after := logins(t, f, 0); after != before {
		t.Errorf("sshd accepted %d logins during refused dials", after-before)
	}
}

func fingerprint(t testing.TB, authorizedKey string) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

func newHostKey(t testing.TB) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestChangedHostKeyRefused(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 1)
	h := f.Hosts[0]
	cfg := keyConfig(f)
	// A known_hosts where the host's entry (line 2) holds another key.
	other := newHostKey(t)
	kh := filepath.Join(t.TempDir(), "known hosts")
	lines := "10.231.255.1 " + h.HostKeys[0] + "\n" + h.Addr + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other))) + "\n"
	if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.KnownHostsFiles = []string{kh}
	before := logins(t, f, 0)
	_, err := Dial(context.Background(), host(t, h), cfg)
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Problem != HostKeyChanged {
		t.Fatalf("Dial: %v, want a changed host key error", err)
	}
	want := fmt.Sprintf("host key for %s:22 CHANGED: %s:2 holds ssh-ed25519 %s; the host offered ssh-ed25519 %s; "+
		"possible man-in-the-middle; nothing was run there. If the host was reinstalled, remove the old key with: ssh-keygen -f '%s' -R %s",
		h.Addr, kh, ssh.FingerprintSHA256(other), fingerprint(t, h.HostKeys[0]), kh, h.Addr)
	if err.Error() != want {
		t.Errorf("wrong error\nwant %s\n got %s", want, err)
	}
	if after := logins(t, f, 0); after != before {
		t.Errorf("sshd accepted %d logins during a refused dial", after-before)
	}
}

func TestRevokedHostKeyRefused(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	kh := filepath.Join(t.TempDir(), "known_hosts")
	lines := fmt.Sprintf("[127.0.0.1]:%d %s\n@revoked * %s\n", h.Port, h.HostKeys[0], h.HostKeys[0])
	if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := keyConfig(f)
	cfg.KnownHostsFiles = []string{kh}
	_, err := Dial(context.Background(), host(t, h), cfg)
	want := fmt.Sprintf("host key for 127.0.0.1:%d is REVOKED (ssh-ed25519 %s, @revoked in %s:2); nothing was run there",
		h.Port, fingerprint(t, h.HostKeys[0]), kh)
	if err == nil || err.Error() != want {
		t.Errorf("wrong error\nwant %s\n got %v", want, err)
	}
}

// TestHostKeyAlgorithmsFollowKnownHosts: each host offers ECDSA and ed25519
// keys, and x/crypto alone would pick ECDSA; known_hosts decides instead.
func TestHostKeyAlgorithmsFollowKnownHosts(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	for _, key := range h.HostKeys {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		line := fmt.Sprintf("[127.0.0.1]:%d %s\n", h.Port, key)
		if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := keyConfig(f)
		cfg.KnownHostsFiles = []string{kh}
		c, err := Dial(context.Background(), host(t, h), cfg)
		if err != nil {
			t.Errorf("known_hosts with only %s: %v", strings.Fields(key)[0], err)
			continue
		}
		c.Close()
	}
}

func TestConfiguredHostKey(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	cfg := Config{PrivateKeyFiles: []string{f.ClientKey}}
	for _, key := range h.HostKeys {
		cfg.HostKey = key
		c, err := Dial(context.Background(), host(t, h), cfg)
		if err != nil {
			t.Errorf("HostKey %s: %v", strings.Fields(key)[0], err)
			continue
		}
		c.Close()
	}

	other := newHostKey(t)
	cfg.HostKey = string(ssh.MarshalAuthorizedKey(other))
	_, err := Dial(context.Background(), host(t, h), cfg)
	want := fmt.Sprintf("host key for 127.0.0.1:%d CHANGED: expected ssh-ed25519 %s (the configured host key); the host offered ssh-ed25519 %s; "+
		"possible man-in-the-middle; nothing was run there", h.Port, ssh.FingerprintSHA256(other), fingerprint(t, h.HostKeys[0]))
	if err == nil || err.Error() != want {
		t.Errorf("wrong error\nwant %s\n got %v", want, err)
	}

	// A key type the host does not have: the handshake finds no common
	// algorithm, which is the same refusal.
	rsaKey := "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDHvzz2K2rgqTZgWLz0jiqR3mmyg5PEvYPqXhbyF2VT4Q8FZN8qZEoSJxjuo" +
		"Rpy2xAdTdiLr0aGkYspUyxvpEV0lnqvxRNR2LbOyfdXIiA8OVGP57cCeiHD5ub9QUHKQm4aGF9/lRV6wdm7kg6oUBiWXdAzxbULvKZqePc6xK0U0w=="
	cfg.HostKey = rsaKey
	_, err = Dial(context.Background(), host(t, h), cfg)
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Problem != HostKeyChanged || !strings.Contains(err.Error(), "the host offers none of these key types") {
		t.Errorf("HostKey of a type the host lacks: %v, want a changed host key error", err)
	}
}

func TestAgentAuth(t *testing.T) {
	t.Parallel()
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
	sock := testhosts.ServeAgent(t, keyring)
	cfg := Config{AgentSocket: sock, KnownHostsFiles: []string{f.KnownHosts}}

	_, err = Dial(context.Background(), host(t, h), cfg)
	if err == nil || !strings.Contains(err.Error(), "with the agent's keys (0): ssh: handshake failed: ssh: unable to authenticate") {
		t.Errorf("Dial with an empty agent: wrong error %v", err)
	}

	if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	c := dialT(t, h, cfg)
	if got := run(t, c, "id", "-un"); got != h.User+"\n" {
		t.Errorf("logged in as %q, want %s", got, h.User)
	}

	// A dead agent next to a working key file is not an error.
	cfg = keyConfig(f)
	cfg.AgentSocket = filepath.Join(t.TempDir(), "gone.sock")
	dialT(t, h, cfg)
}

func TestKillSSHDDetected(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 1)
	c := dialT(t, f.Hosts[0], fastKeepalive(keyConfig(f)))
	p, err := c.Start(context.Background(), []string{"sleep", "600"})
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, p.Stdout)
	go io.Copy(io.Discard, p.Stderr)

	f.KillSSHD(0)
	select {
	case <-c.Done():
	case <-time.After(detectWithin):
		t.Fatalf("connection not reported lost %s after the host's sshd died", detectWithin)
	}
	if err := c.Err(); !errors.Is(err, ErrConnLost) {
		t.Errorf("Err() = %v, want ErrConnLost", err)
	}
	if err := p.Wait(); !errors.Is(err, ErrConnLost) {
		t.Errorf("Wait() = %v, want ErrConnLost", err)
	}
}

func TestCutLinkDetected(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 1)
	cfg := fastKeepalive(keyConfig(f))
	c := dialT(t, f.Hosts[0], cfg)
	run(t, c, "true")
	// With default keepalives this one is still up when closed below.
	slow := dialT(t, f.Hosts[0], keyConfig(f))
	if _, err := slow.Home(context.Background()); err != nil {
		t.Fatal(err)
	}

	f.CutLink(0)
	closed := make(chan struct{})
	go func() { slow.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(detectWithin):
		t.Fatalf("Close blocked %s on a cut link", detectWithin)
	}
	if err := slow.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err() after Close on a cut link: %v, want ErrClosed", err)
	}
	select {
	case <-c.Done():
	case <-time.After(detectWithin):
		t.Fatalf("connection not reported lost %s after the link was cut", detectWithin)
	}
	if err := c.Err(); !errors.Is(err, ErrConnLost) || !strings.Contains(err.Error(), "nothing received for 2s, keepalive unanswered") {
		t.Errorf("Err() = %v, want ErrConnLost for an unanswered keepalive", err)
	}
	if _, err := c.Output(context.Background(), []string{"true"}); !errors.Is(err, ErrConnLost) {
		t.Errorf("Output on a lost connection: %v, want ErrConnLost", err)
	}

	f.RestoreLink(0)
	c2 := dialT(t, f.Hosts[0], cfg)
	run(t, c2, "true")
}

// TestFleetConcurrent dials three namespace hosts at once: each is its own
// machine (uname -n) with its own home.
func TestFleetConcurrent(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 3)
	t.Logf("3 hosts up in %s", f.Startup)
	conns := make([]*Conn, len(f.Hosts))
	names := make([]string, len(f.Hosts))
	errs := make([]error, len(f.Hosts))
	var wg sync.WaitGroup
	for i, h := range f.Hosts {
		wg.Go(func() {
			c, err := Dial(context.Background(), host(t, h), keyConfig(f))
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			out, err := c.Output(context.Background(), []string{"uname", "-n"})
			names[i], errs[i] = strings.TrimSpace(string(out)), err
		})
	}
	wg.Wait()
	for i, c := range conns {
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("host %d: %v", i, errs[i])
		}
	}
	var want []string
	for _, h := range f.Hosts {
		want = append(want, h.Hostname)
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("wrong host names (-want +got)\n%s", diff)
	}
	if names[0] == names[1] || names[1] == names[2] || names[0] == names[2] {
		t.Errorf("hosts share a name: %q", names)
	}

	ctx := context.Background()
	if err := conns[0].Upload(ctx, strings.NewReader("mine"), 4, "~/only-on-0", 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[1].Stat(ctx, "~/only-on-0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("host 1 sees host 0's file: %v", err)
	}
}

func TestEnsureBinary(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	h := f.Hosts[0]
	c := dialT(t, h, keyConfig(f))
	ctx := context.Background()

	bin := filepath.Join(t.TempDir(), "lithops")
	content := []byte("#!/bin/sh\necho worker $1\n" + strings.Repeat("#", 1<<20) + "\n")
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	digest := sha256hex(content)
	wantPath := h.Home + "/.lithops/bin/lithops-" + digest[:16]

	p, uploaded, err := EnsureBinary(ctx, c, bin, digest)
	if err != nil || p != wantPath || !uploaded {
		t.Fatalf("first EnsureBinary = %q, %v, %v; want %q, true, nil", p, uploaded, err, wantPath)
	}
	if got := run(t, c, p, "ready"); got != "worker ready\n" {
		t.Errorf("installed binary printed %q", got)
	}
	p, uploaded, err = EnsureBinary(ctx, c, bin, digest)
	if err != nil || p != wantPath || uploaded {
		t.Errorf("second EnsureBinary = %q, %v, %v; want %q, false, nil", p, uploaded, err, wantPath)
	}

	// Same size, other bytes: sent again.
	bad := bytes.Clone(content)
	bad[len(bad)-2] = '!'
	if err := c.Upload(ctx, bytes.NewReader(bad), int64(len(bad)), wantPath, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, uploaded, err := EnsureBinary(ctx, c, bin, digest); err != nil || !uploaded {
		t.Errorf("EnsureBinary over a corrupt copy: uploaded %v, %v; want a new upload", uploaded, err)
	}
	if got := run(t, c, "sha256sum", wantPath); !strings.HasPrefix(got, digest) {
		t.Errorf("after repair the file's digest is %q", got)
	}

	// A digest that does not match the file: nothing takes that name.
	wrong := sha256hex([]byte("something else"))
	_, _, err = EnsureBinary(ctx, c, bin, wrong)
	if err == nil || !strings.Contains(err.Error(), "has SHA-256 "+digest+", not "+wrong) {
		t.Errorf("EnsureBinary with a wrong digest: %v", err)
	}
	if got := run(t, c, "ls", "-A", h.Home+"/.lithops/bin"); got != "lithops-"+digest[:16]+"\n" {
		t.Errorf("bin dir holds %q after a refused install", got)
	}
	if _, _, err := EnsureBinary(ctx, c, bin, "ABC"); err == nil {
		t.Error("EnsureBinary accepted digest ABC")
	}
}

func TestCloseEndsConnection(t *testing.T) {
	t.Parallel()
	f := testhosts.Local(t)
	c := dialT(t, f.Hosts[0], keyConfig(f))
	if err := c.Err(); err != nil {
		t.Fatalf("Err() on a live connection: %v", err)
	}
	c.Close()
	<-c.Done()
	if err := c.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err() after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Stat(context.Background(), "~"); !errors.Is(err, ErrClosed) {
		t.Errorf("Stat after Close: %v, want ErrClosed", err)
	}
}

// TestSlowLinkIsNotLost uploads over a link shaped to 4 Mbit/s with a deep
// queue: keepalive replies wait behind megabytes of queued data for longer
// than the keepalive timeout, yet the host is alive and answering, so the
// connection must stay up.
func TestSlowLinkIsNotLost(t *testing.T) {
	t.Parallel()
	f := testhosts.Start(t, 1)
	c := dialT(t, f.Hosts[0], fastKeepalive(keyConfig(f)))
	f.SlowLink(0, "4mbit")
	data := bytes.Repeat([]byte{0x5a}, 3<<20)
	if err := c.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "big", 0o600); err != nil {
		t.Fatalf("upload over a slow link: %v", err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("connection reported lost on a slow, live link: %v", err)
	}
	f.RestoreLink(0)
}
