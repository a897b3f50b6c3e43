package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestAWSEC2Acceptance runs an aws_ec2 fleet on real EC2 through the CLI:
// two of the smallest instances (t3.micro, or t4g.micro on an arm64
// machine), spot with on-demand fallback, a job on both, then destroy, and
// checks with the SDK that every instance is terminated and the key pair
// and security group are gone. It costs a few cents and needs this
// machine's public address for the security group:
//
//	LITHOPS_ACC_AWS=1 AWS_REGION=eu-west-1 LITHOPS_ACC_SSH_CIDR=203.0.113.7/32 \
//	  go test -run TestAWSEC2Acceptance -timeout 30m .
//
// Credentials come from the SDK's usual chain (AWS_PROFILE, environment,
// SSO). If the test fails half-way it runs lithops destroy before it ends.
func TestAWSEC2Acceptance(t *testing.T) {
	if os.Getenv("LITHOPS_ACC_AWS") != "1" {
		t.Skip("acceptance test against real AWS EC2 (launches two small instances for a few minutes): set LITHOPS_ACC_AWS=1, AWS_REGION, LITHOPS_ACC_SSH_CIDR (this machine's public address/32) and AWS credentials through the SDK's usual chain")
	}
	region, cidr := os.Getenv("AWS_REGION"), os.Getenv("LITHOPS_ACC_SSH_CIDR")
	if region == "" || cidr == "" {
		t.Fatal("LITHOPS_ACC_AWS=1 needs AWS_REGION and LITHOPS_ACC_SSH_CIDR")
	}
	typ := "t3.micro"
	if runtime.GOARCH == "arm64" {
		typ = "t4g.micro"
	}
	bin := lithopsBinary(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
executor "fleet" {
  backend       = "aws_ec2"
  region        = %q
  instance_type = %q
  count         = 2
  spot          = true
  spot_fallback = true
  ssh_cidrs     = [%q]
  idle_shutdown = "10m"
}

job "where" {
  executor = executor.fleet
  map {
    over    = range(8)
    command = ["sh", "-c", "echo \"$(cat /etc/os-release | grep ^ID=) $1\"", "task", each.value]
  }
}

output "where" {
  value = job.where.results
}
`, region, typ, cidr)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := lithopsCmd(t, bin, dir, args...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			out, err := run("destroy", "-auto-approve", "-no-tui")
			t.Logf("cleanup destroy: %v\n%s", err, out)
		}
	})

	out, err := run("plan")
	if err != nil || !strings.Contains(out, "estimated cost") {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	t.Logf("plan:\n%s", out)
	if out, err = run("apply", "-auto-approve", "-no-tui"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	t.Logf("apply:\n%s", out)
	var where []string
	outputJSON(t, bin, dir, "where", &where)
	for i, line := range where {
		if line != fmt.Sprintf("ID=ubuntu %d", i) {
			t.Errorf("task %d printed %q, want it to run on Ubuntu", i, line)
		}
	}

	// What exists, by ID, before destroy.
	raw, err := os.ReadFile(filepath.Join(dir, "lithops.state"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Resources map[string]struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	var instances []string
	var keyID, groupID string
	for addr, r := range st.Resources {
		switch {
		case strings.Contains(addr, ".instance["):
			instances = append(instances, fmt.Sprint(r.Attributes["instance_id"]))
		case strings.HasSuffix(addr, ".key_pair"):
			keyID = fmt.Sprint(r.Attributes["key_pair_id"])
		case strings.HasSuffix(addr, ".security_group"):
			groupID = fmt.Sprint(r.Attributes["group_id"])
		}
	}
	if len(instances) != 2 || keyID == "" || groupID == "" {
		t.Fatalf("the state records instances %v, key pair %q, group %q", instances, keyID, groupID)
	}

	out, err = run("destroy", "-auto-approve", "-no-tui")
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	destroyed = true
	if out, err = run("destroy", "-auto-approve", "-no-tui"); err != nil || !strings.Contains(out, "No changes") {
		t.Errorf("second destroy: %v\n%s", err, out)
	}

	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	c := ec2.NewFromConfig(awsCfg)
	desc, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: instances})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range desc.Reservations {
		for _, in := range r.Instances {
			if in.State.Name != types.InstanceStateNameTerminated {
				t.Errorf("instance %s is %s after destroy", aws.ToString(in.InstanceId), in.State.Name)
			}
		}
	}
	if _, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyPairIds: []string{keyID}}); err == nil || !strings.Contains(err.Error(), "InvalidKeyPair.NotFound") {
		t.Errorf("key pair %s after destroy: %v", keyID, err)
	}
	if _, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}}); err == nil || !strings.Contains(err.Error(), "InvalidGroup.NotFound") {
		t.Errorf("security group %s after destroy: %v", groupID, err)
	}
}
