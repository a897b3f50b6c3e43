package fakeec2

import (
	"fmt"
	"net/netip"
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

// rule is one security group rule: one protocol and port range from one
// source (an IPv4 or IPv6 CIDR or another group).
type rule struct {
	id          string
	protocol    string // "tcp", "udp", "icmp", "icmpv6", "-1" (all) or a protocol number
	fromPort    int    // -1 when the protocol has no ports
	toPort      int
	cidr        string
	cidr6       string
	groupRef    string
	description string
	egress      bool
	tags        map[string]string
}

// same reports whether two rules allow the same traffic (EC2's notion of a
// duplicate, which ignores descriptions).
func (r *rule) same(o *rule) bool {
	return r.protocol == o.protocol && r.fromPort == o.fromPort && r.toPort == o.toPort &&
		r.cidr == o.cidr && r.cidr6 == o.cidr6 && r.groupRef == o.groupRef
}

func (r *rule) String() string {
	peer := r.cidr + r.cidr6 + r.groupRef
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.protocol), r.fromPort, r.toPort)
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

// normalizeProtocol maps the protocol names and numbers EC2 accepts to the
// form it reports.
func normalizeProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, nil
	}
	return "", errf("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// permission is one IpPermissions.N before it is split into rules.
func (s *Server) permissionRules(g *securityGroup, perm params, egress bool) ([]*rule, error) {
	proto, err := normalizeProtocol(perm.str("IpProtocol"))
	if err != nil {
		return nil, err
	}
	from, err := perm.int("FromPort", -1)
	if err != nil {
		return nil, err
	}
	to, err := perm.int("ToPort", -1)
	if err != nil {
		return nil, err
	}
	switch proto {
	case "tcp", "udp":
		if from < 0 || to > 65535 || from > to {
			return nil, errf("InvalidParameterValue", "Invalid TCP/UDP port range %d-%d", from, to)
		}
	case "-1":
		from, to = -1, -1
	}
	base := rule{protocol: proto, fromPort: from, toPort: to, egress: egress}
	var out []*rule
	for _, n := range perm.indexes("IpRanges") {
		r := perm.sub("IpRanges", n)
		cidr, err := parseCIDR(r.str("CidrIp"), false)
		if err != nil {
			return nil, err
		}
		nr := base
		nr.cidr, nr.description = cidr, r.str("Description")
		out = append(out, &nr)
	}
	for _, n := range perm.indexes("Ipv6Ranges") {
		r := perm.sub("Ipv6Ranges", n)
		cidr, err := parseCIDR(r.str("CidrIpv6"), true)
		if err != nil {
			return nil, err
		}
		nr := base
		nr.cidr6, nr.description = cidr, r.str("Description")
		out = append(out, &nr)
	}
	for _, n := range perm.indexes("Groups") {
		r := perm.sub("Groups", n)
		var ref *securityGroup
		var err error
		if id := r.str("GroupId"); id != "" {
			ref, err = s.findGroupID(id)
		} else {
			ref, err = s.findGroupName(r.str("GroupName"))
		}
		if err != nil {
			return nil, err
		}
		nr := base
		nr.groupRef, nr.description = ref.id, r.str("Description")
		out = append(out, &nr)
	}
	if len(out) == 0 {
		return nil, errf("InvalidParameterValue", "The request must specify a source for the permission: IpRanges, Ipv6Ranges or Groups")
	}
	return out, nil
}

// parseCIDR accepts a network CIDR of the right family. Like EC2 it
// refuses a prefix with host bits set ("10.0.0.5/24").
func parseCIDR(s string, v6 bool) (string, error) {
	pfx, err := netip.ParsePrefix(s)
	if err != nil || pfx.Addr().Is6() != v6 || pfx.Masked() != pfx {
		return "", errf("InvalidParameterValue", "CIDR block %s is malformed", s)
	}
	return pfx.String(), nil
}

// ingressRules reads a request's rules: IpPermissions.N, or the older flat
// form (IpProtocol, FromPort, ToPort, CidrIp, SourceSecurityGroupName).
func (s *Server) ingressRules(g *securityGroup, p params) ([]*rule, error) {
	var out []*rule
	for _, n := range p.indexes("IpPermissions") {
		rs, err := s.permissionRules(g, p.sub("IpPermissions", n), false)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if p.has("IpProtocol") {
		flat := params{"IpProtocol": p["IpProtocol"], "FromPort": p["FromPort"], "ToPort": p["ToPort"]}
		if p.has("CidrIp") {
			flat["IpRanges.1.CidrIp"] = p["CidrIp"]
		}
		if p.has("SourceSecurityGroupName") {
			flat["Groups.1.GroupName"] = p["SourceSecurityGroupName"]
		}
		rs, err := s.permissionRules(g, flat, false)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, errMissing("IpPermissions")
	}
	return out, nil
}

type xmlRuleGroupRef struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xmlSecurityGroupRule struct {
	SecurityGroupRuleID  string           `xml:"securityGroupRuleId"`
	SecurityGroupRuleArn string           `xml:"securityGroupRuleArn"`
	GroupID              string           `xml:"groupId"`
	GroupOwnerID         string           `xml:"groupOwnerId"`
	IsEgress             bool             `xml:"isEgress"`
	IPProtocol           string           `xml:"ipProtocol"`
	FromPort             int              `xml:"fromPort"`
	ToPort               int              `xml:"toPort"`
	CidrIpv4             string           `xml:"cidrIpv4,omitempty"`
	CidrIpv6             string           `xml:"cidrIpv6,omitempty"`
	ReferencedGroupInfo  *xmlRuleGroupRef `xml:"referencedGroupInfo,omitempty"`
	Description          string           `xml:"description,omitempty"`
	Tags                 []xmlTag         `xml:"tagSet>item"`
}

type authorizeResponse struct {
	meta
	Return bool                   `xml:"return"`
	Rules  []xmlSecurityGroupRule `xml:"securityGroupRuleSet>item"`
}

// authorizeSecurityGroupIngress adds rules; a rule that exists already
// fails the whole request with InvalidPermission.Duplicate, as on EC2.
func (s *Server) authorizeSecurityGroupIngress(p params) (response, error) {
	g, err := s.groupOf(p)
	if err != nil {
		return nil, err
	}
	rules, err := s.ingressRules(g, p)
	if err != nil {
		return nil, err
	}
	tags, err := specTags(p, "security-group-rule", "security-group-rule")
	if err != nil {
		return nil, err
	}
	for i, r := range rules {
		for _, o := range slices.Concat(g.ingress, rules[:i]) {
			if r.same(o) {
				return nil, errf("InvalidPermission.Duplicate", "the specified rule %q already exists", r.String())
			}
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	out := &authorizeResponse{Return: true}
	for _, r := range rules {
		r.id = s.newID("sgr")
		r.tags = map[string]string{}
		for k, v := range tags {
			r.tags[k] = v
		}
		g.ingress = append(g.ingress, r)
		x := xmlSecurityGroupRule{
			SecurityGroupRuleID: r.id, SecurityGroupRuleArn: s.arn("security-group-rule", r.id),
			GroupID: g.id, GroupOwnerID: s.opts.AccountID, IPProtocol: r.protocol,
			FromPort: r.fromPort, ToPort: r.toPort, CidrIpv4: r.cidr, CidrIpv6: r.cidr6,
			Description: r.description, Tags: sortedTags(r.tags),
		}
		if r.groupRef != "" {
			x.ReferencedGroupInfo = &xmlRuleGroupRef{GroupID: r.groupRef, UserID: s.opts.AccountID}
		}
		out.Rules = append(out.Rules, x)
	}
	return out, nil
}

// revokeSecurityGroupIngress removes rules named by their permissions or
// by SecurityGroupRuleId.N; a rule that does not exist fails the request
// with InvalidPermission.NotFound.
func (s *Server) revokeSecurityGroupIngress(p params) (response, error) {
	g, err := s.groupOf(p)
	if err != nil {
		return nil, err
	}
	var drop []*rule
	if ids := p.list("SecurityGroupRuleId"); len(ids) > 0 {
		for _, id := range ids {
			i := slices.IndexFunc(g.ingress, func(r *rule) bool { return r.id == id })
			if i < 0 {
				return nil, errf("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
			}
			drop = append(drop, g.ingress[i])
		}
	} else {
		rules, err := s.ingressRules(g, p)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			i := slices.IndexFunc(g.ingress, r.same)
			if i < 0 {
				return nil, errf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			drop = append(drop, g.ingress[i])
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	g.ingress = slices.DeleteFunc(g.ingress, func(r *rule) bool { return slices.Contains(drop, r) })
	return &boolResponse{Return: true}, nil
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
