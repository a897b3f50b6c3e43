package fakeec2

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

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
