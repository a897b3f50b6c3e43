package awsec2

import (
	"fmt"
	"math/big"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// Defaults of the executor block.
const (
	DefaultIdleShutdown = 15 * time.Minute
	DefaultSSHUser      = "ubuntu"
	// MaxCount bounds count: one RunInstances and one SSH connection per
	// instance.
	MaxCount = 1000
)

// bodySchema describes the executor block's attributes (what Spec decodes).
var bodySchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":            {Type: cty.String, Description: "The AWS region, e.g. eu-west-1."},
	"instance_type":     {Type: cty.String, Description: "The instance type, e.g. c7i.large."},
	"count":             {Type: cty.Number, Description: "How many instances (default 1; 0 keeps only the key pair and security group)."},
	"spot":              {Type: cty.Bool, Description: "Launch spot instances (one-time, terminated when interrupted)."},
	"spot_fallback":     {Type: cty.Bool, Description: "With spot: launch on-demand when EC2 has no spot capacity."},
	"ami":               {Type: cty.String, Description: "The image; default: the newest Ubuntu LTS server image for the type's architecture (DescribeImages), recorded per instance."},
	"subnet_id":         {Type: cty.String, Description: "The subnet; default: the default VPC's default subnet in some zone."},
	"security_group_id": {Type: cty.String, Description: "An existing security group; default: one created for the fleet, open on port 22 to ssh_cidrs only."},
	"ssh_cidrs":         {Type: cty.List(cty.String), Description: "Who may reach port 22 (CIDRs): the machines that run lithops. Required."},
	"ssh_user":          {Type: cty.String, Description: "The image's login (default ubuntu)."},
	"idle_shutdown":     {Type: cty.String, Description: "An instance with no lithops worker running for this long powers itself off and terminates (default 15m)."},
	"endpoint":          {Type: cty.String, Description: "The EC2 endpoint URL (a private endpoint or a test server); default the region's."},
	"profile":           {Type: cty.String, Description: "The shared config profile to take credentials from; default the SDK's chain."},
	"worker_processes":  {Type: cty.Number, Description: "Worker processes per instance (default: its CPU count)."},
	"env":               {Type: cty.Map(cty.String), Description: "Added to every task's environment."},
	"worker_binaries":   {Type: cty.Map(cty.String), Description: `lithops binaries for other platforms ("linux/arm64" = path), for instance types whose architecture differs from this machine's.`},
}}

func spec() hcldec.Spec {
	s := hcldec.ObjectSpec{}
	for name, a := range bodySchema.Attributes {
		required := name == "region" || name == "instance_type" || name == "ssh_cidrs"
		s[name] = &hcldec.AttrSpec{Name: name, Type: a.Type, Required: required}
	}
	return s
}

// settings is a decoded executor block.
type settings struct {
	region       string
	instanceType string
	count        int
	spot         bool
	fallback     bool
	ami          string
	subnetID     string
	groupID      string
	sshCIDRs     []string
	sshUser      string
	idle         time.Duration
	endpoint     string
	profile      string
	processes    int // 0: the host's CPU count
	env          map[string]string
	binaries     map[string]string
}

