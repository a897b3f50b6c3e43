package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/testhosts"
)

// These tests run the real lithops command (this test binary, see TestMain)
// against a fleet of real OpenSSH hosts in network namespaces
// (internal/testhosts): the vm executor installs this same binary on them
// and runs it there as the worker. They skip where such hosts cannot run,
// unless LITHOPS_REQUIRE_SSH_HOSTS=1.

// vmConfig is a configuration whose executor "fleet" is the fleet's hosts,
// with jobs (HCL) appended.
func vmConfig(f *testhosts.Fleet, knownHosts, jobs string) string {
	var hosts []string
	for _, h := range f.Hosts {
		hosts = append(hosts, fmt.Sprintf("%q", h.Spec()))
	}
	return fmt.Sprintf(`
executor "fleet" {
  backend          = "vm"
  hosts            = [%s]
  worker_processes = 2

  ssh {
    private_key_file = %q
    known_hosts_file = %q
  }
}
%s`, strings.Join(hosts, ", "), f.ClientKey, knownHosts, jobs)
}

// vmRun runs lithops in dir and returns its combined output and error.
func vmRun(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := lithopsCmd(t, bin, dir, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// vmMust runs lithops and fails the test unless it succeeds.
func vmMust(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	out, err := vmRun(t, bin, dir, args...)
	if err != nil {
		t.Fatalf("lithops %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// unwrap joins the lines of wrapped messages: every run of white space
// becomes one space.
func unwrap(s string) string { return strings.Join(strings.Fields(s), " ") }

// installedBinaries lists the lithops binaries installed for a host's login.
func installedBinaries(h testhosts.Host) []string {
	names, _ := filepath.Glob(filepath.Join(h.Home, ".lithops", "bin", "lithops-*"))
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func binaryName(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return "lithops-" + hex.EncodeToString(sum[:])[:16]
}

// outputJSON decodes `lithops output -json NAME`.
func outputJSON(t *testing.T, bin, dir, name string, v any) {
	t.Helper()
	out := vmMust(t, bin, dir, "output", "-json", name)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output %s: %v\n%s", name, err, out)
	}
}

// trickyItems are values a remote shell would mangle if a task's command
// were ever re-parsed by one on its way to the host.
var trickyItems = []string{
	`plain`, `two words`, `it's`, `say "hi"`, `$HOME $(id -u) ${PATH} $1`, "back`tick`",
	"new\nline", `back\slash\n`, `; rm -rf ~ ; echo pwned`, `*.go ? [a-z]`, `~ ~/x`,
	`a|b&c>d<e`, "tab\there", `-n`, ``, `--help`, "ünïcødé ✓", `%s %d %%`,
}

const trickyJob = `
locals {
  items = jsondecode(file("${path.root}/items.json"))
}

job "tricky" {
  executor = executor.fleet
  map {
    over    = local.items
    command = ["printf", "[%s]", each.value]
  }
}

output "tricky" {
  value = job.tricky.results
}
`

// TestVMApplyLifecycle drives a fleet through the CLI: plan shows a
// bootstrap per host; apply installs the worker on each and runs a job
// whose items carry quotes, $, spaces and newlines, arriving byte for byte;
// a bootstrap already on the host is not sent again; a binary removed
// behind lithops' back is drift that the next apply repairs; a new lithops
// build replaces every bootstrap; destroy removes what they installed.
func TestVMApplyLifecycle(t *testing.T) {
	f := testhosts.Start(t, 3)
	bin := lithopsBinary(t)
	dir := t.TempDir()
	items, _ := json.Marshal(trickyItems)
	os.WriteFile(filepath.Join(dir, "items.json"), items, 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, trickyJob)), 0o644)

	out := vmMust(t, bin, dir, "plan")
	for _, h := range f.Hosts {
		if !strings.Contains(out, fmt.Sprintf(`+ executor.fleet.bootstrap[%q]`, h.Spec())) {
			t.Errorf("plan does not create the bootstrap of %s:\n%s", h.Spec(), out)
		}
	}
	for _, want := range []string{"vm_bootstrap", "worker_digest", "remote_path", "(known after apply)", "Plan: 3 to add"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not show %q:\n%s", want, out)
		}
	}

	out = vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	for _, h := range f.Hosts {
		if !strings.Contains(out, h.Spec()+" ready (2 slots)") {
			t.Errorf("apply does not report %s ready:\n%s", h.Spec(), out)
		}
	}
	var got []string
	outputJSON(t, bin, dir, "tricky", &got)
	var want []string
	for _, it := range trickyItems {
		want = append(want, "["+it+"]")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong results (-want +got):\n%s", diff)
	}
	name := binaryName(t, bin)
	for _, h := range f.Hosts {
		if diff := cmp.Diff([]string{name}, installedBinaries(h)); diff != "" {
			t.Errorf("binaries on %s (-want +got):\n%s", h.Spec(), diff)
		}
	}

	// Nothing changed: nothing to do.
	out = vmMust(t, bin, dir, "plan")
	if !strings.Contains(out, "No changes") && !strings.Contains(out, "up to date") {
		t.Errorf("plan after apply:\n%s", out)
	}

	// A bootstrap forgotten by the state but present on the host is
	// recorded again without sending the binary.
	installed := filepath.Join(f.Hosts[0].Home, ".lithops", "bin", name)
	before, _ := os.Stat(installed)
	vmMust(t, bin, dir, "state", "rm", fmt.Sprintf(`executor.fleet.bootstrap[%q]`, f.Hosts[0].Spec()))
	vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if after, err := os.Stat(installed); err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("a binary already on the host was installed again (%v)", err)
	}

	// Drift: the binary removed on one host is installed again.
	victim := f.Hosts[1]
	os.Remove(filepath.Join(victim.Home, ".lithops", "bin", name))
	out = vmMust(t, bin, dir, "plan")
	if !strings.Contains(out, "deleted outside lithops") || !strings.Contains(out, fmt.Sprintf(`executor.fleet.bootstrap[%q]`, victim.Spec())) {
		t.Errorf("plan does not show the removed binary as drift:\n%s", out)
	}
	vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if diff := cmp.Diff([]string{name}, installedBinaries(victim)); diff != "" {
		t.Errorf("binaries on %s after the drift was repaired (-want +got):\n%s", victim.Spec(), diff)
	}

	// A new lithops build (another digest) replaces every bootstrap: the
	// old binary goes, the new one comes, and the job runs on it.
	newBin := filepath.Join(t.TempDir(), "lithops")
	data, _ := os.ReadFile(bin)
	os.WriteFile(newBin, append(data, []byte("another build")...), 0o755)
	newName := binaryName(t, newBin)
	out = vmMust(t, newBin, dir, "plan")
	if !strings.Contains(out, "worker_digest") || !strings.Contains(out, "Plan: 3 to add, 0 to change, 3 to destroy") {
		t.Errorf("plan with a new build does not replace the bootstraps:\n%s", out)
	}
	vmMust(t, newBin, dir, "apply", "-auto-approve", "-no-tui", "-replace=job.tricky")
	for _, h := range f.Hosts {
		if diff := cmp.Diff([]string{newName}, installedBinaries(h)); diff != "" {
			t.Errorf("binaries on %s after a new build (-want +got):\n%s", h.Spec(), diff)
		}
	}
	got = nil
	outputJSON(t, newBin, dir, "tricky", &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong results on the new build (-want +got):\n%s", diff)
	}

	vmMust(t, newBin, dir, "destroy", "-auto-approve", "-no-tui")
	for _, h := range f.Hosts {
		if _, err := os.Stat(filepath.Join(h.Home, ".lithops")); !os.IsNotExist(err) {
			t.Errorf("destroy left ~/.lithops on %s: %v", h.Spec(), err)
		}
	}
}

// TestVMWrongHostKeyRefused: a host whose key is not the one on record is
// refused at apply (nothing is installed) and, once recorded, at plan
// (refreshing its bootstrap) and apply: nothing runs there.
func TestVMWrongHostKeyRefused(t *testing.T) {
	f := testhosts.Start(t, 1)
	bin := lithopsBinary(t)
	dir := t.TempDir()
	h := f.Hosts[0]
	job := `
job "hello" {
  executor = executor.fleet
  map {
    over    = ["a"]
    command = ["echo", each.value]
  }
}
`
	// Unknown: the known_hosts file does not list the host.
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, empty, job)), 0o644)
	out, err := vmRun(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if err == nil || !strings.Contains(unwrap(out), "host key for "+h.Addr+":22 is not in "+empty) {
		t.Errorf("apply with an unknown host key: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(h.Home, ".lithops")); !os.IsNotExist(err) {
		t.Errorf("something was installed on a host with an unknown key: %v", err)
	}

	// Changed: once the bootstrap is recorded, the known_hosts file holds
	// another key for the host, as after the host was reinstalled, or
	// when something else answers at its address.
	known := filepath.Join(t.TempDir(), "known_hosts")
	good, _ := os.ReadFile(f.KnownHosts)
	os.WriteFile(known, good, 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, known, job)), 0o644)
	vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	other := testhosts.Start(t, 1).Hosts[0]
	os.WriteFile(known, []byte(h.Addr+" "+strings.Join(strings.Fields(other.HostKeys[0])[:2], " ")+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, known, strings.ReplaceAll(job, `"a"`, `"b"`))), 0o644)
	for _, cmd := range [][]string{{"plan"}, {"apply", "-auto-approve", "-no-tui"}, {"apply", "-auto-approve", "-no-tui", "-refresh=false"}} {
		out, err := vmRun(t, bin, dir, cmd...)
		if err == nil || !strings.Contains(unwrap(out), "host key for "+h.Addr+":22 CHANGED") {
			t.Errorf("lithops %s with a changed host key: %v\n%s", strings.Join(cmd, " "), err, out)
		}
		if strings.Contains(out, "job.hello: Complete") {
			t.Errorf("lithops %s ran the job on a host with a changed key:\n%s", strings.Join(cmd, " "), out)
		}
	}
}

