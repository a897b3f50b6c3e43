package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sleepyConfig declares a job of n tasks that each sleep a little and print
// their item; the marker makes its processes findable in /proc.
func sleepyConfig(n int, marker string) string {
	return fmt.Sprintf(`
executor "local" {
  backend          = "localhost"
  worker_processes = 4
}

job "many" {
  executor = executor.local
  map {
    over    = range(%d)
    command = ["sh", "-c", "sleep 0.02; echo $1", "%s", each.value]
  }
}

output "results" {
  value = job.many.results
}
`, n, marker)
}

// journalLines counts the records an apply has journaled so far.
func journalLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

// processesWith lists live processes whose command line mentions s.
func processesWith(s string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte(s)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			continue // a zombie holds nothing
		}
		out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return out
}

func lithopsCmd(t *testing.T, bin, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

// TestKilledApplyLosesNothing kills lithops apply with SIGKILL in the middle
// of a 1,000-task job: no worker or task process may survive it, and the
// next apply must run only the unfinished tasks and end with every result,
// in order.
func TestKilledApplyLosesNothing(t *testing.T) {
	bin := lithopsBinary(t)
	dir := t.TempDir()
	marker := fmt.Sprintf("killtest-%d", time.Now().UnixNano())
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(sleepyConfig(1000, marker)), 0o644)

	cmd := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "lithops.state.journal")
	deadline := time.Now().Add(2 * time.Minute)
	for journalLines(journal) < 200 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the apply journaled too little in time:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// Workers notice their parent died and take their tasks down with them.
	var left []string
	for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(100 * time.Millisecond) {
		if left = processesWith(marker); len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("processes survived the client:\n%s", strings.Join(left, "\n"))
	}

	plan := lithopsCmd(t, bin, dir, "plan")
	planOut, err := plan.CombinedOutput()
	if err != nil {
		t.Fatalf("plan after the kill: %v\n%s", err, planOut)
	}
	var toRun, unchanged int
	for sc := bufio.NewScanner(bytes.NewReader(planOut)); sc.Scan(); {
		if n, _ := fmt.Sscanf(strings.TrimSpace(sc.Text()), "# job.many will run %d of 1000 tasks (%d unchanged)", &toRun, &unchanged); n == 2 {
			break
		}
	}
	if unchanged < 150 || toRun+unchanged != 1000 {
		t.Fatalf("after the kill the plan should reuse the finished tasks; got %d to run, %d unchanged:\n%s", toRun, unchanged, planOut)
	}
	if !bytes.Contains(planOut, []byte("recovered the lock")) && !bytes.Contains(planOut, []byte("Recovered")) {
		t.Errorf("the next command did not report what it recovered:\n%s", planOut)
	}

	again := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	againOut, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("apply after the kill: %v\n%s", err, againOut)
	}
	if !bytes.Contains(againOut, []byte(fmt.Sprintf("Running %d map tasks", toRun))) {
		t.Errorf("the second apply should run the %d unfinished tasks:\n%s", toRun, againOut)
	}
	res := lithopsCmd(t, bin, dir, "output", "-json", "results")
	js, err := res.Output()
	if err != nil {
		t.Fatalf("output: %v", err)
	}
	var results []string
	if err := json.Unmarshal(js, &results); err != nil {
		t.Fatalf("output is not a list of strings: %v\n%s", err, js)
	}
	if len(results) != 1000 {
		t.Fatalf("got %d results, want 1000", len(results))
	}
	for i, r := range results {
		if r != strconv.Itoa(i) {
			t.Fatalf("result %d is %q, want %q", i, r, strconv.Itoa(i))
		}
	}
}

// TestInterruptedApplyStopsGracefully sends the first Ctrl-C (SIGINT) to an
// apply: it starts no new task, records what finished, exits non-zero, and
// the state is sound for the next apply, which finishes the job.
func TestInterruptedApplyStopsGracefully(t *testing.T) {
	bin := lithopsBinary(t)
	dir := t.TempDir()
	marker := fmt.Sprintf("inttest-%d", time.Now().UnixNano())
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(sleepyConfig(400, marker)), 0o644)

	cmd := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "lithops.state.journal")
	for deadline := time.Now().Add(time.Minute); journalLines(journal) < 50; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the apply journaled too little in time:\n%s", out.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("an interrupted apply exited 0:\n%s", out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the apply did not stop within 30s of Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "stopped") && !strings.Contains(out.String(), "Stopping") {
		t.Errorf("the output does not say the apply stopped:\n%s", out.String())
	}
	if _, err := os.Stat(journal); err == nil {
		t.Errorf("the journal was not folded into the state after a graceful stop")
	}
	if left := processesWith(marker); len(left) > 0 {
		t.Errorf("processes survived the stop:\n%s", strings.Join(left, "\n"))
	}
	again := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if o, err := again.CombinedOutput(); err != nil || !bytes.Contains(o, []byte("Apply complete!")) {
		t.Fatalf("apply after the stop: %v\n%s", err, o)
	}
}

// TestSecondRunFailsFastOnLock runs plan while an apply holds the state:
// plan fails at once naming who holds the lock, since when and for what;
// with -lock-timeout it waits for the apply to finish instead.
func TestSecondRunFailsFastOnLock(t *testing.T) {
	bin := lithopsBinary(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(sleepyConfig(150, "locktest")), 0o644)
	apply := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	var out bytes.Buffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	defer apply.Process.Kill()
	for deadline := time.Now().Add(time.Minute); journalLines(filepath.Join(dir, "lithops.state.journal")) < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the apply did not start:\n%s", out.String())
		}
	}
	start := time.Now()
	plan := lithopsCmd(t, bin, dir, "plan")
	planOut, err := plan.CombinedOutput()
	if err == nil {
		t.Fatalf("plan ran while apply held the lock:\n%s", planOut)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("plan took %s to fail on the lock; it should fail at once", took)
	}
	for _, want := range []string{"the state is locked", "Operation: apply", fmt.Sprintf("(pid %d)", apply.Process.Pid), "Since:", "lithops force-unlock"} {
		if !bytes.Contains(planOut, []byte(want)) {
			t.Errorf("the lock error lacks %q:\n%s", want, planOut)
		}
	}
	wait := lithopsCmd(t, bin, dir, "plan", "-lock-timeout=2m")
	if o, err := wait.CombinedOutput(); err != nil || !bytes.Contains(o, []byte("No changes.")) {
		t.Fatalf("plan -lock-timeout should wait for the apply and then find nothing to do: %v\n%s", err, o)
	}
	if err := apply.Wait(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
}
