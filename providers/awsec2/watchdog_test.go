package awsec2

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The idle watchdog cannot power this machine off in a test, and systemd
// and cloud-init do not run here. These tests run the script itself with
// a made-up /proc, a made-up clock and a power-off command that leaves a
// mark; TestWatchdogSeesRealWorkers runs it against the real /proc. The
// fleet tests run it on the test hosts, where its power-off powers the
// fake instance off.

// watchdogRun runs the script once ("check") with env added.
func watchdogRun(t *testing.T, dir string, env ...string) (string, int) {
	t.Helper()
	script := filepath.Join(dir, "watchdog")
	if err := os.WriteFile(script, []byte(watchdog), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script, "check")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return strings.TrimSpace(string(out)), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out)), 0
}

// proc is a process of the made-up /proc.
type proc struct {
	uid  int
	argv []string
}

func fakeProc(t *testing.T, dir string, procs []proc) {
	t.Helper()
	os.RemoveAll(dir)
	for i, p := range procs {
		pd := filepath.Join(dir, strconv.Itoa(100+i))
		os.MkdirAll(pd, 0o755)
		status := "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" + strconv.Itoa(p.uid) + "\t" + strconv.Itoa(p.uid) + "\t" + strconv.Itoa(p.uid) + "\t" + strconv.Itoa(p.uid) + "\n"
		os.WriteFile(filepath.Join(pd, "status"), []byte(status), 0o644)
		os.WriteFile(filepath.Join(pd, "cmdline"), []byte(strings.Join(p.argv, "\x00")+"\x00"), 0o644)
	}
	// Not a process: ignored.
	os.MkdirAll(filepath.Join(dir, "sys"), 0o755)
}

func TestWatchdogPowersOffAfterIdle(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(me.Uid)
	dir := t.TempDir()
	procDir, nowFile, mark := filepath.Join(dir, "proc"), filepath.Join(dir, "now"), filepath.Join(dir, "powered-off")
	env := []string{
		"LITHOPS_IDLE_SECONDS=60", "LITHOPS_IDLE_USER=" + me.Username, "LITHOPS_IDLE_STATE=" + filepath.Join(dir, "state"),
		"LITHOPS_IDLE_PROC=" + procDir, "LITHOPS_IDLE_NOW=" + nowFile, "LITHOPS_IDLE_POWEROFF=touch " + mark,
	}
	worker := proc{uid, []string{"/home/ubuntu/.lithops/bin/lithops-0123456789abcdef", "worker", "-processes", "2"}}
	steps := []struct {
		name   string
		now    int
		procs  []proc
		want   string
		status int
	}{
		{"the first look starts the idle time", 1000, nil, "idle 0s of 60s", 0},
		{"another user's worker does not count", 1030, []proc{{uid + 1, worker.argv}}, "idle 30s of 60s", 0},
		{"nor do programs named like lithops", 1035, []proc{{uid, []string{"/usr/bin/notlithops"}}, {uid, []string{"lithops2"}}, {uid, nil}}, "idle 35s of 60s", 0},
		{"a worker makes it busy", 1040, []proc{{uid, []string{"sshd: ubuntu"}}, worker}, "busy", 0},
		{"a bare lithops too", 1045, []proc{{uid, []string{"lithops", "worker"}}}, "busy", 0},
		{"idle counts from the last worker seen", 1100, nil, "idle 55s of 60s", 0},
		{"a task's own process is not a worker", 1104, []proc{{uid, []string{"sleep", "100"}}}, "idle 59s of 60s", 0},
		{"idle long enough: power off", 1105, nil, "poweroff", 3},
	}
	for _, s := range steps {
		fakeProc(t, procDir, s.procs)
		os.WriteFile(nowFile, []byte(strconv.Itoa(s.now)+"\n"), 0o644)
		got, status := watchdogRun(t, dir, env...)
		if got != s.want || status != s.status {
			t.Fatalf("%s: got %q (exit %d), want %q (exit %d)", s.name, got, status, s.want, s.status)
		}
		_, err := os.Stat(mark)
		if off := err == nil; off != (s.want == "poweroff") {
			t.Fatalf("%s: powered off is %v", s.name, off)
		}
	}

	// A power-off that fails says so, and the next look tries again.
	os.Remove(mark)
	env = append(env, "LITHOPS_IDLE_POWEROFF=false")
	if got, status := watchdogRun(t, dir, env...); got != "poweroff" || status != 4 {
		t.Errorf("failed power-off: got %q (exit %d), want poweroff (exit 4)", got, status)
	}
}

func TestWatchdogSettings(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"LITHOPS_IDLE_USER=root"}, "LITHOPS_IDLE_SECONDS is not set"},
		{[]string{"LITHOPS_IDLE_SECONDS=60"}, "LITHOPS_IDLE_USER is not set"},
		{[]string{"LITHOPS_IDLE_SECONDS=60", "LITHOPS_IDLE_USER=no-such-user-here"}, "no user no-such-user-here"},
	} {
		script := filepath.Join(dir, "watchdog")
		os.WriteFile(script, []byte(watchdog), 0o755)
		cmd := exec.Command("sh", script, "check")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LITHOPS_IDLE_STATE=" + filepath.Join(dir, "state")}, tt.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("with %v: %v, %q; want a failure saying %q", tt.env, err, out, tt.want)
		}
	}
}

// The watchdog reads the real /proc: a running program named lithops-*
// of the user is a worker.
func TestWatchdogSeesRealWorkers(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	// As root, the worker runs as nobody, whom no other test's lithops
	// processes run as; otherwise as this user.
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if me.Uid == "0" {
		if nobody, err := user.Lookup("nobody"); err == nil {
			uid, _ := strconv.Atoi(nobody.Uid)
			gid, _ := strconv.Atoi(nobody.Gid)
			me, cred = nobody, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
	}
	dir := t.TempDir()
	// nobody runs the fake worker from here.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	bin, _ := os.ReadFile(sleep)
	fake := filepath.Join(dir, "lithops-0123456789abcdef")
	os.WriteFile(fake, bin, 0o755)
	env := []string{"LITHOPS_IDLE_SECONDS=3600", "LITHOPS_IDLE_USER=" + me.Username, "LITHOPS_IDLE_STATE=" + filepath.Join(dir, "state"), "LITHOPS_IDLE_POWEROFF=false"}

	if got, _ := watchdogRun(t, dir, env...); strings.HasPrefix(got, "busy") {
		t.Skipf("a lithops worker of %s already runs on this machine", me.Username)
	}
	cmd := exec.Command(fake, "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// The new process's cmdline is readable once it has exec'd.
	for range 100 {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline"); strings.HasPrefix(string(b), fake) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, status := watchdogRun(t, dir, env...); got != "busy" || status != 0 {
		t.Errorf("with a worker running: got %q (exit %d), want busy", got, status)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if got, status := watchdogRun(t, dir, env...); !strings.HasPrefix(got, "idle ") || status != 0 {
		t.Errorf("after the worker ended: got %q (exit %d), want idle", got, status)
	}
}
