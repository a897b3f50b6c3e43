package awsec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
	"lithops/providers/vm"
	"lithops/remote"
)

// BootstrapType is the resource type of the worker installed on an
// instance.
const BootstrapType = "aws_ec2_bootstrap"

// bootstrap is the aws_ec2_bootstrap resource: the lithops worker installed
// on one instance, exactly as the vm backend installs it on a host (a
// vm.Machine whose host key is the one generated for the instance). It is
// made from its instance (Uses), so a new instance gets a new bootstrap.
type bootstrap struct {
	b       *Backend
	profile string
	// binaries are the block's worker_binaries (platform → local path);
	// nil for the registry's instance, which only reads and deletes.
	binaries map[string]string
}

var _ providers.Resource = (*bootstrap)(nil)

var bootstrapSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":           {Type: cty.String, ForceNew: true, Description: "The instance's region."},
	"endpoint":         {Type: cty.String, ForceNew: true, Description: "The EC2 endpoint, when not the region's."},
	"executor":         {Type: cty.String, ForceNew: true, Description: "The executor block's name."},
	"index":            {Type: cty.Number, ForceNew: true, Description: "The instance's place in the fleet."},
	"worker_digest":    {Type: cty.String, ForceNew: true, Description: "The lithops build (sha256 of its binary): a new build replaces the bootstrap."},
	"worker_binaries":  {Type: cty.Map(cty.String), ForceNew: true, Description: "Digests of the executor's worker_binaries, by platform."},
	"instance_id":      {Type: cty.String, Computed: true, Description: "The instance it is installed on."},
	"host":             {Type: cty.String, Computed: true, Description: "The instance's address."},
	"ssh_user":         {Type: cty.String, Computed: true, Description: "The login the worker runs as."},
	"private_key_file": {Type: cty.String, Computed: true, Description: "The private key that logs in."},
	"host_key":         {Type: cty.String, Computed: true, Description: "The instance's host key."},
	"platform":         {Type: cty.String, Computed: true, Description: "The instance's os/arch."},
	"binary_digest":    {Type: cty.String, Computed: true, Description: "sha256 of the installed worker binary."},
	"remote_path":      {Type: cty.String, Computed: true, Description: "Where the worker binary is on the instance."},
}}

func (*bootstrap) Type() string             { return BootstrapType }
func (*bootstrap) Schema() providers.Schema { return bootstrapSchema }

func machine(a attrs, name string) vm.Machine {
	return vm.Machine{
		Name:    name,
		Host:    remote.Host{User: a.str("ssh_user"), Addr: a.str("host"), Port: remote.DefaultPort},
		KeyFile: a.str("private_key_file"),
		HostKey: a.str("host_key"),
	}
}

// instanceUp reports whether the instance a bootstrap is on still runs (or
// may: pending, stopped). A terminated instance took the bootstrap with it.
func (r *bootstrap) instanceUp(ctx context.Context, a attrs) (bool, error) {
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return false, err
	}
	in, err := describeInstance(ctx, c, a.str("instance_id"))
	switch {
	case errors.Is(err, errNoInstance):
		return false, nil
	case err != nil:
		return false, err
	}
	switch in.State.Name {
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated:
		return false, nil
	}
	return true, nil
}

// Read asks EC2 first (a terminated instance means the bootstrap is gone,
// without waiting for SSH to time out), then the instance, as the vm
// backend's refresh does.
func (r *bootstrap) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	a := attrsOf(req.State)
	if a.str("instance_id") == "" || a.str("remote_path") == "" {
		return providers.ReadResponse{Gone: true}, nil
	}
	up, err := r.instanceUp(ctx, a)
	if err != nil || !up {
		return providers.ReadResponse{Gone: !up && err == nil}, err
	}
	if _, err := os.Stat(a.str("private_key_file")); errors.Is(err, os.ErrNotExist) {
		// Nobody can log in to look: the key pair is gone too, and the
		// plan makes new instances and bootstraps.
		return providers.ReadResponse{State: req.State}, nil
	}
	ok, err := r.workers().Present(ctx, machine(a, req.Addr), a.str("remote_path"))
	if err != nil {
		return providers.ReadResponse{}, err
	}
	if !ok {
		return providers.ReadResponse{Gone: true}, nil
	}
	return providers.ReadResponse{State: req.State}, nil
}

// Create installs the worker on the instance it uses.
func (r *bootstrap) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	a := attrsOf(req.Planned)
	inst := attrsOf(req.Uses[instanceName(a.number("index"))])
	if inst.str("instance_id") == "" || inst.str("host") == "" {
		return providers.CreateResponse{}, errors.New("its instance is not known")
	}
	for _, name := range []string{"instance_id", "host", "ssh_user", "private_key_file", "host_key"} {
		a[name] = inst[name]
	}
	var digests map[string]string
	if v := a["worker_binaries"]; !v.IsNull() && v.IsWhollyKnown() {
		digests = map[string]string{}
		for p, d := range v.AsValueMap() {
			digests[p] = d.AsString()
		}
	}
	in, err := r.workers().Install(ctx, machine(a, req.Addr), a.str("worker_digest"), r.binaries, digests)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	a["platform"] = cty.StringVal(in.Platform)
	a["binary_digest"] = cty.StringVal(in.Digest)
	a["remote_path"] = cty.StringVal(in.RemotePath)
	return providers.CreateResponse{State: a.object(bootstrapSchema.ObjectType().AttributeTypes())}, nil
}

// Delete removes the worker from the instance, unless the instance is
// already terminated or on its way.
func (r *bootstrap) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	a := attrsOf(req.State)
	if a.str("instance_id") == "" || a.str("remote_path") == "" {
		return providers.DeleteResponse{}, nil
	}
	up, err := r.instanceUp(ctx, a)
	if err != nil || !up {
		return providers.DeleteResponse{}, err
	}
	return providers.DeleteResponse{}, r.workers().Uninstall(ctx, machine(a, req.Addr), a.str("remote_path"), req.Addr)
}

// workers is the vm backend that installs and runs workers.
func (r *bootstrap) workers() *vm.Backend {
	if r.b.Workers == nil {
		return &vm.Backend{}
	}
	return r.b.Workers
}

// binaryDigests is "sha256:…" of each worker binary.
func binaryDigests(binaries map[string]string) (cty.Value, error) {
	if len(binaries) == 0 {
		return cty.NullVal(cty.Map(cty.String)), nil
	}
	out := map[string]cty.Value{}
	for p, file := range binaries {
		f, err := os.Open(file)
		if err != nil {
			return cty.NilVal, fmt.Errorf("worker_binaries[%q]: %w", p, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return cty.NilVal, fmt.Errorf("worker_binaries[%q]: %w", p, err)
		}
		out[p] = cty.StringVal("sha256:" + hex.EncodeToString(h.Sum(nil)))
	}
	return cty.MapVal(out), nil
}
