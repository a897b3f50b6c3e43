package awsec2

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/ssh"

	"lithops/providers"
	"lithops/remote"
)

// InstanceType is the resource type of a fleet's instances.
const InstanceType = "aws_ec2_instance"

// instance is the aws_ec2_instance resource: one EC2 instance of the fleet,
// launched with the fleet's key pair and security group, a host key
// generated here and installed by cloud-init (so the first SSH connection
// is already verified), and the idle watchdog; shutdown behaviour
// "terminate", so an idle power-off ends it. Create returns once the
// instance answers SSH with that host key.
type instance struct {
	b       *Backend
	profile string
}

var (
	_ providers.Resource  = (*instance)(nil)
	_ providers.Updater   = (*instance)(nil)
	_ providers.Estimator = (*instance)(nil)
)

var instanceSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":            {Type: cty.String, ForceNew: true, Description: "The region."},
	"endpoint":          {Type: cty.String, ForceNew: true, Description: "The EC2 endpoint, when not the region's."},
	"executor":          {Type: cty.String, ForceNew: true, Description: "The executor block's name."},
	"index":             {Type: cty.Number, ForceNew: true, Description: "The instance's place in the fleet."},
	"instance_type":     {Type: cty.String, ForceNew: true, Description: "The instance type."},
	"ami":               {Type: cty.String, Computed: true, ForceNew: true, Description: "The image: configured, or the newest Ubuntu LTS image when the instance was launched."},
	"image_name":        {Type: cty.String, Computed: true, Description: "The name of the image found for ami, when lithops looked it up."},
	"spot":              {Type: cty.Bool, ForceNew: true, Description: "Asked for as a spot instance."},
	"spot_fallback":     {Type: cty.Bool, Description: "Launched on-demand when spot capacity was missing."},
	"subnet_id":         {Type: cty.String, Computed: true, ForceNew: true, Description: "The subnet."},
	"security_group_id": {Type: cty.String, Computed: true, ForceNew: true, Description: "The security group: configured, or the fleet's."},
	"ssh_user":          {Type: cty.String, ForceNew: true, Description: "The login."},
	"idle_shutdown":     {Type: cty.String, ForceNew: true, Description: "Idle time before the instance powers itself off (in its user data)."},
	"instance_id":       {Type: cty.String, Computed: true, Description: "The instance's ID."},
	"market":            {Type: cty.String, Computed: true, Description: `How it was bought: "spot" or "on-demand".`},
	"key_name":          {Type: cty.String, Computed: true, Description: "The key pair it was launched with."},
	"private_key_file":  {Type: cty.String, Computed: true, Description: "The private key that logs in."},
	"host_key":          {Type: cty.String, Computed: true, Description: "The SSH host key generated for it, public half: the only key it may present."},
	"public_ip":         {Type: cty.String, Computed: true, Description: "Its public address, if any."},
	"private_ip":        {Type: cty.String, Computed: true, Description: "Its private address."},
	"host":              {Type: cty.String, Computed: true, Description: "The address lithops reaches it at (public, else private)."},
	"availability_zone": {Type: cty.String, Computed: true, Description: "Its availability zone."},
}}

func (*instance) Type() string             { return InstanceType }
func (*instance) Schema() providers.Schema { return instanceSchema }

func (r *instance) object(a attrs) cty.Value {
	return a.object(instanceSchema.ObjectType().AttributeTypes())
}

// Read finds the instance. One that is terminated or on its way there
// (idle shutdown, spot interruption, terminated by hand) is gone: the next
// plan launches another. Its addresses are refreshed.
func (r *instance) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	a := attrsOf(req.State)
	id := a.str("instance_id")
	if id == "" {
		return providers.ReadResponse{Gone: true}, nil
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.ReadResponse{}, err
	}
	in, err := describeInstance(ctx, c, id)
	switch {
	case errors.Is(err, errNoInstance):
		return providers.ReadResponse{Gone: true}, nil
	case err != nil:
		return providers.ReadResponse{}, err
	}
	switch in.State.Name {
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated:
		return providers.ReadResponse{Gone: true}, nil
	}
	setAddresses(a, in)
	return providers.ReadResponse{State: r.object(a)}, nil
}

