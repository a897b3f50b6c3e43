package testhosts

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

//go:embed hosts.sh
var script []byte

// RequireEnv names the variable that turns a skip into a failure.
const RequireEnv = "LITHOPS_REQUIRE_SSH_HOSTS"

// Host is one test host.
type Host struct {
	Addr     string // "10.231.0.11", or "127.0.0.1" for Local
	Port     int
	User     string // a Linux user of this host alone
	Hostname string // what `uname -n` prints on the host
	Home     string
	// HostKeys are the host's public keys in authorized_keys form: [0] is
	// its ed25519 key, the one KnownHosts lists; [1] an ECDSA key it also
	// offers, which a client that lets the server choose would be shown.
	HostKeys []string
}

// Spec is the host as a vm executor's hosts entry: "user@addr:port".
func (h Host) Spec() string {
	return fmt.Sprintf("%s@%s:%d", h.User, h.Addr, h.Port)
}

// Fleet is a set of running test hosts.
type Fleet struct {
	Hosts []Host
	// Dir holds the fleet's keys, configs, logs and homes.
	Dir string
	// ClientKey is the private key every host accepts.
	ClientKey string
	// KnownHosts lists every host's key.
	KnownHosts string
	// Startup is how long bringing the fleet up took.
	Startup time.Duration

	tb     testing.TB
	script string
}

// Available reports why test hosts cannot run here, or nil.
func Available() error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("needs root to start sshd, create users and network namespaces (running as uid %d)", uid)
	}
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ip", "tc", "unshare", "flock", "useradd", "userdel", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (install openssh-server, iproute2, util-linux, passwd)", tool)
		}
	}
	return nil
}

// skipUnlessAvailable skips tb when hosts cannot run, or fails it when
// RequireEnv is set.
func skipUnlessAvailable(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("test SSH hosts: %v; %s=1 requires them", err, RequireEnv)
		}
		tb.Skipf("test SSH hosts: %v; set %s=1 to fail instead of skipping", err, RequireEnv)
	}
}

// Start brings up n hosts, each in its own network namespace behind a
// bridge, reached from the test through 10.231.X.1/24 (X is 0 unless other
// fleets hold it). Odd hosts' users log in to /bin/sh (dash on Debian), even
// ones to bash. The fleet is torn down when tb ends, pass or fail.
func Start(tb testing.TB, n int) *Fleet {
	tb.Helper()
	return start(tb, "up", strconv.Itoa(n))
}

// Local brings up one sshd on 127.0.0.1 at a free port, with its own user.
// It is cheaper than Start; it cannot CutLink.
func Local(tb testing.TB) *Fleet {
	tb.Helper()
	return start(tb, "local")
}

func start(tb testing.TB, mode string, args ...string) *Fleet {
	tb.Helper()
	skipUnlessAvailable(tb)
	f, err := up(tb.TempDir(), mode, args...)
	if f != nil {
		f.tb = tb
		tb.Cleanup(func() {
			if err := f.Down(); err != nil {
				tb.Errorf("%v", err)
			}
		})
	}
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// Up brings up n hosts as Start does, under dir, for a program that is not
// a test (the benchmark harness); the caller tears them down with Down.
// Fault injection (KillSSHD, CutLink, …) is for tests' fleets only.
func Up(dir string, n int) (*Fleet, error) {
	if err := Available(); err != nil {
		return nil, fmt.Errorf("test SSH hosts: %w", err)
	}
	f, err := up(dir, "up", strconv.Itoa(n))
	if err != nil && f != nil {
		if derr := f.Down(); derr != nil {
			err = fmt.Errorf("%w; %w", err, derr)
		}
		return nil, err
	}
	return f, err
}

// Down tears the hosts down: their sshds, users, namespaces and bridge.
func (f *Fleet) Down() error {
	if out, err := f.run("down", f.Dir); err != nil {
		return fmt.Errorf("tear down test hosts: %w\n%s", err, out)
	}
	return nil
}

// up starts hosts.sh's mode under dir. It returns the fleet, to tear down,
// as soon as hosts.sh may have started something, also with an error.
func up(dir, mode string, args ...string) (*Fleet, error) {
	// The hosts' users read their authorized_keys and live under dir.
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()+string(filepath.Separator)) {
			fi, err := os.Stat(d)
			if err != nil {
				return nil, err
			}
			if err := os.Chmod(d, fi.Mode().Perm()|0o111); err != nil {
				return nil, err
			}
		}
	}
	f := &Fleet{Dir: filepath.Join(dir, "fleet"), script: filepath.Join(dir, "hosts.sh")}
	if err := os.WriteFile(f.script, script, 0o755); err != nil {
		return nil, err
	}
	t0 := time.Now()
	argv := append([]string{mode, f.Dir}, args...)
	out, err := f.run(append(argv, strconv.Itoa(os.Getpid()))...)
	if err != nil {
		return f, fmt.Errorf("start test hosts: %w\n%s", err, out)
	}
	f.Startup = time.Since(t0)
	f.ClientKey = filepath.Join(f.Dir, "client_key")
	f.KnownHosts = filepath.Join(f.Dir, "known_hosts")
	hosts, err := readHosts(filepath.Join(f.Dir, "hosts"))
	if err != nil {
		return f, err
	}
	f.Hosts = hosts
	return f, nil
}

