package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/fakeec2"
	"lithops/internal/testhosts"
	"lithops/providers/awsec2/ec2test"
)

// These tests run the real lithops command (this test binary, see TestMain)
// with an aws_ec2 executor pointed at internal/fakeec2 (the real AWS SDK
// client over the EC2 Query API), whose instances boot real sshd hosts in
// network namespaces with the host key from their user data; the worker is
// this same binary, installed on them. They skip where such hosts cannot
// run, unless LITHOPS_REQUIRE_SSH_HOSTS=1.

// ec2Cloud is a fake EC2 whose instances are test hosts.
type ec2Cloud struct {
	srv   *fakeec2.Server
	fleet *testhosts.Fleet
}

func startEC2(t *testing.T, hosts int) *ec2Cloud {
	t.Helper()
	fleet := testhosts.Start(t, hosts)
	h := ec2test.New(fleet, t.TempDir())
	srv := fakeec2.New(fakeec2.Options{Host: h, Addresses: ec2test.Addresses(fleet)})
	h.Server = srv
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("fake EC2: %v", err)
		}
	})
	return &ec2Cloud{srv: srv, fleet: fleet}
}

// ec2Config is an aws_ec2 executor "fleet" of count t3.micro instances on
// the fake, and a job "where" that prints each task's host name.
func (c *ec2Cloud) config(count int) string {
	return fmt.Sprintf(`
executor "fleet" {
  backend          = "aws_ec2"
  region           = "us-east-1"
  instance_type    = "t3.micro"
  count            = %d
  ssh_cidrs        = ["10.231.0.0/16"]
  endpoint         = %q
  worker_processes = 2
}

job "where" {
  executor = executor.fleet
  map {
    over    = range(12)
    command = ["sh", "-c", "sleep 0.2; echo \"$(uname -n) $1\"", "task", each.value]
  }
}

output "where" {
  value = job.where.results
}
`, count, c.srv.URL())
}