var errNoInstance = errors.New("no such instance")

// describeInstance describes one instance; errNoInstance when EC2 does not
// know it (or does not know it yet: EC2 is eventually consistent).
func describeInstance(ctx context.Context, c ec2API, id string) (types.Instance, error) {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if errorCode(err) == "InvalidInstanceID.NotFound" {
		return types.Instance{}, errNoInstance
	}
	if err != nil {
		return types.Instance{}, fmt.Errorf("describe instance %s: %w", id, brief(err))
	}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			if aws.ToString(in.InstanceId) == id && in.State != nil {
				return in, nil
			}
		}
	}
	return types.Instance{}, errNoInstance
}

func setAddresses(a attrs, in types.Instance) {
	a["public_ip"] = optString(aws.ToString(in.PublicIpAddress))
	a["private_ip"] = optString(aws.ToString(in.PrivateIpAddress))
	host := aws.ToString(in.PublicIpAddress)
	if host == "" {
		host = aws.ToString(in.PrivateIpAddress)
	}
	a["host"] = optString(host)
	if in.Placement != nil {
		a["availability_zone"] = optString(aws.ToString(in.Placement.AvailabilityZone))
	}
	if s := aws.ToString(in.SubnetId); s != "" {
		a["subnet_id"] = cty.StringVal(s)
	}
}

// Create launches the instance and waits until it answers SSH with its
// host key. An instance that launched but never became reachable is
// returned with the error, so it is recorded and replaced (terminated)
// next time; one that EC2 terminated while it started is simply reported.
func (r *instance) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	a := attrsOf(req.Planned)
	key := attrsOf(req.Uses["key_pair"])
	if key.str("name") == "" || key.str("private_key_file") == "" {
		return providers.CreateResponse{}, errors.New("the fleet's key pair is not known")
	}
	if a.str("security_group_id") == "" {
		g := attrsOf(req.Uses["security_group"]).str("group_id")
		if g == "" {
			return providers.CreateResponse{}, errors.New("the fleet's security group is not known")
		}
		a["security_group_id"] = cty.StringVal(g)
	}
	a["key_name"] = cty.StringVal(key.str("name"))
	a["private_key_file"] = cty.StringVal(key.str("private_key_file"))

	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.CreateResponse{}, err
	}
	if a.str("ami") == "" {
		arch, err := architecture(ctx, c, a.str("instance_type"))
		if err != nil {
			return providers.CreateResponse{}, err
		}
		id, name, err := latestUbuntuLTS(ctx, c, arch)
		if err != nil {
			return providers.CreateResponse{}, err
		}
		a["ami"], a["image_name"] = cty.StringVal(id), cty.StringVal(name)
	}
	if err := terminateStrays(ctx, c, key.str("name"), a.number("index")); err != nil {
		return providers.CreateResponse{}, err
	}

	hostPEM, hostPub, err := hostKey()
	if err != nil {
		return providers.CreateResponse{}, err
	}
	idle, err := time.ParseDuration(a.str("idle_shutdown"))
	if err != nil {
		return providers.CreateResponse{}, fmt.Errorf("idle_shutdown: %w", brief(err))
	}
	ud, err := userData(hostPEM, hostPub, a.str("ssh_user"), idle)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	a["host_key"] = cty.StringVal(hostPub)

	in, market, err := r.launch(ctx, c, a, ud)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	id := aws.ToString(in.InstanceId)
	a["instance_id"] = cty.StringVal(id)
	a["market"] = cty.StringVal(market)
	setAddresses(a, in)

	in, err = r.waitRunning(ctx, c, id)
	if err != nil {
		if errors.Is(err, errTerminated) {
			return providers.CreateResponse{}, err
		}
		return providers.CreateResponse{State: r.object(a)}, err
	}
	setAddresses(a, in)
	if err := r.waitSSH(ctx, a); err != nil {
		return providers.CreateResponse{State: r.object(a)}, err
	}
	return providers.CreateResponse{State: r.object(a)}, nil
}

