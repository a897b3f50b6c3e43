package awsec2_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/apply"
	"lithops/hcl"
	"lithops/internal/fakeec2"
	"lithops/internal/testhosts"
	"lithops/plan"
	"lithops/providers"
	"lithops/providers/awsec2"
	"lithops/providers/awsec2/ec2test"
	"lithops/providers/vm"
	"lithops/sched"
	"lithops/state"
	"lithops/worker"
)

// These tests drive fleets through the real plan and apply engine and the
// real AWS SDK client, against internal/fakeec2, whose instances boot real
// sshd hosts in network namespaces (internal/testhosts via ec2test) with
// the host key from their user data. They skip where such hosts cannot run
// (root, sshd, iproute2), unless LITHOPS_REQUIRE_SSH_HOSTS=1.

// TestMain: the fleet installs this test binary on the instances as
// ~/.lithops/bin/lithops-<digest> and runs `… worker ARGS` there; run under
// that name, it is a worker.
func TestMain(m *testing.M) {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "lithops-") {
		if len(os.Args) < 2 || os.Args[1] != "worker" {
			fmt.Fprintf(os.Stderr, "test worker binary: want `worker ...`, got %q\n", os.Args[1:])
			os.Exit(2)
		}
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
	}
	os.Exit(m.Run())
}

// selfDigest is the worker digest of this test binary.
func selfDigest(t *testing.T) (string, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return self, "sha256:" + hex.EncodeToString(sum[:])
}

// cloud is a fake EC2 whose instances are test hosts, and a backend
// pointed at it.
type cloud struct {
	t       *testing.T
	srv     *fakeec2.Server
	hosts   *ec2test.Hosts
	fleet   *testhosts.Fleet
	backend *awsec2.Backend
	reg     *providers.Registry
	digest  string // of the worker binary: this test binary
}

// fastTiming looks often and waits little: the fake and the test hosts
// answer at once.
var fastTiming = awsec2.Timing{
	Poll: 20 * time.Millisecond, Running: 30 * time.Second, SSH: 30 * time.Second, SSHAttempt: 5 * time.Second,
	Termination: 30 * time.Second, GroupDelete: 10 * time.Second,
}

func newCloud(t *testing.T, hosts int, opts fakeec2.Options, watchdog bool) *cloud {
	t.Helper()
	fleet := testhosts.Start(t, hosts)
	h := ec2test.New(fleet, t.TempDir())
	h.Watchdog = watchdog
	opts.Host, opts.Addresses = h, ec2test.Addresses(fleet)
	srv := fakeec2.New(opts)
	h.Server = srv
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("fake EC2: %v", err)
		}
		if err := h.Err(); err != nil {
			t.Errorf("test hosts: %v", err)
		}
	})
	// The SDK's credential chain reads these; nothing reaches AWS.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	self, digest := selfDigest(t)
	workers := &vm.Backend{Binary: self, Version: "test", Timing: vm.Timing{Heartbeat: 200 * time.Millisecond, ClientTimeout: 5 * time.Second}}
	b := &awsec2.Backend{Workers: workers, HTTPClient: srv.HTTPClient(), Timing: fastTiming}
	return &cloud{t: t, srv: srv, hosts: h, fleet: fleet, backend: b, digest: digest, reg: &providers.Registry{
		Executors: map[string]providers.ExecutorBackend{"aws_ec2": b},
		Resources: map[string]providers.Resource{
			awsec2.KeyPairType:       b.KeyPairResource(),
			awsec2.SecurityGroupType: b.SecurityGroupResource(),
			awsec2.InstanceType:      b.InstanceResource(),
			awsec2.BootstrapType:     b.BootstrapResource(),
		},
	}}
}

// project is a configuration directory and its state.
type project struct {
	c   *cloud
	dir string
}

func (c *cloud) project(config string) *project {
	p := &project{c: c, dir: c.t.TempDir()}
	p.write(config)
	return p
}

func (p *project) write(config string) {
	p.c.t.Helper()
	config = strings.ReplaceAll(config, "ENDPOINT", p.c.srv.URL())
	if err := os.WriteFile(filepath.Join(p.dir, "main.hcl"), []byte(config), 0o644); err != nil {
		p.c.t.Fatal(err)
	}
}

