package fakeec2

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// seen is what a backend reads of an instance from DescribeInstances.
type seen struct {
	ID, State, PrivateIP, PublicIP, KeyName, Lifecycle, Reason string
	Groups                                                     []string
	Tags                                                       map[string]string
}

func describe(t *testing.T, c *ec2.Client, in *ec2.DescribeInstancesInput) []seen {
	t.Helper()
	out, err := c.DescribeInstances(ctxFor(t), in)
	if err != nil {
		t.Fatalf("describe instances: %v", err)
	}
	var got []seen
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			s := seen{
				ID: aws.ToString(i.InstanceId), State: string(i.State.Name), PrivateIP: aws.ToString(i.PrivateIpAddress),
				PublicIP: aws.ToString(i.PublicIpAddress), KeyName: aws.ToString(i.KeyName), Lifecycle: string(i.InstanceLifecycle),
				Tags: map[string]string{},
			}
			if i.StateReason != nil {
				s.Reason = aws.ToString(i.StateReason.Code)
			}
			for _, g := range i.SecurityGroups {
				s.Groups = append(s.Groups, aws.ToString(g.GroupName))
			}
			for _, tag := range i.Tags {
				s.Tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			got = append(got, s)
		}
	}
	return got
}

// TestInstanceLifecycle follows one instance through what a fleet backend
// does: launch with a key, a group, tags and user data; wait until it is
// running; read its public address; terminate it (twice); and see it stay
// visible as terminated.
func TestInstanceLifecycle(t *testing.T) {
	host := &MemoryHost{}
	srv := start(t, Options{Host: host, Addresses: []Address{{Private: "10.231.0.11", Public: "10.231.0.11"}}})
	c := client(srv)
	ctx := ctxFor(t)
	pub, line := ed25519Key(t)
	if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("lithops-lab"), PublicKeyMaterial: line}); err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lithops-lab"), Description: aws.String("lab")})
	if err != nil {
		t.Fatal(err)
	}
	userData := "#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n"
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		KeyName: aws.String("lithops-lab"), SecurityGroupIds: []string{aws.ToString(g.GroupId)}, UserData: b64(userData),
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
		TagSpecifications:                 []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("lab-0")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	// RunInstances answers before the instance boots: pending, private
	// address known, no public address yet.
	first := run.Instances[0]
	if diff := cmp.Diff([]string{"pending", "10.231.0.11", ""}, []string{string(first.State.Name), aws.ToString(first.PrivateIpAddress), aws.ToString(first.PublicIpAddress)}); diff != "" {
		t.Errorf("wrong RunInstances answer (-want +got):\n%s", diff)
	}

	waiter := ec2.NewInstanceRunningWaiter(c, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute); err != nil {
		t.Fatalf("SDK running waiter: %v", err)
	}
	want := []seen{{ID: id, State: "running", PrivateIP: "10.231.0.11", PublicIP: "10.231.0.11", KeyName: "lithops-lab", Groups: []string{"lithops-lab"}, Tags: map[string]string{"Name": "lab-0"}}}
	if diff := cmp.Diff(want, describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})); diff != "" {
		t.Errorf("wrong running instance (-want +got):\n%s", diff)
	}

	// The host got what cloud-init would: the key pair and the user data.
	inst, ok := srv.Instance(id)
	if !ok {
		t.Fatal("instance unknown to the server")
	}
	gotHost := []string{inst.PublicKey, string(inst.UserData), inst.ShutdownBehavior, strings.Join(host.Up(), ",")}
	wantHost := []string{strings.TrimSpace(string(line)), userData, "terminate", id}
	if diff := cmp.Diff(wantHost, gotHost); diff != "" {
		t.Errorf("wrong instance as the host sees it (-want +got):\n%s", diff)
	}
	_ = pub

	for i := range 2 {
		out, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatalf("terminate #%d: %v", i+1, err)
		}
		if i == 0 {
			ch := out.TerminatingInstances[0]
			if diff := cmp.Diff([]string{"running", "shutting-down"}, []string{string(ch.PreviousState.Name), string(ch.CurrentState.Name)}); diff != "" {
				t.Errorf("wrong state change (-want +got):\n%s", diff)
			}
		}
	}
	terminated := ec2.NewInstanceTerminatedWaiter(c, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	if err := terminated.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, time.Minute); err != nil {
		t.Fatalf("SDK terminated waiter: %v", err)
	}
	want[0].State, want[0].PublicIP, want[0].Reason = "terminated", "", "Client.UserInitiatedShutdown"
	if diff := cmp.Diff(want, describe(t, c, &ec2.DescribeInstancesInput{})); diff != "" {
		t.Errorf("wrong terminated instance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{[]Resource{{Kind: "key-pair", ID: srv.Resources()[0].ID, Name: "lithops-lab"}, {Kind: "security-group", ID: aws.ToString(g.GroupId), Name: "lithops-lab"}}, []string{}},
		[]any{srv.Resources(), host.Up()}); diff != "" {
		t.Errorf("wrong resources and hosts after termination (-want +got):\n%s", diff)
	}
}

