package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"lithops/internal/testhosts"
)

// fleetHosts and fleetSlots shape the SSH fleet benchmark: hosts, and tasks
// each host runs at once (lithops's worker_processes, parallel's N/login).
const (
	fleetHosts = 3
	fleetSlots = 2
)

// startFleet brings up the SSH fleet benchmark's hosts under base, or says
// why it cannot.
func startFleet(base string) (*testhosts.Fleet, string) {
	if err := testhosts.Available(); err != nil {
		return nil, fmt.Sprintf("the SSH test hosts cannot run here: %v", err)
	}
	dir, err := os.MkdirTemp(base, "fleet-")
	if err != nil {
		return nil, err.Error()
	}
	f, err := testhosts.Up(dir, fleetHosts)
	if err != nil {
		return nil, err.Error()
	}
	return f, ""
}

// fleetBenchmark runs n `echo ITEM` tasks on the fleet's hosts through a
// vm executor, and through GNU parallel --sshlogin with the same key and
// known_hosts.
func fleetBenchmark(t tools, n int) *Benchmark {
	b := &Benchmark{ID: "fleet/ssh", Section: Fleet, Workload: "ssh", Size: n}
	if t.Fleet == nil {
		b.Skip = t.FleetSkip
		if b.Skip == "" {
			b.Skip = "no SSH test hosts"
		}
		return b
	}
	hcl, err := fleetScenario(t.Fleet)
	if err != nil {
		b.Skip = err.Error()
		return b
	}
	apply := func(cmd string, n int) []string {
		return []string{t.Lithops, "apply", "-auto-approve", "-no-tui", "-json",
			"-var", "cmd=" + cmd, "-var", "n=" + strconv.Itoa(n)}
	}
	lithops := &Tool{
		Name:  "lithops",
		Label: "lithops (vm executor)",
		Files: map[string]string{"main.hcl": hcl},
		Steps: []Step{
			// Installing the worker is once per host, not per job: a run's
			// first apply bootstraps the hosts (the binary is already there
			// after the first run; the state is new in every run).
			{Name: "bootstrap", Argv: apply("true", 1), Check: checkApplyTasks(1)},
			{Name: "run", Argv: apply("echo", n), Check: checkApplyTasks(n)},
		},
	}
	var logins []string
	for _, h := range t.Fleet.Hosts {
		logins = append(logins, fmt.Sprintf("%d/%s@%s", fleetSlots, h.User, h.Addr))
	}
	ssh := fmt.Sprintf("ssh -i %s -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes",
		t.Fleet.ClientKey, t.Fleet.KnownHosts)
	bin := t.Parallel
	if bin == "" {
		bin = "parallel"
	}
	parallel := &Tool{
		Name:  "parallel",
		Label: "GNU parallel --sshlogin",
		Files: map[string]string{"items.txt": seq(n)},
		Skip:  t.ParallelSkip,
		Steps: []Step{{
			Name:  "run",
			Argv:  []string{bin, "--will-cite", "--ssh", ssh, "--sshlogin", strings.Join(logins, ","), "echo"},
			Stdin: "items.txt",
			Check: checkOutput("echo", n),
		}},
	}
	b.Tools = []*Tool{lithops, parallel}
	return b
}

// fleetScenario is the lithops configuration of the fleet benchmark.
func fleetScenario(f *testhosts.Fleet) (string, error) {
	text, err := scenario("fleet-ssh.hcl")
	if err != nil {
		return "", err
	}
	var hosts []string
	for _, h := range f.Hosts {
		hosts = append(hosts, strconv.Quote(h.Spec()))
	}
	r := strings.NewReplacer(
		"HOSTS", strings.Join(hosts, ", "),
		"SLOTS", strconv.Itoa(fleetSlots),
		"CLIENT_KEY", strconv.Quote(f.ClientKey),
		"KNOWN_HOSTS", strconv.Quote(f.KnownHosts),
	)
	return r.Replace(text), nil
}