func (p *project) statePath() string { return filepath.Join(p.dir, "lithops.state") }

// plan plans with refresh, as `lithops plan` does.
func (p *project) plan(opts plan.Options) (*plan.Plan, *plan.Planner) {
	t := p.c.t
	t.Helper()
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: p.dir, Registry: p.c.reg})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := cfg.Validate(p.c.reg); d.HasErrors() {
		t.Fatal(d)
	}
	st, _, err := state.Recover(p.statePath())
	if err != nil {
		t.Fatal(err)
	}
	pl := plan.NewPlanner(cfg, p.c.reg, st)
	pl.WorkerDigest = p.c.digest
	opts.Refresh = true
	pp, diags := pl.Plan(context.Background(), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return pp, pl
}

// apply plans and applies with parallelism par, as `lithops apply` does.
func (p *project) apply(opts plan.Options, par int) error {
	t := p.c.t
	t.Helper()
	pp, pl := p.plan(opts)
	st, _, err := state.Recover(p.statePath())
	if err != nil {
		t.Fatal(err)
	}
	j, err := state.OpenJournal(p.statePath(), st, state.JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl.State = st
	eng := &apply.Engine{Planner: pl, Journal: j, Parallelism: par,
		OpenExecutor: func(context.Context, string, map[string]cty.Value) (sched.Dispatcher, error) {
			return nil, errors.New("this test runs no job")
		},
	}
	_, applyErr := eng.Apply(context.Background(), pp)
	if _, err := j.Commit(); err != nil {
		t.Fatal(err)
	}
	return applyErr
}

// actions renders a plan's resource changes: address → action (reason).
func actions(pp *plan.Plan) map[string]string {
	out := map[string]string{}
	for _, rc := range pp.Resources {
		s := rc.Action.String()
		if rc.Reason != "" {
			s += " (" + rc.Reason + ")"
		}
		out[rc.Addr] = s
	}
	return out
}

func (p *project) state() *state.State {
	st, err := state.Read(p.statePath())
	if err != nil {
		p.c.t.Fatal(err)
	}
	return st
}

// attr is a recorded resource's attribute.
func (p *project) attr(addr, name string) string {
	p.c.t.Helper()
	r, ok := p.state().Resources[addr]
	if !ok {
		p.c.t.Fatalf("%s is not in the state", addr)
	}
	v, err := plan.DecodeAttrs(r.Attributes, p.c.reg.Resources[r.Type].Schema())
	if err != nil {
		p.c.t.Fatal(err)
	}
	a := v.GetAttr(name)
	if a.IsNull() {
		return ""
	}
	if a.Type() == cty.String {
		return a.AsString()
	}
	return a.GoString()
}

func (p *project) addrs() []string {
	var out []string
	for a := range p.state().Resources {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// kinds summarises what the fake holds: kind → count (instances by state).
func (c *cloud) kinds() map[string]int {
	out := map[string]int{}
	for _, r := range c.srv.Resources() {
		k := r.Kind
		if r.State != "" {
			k += " " + string(r.State)
		}
		out[k]++
	}
	return out
}

const fleetConfig = `
executor "fleet" {
  backend       = "aws_ec2"
  region        = "us-east-1"
  instance_type = "t3.micro"
  count         = COUNT
  ssh_cidrs     = ["10.231.0.0/16", "203.0.113.7/32"]
  endpoint      = "ENDPOINT"
}
`

func withCount(n int) string { return strings.Replace(fleetConfig, "COUNT", fmt.Sprint(n), 1) }

// A fleet's whole life: plan shows what will be created with an hourly
// estimate; apply creates the key pair (private key local, mode 0600, never
// in state), the security group (port 22 from ssh_cidrs only) and the
// instances (Ubuntu LTS image looked up, terminate on shutdown, host key
// injected and verified); nothing changes on a second plan; count scales
// up and down; destroy leaves nothing in EC2 and nothing local, and a
// second destroy is harmless.
func TestFleetLifecycle(t *testing.T) {
	c := newCloud(t, 3, fakeec2.Options{StaleDescribes: 2}, false)
	p := c.project(withCount(2))

	pp, _ := p.plan(plan.Options{})
	want := map[string]string{
		"executor.fleet.key_pair":       "create",
		"executor.fleet.security_group": "create",
		"executor.fleet.instance[0]":    "create",
		"executor.fleet.instance[1]":    "create",
		"executor.fleet.bootstrap[0]":   "create",
		"executor.fleet.bootstrap[1]":   "create",
	}
	if diff := cmp.Diff(want, actions(pp)); diff != "" {
		t.Fatalf("wrong first plan (-want +got):\n%s", diff)
	}
	for _, rc := range pp.Resources {
		if rc.Type != awsec2.InstanceType {
			if rc.Estimate != nil {
				t.Errorf("%s has a cost estimate: %+v", rc.Addr, rc.Estimate)
			}
			continue
		}
		want := &providers.EstimateResponse{Hourly: 0.0104, Basis: "t3.micro on-demand Linux in us-east-1, list price of 2025-06-01"}
		if diff := cmp.Diff(want, rc.Estimate); diff != "" {
			t.Errorf("wrong estimate for %s (-want +got):\n%s", rc.Addr, diff)
		}
	}

	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"instance running": 2, "key-pair": 1, "security-group": 1}, c.kinds()); diff != "" {
		t.Errorf("wrong resources in EC2 (-want +got):\n%s", diff)
	}

	// The private key: local, 0600, in .lithops/aws_ec2, not in state.
	keyFile := p.attr("executor.fleet.key_pair", "private_key_file")
	if filepath.Dir(keyFile) != filepath.Join(p.dir, awsec2.KeyDir) {
		t.Errorf("private key at %s, want it in %s", keyFile, filepath.Join(p.dir, awsec2.KeyDir))
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file: %v, mode %v; want mode 0600", err, fi.Mode())
	}
	raw, err := os.ReadFile(p.statePath())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Error("the state holds a private key")
	}
	if fp := p.attr("executor.fleet.key_pair", "fingerprint"); fp == "" {
		t.Error("the key pair's fingerprint is not recorded")
	}

	// The group lets ssh_cidrs, and only them, reach port 22.
	var ingress []string
	for _, call := range c.srv.Calls() {
		if call.Action == "AuthorizeSecurityGroupIngress" && call.Code == "" {
			for k, v := range call.Params {
				if strings.Contains(k, "IpRanges") && strings.HasSuffix(k, "CidrIp") || strings.HasSuffix(k, "FromPort") || strings.HasSuffix(k, "ToPort") || strings.HasSuffix(k, "IpProtocol") {
					ingress = append(ingress, k[strings.LastIndex(k, ".")+1:]+"="+v[0])
				}
			}
		}
	}
	sort.Strings(ingress)
	if diff := cmp.Diff([]string{"CidrIp=10.231.0.0/16", "CidrIp=203.0.113.7/32", "FromPort=22", "IpProtocol=tcp", "ToPort=22"}, ingress); diff != "" {
		t.Errorf("wrong ingress rules (-want +got):\n%s", diff)
	}

	// Instances: the newest Ubuntu LTS image, terminate on shutdown, the
	// host key recorded is the one the host presented (Create verified it).
	for _, inst := range c.srv.Instances() {
		addr := "executor.fleet.instance[" + inst.Tags[awsec2.TagIndex] + "]"
		if got := p.attr(addr, "instance_id"); got != inst.ID {
			t.Errorf("%s records %s, EC2 launched %s", addr, got, inst.ID)
		}
		if inst.ShutdownBehavior != "terminate" {
			t.Errorf("%s shuts down to %q, want terminate", inst.ID, inst.ShutdownBehavior)
		}
		if got := p.attr(addr, "image_name"); got != "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001" {
			t.Errorf("%s runs %s, want the newest Ubuntu 24.04 amd64 image", addr, got)
		}
		if p.attr(addr, "ami") != inst.ImageID || inst.KeyName != p.attr("executor.fleet.key_pair", "name") {
			t.Errorf("%s: image %s or key %s not what was launched (%s, %s)", addr, p.attr(addr, "ami"), p.attr("executor.fleet.key_pair", "name"), inst.ImageID, inst.KeyName)
		}
		if got := p.attr(addr, "market"); got != "on-demand" {
			t.Errorf("%s bought %s, want on-demand", addr, got)
		}
		cc, err := awsec2.ParseUserData(inst.UserData)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cc.SSHKeys["ed25519_public"], p.attr(addr, "host_key")) {
			t.Errorf("%s: recorded host key %q is not the one in its user data %q", addr, p.attr(addr, "host_key"), cc.SSHKeys["ed25519_public"])
		}
		if strings.Contains(string(raw), strings.TrimSpace(cc.SSHKeys["ed25519_private"])) {
			t.Errorf("%s: the state holds its private host key", addr)
		}
	}

	// The worker is installed on each instance, and jobs run there.
	for _, h := range c.fleet.Hosts[:2] {
		if got := installed(h); len(got) != 1 {
			t.Errorf("%s has worker binaries %v, want one", h.Addr, got)
		}
	}
	hosts := p.run(20)
	if len(hosts) != 2 {
		t.Errorf("tasks ran on %v, want both instances", hosts)
	}

	// Nothing changed: nothing to do.
	pp, _ = p.plan(plan.Options{})
	for addr, a := range actions(pp) {
		if a != "no-op" {
			t.Errorf("second plan: %s %s", addr, a)
		}
	}

	// Scale up: only the new instance.
	p.write(withCount(3))
	pp, _ = p.plan(plan.Options{})
	if got := changed(pp); !slices.Equal(got, []string{"executor.fleet.bootstrap[2]: create", "executor.fleet.instance[2]: create"}) {
		t.Errorf("plan for count 3: %v, want instance[2] and its bootstrap created only", got)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	// Scale down: the last ones go.
	p.write(withCount(1))
	pp, _ = p.plan(plan.Options{})
	want2 := []string{
		"executor.fleet.bootstrap[1]: delete", "executor.fleet.bootstrap[2]: delete",
		"executor.fleet.instance[1]: delete", "executor.fleet.instance[2]: delete",
	}
	if diff := cmp.Diff(want2, changed(pp)); diff != "" {
		t.Errorf("wrong plan for count 1 (-want +got):\n%s", diff)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"instance running": 1, "key-pair": 1, "security-group": 1}, c.kinds()); diff != "" {
		t.Errorf("wrong resources after scaling down (-want +got):\n%s", diff)
	}

	// Destroy, twice.
	for range 2 {
		if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
			t.Fatal(err)
		}
		if got := c.srv.Resources(); len(got) != 0 {
			t.Errorf("EC2 still holds %+v after destroy", got)
		}
		if got := p.addrs(); len(got) != 0 {
			t.Errorf("the state still records %v after destroy", got)
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the private key is still there after destroy: %v", err)
		}
	}
	if got := installed(c.fleet.Hosts[0]); len(got) != 0 {
		t.Errorf("worker binaries left on the last instance: %v", got)
	}
}