// readHosts reads hosts.sh's "ADDR PORT USER HOSTNAME HOME KEY.pub,KEY.pub"
// lines.
func readHosts(file string) ([]Host, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var hosts []Host
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 {
			return nil, fmt.Errorf("%s: bad line %q", file, line)
		}
		port, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s: bad port in %q", file, line)
		}
		h := Host{Addr: f[0], Port: port, User: f[2], Hostname: f[3], Home: f[4]}
		for pub := range strings.SplitSeq(f[5], ",") {
			key, err := os.ReadFile(pub)
			if err != nil {
				return nil, err
			}
			h.HostKeys = append(h.HostKeys, strings.TrimSpace(string(key)))
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

func (f *Fleet) run(args ...string) ([]byte, error) {
	cmd := exec.Command("bash", append([]string{f.script}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = fmt.Errorf("hosts.sh %s: %w", strings.Join(args, " "), err)
	}
	return out.Bytes(), err
}

func (f *Fleet) do(args ...string) {
	if f.tb == nil {
		panic("testhosts: fault injection needs a fleet from Start or Local, not Up")
	}
	f.tb.Helper()
	if out, err := f.run(args...); err != nil {
		f.tb.Fatalf("%v\n%s", err, out)
	}
}

// KillSSHD kills host i's sshd (0-based) and every process it started,
// connections and sessions included, as the host's death would; the TCP
// connections to it are closed by the kernel.
func (f *Fleet) KillSSHD(i int) {
	f.tb.Helper()
	f.do("kill-sshd", f.Dir, strconv.Itoa(i+1))
}

// CutLink takes host i's link down (0-based): packets to and from it are
// dropped, nothing is closed, as when a machine loses power.
func (f *Fleet) CutLink(i int) {
	f.tb.Helper()
	f.do("cut", f.Dir, strconv.Itoa(i+1))
}

// SlowLink shapes traffic towards host i (0-based) to rate ("4mbit") with
// a deep queue, as a slow uplink that buffers.
func (f *Fleet) SlowLink(i int, rate string) {
	f.tb.Helper()
	f.do("slow", f.Dir, strconv.Itoa(i+1), rate)
}

// RestoreLink brings host i's link back up, unshaped.
func (f *Fleet) RestoreLink(i int) {
	f.tb.Helper()
	f.do("restore", f.Dir, strconv.Itoa(i+1))
}

// Boot is what a cloud instance's first boot sets up on a host.
type Boot struct {
	// HostKey is the host's ed25519 private key in OpenSSH PEM form: the
	// key a fleet backend generated and put in the instance's user data.
	HostKey string
	// AuthorizedKeys is the login's authorized_keys file: the key pair's
	// public key.
	AuthorizedKeys string
	// Login is another name for the host's user, e.g. the image's
	// "ubuntu"; empty keeps only the host's own name.
	Login string
	// Init, when set, is a program run as root in the host's namespaces
	// once sshd is up (cloud-init's runcmd); its output goes to
	// Dir/hI/init.log. Halt and the fleet's teardown stop it.
	Init string
}

// Boot boots host i (0-based) anew with b: everything the host ran is
// killed, and its sshd starts again with b's host key, authorized keys and
// login. Unlike the other methods it returns its error rather than failing
// the test, so that it can run outside the test's goroutine (a fake cloud
// booting an instance).
func (f *Fleet) Boot(i int, b Boot) error {
	dir, err := os.MkdirTemp(f.Dir, "boot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, auth := filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(key, []byte(b.HostKey), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(auth, []byte(b.AuthorizedKeys), 0o644); err != nil {
		return err
	}
	args := []string{"boot", f.Dir, strconv.Itoa(i + 1), key, auth, b.Login}
	if b.Init != "" {
		args = append(args, b.Init)
	}
	if out, err := f.run(args...); err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// Halt stops host i (0-based) as a machine that powers off: its sshd and
// everything it ran are killed. Like Boot, it returns its error.
func (f *Fleet) Halt(i int) error {
	if out, err := f.run("kill-sshd", f.Dir, strconv.Itoa(i+1)); err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}