func TestTerminatedInstancesAreForgotten(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: now}
	srv := start(t, Options{Now: clock.Now, TerminatedRetention: time.Hour})
	c := client(srv)
	ids := launch(t, c, 1)
	if _, err := c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, ids, Terminated)
	clock.Set(now.Add(59 * time.Minute))
	if got := len(describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})); got != 1 {
		t.Fatalf("terminated instance not visible within the retention: %d instances", got)
	}
	clock.Set(now.Add(61 * time.Minute))
	_, err := c.DescribeInstances(ctxFor(t), &ec2.DescribeInstancesInput{InstanceIds: ids})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	// Terminating a forgotten instance is NotFound too.
	_, err = c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids})
	wantCode(t, err, "InvalidInstanceID.NotFound")
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestDescribeInstancesFilters(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	tagged := func(fleet string) func(*ec2.RunInstancesInput) {
		return func(in *ec2.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("lithops:fleet"), Value: aws.String(fleet)}}}}
		}
	}
	lab := launch(t, c, 2, tagged("lab"))
	prod := launch(t, c, 1, tagged("prod"))
	spot := launch(t, c, 1, tagged("lab"), func(in *ec2.RunInstancesInput) {
		in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
		in.InstanceType = types.InstanceTypeC6iLarge
	})
	waitAll(t, srv, append(append(append([]string{}, lab...), prod...), spot...), Running)
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: lab[1:]}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, lab[1:], Terminated)

	ids := func(in *ec2.DescribeInstancesInput) []string {
		var out []string
		for _, s := range describe(t, c, in) {
			out = append(out, s.ID)
		}
		return out
	}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"none", nil, []string{lab[0], lab[1], prod[0], spot[0]}},
		{"tag", []types.Filter{f("tag:lithops:fleet", "lab")}, []string{lab[0], lab[1], spot[0]}},
		{"tag and live states", []types.Filter{f("tag:lithops:fleet", "lab"), f("instance-state-name", "pending", "running", "stopping", "stopped")}, []string{lab[0], spot[0]}},
		{"state code", []types.Filter{f("instance-state-code", "48")}, []string{lab[1]}},
		{"instance id", []types.Filter{f("instance-id", prod[0], spot[0])}, []string{prod[0], spot[0]}},
		{"tag wildcard", []types.Filter{f("tag:lithops:fleet", "p*")}, []string{prod[0]}},
		{"tag key", []types.Filter{f("tag-key", "lithops:*")}, []string{lab[0], lab[1], prod[0], spot[0]}},
		{"spot", []types.Filter{f("instance-lifecycle", "spot")}, []string{spot[0]}},
		{"instance type", []types.Filter{f("instance-type", "c6i.large")}, []string{spot[0]}},
		{"group name", []types.Filter{f("instance.group-name", "default")}, []string{lab[0], lab[1], prod[0], spot[0]}},
		{"no match", []types.Filter{f("tag:lithops:fleet", "staging")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(&ec2.DescribeInstancesInput{Filters: tt.filters})); diff != "" {
				t.Errorf("wrong instances (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeInstancesPages(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	var want []string
	for range 4 {
		want = append(want, launch(t, c, 3)...)
	}
	var got []string
	var sizes []int
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				got = append(got, aws.ToString(i.InstanceId))
				n++
			}
		}
		sizes = append(sizes, n)
	}
	if diff := cmp.Diff([]any{want, []int{5, 5, 2}}, []any{got, sizes}); diff != "" {
		t.Errorf("wrong instances and page sizes (-want +got):\n%s", diff)
	}
}