// installed lists the worker binaries on a test host.
func installed(h testhosts.Host) []string {
	names, _ := filepath.Glob(filepath.Join(h.Home, ".lithops", "bin", "lithops-*"))
	return names
}

// run opens the executor as apply does and runs n tasks that print their
// host's name; it returns the hosts they ran on.
func (p *project) run(n int) map[string]int {
	t := p.c.t
	t.Helper()
	ctx := context.Background()
	_, pl := p.plan(plan.Options{})
	e := pl.Config.Executors["fleet"]
	body, diags := pl.Evaluator().Body(e.Body, p.c.backend.Spec())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	resources := map[string]cty.Value{}
	for addr, r := range p.state().Resources {
		v, err := plan.DecodeAttrs(r.Attributes, p.c.reg.Resources[r.Type].Schema())
		if err != nil {
			t.Fatal(err)
		}
		resources[strings.TrimPrefix(addr, "executor.fleet.")] = v
	}
	resp, err := p.c.backend.Open(ctx, providers.OpenExecutorRequest{Name: "fleet", Body: body, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Dispatcher.Close(ctx)
	var tasks []sched.Task
	for i := range n {
		tasks = append(tasks, sched.Task{Index: i, Argv: []string{"sh", "-c", "sleep 0.1; uname -n"}})
	}
	hosts := map[string]int{}
	if _, err := sched.Run(ctx, resp.Dispatcher, &sched.Job{Name: "where", Tasks: tasks}, sched.Hooks{Result: func(r sched.Result, final bool) {
		if final {
			if !r.OK() {
				t.Errorf("task %d failed: %+v", r.Index, r)
			}
			hosts[strings.TrimSpace(string(r.Stdout))]++
		}
	}}); err != nil {
		t.Fatal(err)
	}
	return hosts
}

// changed lists a plan's changes other than no-ops, "addr: action".
func changed(pp *plan.Plan) []string {
	var out []string
	for _, rc := range pp.Resources {
		if rc.Action != plan.NoOp {
			out = append(out, rc.Addr+": "+rc.Action.String())
		}
	}
	sort.Strings(out)
	return out
}

const spotConfig = `
executor "fleet" {
  backend       = "aws_ec2"
  region        = "us-east-1"
  instance_type = "t3.micro"
  count         = 2
  spot          = true
  spot_fallback = FALLBACK
  ssh_cidrs     = ["10.231.0.0/16"]
  endpoint      = "ENDPOINT"
}
`

// When EC2 lacks capacity for one instance, the others are created and
// recorded, the error names what failed and why, and the next plan adds
// only the missing instance; with spot_fallback it comes on-demand.
func TestCapacityShortfall(t *testing.T) {
	c := newCloud(t, 2, fakeec2.Options{}, false)
	c.srv.LimitCapacity(fakeec2.CapacityLimit{Market: fakeec2.Spot, Available: 1})
	p := c.project(strings.Replace(spotConfig, "FALLBACK", "false", 1))

	// Which instance gets the one spot left is a race; the other fails.
	err := p.apply(plan.Options{}, 10)
	got := p.addrs()
	if len(got) != 4 {
		t.Fatalf("the state records %v, want the key pair, the group and one instance with its bootstrap", got)
	}
	ok, failed := got[1], "executor.fleet.instance[1]"
	if ok == failed {
		failed = "executor.fleet.instance[0]"
	}
	failedBootstrap := strings.Replace(failed, "instance", "bootstrap", 1)
	if err == nil || !strings.Contains(err.Error(), "create "+failed+": launch spot t3.micro in us-east-1:") ||
		!strings.Contains(err.Error(), "InsufficientInstanceCapacity: There is no Spot capacity available") {
		t.Fatalf("wrong error: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"instance running": 1, "key-pair": 1, "security-group": 1}, c.kinds()); diff != "" {
		t.Errorf("wrong resources in EC2 (-want +got):\n%s", diff)
	}
	pp, _ := p.plan(plan.Options{})
	if got := changed(pp); !slices.Equal(got, []string{failedBootstrap + ": create", failed + ": create"}) {
		t.Errorf("plan after a partial launch: %v, want %s and its bootstrap created only", got, failed)
	}

	// Still no spot capacity: on-demand fills in.
	p.write(strings.Replace(spotConfig, "FALLBACK", "true", 1))
	if err := p.apply(plan.Options{}, 1); err != nil {
		t.Fatal(err)
	}
	if got := p.attr(failed, "market"); got != "on-demand" {
		t.Errorf("%s is %s, want on-demand", failed, got)
	}
	if got := p.attr(ok, "market"); got != "spot" {
		t.Errorf("%s is %s, want spot", ok, got)
	}
	var markets []fakeec2.Market
	for _, in := range c.srv.Instances() {
		markets = append(markets, in.Market)
	}
	if diff := cmp.Diff([]fakeec2.Market{fakeec2.Spot, fakeec2.OnDemand}, markets); diff != "" {
		t.Errorf("wrong markets in EC2 (-want +got):\n%s", diff)
	}
	pp, _ = p.plan(plan.Options{})
	if got := changed(pp); len(got) != 0 {
		t.Errorf("plan after the fallback: %v, want no changes", got)
	}
	if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
		t.Fatal(err)
	}
	if got := c.srv.Resources(); len(got) != 0 {
		t.Errorf("EC2 still holds %+v after destroy", got)
	}
}

// The idle watchdog in an instance's user data, run on its host with the
// settings of its systemd unit, powers the instance off once no worker has
// run there for idle_shutdown; the launch's shutdown behaviour makes that a
// termination, and the next plan launches a replacement.
func TestIdleShutdown(t *testing.T) {
	c := newCloud(t, 1, fakeec2.Options{}, true)
	p := c.project(strings.Replace(withCount(1), `endpoint`, "idle_shutdown = \"10s\"\n  endpoint", 1))
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	id := p.attr("executor.fleet.instance[0]", "instance_id")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := c.srv.WaitState(ctx, id, fakeec2.Terminated)
	if err != nil {
		t.Fatalf("the idle instance did not terminate: %v", err)
	}
	if inst.StateReason != "Client.InstanceInitiatedShutdown" {
		t.Errorf("%s terminated for %q, want Client.InstanceInitiatedShutdown", id, inst.StateReason)
	}
	if got := c.hosts.PoweredOff(); !slices.Equal(got, []string{id}) {
		t.Errorf("powered off by their watchdog: %v, want %s", got, id)
	}
	pp, _ := p.plan(plan.Options{})
	want := map[string]string{
		"executor.fleet.key_pair":       "no-op",
		"executor.fleet.security_group": "no-op",
		"executor.fleet.instance[0]":    "create (was deleted outside lithops, so it will be created again)",
		"executor.fleet.bootstrap[0]":   "create (was deleted outside lithops, so it will be created again)",
	}
	if diff := cmp.Diff(want, actions(pp)); diff != "" {
		t.Errorf("wrong plan after the idle shutdown (-want +got):\n%s", diff)
	}
	if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
		t.Fatal(err)
	}
}

// An instance that an apply killed after RunInstances left running, which
// no state records, is terminated when its place in the fleet is filled:
// nothing runs up a bill unseen.
func TestStrayInstanceIsTerminated(t *testing.T) {
	c := newCloud(t, 2, fakeec2.Options{}, false)
	p := c.project(withCount(1))
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	stray := p.attr("executor.fleet.instance[0]", "instance_id")
	// The state write that a kill prevented.
	st := p.state()
	delete(st.Resources, "executor.fleet.instance[0]")
	if err := state.Write(p.statePath(), st); err != nil {
		t.Fatal(err)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	if got := p.attr("executor.fleet.instance[0]", "instance_id"); got == stray {
		t.Fatalf("the stray %s was adopted", stray)
	}
	if inst, _ := c.srv.Instance(stray); inst.State != fakeec2.ShuttingDown && inst.State != fakeec2.Terminated {
		t.Errorf("the stray %s is %s, want it terminated", stray, inst.State)
	}
	if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
		t.Fatal(err)
	}
	if got := c.srv.Resources(); len(got) != 0 {
		t.Errorf("EC2 still holds %+v after destroy", got)
	}
}

// Destroying a fleet also terminates its instances that no state records:
// an apply killed mid-launch does not leave a bill running.
func TestDestroySweepsStrays(t *testing.T) {
	c := newCloud(t, 1, fakeec2.Options{}, false)
	p := c.project(withCount(1))
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	st := p.state()
	delete(st.Resources, "executor.fleet.instance[0]")
	delete(st.Resources, "executor.fleet.bootstrap[0]")
	if err := state.Write(p.statePath(), st); err != nil {
		t.Fatal(err)
	}
	if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
		t.Fatal(err)
	}
	if got := c.srv.Resources(); len(got) != 0 {
		t.Errorf("EC2 still holds %+v after destroy", got)
	}
}