var (
	regionName   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	instanceType = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	amiID        = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	subnetID     = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	groupID      = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	loginName    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	platformName = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9]+$`)
)

// decode reads a body, reporting every problem it finds. Unknown values
// (from variables not known yet) are left at their zero values.
func decode(body cty.Value) (settings, []providers.Problem) {
	s := settings{count: 1, sshUser: DefaultSSHUser, idle: DefaultIdleShutdown}
	var ps []providers.Problem
	add := func(attr, summary, detail string, args ...any) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}
	if body.IsNull() || !body.IsKnown() {
		return s, []providers.Problem{{Summary: "Missing executor settings", Detail: "An aws_ec2 executor needs region, instance_type and ssh_cidrs."}}
	}
	str := func(name string) (string, bool) {
		v := body.GetAttr(name)
		if v.IsNull() || !v.IsKnown() {
			return "", false
		}
		return v.AsString(), true
	}
	if v, ok := str("region"); ok {
		s.region = v
		if !regionName.MatchString(v) {
			add("region", "Invalid region", "%q is not an AWS region name such as eu-west-1.", v)
		}
	}
	if v, ok := str("instance_type"); ok {
		s.instanceType = v
		if !instanceType.MatchString(v) {
			add("instance_type", "Invalid instance type", "%q is not an instance type such as c7i.large.", v)
		}
	}
	if v := body.GetAttr("count"); v.IsKnown() && !v.IsNull() {
		n, ok := wholeNumber(v.AsBigFloat())
		if !ok || n < 0 || n > MaxCount {
			add("count", "Invalid count", "count is how many instances to run: a whole number from 0 to %d.", MaxCount)
		} else {
			s.count = n
		}
	}
	boolean := func(name string) (bool, bool) {
		v := body.GetAttr(name)
		if v.IsNull() || !v.IsKnown() {
			return false, false
		}
		return v.True(), true
	}
	s.spot, _ = boolean("spot")
	var set bool
	if s.fallback, set = boolean("spot_fallback"); set && s.fallback && !s.spot && body.GetAttr("spot").IsKnown() {
		add("spot_fallback", "spot_fallback without spot", "spot_fallback launches on-demand instances when spot capacity is missing; it needs spot = true.")
	}
	if v, ok := str("ami"); ok {
		s.ami = v
		if !amiID.MatchString(v) {
			add("ami", "Invalid AMI ID", "%q is not an image ID such as ami-0123456789abcdef0. Leave ami out to use the newest Ubuntu LTS image.", v)
		}
	}
	if v, ok := str("subnet_id"); ok {
		s.subnetID = v
		if !subnetID.MatchString(v) {
			add("subnet_id", "Invalid subnet ID", "%q is not a subnet ID such as subnet-0123456789abcdef0.", v)
		}
	}
	if v, ok := str("security_group_id"); ok {
		s.groupID = v
		if !groupID.MatchString(v) {
			add("security_group_id", "Invalid security group ID", "%q is not a security group ID such as sg-0123456789abcdef0.", v)
		}
	}
	if v := body.GetAttr("ssh_cidrs"); v.IsWhollyKnown() && !v.IsNull() {
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				add("ssh_cidrs", "Invalid CIDR", "ssh_cidrs holds a null element.")
				continue
			}
			p, err := netip.ParsePrefix(e.AsString())
			if err != nil || p.Masked() != p {
				add("ssh_cidrs", "Invalid CIDR", "%q is not a network in CIDR notation such as 203.0.113.7/32 or 2001:db8::/64 (host bits must be zero).", e.AsString())
				continue
			}
			s.sshCIDRs = append(s.sshCIDRs, p.String())
		}
		if v.LengthInt() == 0 {
			add("ssh_cidrs", "No SSH source", "ssh_cidrs must name at least one network: the addresses lithops connects from (for one machine, its public address with /32).")
		}
	}
	if v, ok := str("ssh_user"); ok {
		s.sshUser = v
		if !loginName.MatchString(v) {
			add("ssh_user", "Invalid ssh_user", "%q is not a login name.", v)
		}
	}
	if v, ok := str("idle_shutdown"); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			add("idle_shutdown", "Invalid idle_shutdown", "%q is not a duration such as \"15m\" or \"1h\".", v)
		case d < 10*time.Second || d > 7*24*time.Hour:
			add("idle_shutdown", "Invalid idle_shutdown", "idle_shutdown must be between 10s and 168h; it is %s.", d)
		case d%time.Second != 0:
			add("idle_shutdown", "Invalid idle_shutdown", "idle_shutdown is counted in whole seconds; %s is not.", d)
		default:
			s.idle = d
		}
	}
	if v, ok := str("endpoint"); ok {
		s.endpoint = v
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "Invalid endpoint", "%q is not an http:// or https:// URL with a host.", v)
		}
	}
	s.profile, _ = str("profile")
	if v := body.GetAttr("worker_processes"); v.IsKnown() && !v.IsNull() {
		n, ok := wholeNumber(v.AsBigFloat())
		if !ok || n < 1 || n > 4096 {
			add("worker_processes", "Invalid worker_processes", "worker_processes is the number of worker processes per instance: a whole number from 1 to 4096. Leave it out to use one per CPU.")
		} else {
			s.processes = n
		}
	}
	s.env = stringMap(body.GetAttr("env"))
	s.binaries = stringMap(body.GetAttr("worker_binaries"))
	for _, p := range sortedKeys(s.binaries) {
		if !platformName.MatchString(p) {
			add("worker_binaries", "Invalid platform", "%q is not a platform such as \"linux/arm64\".", p)
		}
	}
	return s, ps
}

func wholeNumber(f *big.Float) (int, bool) {
	if !f.IsInt() {
		return 0, false
	}
	n, acc := f.Int64()
	if acc != big.Exact || n < -1<<31 || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

func stringMap(v cty.Value) map[string]string {
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if !e.IsNull() {
			out[k] = e.AsString()
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
