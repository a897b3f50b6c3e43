package awsec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
	"lithops/providers/vm"
)

// Backend is the `aws_ec2` executor backend: a fleet of EC2 instances that
// lithops creates, bootstraps and dispatches to over SSH.
//
//	executor "fleet" {
//	  backend        = "aws_ec2"
//	  region         = "eu-west-1"
//	  instance_type  = "c7i.large"
//	  count          = 4
//	  spot           = true
//	  spot_fallback  = true          # on-demand when spot capacity is missing
//	  ssh_cidrs      = ["203.0.113.7/32"]
//	  idle_shutdown  = "15m"
//	  # ami, subnet_id, security_group_id, ssh_user, endpoint, profile,
//	  # worker_processes, env, worker_binaries
//	}
//
// main fills the fields; the package reads no environment itself (the AWS
// SDK reads its credential chain).
type Backend struct {
	// Workers installs the worker on instances and runs jobs on them: the
	// vm backend, whose Machine API serves hosts that another backend made.
	Workers *vm.Backend
	// HTTPClient, when set, carries every EC2 request (tests).
	HTTPClient *http.Client
	// Timing overrides the default waits (tests shorten them).
	Timing Timing

	clients clients
}

// Timing holds how long the backend waits for EC2 and for SSH, and how
// often it looks; zero fields take the defaults.
type Timing struct {
	// Poll is the longest interval between looks (5s); waits look first
	// after a tenth of it, then ever less often.
	Poll time.Duration
	// Running bounds the wait for a launched instance to run (10m).
	Running time.Duration
	// SSH bounds the wait for a running instance to let lithops log in
	// (5m); SSHAttempt bounds one attempt (15s).
	SSH, SSHAttempt time.Duration
	// Termination bounds the wait for a terminated instance to be gone
	// (10m).
	Termination time.Duration
	// GroupDelete bounds the retries of a security group deletion that EC2
	// refuses while instances that used it shut down (5m).
	GroupDelete time.Duration
}

// poller waits between looks: Poll/10 at first, doubling up to Poll.
func (t Timing) poller() func(context.Context) error {
	d := t.Poll / 10
	return func(ctx context.Context) error {
		err := objstore.Sleep(ctx, d)
		d = min(2*d, t.Poll)
		return err
	}
}

func (b *Backend) timing() Timing {
	t := b.Timing
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Poll, 5*time.Second)
	def(&t.Running, 10*time.Minute)
	def(&t.SSH, 5*time.Minute)
	def(&t.SSHAttempt, 15*time.Second)
	def(&t.Termination, 10*time.Minute)
	def(&t.GroupDelete, 5*time.Minute)
	return t
}

var (
	_ providers.ExecutorBackend = (*Backend)(nil)
	_ providers.BodyDescriber   = (*Backend)(nil)
)

// Name implements providers.ExecutorBackend.
func (*Backend) Name() string { return "aws_ec2" }

// Spec implements providers.ExecutorBackend.
func (*Backend) Spec() hcldec.Spec { return spec() }

// BodySchema implements providers.BodyDescriber.
func (*Backend) BodySchema() providers.Schema { return bodySchema }

// Validate implements providers.ExecutorBackend.
func (*Backend) Validate(body cty.Value) []providers.Problem {
	_, ps := decode(body)
	return ps
}

// KeyPairResource, SecurityGroupResource and InstanceResource are the
// resource types for the registry: they read and delete recorded
// resources whose block left the configuration, with the SDK's default
// credentials.
func (b *Backend) KeyPairResource() providers.Resource       { return &keyPair{b: b} }
func (b *Backend) SecurityGroupResource() providers.Resource { return &securityGroup{b: b} }
func (b *Backend) InstanceResource() providers.Resource      { return &instance{b: b} }
func (b *Backend) BootstrapResource() providers.Resource     { return &bootstrap{b: b} }

// instanceName is instance i's name within the executor block.
func instanceName(i int) string { return "instance[" + strconv.Itoa(i) + "]" }

// bootstrapName is the name of the worker bootstrap on instance i.
func bootstrapName(i int) string { return "bootstrap[" + strconv.Itoa(i) + "]" }

