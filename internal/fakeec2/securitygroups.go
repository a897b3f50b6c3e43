package fakeec2

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// securityGroup is a VPC security group.
type securityGroup struct {
	id          string
	seq         int
	name        string
	description string
	vpcID       string
	isDefault   bool // the VPC's default group: cannot be deleted
	ingress     []*rule
	egress      []*rule
	tags        map[string]string
}

// findGroupID finds a security group by ID; s.mu must be held.
func (s *Server) findGroupID(id string) (*securityGroup, error) {
	if !wellFormed(id, "sg") {
		return nil, errMalformed("InvalidGroupId.Malformed", id, "sg")
	}
	for _, g := range s.groups {
		if g.id == id {
			return g, nil
		}
	}
	return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
}

// findGroupName finds a group by name in the default VPC, the only VPC
// where EC2 accepts group names in place of IDs.
func (s *Server) findGroupName(name string) (*securityGroup, error) {
	for _, g := range s.groups {
		if g.name == name {
			return g, nil
		}
	}
	return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, s.vpc.ID)
}

// groupOf finds the group a request names by GroupId or GroupName.
func (s *Server) groupOf(p params) (*securityGroup, error) {
	if id := p.str("GroupId"); id != "" {
		return s.findGroupID(id)
	}
	if name := p.str("GroupName"); name != "" {
		return s.findGroupName(name)
	}
	return nil, errMissing("GroupId")
}

type createSecurityGroupResponse struct {
	meta
	GroupID          string   `xml:"groupId"`
	SecurityGroupArn string   `xml:"securityGroupArn"`
	Tags             []xmlTag `xml:"tagSet>item"`
}