// ec2Lithops runs lithops in dir with AWS credentials that reach only the
// fake; it returns the combined output and error.
func ec2Lithops(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1",
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-aws-credentials"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func ec2Must(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	out, err := ec2Lithops(t, bin, dir, args...)
	if err != nil {
		t.Fatalf("lithops %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestAWSEC2Fleet drives a fleet through the CLI: plan shows the key pair,
// the security group, the instances and their bootstraps with an hourly
// estimate; apply creates them and runs a job on both instances; a
// capacity shortage on a scale-up is a clear error that leaves the created
// instances recorded, and the next plan adds only the missing one; destroy
// leaves EC2 empty, and a second destroy has nothing to do.
func TestAWSEC2Fleet(t *testing.T) {
	c := startEC2(t, 3)
	bin := lithopsBinary(t)
	dir := t.TempDir()
	write := func(count int) {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(c.config(count)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(2)

	out := ec2Must(t, bin, dir, "plan")
	for _, want := range []string{
		"+ executor.fleet.key_pair", "+ executor.fleet.security_group",
		"+ executor.fleet.instance[0]", "+ executor.fleet.instance[1]",
		"+ executor.fleet.bootstrap[0]", "+ executor.fleet.bootstrap[1]",
		"# estimated cost: $0.0104/hour (t3.micro on-demand Linux in us-east-1, list price of 2025-06-01)",
		"Estimated cost while the planned resources exist: $0.0208/hour (an estimate from list prices, not a bill).",
		"Plan: 6 to add",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not show %q:\n%s", want, out)
		}
	}

	start := time.Now()
	out = ec2Must(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	t.Logf("apply of 2 instances, their bootstraps and a 12-task job: %s", time.Since(start).Round(time.Millisecond))
	var where []string
	outputJSON(t, bin, dir, "where", &where)
	hosts := map[string]bool{}
	for i, line := range where {
		host, n, _ := strings.Cut(line, " ")
		if n != fmt.Sprint(i) {
			t.Errorf("task %d printed %q", i, line)
		}
		hosts[host] = true
	}
	if want := map[string]bool{c.fleet.Hosts[0].Hostname: true, c.fleet.Hosts[1].Hostname: true}; !cmp.Equal(want, hosts) {
		t.Errorf("tasks ran on %v, want both instances %v\n%s", hosts, want, out)
	}
	if got := ec2Kinds(c.srv); !cmp.Equal(got, map[string]int{"instance running": 2, "key-pair": 1, "security-group": 1}) {
		t.Errorf("EC2 holds %v", got)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, ".lithops", "aws_ec2", "lithops-fleet-*"))
	if len(keys) != 1 {
		t.Errorf("private keys in .lithops/aws_ec2: %v, want one", keys)
	} else if fi, err := os.Stat(keys[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key %s: %v %v, want mode 0600", keys[0], err, fi.Mode())
	}
	if state, _ := os.ReadFile(filepath.Join(dir, "lithops.state")); strings.Contains(string(state), "PRIVATE KEY") {
		t.Error("the state holds a private key")
	}

	// Scale up into a capacity shortage.
	write(3)
	// The SDK retries InsufficientInstanceCapacity (HTTP 500) twice.
	c.srv.RefuseInstances(3)
	out, err := ec2Lithops(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if err == nil || !strings.Contains(unwrap(out), "create executor.fleet.instance[2]: launch on-demand t3.micro in us-east-1: InsufficientInstanceCapacity: We currently do not have sufficient t3.micro capacity") {
		t.Fatalf("apply with no capacity for instance[2]: %v\n%s", err, out)
	}
	list := strings.Fields(ec2Must(t, bin, dir, "state", "list"))
	want := []string{
		"executor.fleet.bootstrap[0]", "executor.fleet.bootstrap[1]", "executor.fleet.instance[0]", "executor.fleet.instance[1]",
		"executor.fleet.key_pair", "executor.fleet.security_group", "job.where",
	}
	list = slices.DeleteFunc(list, func(s string) bool { return !strings.HasPrefix(s, "executor.") && !strings.HasPrefix(s, "job.") })
	sort.Strings(list)
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("wrong state after the shortage (-want +got):\n%s", diff)
	}
	out = ec2Must(t, bin, dir, "plan")
	if !strings.Contains(out, "+ executor.fleet.instance[2]") || !strings.Contains(out, "+ executor.fleet.bootstrap[2]") ||
		!strings.Contains(out, "Plan: 2 to add, 0 to change, 0 to destroy") {
		t.Errorf("plan after the shortage does not add just instance[2] and its bootstrap:\n%s", out)
	}
	ec2Must(t, bin, dir, "apply", "-auto-approve", "-no-tui")
	if got := ec2Kinds(c.srv); got["instance running"] != 3 {
		t.Errorf("EC2 holds %v, want 3 running instances", got)
	}

	// Destroy, twice.
	start = time.Now()
	out = ec2Must(t, bin, dir, "destroy", "-auto-approve", "-no-tui")
	t.Logf("destroy of 3 instances: %s", time.Since(start).Round(time.Millisecond))
	if got := c.srv.Resources(); len(got) != 0 {
		t.Errorf("EC2 still holds %+v after destroy:\n%s", got, out)
	}
	if keys, _ := filepath.Glob(filepath.Join(dir, ".lithops", "aws_ec2", "lithops-*")); len(keys) != 0 {
		t.Errorf("private keys left after destroy: %v", keys)
	}
	for _, h := range c.fleet.Hosts {
		if got := installedBinaries(h); len(got) != 0 {
			t.Errorf("worker binaries left on %s: %v", h.Addr, got)
		}
	}
	out = ec2Must(t, bin, dir, "destroy", "-auto-approve", "-no-tui")
	if !strings.Contains(out, "No changes") {
		t.Errorf("second destroy:\n%s", out)
	}
}

func ec2Kinds(srv *fakeec2.Server) map[string]int {
	out := map[string]int{}
	for _, r := range srv.Resources() {
		k := r.Kind
		if r.State != "" {
			k += " " + string(r.State)
		}
		out[k]++
	}
	return out
}
