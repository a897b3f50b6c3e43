package awsec2

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// SecurityGroupType is the resource type of a fleet's security group.
const SecurityGroupType = "aws_ec2_security_group"

// securityGroup is the aws_ec2_security_group resource: a group in the
// subnet's VPC (or the default VPC) that lets ssh_cidrs, and nobody else,
// reach port 22. Outbound traffic is EC2's default (all).
type securityGroup struct {
	b       *Backend
	profile string
}

var (
	_ providers.Resource = (*securityGroup)(nil)
	_ providers.Updater  = (*securityGroup)(nil)
)

var securityGroupSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":    {Type: cty.String, ForceNew: true, Description: "The region the group is in."},
	"endpoint":  {Type: cty.String, ForceNew: true, Description: "The EC2 endpoint, when not the region's."},
	"executor":  {Type: cty.String, ForceNew: true, Description: "The executor block's name."},
	"subnet_id": {Type: cty.String, ForceNew: true, Description: "The subnet whose VPC holds the group; null: the default VPC."},
	"ssh_cidrs": {Type: cty.List(cty.String), Description: "The networks allowed to reach port 22."},
	"name":      {Type: cty.String, Computed: true, Description: "The group's name."},
	"group_id":  {Type: cty.String, Computed: true, Description: "The group's ID."},
	"vpc_id":    {Type: cty.String, Computed: true, Description: "The VPC the group is in."},
}}

func (*securityGroup) Type() string             { return SecurityGroupType }
func (*securityGroup) Schema() providers.Schema { return securityGroupSchema }

// Read finds the group and the networks its rules let reach port 22, so
// a rule changed outside lithops shows in the plan.
func (r *securityGroup) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	a := attrsOf(req.State)
	id := a.str("group_id")
	if id == "" {
		return providers.ReadResponse{Gone: true}, nil
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.ReadResponse{}, err
	}
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	switch {
	case errorCode(err) == "InvalidGroup.NotFound":
		return providers.ReadResponse{Gone: true}, nil
	case err != nil:
		return providers.ReadResponse{}, fmt.Errorf("describe security group %s: %w", id, brief(err))
	case len(out.SecurityGroups) == 0:
		return providers.ReadResponse{Gone: true}, nil
	}
	a["ssh_cidrs"] = stringList(sshSources(out.SecurityGroups[0].IpPermissions))
	return providers.ReadResponse{State: a.object(securityGroupSchema.ObjectType().AttributeTypes())}, nil
}

// sshSources lists the networks that rules let reach TCP port 22.
func sshSources(perms []types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		proto := aws.ToString(p.IpProtocol)
		from, to := aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort)
		if proto != "-1" && !(proto == "tcp" || proto == "6") {
			continue
		}
		if proto != "-1" && (from > 22 || to < 22) {
			continue
		}
		for _, r := range p.IpRanges {
			out = append(out, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, aws.ToString(r.CidrIpv6))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Create makes the group and its SSH rule. A group whose rule could not be
// added is returned with the error, so it is recorded and replaced.
func (r *securityGroup) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	a := attrsOf(req.Planned)
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.CreateResponse{}, err
	}
	vpc, err := vpcOf(ctx, c, a.str("subnet_id"))
	if err != nil {
		return providers.CreateResponse{}, err
	}
	name := "lithops-" + a.str("executor") + "-" + randomSuffix()
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(name),
		Description:       aws.String("lithops executor " + a.str("executor") + ": SSH from ssh_cidrs only"),
		VpcId:             aws.String(vpc),
		TagSpecifications: tags(types.ResourceTypeSecurityGroup, name, a.str("executor")),
	})
	if err != nil {
		return providers.CreateResponse{}, fmt.Errorf("create security group %s in %s: %w", name, vpc, brief(err))
	}
	a["name"] = cty.StringVal(name)
	a["group_id"] = cty.StringVal(aws.ToString(out.GroupId))
	a["vpc_id"] = cty.StringVal(vpc)
	state := a.object(securityGroupSchema.ObjectType().AttributeTypes())
	if err := authorize(ctx, c, aws.ToString(out.GroupId), a.strings("ssh_cidrs")); err != nil {
		return providers.CreateResponse{State: state}, err
	}
	return providers.CreateResponse{State: state}, nil
}