func TestRunInstancesRefuses(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	_, line := ed25519Key(t)
	if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("k"), PublicKeyMaterial: line}); err != nil {
		t.Fatal(err)
	}
	var arm string
	for _, img := range DefaultImages() {
		if img.Architecture == "arm64" {
			arm = imageID(img)
		}
	}
	base := func(f func(*ec2.RunInstancesInput)) *ec2.RunInstancesInput {
		in := &ec2.RunInstancesInput{ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
		f(in)
		return in
	}
	tests := []struct {
		name     string
		in       *ec2.RunInstancesInput
		wantCode string
	}{
		{"unknown image", base(func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("ami-0123456789abcdef0") }), "InvalidAMIID.NotFound"},
		{"malformed image", base(func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("ubuntu") }), "InvalidAMIID.Malformed"},
		{"arm image on x86 type", base(func(in *ec2.RunInstancesInput) { in.ImageId = aws.String(arm) }), "InvalidParameterValue"},
		{"unknown type", base(func(in *ec2.RunInstancesInput) { in.InstanceType = "t3.colossal" }), "InvalidParameterValue"},
		{"unknown key pair", base(func(in *ec2.RunInstancesInput) { in.KeyName = aws.String("nope") }), "InvalidKeyPair.NotFound"},
		{"unknown group", base(func(in *ec2.RunInstancesInput) { in.SecurityGroupIds = []string{"sg-0123456789abcdef0"} }), "InvalidGroup.NotFound"},
		{"unknown subnet", base(func(in *ec2.RunInstancesInput) { in.SubnetId = aws.String("subnet-0123456789abcdef0") }), "InvalidSubnetID.NotFound"},
		{"min above max", base(func(in *ec2.RunInstancesInput) { in.MinCount = aws.Int32(3) }), "InvalidParameterValue"},
		{"zero min", base(func(in *ec2.RunInstancesInput) { in.MinCount = aws.Int32(0) }), "InvalidParameterValue"},
		{"user data not base64", base(func(in *ec2.RunInstancesInput) { in.UserData = aws.String("#!/bin/sh\necho hi") }), "InvalidParameterValue"},
		{"user data too large", base(func(in *ec2.RunInstancesInput) { in.UserData = b64(strings.Repeat("x", 16385)) }), "InvalidParameterValue"},
		{"tags for a key pair", base(func(in *ec2.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeKeyPair, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}
		}), "InvalidParameterValue"},
		{"subnet twice", base(func(in *ec2.RunInstancesInput) {
			in.SubnetId = aws.String("subnet-0123456789abcdef0")
			in.NetworkInterfaces = []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(true)}}
		}), "InvalidParameterCombination"},
		{"bad shutdown behavior", base(func(in *ec2.RunInstancesInput) { in.InstanceInitiatedShutdownBehavior = "explode" }), "InvalidParameterValue"},
		{"dry run", base(func(in *ec2.RunInstancesInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RunInstances(ctx, tt.in)
			wantCode(t, err, tt.wantCode)
		})
	}
	if diff := cmp.Diff([]string{"k"}, resourceNames(srv.Resources())); diff != "" {
		t.Errorf("refused launches left resources (-want +got):\n%s", diff)
	}
}

// TestRunInstancesClientToken checks idempotent retries: the same token
// and parameters return the first reservation and launch nothing more.
func TestRunInstancesClientToken(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	first := launch(t, c, 2, func(in *ec2.RunInstancesInput) { in.ClientToken = aws.String("apply-1") })
	again := launch(t, c, 2, func(in *ec2.RunInstancesInput) { in.ClientToken = aws.String("apply-1") })
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("retry launched other instances (-want +got):\n%s", diff)
	}
	if n := len(srv.Instances()); n != 2 {
		t.Errorf("want 2 instances, got %d", n)
	}
	_, err := c.RunInstances(ctxFor(t), &ec2.RunInstancesInput{ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Small, MinCount: aws.Int32(2), MaxCount: aws.Int32(2), ClientToken: aws.String("apply-1")})
	wantCode(t, err, "IdempotentParameterMismatch")
}

// TestEventualConsistency checks StaleDescribes: the SDK's running waiter
// rides over InvalidInstanceID.NotFound right after RunInstances, as it
// must against EC2.
func TestEventualConsistency(t *testing.T) {
	srv := start(t, Options{StaleDescribes: 2})
	c := client(srv)
	ctx := ctxFor(t)
	ids := launch(t, c, 1)
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	waiter := ec2.NewInstanceRunningWaiter(c, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, time.Minute); err != nil {
		t.Fatalf("SDK running waiter: %v", err)
	}
	var codes []string
	for _, call := range srv.Calls() {
		if call.Action == "DescribeInstances" {
			codes = append(codes, call.Code)
		}
	}
	if diff := cmp.Diff([]string{"InvalidInstanceID.NotFound", "InvalidInstanceID.NotFound"}, codes[:2]); diff != "" {
		t.Errorf("wrong first answers (-want +got):\n%s", diff)
	}
}

func TestNoPublicAddress(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ids := launch(t, c, 1, func(in *ec2.RunInstancesInput) {
		in.NetworkInterfaces = []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(false)}}
	})
	waitAll(t, srv, ids, Running)
	got := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if diff := cmp.Diff([]string{"172.31.0.10", ""}, []string{got[0].PrivateIP, got[0].PublicIP}); diff != "" {
		t.Errorf("wrong addresses (-want +got):\n%s", diff)
	}
}