// Drift: a lost private key makes a new key pair and new instances (the old
// ones could not be logged in to); an SSH rule changed outside lithops is
// put back in place.
func TestDrift(t *testing.T) {
	c := newCloud(t, 2, fakeec2.Options{}, false)
	p := c.project(withCount(1))
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	oldKey, oldInstance := p.attr("executor.fleet.key_pair", "name"), p.attr("executor.fleet.instance[0]", "instance_id")

	// Someone opens port 22 to the world.
	group := p.attr("executor.fleet.security_group", "group_id")
	sdk := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.srv.URL()), HTTPClient: c.srv.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		})})
	_, err := sdk.AuthorizeSecurityGroupIngress(context.Background(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(group), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), CidrIp: aws.String("0.0.0.0/0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	pp, _ := p.plan(plan.Options{})
	if got := changed(pp); !slices.Equal(got, []string{"executor.fleet.security_group: update"}) {
		t.Errorf("plan after the rule changed: %v, want the group updated", got)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	out, err := sdk.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{group}})
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, perm := range out.SecurityGroups[0].IpPermissions {
		for _, r := range perm.IpRanges {
			sources = append(sources, aws.ToString(r.CidrIp))
		}
	}
	sort.Strings(sources)
	if diff := cmp.Diff([]string{"10.231.0.0/16", "203.0.113.7/32"}, sources); diff != "" {
		t.Errorf("wrong SSH sources after the update (-want +got):\n%s", diff)
	}

	// The private key is lost.
	os.Remove(p.attr("executor.fleet.key_pair", "private_key_file"))
	pp, _ = p.plan(plan.Options{})
	want := map[string]string{
		"executor.fleet.key_pair":       "create (was deleted outside lithops, so it will be created again)",
		"executor.fleet.security_group": "no-op",
		"executor.fleet.instance[0]":    "replace (it uses executor.fleet.key_pair, which will be created anew)",
		"executor.fleet.bootstrap[0]":   "replace (it uses executor.fleet.instance[0], which will be created anew)",
	}
	if diff := cmp.Diff(want, actions(pp)); diff != "" {
		t.Errorf("wrong plan after the private key was lost (-want +got):\n%s", diff)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	if p.attr("executor.fleet.key_pair", "name") == oldKey || p.attr("executor.fleet.instance[0]", "instance_id") == oldInstance {
		t.Error("the key pair or the instance was not replaced")
	}
	if inst, _ := c.srv.Instance(oldInstance); inst.State != fakeec2.Terminated {
		t.Errorf("the old instance is %s, want terminated", inst.State)
	}
	if err := p.apply(plan.Options{Destroy: true}, 10); err != nil {
		t.Fatal(err)
	}
	// The key pair whose private key was lost is left in EC2: lithops
	// forgot it when it found it gone. It costs nothing; say so here.
	var left []string
	for _, r := range c.srv.Resources() {
		left = append(left, r.Kind+" "+r.Name)
	}
	if diff := cmp.Diff([]string{"key-pair " + oldKey}, left); diff != "" {
		t.Errorf("wrong resources left after destroy (-want +got):\n%s", diff)
	}
}

// A fleet whose block leaves the configuration is destroyed from what the
// state records, through the registry's resource types.
func TestRemovedBlockIsDestroyed(t *testing.T) {
	c := newCloud(t, 2, fakeec2.Options{}, false)
	p := c.project(withCount(2))
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	p.write("# nothing\n")
	pp, _ := p.plan(plan.Options{})
	want := []string{
		"executor.fleet.bootstrap[0]: delete", "executor.fleet.bootstrap[1]: delete",
		"executor.fleet.instance[0]: delete", "executor.fleet.instance[1]: delete",
		"executor.fleet.key_pair: delete", "executor.fleet.security_group: delete",
	}
	if diff := cmp.Diff(want, changed(pp)); diff != "" {
		t.Errorf("wrong plan with the block removed (-want +got):\n%s", diff)
	}
	if err := p.apply(plan.Options{}, 10); err != nil {
		t.Fatal(err)
	}
	if got := c.srv.Resources(); len(got) != 0 {
		t.Errorf("EC2 still holds %+v", got)
	}
}