// Update changes the networks allowed in: it adds the new rules before it
// revokes the old ones, so a connection allowed before and after is never
// refused in between.
func (r *securityGroup) Update(ctx context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	prior, planned := attrsOf(req.Prior), attrsOf(req.Planned)
	c, err := r.b.client(ctx, prior.where(r.profile))
	if err != nil {
		return providers.UpdateResponse{}, err
	}
	id := prior.str("group_id")
	before, after := prior.strings("ssh_cidrs"), planned.strings("ssh_cidrs")
	var add, remove []string
	for _, s := range after {
		if !slices.Contains(before, s) {
			add = append(add, s)
		}
	}
	for _, s := range before {
		if !slices.Contains(after, s) {
			remove = append(remove, s)
		}
	}
	if err := authorize(ctx, c, id, add); err != nil {
		return providers.UpdateResponse{State: req.Prior}, err
	}
	if len(remove) > 0 {
		if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: sshPermissions(remove)}); err != nil {
			prior["ssh_cidrs"] = stringList(append(before, add...))
			return providers.UpdateResponse{State: prior.object(securityGroupSchema.ObjectType().AttributeTypes())}, fmt.Errorf("revoke SSH from %v in %s: %w", remove, id, brief(err))
		}
	}
	prior["ssh_cidrs"] = stringList(after)
	return providers.UpdateResponse{State: prior.object(securityGroupSchema.ObjectType().AttributeTypes())}, nil
}

// Delete removes the group. EC2 refuses while an instance that used it is
// still shutting down (DependencyViolation): it is retried until
// Timing.GroupDelete has passed.
func (r *securityGroup) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	a := attrsOf(req.State)
	id := a.str("group_id")
	if id == "" {
		return providers.DeleteResponse{}, nil
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.DeleteResponse{}, err
	}
	t := r.b.timing()
	deadline := time.Now().Add(t.GroupDelete)
	wait := t.poller()
	for {
		_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		switch {
		case err == nil, errorCode(err) == "InvalidGroup.NotFound":
			return providers.DeleteResponse{}, nil
		case errorCode(err) != "DependencyViolation" || time.Now().After(deadline):
			return providers.DeleteResponse{}, fmt.Errorf("delete security group %s: %w", id, brief(err))
		}
		if err := wait(ctx); err != nil {
			return providers.DeleteResponse{}, fmt.Errorf("delete security group %s: %w", id, err)
		}
	}
}

// vpcOf is the VPC of a subnet, or the region's default VPC.
func vpcOf(ctx context.Context, c ec2API, subnet string) (string, error) {
	if subnet != "" {
		out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnet}})
		if err != nil {
			return "", fmt.Errorf("describe subnet %s: %w", subnet, brief(err))
		}
		if len(out.Subnets) == 0 {
			return "", fmt.Errorf("subnet %s does not exist", subnet)
		}
		return aws.ToString(out.Subnets[0].VpcId), nil
	}
	out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		return "", fmt.Errorf("find the default VPC: %w", brief(err))
	}
	if len(out.Vpcs) == 0 {
		return "", fmt.Errorf("the region has no default VPC: set subnet_id to a subnet whose instances get a public address (or that this machine can reach)")
	}
	return aws.ToString(out.Vpcs[0].VpcId), nil
}

func authorize(ctx context.Context, c ec2API, group string, cidrs []string) error {
	if len(cidrs) == 0 {
		return nil
	}
	_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: sshPermissions(cidrs)})
	if err != nil && errorCode(err) != "InvalidPermission.Duplicate" {
		return fmt.Errorf("allow SSH from %v in %s: %w", cidrs, group, brief(err))
	}
	return nil
}

// sshPermissions is one TCP port 22 rule for the networks.
func sshPermissions(cidrs []string) []types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22)}
	for _, s := range cidrs {
		desc := aws.String("lithops: SSH from ssh_cidrs")
		if pfx, err := netip.ParsePrefix(s); err == nil && pfx.Addr().Is6() {
			p.Ipv6Ranges = append(p.Ipv6Ranges, types.Ipv6Range{CidrIpv6: aws.String(s), Description: desc})
		} else {
			p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(s), Description: desc})
		}
	}
	return []types.IpPermission{p}
}
