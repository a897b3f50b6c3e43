package fakeec2

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// TestMinMaxCount checks RunInstances' rule for MinCount and MaxCount under
// injected capacity: EC2 launches the largest number it can between the
// two, or nothing and InsufficientInstanceCapacity (HTTP 500) when fewer
// than MinCount fit.
func TestMinMaxCount(t *testing.T) {
	type launchSpec struct {
		typ      types.InstanceType
		spot     bool
		min, max int32
	}
	tests := []struct {
		name       string
		refuse     int
		limits     []CapacityLimit
		addresses  int
		launch     launchSpec
		wantN      int
		wantCode   string
		wantStatus int
	}{
		{name: "plenty", launch: launchSpec{"t3.micro", false, 2, 5}, wantN: 5},
		{name: "refusals cut max", refuse: 2, launch: launchSpec{"t3.micro", false, 1, 5}, wantN: 3},
		{name: "refusals below min", refuse: 3, launch: launchSpec{"t3.micro", false, 3, 5}, wantCode: "InsufficientInstanceCapacity", wantStatus: 500},
		{name: "type limit", limits: []CapacityLimit{{InstanceType: "c7g.large", Available: 2}}, launch: launchSpec{"c7g.large", false, 1, 4}, wantN: 2},
		{name: "other type unaffected", limits: []CapacityLimit{{InstanceType: "c7g.large", Available: 0}}, launch: launchSpec{"t3.micro", false, 4, 4}, wantN: 4},
		{name: "no spot", limits: []CapacityLimit{{Market: Spot, Available: 0}}, launch: launchSpec{"t3.micro", true, 1, 1}, wantCode: "InsufficientInstanceCapacity", wantStatus: 500},
		{name: "on-demand despite no spot", limits: []CapacityLimit{{Market: Spot, Available: 0}}, launch: launchSpec{"t3.micro", false, 1, 1}, wantN: 1},
		{name: "tightest limit wins", limits: []CapacityLimit{{Available: 3}, {InstanceType: "t3.micro", Market: OnDemand, Available: 1}}, launch: launchSpec{"t3.micro", false, 1, 3}, wantN: 1},
		{name: "out of addresses", addresses: 2, launch: launchSpec{"t3.micro", false, 3, 3}, wantCode: "InsufficientFreeAddressesInSubnet", wantStatus: 400},
		{name: "addresses cut max", addresses: 2, launch: launchSpec{"t3.micro", false, 1, 3}, wantN: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if tt.addresses > 0 {
				opts.Addresses = DefaultAddresses(tt.addresses)
			}
			srv := start(t, opts)
			srv.RefuseInstances(tt.refuse)
			for _, l := range tt.limits {
				srv.LimitCapacity(l)
			}
			in := &ec2.RunInstancesInput{ImageId: aws.String(ubuntu(t)), InstanceType: tt.launch.typ, MinCount: aws.Int32(tt.launch.min), MaxCount: aws.Int32(tt.launch.max)}
			if tt.launch.typ == "c7g.large" {
				for _, img := range DefaultImages() {
					if img.Architecture == "arm64" {
						in.ImageId = aws.String(imageID(img))
					}
				}
			}
			if tt.launch.spot {
				in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
			}
			out, err := client(srv).RunInstances(ctxFor(t), in)
			code, status := codeOf(t, err)
			n := 0
			if out != nil {
				n = len(out.Instances)
			}
			if diff := cmp.Diff([]any{tt.wantN, tt.wantCode, tt.wantStatus, tt.wantN}, []any{n, code, status, len(srv.Resources())}); diff != "" {
				t.Errorf("wrong launch count, code, status, live instances (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCapacityRecovers plays the capacity story a backend must handle:
// spot capacity is gone, on-demand is short for a moment, a retry gets it.
func TestCapacityRecovers(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	srv.LimitCapacity(CapacityLimit{Market: Spot, Available: 0})
	run := func(spot bool) (int, string) {
		in := &ec2.RunInstancesInput{ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(4), MaxCount: aws.Int32(4)}
		if spot {
			in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
		}
		out, err := c.RunInstances(ctx, in)
		code, _ := codeOf(t, err)
		if err != nil {
			return 0, code
		}
		return len(out.Instances), ""
	}
	type attempt struct {
		N    int
		Code string
	}
	var got []attempt
	for i, spot := range []bool{true, false, false} {
		if i == 1 {
			// A short on-demand shortage: the next two instances asked
			// for cannot be placed, which fails a MinCount of 4.
			srv.RefuseInstances(2)
		}
		n, code := run(spot)
		got = append(got, attempt{n, code})
	}
	want := []attempt{{0, "InsufficientInstanceCapacity"}, {0, "InsufficientInstanceCapacity"}, {4, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong attempts (-want +got):\n%s", diff)
	}
	srv.RestoreCapacity()
	if n, code := run(true); n != 4 {
		t.Errorf("spot after RestoreCapacity: %d instances, %s", n, code)
	}
}

// TestInsufficientCapacityIsRetriedBySDK shows why the status matters: the
// SDK's standard retryer retries InsufficientInstanceCapacity (HTTP 500)
// on its own, as it does against EC2, before the backend sees it.
func TestInsufficientCapacityIsRetriedBySDK(t *testing.T) {
	srv := start(t, Options{})
	srv.RefuseInstances(2)
	ids := launch(t, client(srv, retrying(3)), 1)
	var got []Call
	for _, c := range srv.Calls() {
		got = append(got, Call{Action: c.Action, Code: c.Code, Status: c.Status, Attempt: c.Attempt})
	}
	want := []Call{
		{Action: "RunInstances", Code: "InsufficientInstanceCapacity", Status: 500, Attempt: 1},
		{Action: "RunInstances", Code: "InsufficientInstanceCapacity", Status: 500, Attempt: 2},
		{Action: "RunInstances", Status: 200, Attempt: 3},
	}
	if diff := cmp.Diff([]any{want, 1}, []any{got, len(ids)}); diff != "" {
		t.Errorf("wrong calls (-want +got):\n%s", diff)
	}
}

// TestAddressesReturnToThePool checks that a terminated instance's address
// goes back to the pool, so a test with N network-namespace hosts can
// replace instances indefinitely.
func TestAddressesReturnToThePool(t *testing.T) {
	pool := []Address{{Private: "10.231.0.11", Public: "10.231.0.11"}, {Private: "10.231.0.12", Public: "10.231.0.12"}}
	srv := start(t, Options{Addresses: pool})
	c := client(srv)
	ctx := ctxFor(t)
	first := launch(t, c, 2)
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	wantCode(t, err, "InsufficientFreeAddressesInSubnet")
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: first[:1]}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, first[:1], Terminated)
	again := launch(t, c, 1)
	inst, _ := srv.Instance(again[0])
	if diff := cmp.Diff(pool[0], Address{Private: inst.PrivateIP, Public: inst.PublicIP}); diff != "" {
		t.Errorf("wrong address for the replacement (-want +got):\n%s", diff)
	}
}
