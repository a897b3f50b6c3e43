package fakeec2

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// TestHostBootsFromUserData plays what an end-to-end test's Host does: it
// reads the host key the client put in the user data, and the instance
// stays pending until the host is up.
func TestHostBootsFromUserData(t *testing.T) {
	release := make(chan struct{})
	started := make(chan Instance, 1)
	var mu sync.Mutex
	var stopped []string
	host := HostFuncs{
		StartFunc: func(ctx context.Context, inst Instance) error {
			started <- inst
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		StopFunc: func(_ context.Context, inst Instance) error {
			mu.Lock()
			defer mu.Unlock()
			stopped = append(stopped, inst.ID)
			return nil
		},
	}
	srv := start(t, Options{Host: host, Addresses: []Address{{Private: "10.231.0.21", Public: "10.231.0.21"}}})
	c := client(srv)
	ctx := ctxFor(t)
	hostKey := "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	ids := launch(t, c, 1, func(in *ec2.RunInstancesInput) {
		in.UserData = b64("#cloud-config\nssh_keys:\n  ed25519_private: |\n" + hostKey)
	})

	inst := <-started
	if diff := cmp.Diff([]any{ids[0], "10.231.0.21", "10.231.0.21", true},
		[]any{inst.ID, inst.PrivateIP, inst.PublicIP, bytes.Contains(inst.UserData, []byte(hostKey))}); diff != "" {
		t.Errorf("wrong instance given to the host (-want +got):\n%s", diff)
	}
	// While the host boots, EC2 says pending and shows no public address.
	want := []seen{{ID: ids[0], State: "pending", PrivateIP: "10.231.0.21", Groups: []string{"default"}, Tags: map[string]string{}}}
	if diff := cmp.Diff(want, describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})); diff != "" {
		t.Errorf("wrong instance while booting (-want +got):\n%s", diff)
	}
	close(release)
	waitAll(t, srv, ids, Running)
	want[0].State, want[0].PublicIP = "running", "10.231.0.21"
	if diff := cmp.Diff(want, describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})); diff != "" {
		t.Errorf("wrong instance once up (-want +got):\n%s", diff)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, ids, Terminated)
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(ids, stopped); diff != "" {
		t.Errorf("wrong hosts stopped (-want +got):\n%s", diff)
	}
}

func TestHostStartFails(t *testing.T) {
	srv := New(Options{Host: HostFuncs{StartFunc: func(context.Context, Instance) error { return errors.New("netns busy") }}})
	c := client(srv)
	ids := launch(t, c, 1)
	if _, err := srv.WaitState(ctxFor(t), ids[0], Running); err == nil {
		t.Fatal("instance whose host failed to start reached running")
	}
	got := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if diff := cmp.Diff([]string{"terminated", "Server.InternalError"}, []string{got[0].State, got[0].Reason}); diff != "" {
		t.Errorf("wrong state after a failed boot (-want +got):\n%s", diff)
	}
	if len(srv.Resources()) != 0 {
		t.Errorf("a failed launch left resources: %v", srv.Resources())
	}
	if err := srv.Close(); err == nil || !strings.Contains(err.Error(), "netns busy") {
		t.Errorf("Close should report the host failure, got %v", err)
	}
}

// TestTerminateWhilePending uses a BootDelay no test waits out: the
// instance is pending for good until it is terminated, which must work.
func TestTerminateWhilePending(t *testing.T) {
	host := &MemoryHost{}
	booted := make(chan struct{}, 1)
	srv := start(t, Options{BootDelay: time.Hour, Host: HostFuncs{
		StartFunc: func(ctx context.Context, inst Instance) error {
			defer func() { booted <- struct{}{} }()
			return host.Start(ctx, inst)
		},
		StopFunc: host.Stop,
	}})
	c := client(srv)
	ids := launch(t, c, 1)
	<-booted // Host.Start returned; the boot delay runs now
	if got := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})[0].State; got != "pending" {
		t.Fatalf("want pending during the boot delay, got %s", got)
	}
	out, err := c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.TerminatingInstances[0].PreviousState.Name; got != types.InstanceStateNamePending {
		t.Errorf("want previous state pending, got %s", got)
	}
	waitAll(t, srv, ids, Terminated)
	if diff := cmp.Diff([]string{}, host.Up()); diff != "" {
		t.Errorf("host still up (-want +got):\n%s", diff)
	}
}

