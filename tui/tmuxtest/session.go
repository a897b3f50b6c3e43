package tmuxtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Options describe the command and its terminal.
type Options struct {
	// Command is the program and its arguments.
	Command []string
	// Env is added to the command's environment (KEY=VALUE).
	Env []string
	// Dir is the working directory; default the test's.
	Dir string
	// Width and Height are the terminal's size; default 80x24.
	Width, Height int
}

// Session is a command running in a tmux pane.
type Session struct {
	t      testing.TB
	tmux   string
	socket string
	name   string
	status string // file the exit status is written to
}

// session is the tmux session's name on the private server.
const session = "lithops"

// config keeps the pane after the command exits (to read its last screen),
// drops the status line (the pane is the whole terminal), keeps a long
// history for Scrollback, and runs commands with sh.
const config = `set -g remain-on-exit on
set -g status off
set -g history-limit 20000
set -g default-shell /bin/sh
`

// Available reports whether tmux is installed.
func Available() bool {
	_, err := exec.LookPath("tmux")
	return err == nil
}

// Start runs o.Command in a new detached tmux session of the given size on a
// private server, which is killed when the test ends. It skips the test
// when tmux is not installed.
func Start(t testing.TB, o Options) *Session {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: this real-terminal test needs it (CI installs it; apt-get install tmux)")
	}
	if len(o.Command) == 0 {
		t.Fatal("tmuxtest: no command")
	}
	if o.Width <= 0 {
		o.Width = 80
	}
	if o.Height <= 0 {
		o.Height = 24
	}
	// Unix socket paths are short (108 bytes): a temp dir of our own, not
	// t.TempDir's long test-named path.
	dir, err := os.MkdirTemp("", "tmuxtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Session{t: t, tmux: tmux, socket: filepath.Join(dir, "sock"), name: session,
		status: filepath.Join(dir, "status")}

	args := []string{"-f", conf, "new-session", "-d", "-s", session,
		"-x", strconv.Itoa(o.Width), "-y", strconv.Itoa(o.Height)}
	if o.Dir != "" {
		args = append(args, "-c", o.Dir)
	}
	for _, kv := range o.Env {
		args = append(args, "-e", kv)
	}
	// The shell, not tmux, collects the exit status: tmux 3.3 under load was
	// seen to leave an exited pane's process unreaped, its status unknown.
	tmp := s.status + ".tmp"
	args = append(args, shellJoin(o.Command)+"; echo $? > "+shellJoin([]string{tmp})+" && mv "+shellJoin([]string{tmp, s.status}))
	if _, err := s.run(args...); err != nil {
		t.Fatalf("start tmux: %v", err)
	}
	t.Cleanup(func() { _, _ = s.run("kill-server") })
	return s
}

// run runs a tmux command on the session's server.
func (s *Session) run(args ...string) (string, error) {
	cmd := exec.Command(s.tmux, append([]string{"-u", "-S", s.socket}, args...)...)
	// The pane is a person's terminal: no TMUX of an outer session, and no
	// CI variable of the machine running the tests (lithops prints plain
	// lines when CI is set, which is what CI runners export).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") && !strings.HasPrefix(kv, "CI=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LANG=C.UTF-8")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Screen is the visible pane, trailing blank lines dropped.
func (s *Session) Screen() string {
	s.t.Helper()
	out, err := s.run("capture-pane", "-p", "-t", s.name)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimRight(out, "\n")
}

// Scrollback is the pane's history and visible screen, trailing blank lines
// dropped: everything the command left in the terminal.
func (s *Session) Scrollback() string {
	s.t.Helper()
	out, err := s.run("capture-pane", "-p", "-S", "-", "-E", "-", "-t", s.name)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimRight(out, "\n")
}

// SendKeys types keys in tmux's notation ("q", "C-c", "Enter").
func (s *Session) SendKeys(keys ...string) {
	s.t.Helper()
	if _, err := s.run(append([]string{"send-keys", "-t", s.name}, keys...)...); err != nil {
		s.t.Fatal(err)
	}
}

// Resize changes the terminal's size; the command gets SIGWINCH.
func (s *Session) Resize(width, height int) {
	s.t.Helper()
	if _, err := s.run("resize-window", "-t", s.name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)); err != nil {
		s.t.Fatal(err)
	}
}

// poll is how often the waits look at the pane.
const poll = 20 * time.Millisecond

// WaitFor polls the visible screen until ok accepts it and returns that
// screen; after timeout it fails the test, showing the last screen. The
// timeout bounds a hang; it is not a performance assertion.
func (s *Session) WaitFor(timeout time.Duration, what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := s.Screen()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tmuxtest: no %s within %v; the screen:\n%s", what, timeout, screen)
		}
		time.Sleep(poll)
	}
}

// WaitForText waits until the visible screen contains text.
func (s *Session) WaitForText(timeout time.Duration, text string) string {
	s.t.Helper()
	return s.WaitFor(timeout, fmt.Sprintf("%q", text), func(screen string) bool { return strings.Contains(screen, text) })
}

// Wait waits until the command has exited and returns its exit status
// (128 plus the signal's number when a signal killed it, as the shell
// reports it).
func (s *Session) Wait(timeout time.Duration) int {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(s.status)
		if err == nil {
			status, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				s.t.Fatalf("tmuxtest: exit status file holds %q", b)
			}
			return status
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tmuxtest: the command did not exit within %v; the screen:\n%s", timeout, s.Screen())
		}
		time.Sleep(poll)
	}
}

// shellJoin quotes args for the shell tmux runs the command with.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