// hostKey generates an ed25519 host key: the private half in OpenSSH PEM
// form (for the user data) and the public half in authorized_keys form.
func hostKey() (string, string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "lithops host key")
	if err != nil {
		return "", "", err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(block)), trimNewline(string(ssh.MarshalAuthorizedKey(sp))), nil
}

// spotUnavailable are the RunInstances error codes that mean EC2 has no
// spot capacity for the request now.
var spotUnavailable = map[string]bool{
	"InsufficientInstanceCapacity": true,
	"InsufficientCapacity":         true,
	"UnfulfillableCapacity":        true,
	"MaxSpotInstanceCountExceeded": true,
	"SpotMaxPriceTooLow":           true,
}

// launch runs one instance: spot when asked, on-demand when spot capacity
// is missing and spot_fallback is set. It returns the instance and its
// market.
func (r *instance) launch(ctx context.Context, c ec2API, a attrs, ud []byte) (types.Instance, string, error) {
	in := &ec2.RunInstancesInput{
		ImageId:                           aws.String(a.str("ami")),
		InstanceType:                      types.InstanceType(a.str("instance_type")),
		MinCount:                          aws.Int32(1),
		MaxCount:                          aws.Int32(1),
		KeyName:                           aws.String(a.str("key_name")),
		SecurityGroupIds:                  []string{a.str("security_group_id")},
		UserData:                          aws.String(base64.StdEncoding.EncodeToString(ud)),
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
		TagSpecifications: tags(types.ResourceTypeInstance, fmt.Sprintf("lithops-%s-%d", a.str("executor"), a.number("index")), a.str("executor"),
			TagFleet, a.str("key_name"), TagIndex, strconv.Itoa(a.number("index"))),
	}
	if s := a.str("subnet_id"); s != "" {
		in.SubnetId = aws.String(s)
	}
	run := func(market string) (types.Instance, error) {
		in := *in
		// A token per launch: the SDK's retries of this call reuse it, so
		// a retried RunInstances cannot launch twice.
		in.ClientToken = aws.String(fmt.Sprintf("lithops-%s-%s", a.str("key_name"), randomSuffix()))
		if market == "spot" {
			in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{
				MarketType: types.MarketTypeSpot,
				SpotOptions: &types.SpotMarketOptions{
					SpotInstanceType:             types.SpotInstanceTypeOneTime,
					InstanceInterruptionBehavior: types.InstanceInterruptionBehaviorTerminate,
				},
			}
		}
		out, err := c.RunInstances(ctx, &in)
		if err != nil {
			return types.Instance{}, fmt.Errorf("launch %s %s in %s: %w", market, a.str("instance_type"), a.str("region"), brief(err))
		}
		if len(out.Instances) != 1 {
			return types.Instance{}, fmt.Errorf("launch %s %s: EC2 launched %d instances, not 1", market, a.str("instance_type"), len(out.Instances))
		}
		return out.Instances[0], nil
	}
	if !a.boolean("spot") {
		inst, err := run("on-demand")
		return inst, "on-demand", err
	}
	inst, err := run("spot")
	if err == nil {
		return inst, "spot", nil
	}
	if !a.boolean("spot_fallback") || !spotUnavailable[errorCode(err)] {
		return types.Instance{}, "", err
	}
	inst, odErr := run("on-demand")
	if odErr != nil {
		return types.Instance{}, "", fmt.Errorf("%w; falling back to on-demand: %w", err, odErr)
	}
	return inst, "on-demand", nil
}

// terminateStrays terminates instances tagged with this fleet and index
// (any index when index is -1) that no state records: what an apply killed
// between RunInstances and its state write left running.
func terminateStrays(ctx context.Context, c ec2API, fleet string, index int) error {
	filters := []types.Filter{
		{Name: aws.String("tag:" + TagFleet), Values: []string{fleet}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}
	if index >= 0 {
		filters = append(filters, types.Filter{Name: aws.String("tag:" + TagIndex), Values: []string{strconv.Itoa(index)}})
	}
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filters})
	if err != nil {
		return fmt.Errorf("look for instances of fleet %s left by an interrupted apply: %w", fleet, brief(err))
	}
	var ids []string
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil && errorCode(err) != "InvalidInstanceID.NotFound" {
		return fmt.Errorf("terminate %v, left by an interrupted apply: %w", ids, brief(err))
	}
	return nil
}