// TestPowerOff simulates the idle watchdog shutting the VM down from
// inside: what happens next depends on the shutdown behavior the instance
// was launched with, and "stop", EC2's default, leaves a resource behind.
func TestPowerOff(t *testing.T) {
	tests := []struct {
		name          string
		behavior      types.ShutdownBehavior
		wantState     State
		wantResources int
	}{
		{"terminate", types.ShutdownBehaviorTerminate, Terminated, 0},
		{"stop", types.ShutdownBehaviorStop, Stopped, 1},
		{"default is stop", "", Stopped, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &MemoryHost{}
			srv := start(t, Options{Host: host})
			c := client(srv)
			ids := launch(t, c, 1, func(in *ec2.RunInstancesInput) { in.InstanceInitiatedShutdownBehavior = tt.behavior })
			waitAll(t, srv, ids, Running)
			if err := srv.PowerOff(ids[0]); err != nil {
				t.Fatal(err)
			}
			waitAll(t, srv, ids, tt.wantState)
			got := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})[0]
			if diff := cmp.Diff([]any{string(tt.wantState), "Client.InstanceInitiatedShutdown", "", tt.wantResources, []string{}},
				[]any{got.State, got.Reason, got.PublicIP, len(srv.Resources()), host.Up()}); diff != "" {
				t.Errorf("wrong state, reason, public IP, resources, hosts (-want +got):\n%s", diff)
			}
			// A stopped instance can still be terminated.
			if _, err := c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
				t.Fatal(err)
			}
			waitAll(t, srv, ids, Terminated)
			if len(srv.Resources()) != 0 {
				t.Errorf("resources left: %v", srv.Resources())
			}
		})
	}
}

func TestInterruptSpot(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	spot := launch(t, c, 1, func(in *ec2.RunInstancesInput) {
		in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
	})
	onDemand := launch(t, c, 1)
	waitAll(t, srv, append(spot, onDemand...), Running)
	if err := srv.InterruptSpot(onDemand[0]); err == nil {
		t.Error("interrupting an on-demand instance succeeded")
	}
	if err := srv.InterruptSpot(spot[0]); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, spot, Terminated)
	got := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: spot})[0]
	if diff := cmp.Diff([]string{"terminated", "Server.SpotInstanceTermination", "spot"}, []string{got.State, got.Reason, got.Lifecycle}); diff != "" {
		t.Errorf("wrong interrupted instance (-want +got):\n%s", diff)
	}
}

func TestCloseStopsHosts(t *testing.T) {
	host := &MemoryHost{}
	var mu sync.Mutex
	stopCtxAlive := 0
	wrapped := HostFuncs{
		StartFunc: host.Start,
		StopFunc: func(ctx context.Context, inst Instance) error {
			mu.Lock()
			if ctx.Err() == nil {
				stopCtxAlive++
			}
			mu.Unlock()
			return host.Stop(ctx, inst)
		},
	}
	srv := New(Options{Host: wrapped})
	ids := launch(t, client(srv), 3)
	waitAll(t, srv, ids, Running)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]any{[]string{}, 3}, []any{host.Up(), stopCtxAlive}); diff != "" {
		t.Errorf("wrong hosts up after Close, stops with a live context (-want +got):\n%s", diff)
	}
}

func TestHostStopErrorsReachClose(t *testing.T) {
	srv := New(Options{Host: HostFuncs{StopFunc: func(context.Context, Instance) error { return errors.New("sshd would not die") }}})
	c := client(srv)
	ids := launch(t, c, 1)
	waitAll(t, srv, ids, Running)
	if _, err := c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	// EC2 terminates whatever the guest does.
	waitAll(t, srv, ids, Terminated)
	err := srv.Close()
	if err == nil || !strings.Contains(err.Error(), "sshd would not die") || !strings.Contains(err.Error(), ids[0]) {
		t.Errorf("Close should name the instance and the host error, got %v", err)
	}
}

// TestDelays walks an instance through EC2's states with short boot and
// shutdown delays; it waits for each state, it does not time them.
func TestDelays(t *testing.T) {
	srv := start(t, Options{BootDelay: 5 * time.Millisecond, ShutdownDelay: 5 * time.Millisecond})
	c := client(srv)
	ids := launch(t, c, 1)
	up, err := srv.WaitState(ctxFor(t), ids[0], Running)
	if err != nil {
		t.Fatal(err)
	}
	got := []State{up.State}
	out, err := c.TerminateInstances(ctxFor(t), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, State(out.TerminatingInstances[0].CurrentState.Name))
	inst, err := srv.WaitState(ctxFor(t), ids[0], Terminated)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, inst.State)
	if diff := cmp.Diff([]State{Running, ShuttingDown, Terminated}, got); diff != "" {
		t.Errorf("wrong states (-want +got):\n%s", diff)
	}
}
