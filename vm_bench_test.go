package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lithops/internal/testhosts"
)

// BenchEnv turns on TestVMBenchmarkVsParallel.
const benchSSHEnv = "LITHOPS_BENCH_SSH"

// TestVMBenchmarkVsParallel runs the same 1,000 short commands on the same
// three SSH hosts (2 slots each) twice: through `lithops apply` with a vm
// executor (bootstrapped beforehand, so the figure is the job's: plan,
// connecting, 1,000 tasks, state), and through GNU parallel --sshlogin with
// the same key and known_hosts (an ssh login per task, as parallel does).
// It prints both wall times and the ratio. It runs only with
// LITHOPS_BENCH_SSH=1, as root, where the test hosts can run:
//
//	LITHOPS_BENCH_SSH=1 go test -run TestVMBenchmarkVsParallel -v -count=1 .
//
// LITHOPS_BENCH_SSH_TASKS overrides the number of tasks.
func TestVMBenchmarkVsParallel(t *testing.T) {
	if os.Getenv(benchSSHEnv) != "1" {
		t.Skipf("a benchmark: set %s=1 to run it", benchSSHEnv)
	}
	parallel, err := exec.LookPath("parallel")
	if err != nil {
		t.Fatalf("GNU parallel is needed for the comparison: %v", err)
	}
	n := 1000
	if s := os.Getenv(benchSSHEnv + "_TASKS"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("%s_TASKS=%q is not a positive number", benchSSHEnv, s)
		}
	}
	f := testhosts.Start(t, 3)
	bin := lithopsBinary(t)
	dir := t.TempDir()

	// Bootstrap first: installing the worker is a one-off, not per job.
	job := func(cmd string, n int) string {
		return fmt.Sprintf(`
job "bench" {
  executor = executor.fleet
  map {
    over    = range(%d)
    command = [%q, each.value]
  }
}
`, n, cmd)
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, job("true", 1))), 0o644)
	vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, job("echo", n))), 0o644)

	start := time.Now()
	out := vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	lithopsTime := time.Since(start)
	if !strings.Contains(out, fmt.Sprintf("%d tasks, 0 retried, 0 failed", n)) {
		t.Fatalf("lithops did not run the %d tasks:\n%s", n, out)
	}

	var logins []string
	for _, h := range f.Hosts {
		logins = append(logins, "2/"+h.User+"@"+h.Addr)
	}
	ssh := fmt.Sprintf("ssh -i %s -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes",
		f.ClientKey, f.KnownHosts)
	args := []string{"--will-cite", "--ssh", ssh, "--sshlogin", strings.Join(logins, ","), "echo", "{}", ":::"}
	for i := range n {
		args = append(args, strconv.Itoa(i))
	}
	cmd := exec.Command(parallel, args...)
	start = time.Now()
	pout, err := cmd.CombinedOutput()
	parallelTime := time.Since(start)
	if err != nil {
		t.Fatalf("parallel: %v\n%s", err, pout)
	}
	if lines := strings.Count(string(pout), "\n"); lines != n {
		t.Fatalf("parallel printed %d lines, want %d:\n%s", lines, n, pout)
	}

	t.Logf("%d tasks of `echo N` on 3 SSH hosts, 2 slots each:", n)
	t.Logf("  lithops apply (vm executor): %8.2fs  %7.0f tasks/s", lithopsTime.Seconds(), float64(n)/lithopsTime.Seconds())
	t.Logf("  parallel --sshlogin:         %8.2fs  %7.0f tasks/s", parallelTime.Seconds(), float64(n)/parallelTime.Seconds())
	t.Logf("  lithops is %.1fx parallel's throughput", parallelTime.Seconds()/lithopsTime.Seconds())
}
