package awsec2

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// body is an executor body: the minimal valid one, with set applied (a
// cty.NilVal removes the attribute).
func body(set map[string]cty.Value) cty.Value {
	a := attrs{
		"region":        cty.StringVal("eu-west-1"),
		"instance_type": cty.StringVal("c7i.large"),
		"ssh_cidrs":     cty.ListVal([]cty.Value{cty.StringVal("203.0.113.7/32")}),
	}
	for k, v := range set {
		if v == cty.NilVal {
			delete(a, k)
			continue
		}
		a[k] = v
	}
	return a.object(bodySchema.ObjectType().AttributeTypes())
}

func list(ss ...string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	var vs []cty.Value
	for _, s := range ss {
		vs = append(vs, cty.StringVal(s))
	}
	return cty.ListVal(vs)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]cty.Value
		want []string // "attr: summary"
	}{
		{"minimal", nil, nil},
		{"everything", map[string]cty.Value{
			"count": cty.NumberIntVal(4), "spot": cty.True, "spot_fallback": cty.True, "ami": cty.StringVal("ami-0123456789abcdef0"),
			"subnet_id": cty.StringVal("subnet-0123456789abcdef0"), "security_group_id": cty.StringVal("sg-0123456789abcdef0"),
			"ssh_cidrs": list("10.0.0.0/8", "2001:db8::/32"), "ssh_user": cty.StringVal("ec2-user"), "idle_shutdown": cty.StringVal("1h30m"),
			"endpoint": cty.StringVal("https://ec2.eu-west-1.amazonaws.com"), "profile": cty.StringVal("ops"),
			"worker_processes": cty.NumberIntVal(8), "env": cty.MapVal(map[string]cty.Value{"LANG": cty.StringVal("C")}),
			"worker_binaries": cty.MapVal(map[string]cty.Value{"linux/arm64": cty.StringVal("/opt/lithops-arm64")}),
		}, nil},
		{"count zero keeps the key pair and group", map[string]cty.Value{"count": cty.NumberIntVal(0)}, nil},
		{"unknown values are checked later", map[string]cty.Value{"count": cty.UnknownVal(cty.Number), "ssh_cidrs": cty.UnknownVal(cty.List(cty.String))}, nil},
		{"bad region", map[string]cty.Value{"region": cty.StringVal("Ireland")}, []string{"region: Invalid region"}},
		{"bad type", map[string]cty.Value{"instance_type": cty.StringVal("large")}, []string{"instance_type: Invalid instance type"}},
		{"negative count", map[string]cty.Value{"count": cty.NumberIntVal(-1)}, []string{"count: Invalid count"}},
		{"fractional count", map[string]cty.Value{"count": cty.NumberFloatVal(1.5)}, []string{"count: Invalid count"}},
		{"huge count", map[string]cty.Value{"count": cty.NumberIntVal(MaxCount + 1)}, []string{"count: Invalid count"}},
		{"fallback without spot", map[string]cty.Value{"spot_fallback": cty.True}, []string{"spot_fallback: spot_fallback without spot"}},
		{"bad ami", map[string]cty.Value{"ami": cty.StringVal("ubuntu")}, []string{"ami: Invalid AMI ID"}},
		{"bad subnet", map[string]cty.Value{"subnet_id": cty.StringVal("sn-1")}, []string{"subnet_id: Invalid subnet ID"}},
		{"bad group", map[string]cty.Value{"security_group_id": cty.StringVal("default")}, []string{"security_group_id: Invalid security group ID"}},
		{"no ssh sources", map[string]cty.Value{"ssh_cidrs": list()}, []string{"ssh_cidrs: No SSH source"}},
		{"address without prefix", map[string]cty.Value{"ssh_cidrs": list("203.0.113.7")}, []string{"ssh_cidrs: Invalid CIDR"}},
		{"host bits set", map[string]cty.Value{"ssh_cidrs": list("10.1.2.3/8")}, []string{"ssh_cidrs: Invalid CIDR"}},
		{"bad login", map[string]cty.Value{"ssh_user": cty.StringVal("root; rm")}, []string{"ssh_user: Invalid ssh_user"}},
		{"idle not a duration", map[string]cty.Value{"idle_shutdown": cty.StringVal("soon")}, []string{"idle_shutdown: Invalid idle_shutdown"}},
		{"idle too short", map[string]cty.Value{"idle_shutdown": cty.StringVal("5s")}, []string{"idle_shutdown: Invalid idle_shutdown"}},
		{"idle too long", map[string]cty.Value{"idle_shutdown": cty.StringVal("200h")}, []string{"idle_shutdown: Invalid idle_shutdown"}},
		{"idle fractional seconds", map[string]cty.Value{"idle_shutdown": cty.StringVal("90.5s")}, []string{"idle_shutdown: Invalid idle_shutdown"}},
		{"bad endpoint", map[string]cty.Value{"endpoint": cty.StringVal("localhost:4566")}, []string{"endpoint: Invalid endpoint"}},
		{"bad processes", map[string]cty.Value{"worker_processes": cty.NumberIntVal(0)}, []string{"worker_processes: Invalid worker_processes"}},
		{"bad platform", map[string]cty.Value{"worker_binaries": cty.MapVal(map[string]cty.Value{"arm64": cty.StringVal("/x")})}, []string{"worker_binaries: Invalid platform"}},
		{"every problem at once", map[string]cty.Value{"region": cty.StringVal("x"), "count": cty.NumberIntVal(-2), "ssh_cidrs": list()},
			[]string{"region: Invalid region", "count: Invalid count", "ssh_cidrs: No SSH source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range (&Backend{}).Validate(body(tt.set)) {
				got = append(got, p.Attr+": "+p.Summary)
				if p.Detail == "" {
					t.Errorf("problem %q has no detail", p.Summary)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong problems (-want +got):\n%s", diff)
			}
		})
	}
}

