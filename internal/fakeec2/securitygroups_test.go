package fakeec2

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// perm is an IpPermission as a test writes it: protocol, ports, sources.
type perm struct {
	Protocol string
	From, To int32
	Sources  []string
}

func perms(ps []types.IpPermission) []perm {
	var out []perm
	for _, p := range ps {
		x := perm{Protocol: aws.ToString(p.IpProtocol), From: aws.ToInt32(p.FromPort), To: aws.ToInt32(p.ToPort)}
		for _, r := range p.IpRanges {
			x.Sources = append(x.Sources, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			x.Sources = append(x.Sources, aws.ToString(r.CidrIpv6))
		}
		for _, g := range p.UserIdGroupPairs {
			x.Sources = append(x.Sources, aws.ToString(g.GroupId))
		}
		out = append(out, x)
	}
	return out
}

func sshFrom(cidrs ...string) []types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22)}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(c)})
	}
	return []types.IpPermission{p}
}

func TestSecurityGroupRules(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("lithops-lab"), Description: aws.String("lithops fleet lab"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("lithops:fleet"), Value: aws.String("lab")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(g.GroupId)
	other, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("peers"), Description: aws.String("peers")})
	if err != nil {
		t.Fatal(err)
	}
	describe := func() []perm {
		t.Helper()
		out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return perms(out.SecurityGroups[0].IpPermissions)
	}

	steps := []struct {
		name     string
		call     func() error
		wantCode string
		want     []perm
	}{
		{"ssh from two networks", func() error {
			out, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("192.0.2.0/24", "198.51.100.7/32")})
			if err == nil && len(out.SecurityGroupRules) != 2 {
				t.Errorf("want 2 rules in the response, got %d", len(out.SecurityGroupRules))
			}
			return err
		}, "", []perm{{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}}}},
		{"same rule again", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("203.0.113.0/24", "192.0.2.0/24")})
			return err
		}, "InvalidPermission.Duplicate", []perm{{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}}}},
		{"host bits set", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("192.0.2.5/24")})
			return err
		}, "InvalidParameterValue", []perm{{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}}}},
		{"ipv6 in an ipv4 range", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("::/0")})
			return err
		}, "InvalidParameterValue", []perm{{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}}}},
		{"bad port range", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(30), ToPort: aws.Int32(20), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
			return err
		}, "InvalidParameterValue", []perm{{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}}}},
		{"legacy flat form and a group source", func() error {
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupName: aws.String("lithops-lab"), IpProtocol: aws.String("6"), FromPort: aws.Int32(8000), ToPort: aws.Int32(8100), CidrIp: aws.String("10.0.0.0/8")}); err != nil {
				return err
			}
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: other.GroupId}}}}})
			return err
		}, "", []perm{
			{"tcp", 22, 22, []string{"192.0.2.0/24", "198.51.100.7/32"}},
			{"tcp", 8000, 8100, []string{"10.0.0.0/8"}},
			{"-1", 0, 0, []string{aws.ToString(other.GroupId)}},
		}},
		{"revoke one source", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("198.51.100.7/32")})
			return err
		}, "", []perm{
			{"tcp", 22, 22, []string{"192.0.2.0/24"}},
			{"tcp", 8000, 8100, []string{"10.0.0.0/8"}},
			{"-1", 0, 0, []string{aws.ToString(other.GroupId)}},
		}},
		{"revoke a rule that is not there", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: sshFrom("198.51.100.7/32")})
			return err
		}, "InvalidPermission.NotFound", []perm{
			{"tcp", 22, 22, []string{"192.0.2.0/24"}},
			{"tcp", 8000, 8100, []string{"10.0.0.0/8"}},
			{"-1", 0, 0, []string{aws.ToString(other.GroupId)}},
		}},
	}
	for _, st := range steps {
		err := st.call()
		if code, _ := codeOf(t, err); code != st.wantCode {
			t.Fatalf("%s: wrong error code: want %q, got %q (%v)", st.name, st.wantCode, code, err)
		}
		if diff := cmp.Diff(st.want, describe()); diff != "" {
			t.Fatalf("%s: wrong permissions (-want +got):\n%s", st.name, diff)
		}
	}

	// The referenced group cannot go while a rule points at it.
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: other.GroupId})
	wantCode(t, err, "DependencyViolation")
}

func TestCreateSecurityGroupRefuses(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	if _, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("taken"), Description: aws.String("d")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       *ec2.CreateSecurityGroupInput
		wantCode string
	}{
		{"duplicate", &ec2.CreateSecurityGroupInput{GroupName: aws.String("taken"), Description: aws.String("d")}, "InvalidGroup.Duplicate"},
		{"the default group's name", &ec2.CreateSecurityGroupInput{GroupName: aws.String("default"), Description: aws.String("d")}, "InvalidGroup.Duplicate"},
		{"looks like an id", &ec2.CreateSecurityGroupInput{GroupName: aws.String("sg-lithops"), Description: aws.String("d")}, "InvalidParameterValue"},
		{"non-ascii description", &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("flotte de calcul — ssh")}, "InvalidParameterValue"},
		{"unknown vpc", &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("d"), VpcId: aws.String("vpc-0123456789abcdef0")}, "InvalidVpcID.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateSecurityGroup(ctx, tt.in)
			wantCode(t, err, tt.wantCode)
		})
	}
}

// TestSecurityGroupInUse checks DependencyViolation while an instance that
// is not terminated uses the group, and that the delete goes through once
// the instance is terminated (and still visible, as on EC2).
func TestSecurityGroupInUse(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("fleet"), Description: aws.String("fleet")})
	if err != nil {
		t.Fatal(err)
	}
	ids := launch(t, c, 1, func(in *ec2.RunInstancesInput) { in.SecurityGroupIds = []string{aws.ToString(g.GroupId)} })
	del := func() error {
		_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: g.GroupId})
		return err
	}
	wantCode(t, del(), "DependencyViolation")
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	waitAll(t, srv, ids, Terminated)
	if err := del(); err != nil {
		t.Fatalf("delete after termination: %v", err)
	}
	wantCode(t, del(), "InvalidGroup.NotFound")
}

func TestDescribeSecurityGroupsPages(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	want := []string{"default"}
	for _, n := range []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7"} {
		if _, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(n), Description: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	var got []string
	pages := 0
	p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.SecurityGroups {
			got = append(got, aws.ToString(g.GroupName))
		}
	}
	if diff := cmp.Diff([]any{want, 2}, []any{got, pages}); diff != "" {
		t.Errorf("wrong groups and page count (-want +got):\n%s", diff)
	}
}
