package fakeec2

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// TestCreateThenDestroyLeavesNothing runs a fleet's create and destroy the
// way a backend would and asserts with Resources, after each phase, what
// the fake holds.
func TestCreateThenDestroyLeavesNothing(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	_, line := ed25519Key(t)
	key, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("lithops-lab"), PublicKeyMaterial: line})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lithops-lab"), Description: aws.String("lab")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("192.0.2.0/24")}); err != nil {
		t.Fatal(err)
	}
	ids := launch(t, c, 2, func(in *ec2.RunInstancesInput) {
		in.KeyName = aws.String("lithops-lab")
		in.SecurityGroupIds = []string{aws.ToString(g.GroupId)}
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{tag("Name", "lab")}}}
	})
	want := []Resource{
		{Kind: "instance", ID: ids[0], Name: "lab", State: Pending},
		{Kind: "instance", ID: ids[1], Name: "lab", State: Pending},
		{Kind: "key-pair", ID: aws.ToString(key.KeyPairId), Name: "lithops-lab"},
		{Kind: "security-group", ID: aws.ToString(g.GroupId), Name: "lithops-lab"},
	}
	if ids[1] < ids[0] {
		want[0], want[1] = want[1], want[0]
	}
	waitAll(t, srv, ids, Running)
	want[0].State, want[1].State = Running, Running
	if diff := cmp.Diff(want, srv.Resources()); diff != "" {
		t.Errorf("wrong resources after create (-want +got):\n%s", diff)
	}

	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, ids, Terminated)
	if _, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: g.GroupId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String("lithops-lab")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Resource(nil), srv.Resources()); diff != "" {
		t.Errorf("destroy left resources (-want +got):\n%s", diff)
	}
	// The terminated instances are still visible, as on EC2, and are not
	// resources.
	if n := len(srv.Instances()); n != 2 {
		t.Errorf("want 2 terminated instances still visible, got %d", n)
	}
}