// applyInBackground starts apply and returns a function that waits for it.
func applyInBackground(t *testing.T, bin, dir string) (*bytes.Buffer, func() error) {
	t.Helper()
	cmd := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return out, cmd.Wait
}

const sleepyJob = `
job "sleepy" {
  executor = executor.fleet
  map {
    over    = range(%d)
    command = ["sh", "-c", "sleep 0.3; echo $1", "task", each.value]
  }
}

output "sleepy" {
  value = job.sleepy.results
}
`

// TestVMHostFaultMidJob: a host that dies (its sshd and everything it ran
// killed) or whose link is cut in the middle of a job is reported lost; its
// tasks run again on the other hosts and the job completes with exactly one
// result per task.
func TestVMHostFaultMidJob(t *testing.T) {
	tests := []struct {
		name  string
		fault func(f *testhosts.Fleet, i int)
	}{
		{name: "sshd killed", fault: (*testhosts.Fleet).KillSSHD},
		{name: "link cut", fault: (*testhosts.Fleet).CutLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 90
			f := testhosts.Start(t, 3)
			bin := lithopsBinary(t)
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, fmt.Sprintf(sleepyJob, n))), 0o644)
			out, wait := applyInBackground(t, bin, dir)
			journal := filepath.Join(dir, "lithops.state.journal")
			for deadline := time.Now().Add(2 * time.Minute); journalLines(journal) < 20; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the apply journaled too little in time:\n%s", out)
				}
			}
			tt.fault(f, 1)
			if err := wait(); err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			if !strings.Contains(out.String(), f.Hosts[1].Spec()+" lost") {
				t.Errorf("apply does not report the host lost:\n%s", out)
			}
			var got []string
			outputJSON(t, bin, dir, "sleepy", &got)
			var want []string
			for i := range n {
				want = append(want, fmt.Sprint(i))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wrong results (-want +got):\n%s", diff)
			}
			job := readJob(t, dir, "job.sleepy")
			if !job.Complete || len(job.Tasks) != n {
				t.Errorf("state: job complete %v with %d task records, want complete with %d", job.Complete, len(job.Tasks), n)
			}
		})
	}
}