var errTerminated = errors.New("terminated")

// waitRunning polls until the instance runs. EC2 may not know a new
// instance for a moment; one that terminates instead (a launch failure, a
// spot instance taken back) is errTerminated with EC2's reason.
func (r *instance) waitRunning(ctx context.Context, c ec2API, id string) (types.Instance, error) {
	t := r.b.timing()
	deadline := time.Now().Add(t.Running)
	wait := t.poller()
	for {
		in, err := describeInstance(ctx, c, id)
		switch {
		case errors.Is(err, errNoInstance):
		case err != nil:
			return types.Instance{}, err
		default:
			switch in.State.Name {
			case types.InstanceStateNameRunning:
				return in, nil
			case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated, types.InstanceStateNameStopping, types.InstanceStateNameStopped:
				reason := aws.ToString(in.StateTransitionReason)
				if in.StateReason != nil {
					reason = aws.ToString(in.StateReason.Message)
				}
				return types.Instance{}, fmt.Errorf("instance %s %w while starting (%s): %s", id, errTerminated, in.State.Name, reason)
			}
		}
		if time.Now().After(deadline) {
			return types.Instance{}, fmt.Errorf("instance %s is not running after %s", id, t.Running)
		}
		if err := wait(ctx); err != nil {
			return types.Instance{}, fmt.Errorf("wait for instance %s: %w", id, err)
		}
	}
}

// waitSSH waits until the instance lets the fleet's key log in, presenting
// the host key generated for it. A host that presents another key is
// refused like any other (nothing runs there) and tried again: cloud-init
// installs the key before sshd starts, so it should not happen.
func (r *instance) waitSSH(ctx context.Context, a attrs) error {
	t := r.b.timing()
	h := remote.Host{User: a.str("ssh_user"), Addr: a.str("host"), Port: remote.DefaultPort}
	cfg := remote.Config{PrivateKeyFiles: []string{a.str("private_key_file")}, HostKey: a.str("host_key"), ConnectTimeout: t.SSHAttempt}
	deadline := time.Now().Add(t.SSH)
	wait := t.poller()
	for {
		conn, err := remote.Dial(ctx, h, cfg)
		if err == nil {
			return conn.Close()
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("instance %s is running but SSH at %s did not let lithops in within %s: %w", a.str("instance_id"), h, t.SSH, brief(err))
		}
		if err := wait(ctx); err != nil {
			return err
		}
	}
}

// Update records a new spot_fallback: it matters only at launch.
func (r *instance) Update(_ context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	a := attrsOf(req.Prior)
	a["spot_fallback"] = attrsOf(req.Planned)["spot_fallback"]
	return providers.UpdateResponse{State: r.object(a)}, nil
}

// Delete terminates the instance and waits until it is terminated, so that
// the security group it used can go next.
func (r *instance) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	a := attrsOf(req.State)
	id := a.str("instance_id")
	if id == "" {
		return providers.DeleteResponse{}, nil
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.DeleteResponse{}, err
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		if errorCode(err) == "InvalidInstanceID.NotFound" {
			return providers.DeleteResponse{}, nil
		}
		return providers.DeleteResponse{}, fmt.Errorf("terminate %s: %w", id, brief(err))
	}
	t := r.b.timing()
	deadline := time.Now().Add(t.Termination)
	wait := t.poller()
	for {
		in, err := describeInstance(ctx, c, id)
		switch {
		case errors.Is(err, errNoInstance):
			return providers.DeleteResponse{}, nil
		case err != nil:
			return providers.DeleteResponse{}, err
		case in.State.Name == types.InstanceStateNameTerminated:
			return providers.DeleteResponse{}, nil
		case time.Now().After(deadline):
			return providers.DeleteResponse{}, fmt.Errorf("instance %s is still %s %s after it was told to terminate", id, in.State.Name, t.Termination)
		}
		if err := wait(ctx); err != nil {
			return providers.DeleteResponse{}, fmt.Errorf("wait for %s to terminate: %w", id, err)
		}
	}
}