func (s *Server) createSecurityGroup(p params) (response, error) {
	name, desc := p.str("GroupName"), p.str("GroupDescription")
	switch {
	case name == "":
		return nil, errMissing("GroupName")
	case desc == "":
		return nil, errMissing("GroupDescription")
	case len(name) > 255 || !printableASCII(name):
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter GroupName is invalid. Character sets beyond ASCII are not supported.", name)
	case len(desc) > 255 || !printableASCII(desc):
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.", desc)
	case strings.HasPrefix(name, "sg-"):
		return nil, errf("InvalidParameterValue", "Group names may not be in the format sg-*")
	}
	vpcID := p.str("VpcId")
	if vpcID == "" {
		vpcID = s.vpc.ID
	}
	if vpcID != s.vpc.ID {
		return nil, errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	tags, err := specTags(p, "security-group", "security-group")
	if err != nil {
		return nil, err
	}
	for _, g := range s.groups {
		if g.name == name && g.vpcID == vpcID {
			return nil, errf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	id, seq := s.newSeqID("sg")
	g := &securityGroup{id: id, seq: seq, name: name, description: desc, vpcID: vpcID, tags: tags}
	g.egress = []*rule{{id: s.newID("sgr"), protocol: "-1", fromPort: -1, toPort: -1, cidr: "0.0.0.0/0", egress: true}}
	s.groups = append(s.groups, g)
	return &createSecurityGroupResponse{GroupID: g.id, SecurityGroupArn: s.arn("security-group", g.id), Tags: sortedTags(tags)}, nil
}

func printableASCII(s string) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

type deleteSecurityGroupResponse struct {
	meta
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

// deleteSecurityGroup refuses, as EC2 does, to delete the default group or
// a group that a non-terminated instance uses or another group's rule
// references (DependencyViolation).
func (s *Server) deleteSecurityGroup(p params) (response, error) {
	g, err := s.groupOf(p)
	if err != nil {
		return nil, err
	}
	if g.isDefault {
		return nil, errf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.id)
	}
	for _, in := range s.instances {
		if in.State != Terminated && slices.Contains(in.SecurityGroupIDs, g.id) {
			return nil, errf("DependencyViolation", "resource %s has a dependent object", g.id)
		}
	}
	for _, o := range s.groups {
		if o == g {
			continue
		}
		for _, r := range slices.Concat(o.ingress, o.egress) {
			if r.groupRef == g.id {
				return nil, errf("DependencyViolation", "resource %s has a dependent object", g.id)
			}
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	s.groups = slices.DeleteFunc(s.groups, func(o *securityGroup) bool { return o == g })
	return &deleteSecurityGroupResponse{Return: true, GroupID: g.id}, nil
}

type xmlGroupPair struct {
	GroupID     string `xml:"groupId"`
	UserID      string `xml:"userId"`
	Description string `xml:"description,omitempty"`
}

type xmlIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xmlIPv6Range struct {
	CidrIpv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type xmlIPPermission struct {
	IPProtocol string         `xml:"ipProtocol"`
	FromPort   *int           `xml:"fromPort,omitempty"`
	ToPort     *int           `xml:"toPort,omitempty"`
	Groups     []xmlGroupPair `xml:"groups>item"`
	IPRanges   []xmlIPRange   `xml:"ipRanges>item"`
	IPv6Ranges []xmlIPv6Range `xml:"ipv6Ranges>item"`
}

type xmlSecurityGroup struct {
	OwnerID             string            `xml:"ownerId"`
	GroupID             string            `xml:"groupId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	VpcID               string            `xml:"vpcId"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	IPPermissions       []xmlIPPermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []xmlIPPermission `xml:"ipPermissionsEgress>item"`
	Tags                []xmlTag          `xml:"tagSet>item"`
}

type describeSecurityGroupsResponse struct {
	meta
	Groups    []xmlSecurityGroup `xml:"securityGroupInfo>item"`
	NextToken string             `xml:"nextToken,omitempty"`
}

// permissions groups rules by protocol and port range, the shape
// DescribeSecurityGroups reports them in.
func (s *Server) permissions(rules []*rule) []xmlIPPermission {
	var out []xmlIPPermission
	index := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%s/%d/%d", r.protocol, r.fromPort, r.toPort)
		i, ok := index[key]
		if !ok {
			perm := xmlIPPermission{IPProtocol: r.protocol}
			if r.protocol != "-1" {
				from, to := r.fromPort, r.toPort
				perm.FromPort, perm.ToPort = &from, &to
			}
			i = len(out)
			index[key] = i
			out = append(out, perm)
		}
		switch {
		case r.cidr != "":
			out[i].IPRanges = append(out[i].IPRanges, xmlIPRange{CidrIP: r.cidr, Description: r.description})
		case r.cidr6 != "":
			out[i].IPv6Ranges = append(out[i].IPv6Ranges, xmlIPv6Range{CidrIpv6: r.cidr6, Description: r.description})
		default:
			out[i].Groups = append(out[i].Groups, xmlGroupPair{GroupID: r.groupRef, UserID: s.opts.AccountID, Description: r.description})
		}
	}
	return out
}

func (g *securityGroup) fields() fields {
	f := fields{
		"group-id":                  {g.id},
		"group-name":                {g.name},
		"description":               {g.description},
		"vpc-id":                    {g.vpcID},
		"owner-id":                  {},
		"ip-permission.cidr":        {},
		"ip-permission.ipv6-cidr":   {},
		"ip-permission.protocol":    {},
		"ip-permission.from-port":   {},
		"ip-permission.to-port":     {},
		"ip-permission.group-id":    {},
		"egress.ip-permission.cidr": {},
	}
	for _, r := range g.ingress {
		f["ip-permission.cidr"] = append(f["ip-permission.cidr"], r.cidr)
		f["ip-permission.ipv6-cidr"] = append(f["ip-permission.ipv6-cidr"], r.cidr6)
		f["ip-permission.protocol"] = append(f["ip-permission.protocol"], r.protocol)
		f["ip-permission.from-port"] = append(f["ip-permission.from-port"], strconv.Itoa(r.fromPort))
		f["ip-permission.to-port"] = append(f["ip-permission.to-port"], strconv.Itoa(r.toPort))
		f["ip-permission.group-id"] = append(f["ip-permission.group-id"], r.groupRef)
	}
	for _, r := range g.egress {
		f["egress.ip-permission.cidr"] = append(f["egress.ip-permission.cidr"], r.cidr)
	}
	return f.withTags(g.tags)
}

func (s *Server) describeSecurityGroups(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, (&securityGroup{}).fields()); err != nil {
		return nil, err
	}
	ids, names := p.list("GroupId"), p.list("GroupName")
	if len(ids) > 0 && p.has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter groupIdSet cannot be used with the parameter maxResults")
	}
	for _, id := range ids {
		if _, err := s.findGroupID(id); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		if _, err := s.findGroupName(n); err != nil {
			return nil, err
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	var found []*securityGroup
	for _, g := range s.groups {
		if (len(ids) > 0 && !slices.Contains(ids, g.id)) || (len(names) > 0 && !slices.Contains(names, g.name)) {
			continue
		}
		f := g.fields()
		f["owner-id"] = []string{s.opts.AccountID}
		if matches(filters, f, g.tags) {
			found = append(found, g)
		}
	}
	page, next, err := paginate(p, "sg", found, func(g *securityGroup) int { return g.seq })
	if err != nil {
		return nil, err
	}
	out := &describeSecurityGroupsResponse{NextToken: next}
	for _, g := range page {
		out.Groups = append(out.Groups, xmlSecurityGroup{
			OwnerID: s.opts.AccountID, GroupID: g.id, GroupName: g.name, GroupDescription: g.description,
			VpcID: g.vpcID, SecurityGroupArn: s.arn("security-group", g.id),
			IPPermissions: s.permissions(g.ingress), IPPermissionsEgress: s.permissions(g.egress),
			Tags: sortedTags(g.tags),
		})
	}
	return out, nil
}