// Resources plans a key pair, a group (unless one is given) and count
// instances made from them, with the settings instances are launched with.
func TestResources(t *testing.T) {
	names := func(resp providers.ExecutorResourcesResponse) map[string][]string {
		out := map[string][]string{}
		for _, r := range resp.Resources {
			out[r.Name+" "+r.Resource.Type()] = r.Uses
		}
		return out
	}
	b := &Backend{}
	resp, err := b.Resources(t.Context(), providers.ExecutorResourcesRequest{Name: "fleet", Dir: "/cfg", WorkerDigest: "sha256:00", Body: body(map[string]cty.Value{"count": cty.NumberIntVal(2)})})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"key_pair aws_ec2_key_pair":             nil,
		"security_group aws_ec2_security_group": nil,
		"instance[0] aws_ec2_instance":          {"key_pair", "security_group"},
		"instance[1] aws_ec2_instance":          {"key_pair", "security_group"},
		"bootstrap[0] aws_ec2_bootstrap":        {"instance[0]"},
		"bootstrap[1] aws_ec2_bootstrap":        {"instance[1]"},
	}
	if diff := cmp.Diff(want, names(resp)); diff != "" {
		t.Errorf("wrong resources (-want +got):\n%s", diff)
	}
	inst := attrsOf(resp.Resources[4].Config)
	if inst.str("idle_shutdown") != "15m0s" || inst.str("ssh_user") != "ubuntu" || inst.number("index") != 1 || !inst["ami"].IsNull() {
		t.Errorf("instance[1] config: %#v", inst)
	}

	resp, err = b.Resources(t.Context(), providers.ExecutorResourcesRequest{Name: "fleet", Dir: "/cfg", WorkerDigest: "sha256:00", Body: body(map[string]cty.Value{"security_group_id": cty.StringVal("sg-0123456789abcdef0")})})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string][]string{
		"key_pair aws_ec2_key_pair":      nil,
		"instance[0] aws_ec2_instance":   {"key_pair"},
		"bootstrap[0] aws_ec2_bootstrap": {"instance[0]"},
	}
	if diff := cmp.Diff(want, names(resp)); diff != "" {
		t.Errorf("wrong resources with a given group (-want +got):\n%s", diff)
	}
}