// vmJob is the part of a job's record in the state file these tests read.
type vmJob struct {
	Name     string `json:"name"`
	Complete bool   `json:"complete"`
	Tasks    []struct {
		Index int `json:"index"`
	} `json:"tasks"`
}

// readJob reads a job's record from the state file.
func readJob(t *testing.T, dir, name string) vmJob {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "lithops.state"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Jobs []vmJob `json:"jobs"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state: %v", err)
	}
	for _, j := range st.Jobs {
		if j.Name == name || "job."+j.Name == name {
			return j
		}
	}
	t.Fatalf("state has no %s", name)
	return vmJob{}
}

// TestVMUnreachableHosts: a host down when apply starts is reported
// unreachable and the job runs on the others; with every host down, apply
// fails and says why.
func TestVMUnreachableHosts(t *testing.T) {
	f := testhosts.Start(t, 3)
	bin := lithopsBinary(t)
	dir := t.TempDir()
	write := func(n int) {
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, fmt.Sprintf(sleepyJob, n))), 0o644)
	}
	write(6)
	vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")

	f.KillSSHD(2)
	write(12)
	out := vmMust(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if !strings.Contains(out, f.Hosts[2].Spec()+" unreachable") {
		t.Errorf("apply does not report the host that is down:\n%s", out)
	}
	var got []string
	outputJSON(t, bin, dir, "sleepy", &got)
	if len(got) != 12 || got[11] != "11" {
		t.Errorf("results %q, want 0..11", got)
	}

	f.KillSSHD(0)
	f.KillSSHD(1)
	write(14)
	out, err := vmRun(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if err == nil || !strings.Contains(unwrap(out), "open executor.fleet: none of its 3 hosts could be reached") {
		t.Errorf("apply with every host down: %v\n%s", err, out)
	}

	// Destroy cannot remove what is on a host it cannot reach, and says
	// how to forget the host instead.
	out, err = vmRun(t, bin, dir, "destroy", "-auto-approve", "-no-tui")
	addr := fmt.Sprintf(`executor.fleet.bootstrap[%q]`, f.Hosts[0].Spec())
	if err == nil || !strings.Contains(unwrap(out), "lithops state rm '"+addr+"'") {
		t.Errorf("destroy with every host down: %v\n%s", err, out)
	}
}

// TestVMKilledApplyLeavesNothing: lithops apply killed with SIGKILL in the
// middle of a fleet job leaves no worker and no task running on the hosts:
// its SSH connections close with it, and each worker, seeing its stdin end,
// kills its tasks and exits.
func TestVMKilledApplyLeavesNothing(t *testing.T) {
	f := testhosts.Start(t, 2)
	bin := lithopsBinary(t)
	dir := t.TempDir()
	marker := fmt.Sprintf("vmkilltest-%d", time.Now().UnixNano())
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(vmConfig(f, f.KnownHosts, `
job "long" {
  executor = executor.fleet
  map {
    over    = range(8)
    command = ["sh", "-c", "sleep 600; : $1", "task", "`+marker+`"]
  }
}
`)), 0o644)
	cmd := lithopsCmd(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); len(processesWith(marker)) < 4; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the tasks did not start in time:\n%s", out.String())
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var left []string
	for wait := time.Now().Add(30 * time.Second); time.Now().Before(wait); time.Sleep(100 * time.Millisecond) {
		left = processesWith(marker)
		for _, p := range processesWith(f.Dir) { // this fleet's workers
			if strings.Contains(p, "/.lithops/bin/lithops-") {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("processes left on the hosts 30s after lithops was killed: %q", left)
}
