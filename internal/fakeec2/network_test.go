package fakeec2

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// TestDefaultNetwork checks the lookups a backend makes to launch into the
// default VPC: the default VPC, its default subnet (whose free address
// count follows the pool), and the default security group.
func TestDefaultNetwork(t *testing.T) {
	srv := start(t, Options{Addresses: DefaultAddresses(10)})
	c := client(srv)
	ctx := ctxFor(t)
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		t.Fatal(err)
	}
	vpc := vpcs.Vpcs[0]
	launch(t, c, 3)
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpc.VpcId)}},
		{Name: aws.String("default-for-az"), Values: []string{"true"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sn := subnets.Subnets[0]
	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpc.VpcId)}},
		{Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{aws.ToBool(vpc.IsDefault), aws.ToString(vpc.CidrBlock), aws.ToString(sn.AvailabilityZone), aws.ToString(sn.CidrBlock),
		aws.ToInt32(sn.AvailableIpAddressCount), aws.ToBool(sn.MapPublicIpOnLaunch), len(groups.SecurityGroups)}
	want := []any{true, "172.31.0.0/16", "us-east-1a", "172.31.0.0/20", int32(7), true, 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong default network (-want +got):\n%s", diff)
	}
	none, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("availability-zone"), Values: []string{"us-east-1b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Subnets) != 0 {
		t.Errorf("want no subnet in us-east-1b, got %d", len(none.Subnets))
	}
}

func TestDescribeInstanceTypes(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	type info struct {
		Name  string
		VCPUs int32
		MiB   int64
		Arch  []string
	}
	list := func(in *ec2.DescribeInstanceTypesInput) []info {
		t.Helper()
		var out []info
		p := ec2.NewDescribeInstanceTypesPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctxFor(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.InstanceTypes {
				var arch []string
				for _, a := range it.ProcessorInfo.SupportedArchitectures {
					arch = append(arch, string(a))
				}
				out = append(out, info{string(it.InstanceType), aws.ToInt32(it.VCpuInfo.DefaultVCpus), aws.ToInt64(it.MemoryInfo.SizeInMiB), arch})
			}
		}
		return out
	}
	tests := []struct {
		name string
		in   *ec2.DescribeInstanceTypesInput
		want []info
	}{
		{"by name", &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"c7g.xlarge", "m6i.xlarge"}},
			[]info{{"m6i.xlarge", 4, 16384, []string{"x86_64"}}, {"c7g.xlarge", 4, 8192, []string{"arm64"}}}},
		{"arm64 with 2 vcpus", &ec2.DescribeInstanceTypesInput{Filters: []types.Filter{
			{Name: aws.String("processor-info.supported-architecture"), Values: []string{"arm64"}},
			{Name: aws.String("vcpu-info.default-vcpus"), Values: []string{"2"}},
		}}, []info{{"t4g.micro", 2, 1024, []string{"arm64"}}, {"c7g.large", 2, 4096, []string{"arm64"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, list(tt.in)); diff != "" {
				t.Errorf("wrong instance types (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(list(&ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(5)})); n != len(DefaultInstanceTypes()) {
		t.Errorf("paging lost types: %d of %d", n, len(DefaultInstanceTypes()))
	}
}