// Resources implements providers.ExecutorBackend: the key pair, the
// security group (unless security_group_id names one), and per instance
// the instance and the worker bootstrap on it.
func (b *Backend) Resources(ctx context.Context, req providers.ExecutorResourcesRequest) (providers.ExecutorResourcesResponse, error) {
	s, ps := decode(req.Body)
	if len(ps) > 0 {
		return providers.ExecutorResourcesResponse{}, fmt.Errorf("%s: %s", ps[0].Summary, ps[0].Detail)
	}
	if req.Dir == "" {
		return providers.ExecutorResourcesResponse{}, errors.New("the configuration directory is not known")
	}
	if req.WorkerDigest == "" {
		return providers.ExecutorResourcesResponse{}, errors.New("the digest of the worker binary is not known")
	}
	binaries, err := binaryDigests(s.binaries)
	if err != nil {
		return providers.ExecutorResourcesResponse{}, err
	}
	common := func(schema providers.Schema, set map[string]cty.Value) cty.Value {
		a := attrs{"region": cty.StringVal(s.region), "endpoint": optString(s.endpoint), "executor": cty.StringVal(req.Name)}
		for k, v := range set {
			a[k] = v
		}
		return a.object(schema.ObjectType().AttributeTypes())
	}
	out := []providers.DesiredResource{{
		Name:     "key_pair",
		Resource: &keyPair{b: b, dir: req.Dir, profile: s.profile},
		Config:   common(keyPairSchema, nil),
	}}
	uses := []string{"key_pair"}
	if s.groupID == "" {
		cidrs := append([]string(nil), s.sshCIDRs...)
		sort.Strings(cidrs)
		out = append(out, providers.DesiredResource{
			Name:     "security_group",
			Resource: &securityGroup{b: b, profile: s.profile},
			Config:   common(securityGroupSchema, map[string]cty.Value{"subnet_id": optString(s.subnetID), "ssh_cidrs": stringList(cidrs)}),
		})
		uses = append(uses, "security_group")
	}
	inst := &instance{b: b, profile: s.profile}
	boot := &bootstrap{b: b, profile: s.profile, binaries: s.binaries}
	for i := range s.count {
		out = append(out, providers.DesiredResource{
			Name:     instanceName(i),
			Resource: inst,
			Uses:     uses,
			Config: common(instanceSchema, map[string]cty.Value{
				"index":             cty.NumberIntVal(int64(i)),
				"instance_type":     cty.StringVal(s.instanceType),
				"ami":               optString(s.ami),
				"spot":              cty.BoolVal(s.spot),
				"spot_fallback":     cty.BoolVal(s.fallback),
				"subnet_id":         optString(s.subnetID),
				"security_group_id": optString(s.groupID),
				"ssh_user":          cty.StringVal(s.sshUser),
				"idle_shutdown":     cty.StringVal(s.idle.String()),
			}),
		}, providers.DesiredResource{
			Name:     bootstrapName(i),
			Resource: boot,
			Uses:     []string{instanceName(i)},
			Config: common(bootstrapSchema, map[string]cty.Value{
				"index":           cty.NumberIntVal(int64(i)),
				"worker_digest":   cty.StringVal(req.WorkerDigest),
				"worker_binaries": binaries,
			}),
		})
	}
	return providers.ExecutorResourcesResponse{Resources: out}, nil
}

// Open implements providers.ExecutorBackend: the vm backend's fleet
// dispatcher over the instances whose worker is installed, each verified by
// its own host key.
func (b *Backend) Open(ctx context.Context, req providers.OpenExecutorRequest) (providers.OpenExecutorResponse, error) {
	s, ps := decode(req.Body)
	if len(ps) > 0 {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: %s: %s", req.Name, ps[0].Summary, ps[0].Detail)
	}
	if b.Workers == nil {
		return providers.OpenExecutorResponse{}, errors.New("this lithops has no vm backend to run workers with")
	}
	fr := vm.FleetRequest{Name: "executor." + req.Name, Processes: s.processes, Env: s.env, Hosts: req.Hosts, OpenStore: req.OpenStore}
	for i := range s.count {
		a := attrsOf(req.Resources[bootstrapName(i)])
		if a.str("remote_path") == "" {
			continue
		}
		fr.Workers = append(fr.Workers, vm.Worker{
			Machine:    machine(a, instanceName(i)+" "+a.str("host")),
			RemotePath: a.str("remote_path"),
		})
	}
	d, err := b.Workers.OpenFleet(ctx, fr)
	if err != nil {
		return providers.OpenExecutorResponse{}, err
	}
	return providers.OpenExecutorResponse{Dispatcher: d}, nil
}
