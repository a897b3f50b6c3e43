package fakeec2

import (
	"strconv"
)

// vpc is the account's default VPC, the only one.
type vpc struct {
	ID   string
	CIDR string
	tags map[string]string
}

// subnet is the default VPC's default subnet, the only one. Instances get
// public addresses by default there (MapPublicIpOnLaunch), as in a default
// subnet on EC2.
type subnet struct {
	ID               string
	CIDR             string
	AvailabilityZone string
	tags             map[string]string
}

// initNetwork creates the default VPC, its subnet and its default security
// group, which exist before any test starts and are never reported by
// Resources.
func (s *Server) initNetwork() {
	s.vpc = &vpc{ID: s.newID("vpc"), CIDR: "172.31.0.0/16", tags: map[string]string{}}
	s.subnet = &subnet{ID: s.newID("subnet"), CIDR: "172.31.0.0/20", AvailabilityZone: s.opts.Region + "a", tags: map[string]string{}}
	id, seq := s.newSeqID("sg")
	g := &securityGroup{
		id: id, seq: seq, name: "default", description: "default VPC security group",
		vpcID: s.vpc.ID, isDefault: true, tags: map[string]string{},
	}
	g.ingress = []*rule{{id: s.newID("sgr"), protocol: "-1", fromPort: -1, toPort: -1, groupRef: g.id}}
	g.egress = []*rule{{id: s.newID("sgr"), protocol: "-1", fromPort: -1, toPort: -1, cidr: "0.0.0.0/0", egress: true}}
	s.groups = append(s.groups, g)
}

func (s *Server) defaultGroup() *securityGroup {
	for _, g := range s.groups {
		if g.isDefault {
			return g
		}
	}
	return nil
}

type xmlVpc struct {
	VpcID           string   `xml:"vpcId"`
	OwnerID         string   `xml:"ownerId"`
	State           string   `xml:"state"`
	CidrBlock       string   `xml:"cidrBlock"`
	DhcpOptionsID   string   `xml:"dhcpOptionsId"`
	InstanceTenancy string   `xml:"instanceTenancy"`
	IsDefault       bool     `xml:"isDefault"`
	Tags            []xmlTag `xml:"tagSet>item"`
}

type describeVpcsResponse struct {
	meta
	Vpcs      []xmlVpc `xml:"vpcSet>item"`
	NextToken string   `xml:"nextToken,omitempty"`
}

func (s *Server) vpcFields() fields {
	return fields{
		"vpc-id":     {s.vpc.ID},
		"cidr":       {s.vpc.CIDR},
		"cidr-block": {s.vpc.CIDR},
		"is-default": {"true"},
		"state":      {"available"},
		"owner-id":   {s.opts.AccountID},
	}.withTags(s.vpc.tags)
}

func (s *Server) describeVpcs(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, s.vpcFields()); err != nil {
		return nil, err
	}
	for _, id := range p.list("VpcId") {
		if id != s.vpc.ID {
			return nil, errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	var found []*vpc
	if matches(filters, s.vpcFields(), s.vpc.tags) {
		found = append(found, s.vpc)
	}
	page, next, err := paginate(p, "vpc", found, func(*vpc) int { return 1 })
	if err != nil {
		return nil, err
	}
	out := &describeVpcsResponse{NextToken: next}
	for _, v := range page {
		out.Vpcs = append(out.Vpcs, xmlVpc{
			VpcID: v.ID, OwnerID: s.opts.AccountID, State: "available", CidrBlock: v.CIDR,
			DhcpOptionsID: "dopt-0" + v.ID[5:], InstanceTenancy: "default", IsDefault: true, Tags: sortedTags(v.tags),
		})
	}
	return out, nil
}

type xmlSubnet struct {
	SubnetID                string   `xml:"subnetId"`
	SubnetArn               string   `xml:"subnetArn"`
	OwnerID                 string   `xml:"ownerId"`
	State                   string   `xml:"state"`
	VpcID                   string   `xml:"vpcId"`
	CidrBlock               string   `xml:"cidrBlock"`
	AvailableIPAddressCount int      `xml:"availableIpAddressCount"`
	AvailabilityZone        string   `xml:"availabilityZone"`
	AvailabilityZoneID      string   `xml:"availabilityZoneId"`
	DefaultForAz            bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool     `xml:"mapPublicIpOnLaunch"`
	Tags                    []xmlTag `xml:"tagSet>item"`
}

type describeSubnetsResponse struct {
	meta
	Subnets   []xmlSubnet `xml:"subnetSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (s *Server) subnetFields() fields {
	return fields{
		"subnet-id":                  {s.subnet.ID},
		"vpc-id":                     {s.vpc.ID},
		"cidr-block":                 {s.subnet.CIDR},
		"availability-zone":          {s.subnet.AvailabilityZone},
		"default-for-az":             {"true"},
		"map-public-ip-on-launch":    {"true"},
		"state":                      {"available"},
		"owner-id":                   {s.opts.AccountID},
		"available-ip-address-count": {strconv.Itoa(len(s.pool))},
	}.withTags(s.subnet.tags)
}

func (s *Server) describeSubnets(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, s.subnetFields()); err != nil {
		return nil, err
	}
	for _, id := range p.list("SubnetId") {
		if id != s.subnet.ID {
			return nil, errf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	var found []*subnet
	if matches(filters, s.subnetFields(), s.subnet.tags) {
		found = append(found, s.subnet)
	}
	page, next, err := paginate(p, "subnet", found, func(*subnet) int { return 1 })
	if err != nil {
		return nil, err
	}
	out := &describeSubnetsResponse{NextToken: next}
	for _, sn := range page {
		out.Subnets = append(out.Subnets, xmlSubnet{
			SubnetID: sn.ID, SubnetArn: s.arn("subnet", sn.ID), OwnerID: s.opts.AccountID, State: "available",
			VpcID: s.vpc.ID, CidrBlock: sn.CIDR, AvailableIPAddressCount: len(s.pool),
			AvailabilityZone: sn.AvailabilityZone, AvailabilityZoneID: s.opts.Region + "-az1",
			DefaultForAz: true, MapPublicIPOnLaunch: true, Tags: sortedTags(sn.tags),
		})
	}
	return out, nil
}

func (s *Server) arn(kind, id string) string {
	return "arn:aws:ec2:" + s.opts.Region + ":" + s.opts.AccountID + ":" + kind + "/" + id
}
