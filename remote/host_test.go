package remote

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHost(t *testing.T) {
	ssh := HostDefaults{User: "lithops", Port: 0}
	tests := []struct {
		entry string
		d     HostDefaults
		want  Host
	}{
		{"10.0.0.5", ssh, Host{User: "lithops", Addr: "10.0.0.5", Port: 22}},
		{"ops@10.0.0.6:2222", ssh, Host{User: "ops", Addr: "10.0.0.6", Port: 2222}},
		{"[::1]:2222", ssh, Host{User: "lithops", Addr: "::1", Port: 2222}},
		{"[::1]", ssh, Host{User: "lithops", Addr: "::1", Port: 22}},
		{"fe80::1", ssh, Host{User: "lithops", Addr: "fe80::1", Port: 22}},
		{"root@[2001:db8::7]:22", ssh, Host{User: "root", Addr: "2001:db8::7", Port: 22}},
		{"ops@host", ssh, Host{User: "ops", Addr: "host", Port: 22}},
		{"worker-1.example.com", HostDefaults{User: "u", Port: 2200}, Host{User: "u", Addr: "worker-1.example.com", Port: 2200}},
		{"worker-1:23", HostDefaults{User: "u", Port: 2200}, Host{User: "u", Addr: "worker-1", Port: 23}},
		{"first.last@h_1", HostDefaults{}, Host{User: "first.last", Addr: "h_1", Port: 22}},
		{"ops@h:65535", HostDefaults{}, Host{User: "ops", Addr: "h", Port: 65535}},
	}
	for _, tt := range tests {
		got, err := ParseHost(tt.entry, tt.d)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", tt.entry, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseHost(%q): wrong host (-want +got)\n%s", tt.entry, diff)
		}
	}
}

func TestParseHostErrors(t *testing.T) {
	ssh := HostDefaults{User: "lithops"}
	tests := []struct {
		entry string
		d     HostDefaults
		want  string
	}{
		{"", ssh, `host "": empty host entry`},
		{" 10.0.0.5", ssh, `host " 10.0.0.5": contains a space or control character`},
		{"10.0.0.5\n", ssh, `host "10.0.0.5\n": contains a space or control character`},
		{"10.0.0.5", HostDefaults{}, `host "10.0.0.5": no user: write user@host or set user in the ssh block`},
		{"@10.0.0.5", ssh, `host "@10.0.0.5": empty user before @`},
		{"ops@", ssh, `host "ops@": no address after @`},
		{"a@b@c", ssh, `host "a@b@c": more than one @; write user@host`},
		{"-oProxyCommand=x@h", ssh, `host "-oProxyCommand=x@h": user "-oProxyCommand=x" starts with '-'`},
		{"a/b@h", ssh, `host "a/b@h": user "a/b" contains '@', ':' or '/'`},
		{"ops@h:", ssh, `host "ops@h:": empty port after ':'`},
		{"ops@h:ssh", ssh, `host "ops@h:ssh": port "ssh" is not a number`},
		{"ops@h:+22", ssh, `host "ops@h:+22": port "+22" is not a number`},
		{"ops@h:0", ssh, `host "ops@h:0": port 0 is out of range 1..65535`},
		{"ops@h:65536", ssh, `host "ops@h:65536": port 65536 is out of range 1..65535`},
		{":22", ssh, `host ":22": empty address`},
		{"::1:2222:x", ssh, `host "::1:2222:x": too many colons: write an IPv6 address with a port as [addr]:port`},
		{"[::1", ssh, `host "[::1": missing ] after IPv6 address`},
		{"[10.0.0.5]:22", ssh, `host "[10.0.0.5]:22": brackets must hold an IPv6 address, not "10.0.0.5"`},
		{"[host]:22", ssh, `host "[host]:22": brackets must hold an IPv6 address, not "host"`},
		{"[::1]2222", ssh, `host "[::1]2222": unexpected "2222" after ]`},
		{"[::1]:", ssh, `host "[::1]:": empty port after ':'`},
		{"-host", ssh, `host "-host": host name label "-host" starts with '-'`},
		{"a..b", ssh, `host "a..b": empty label in host name "a..b"`},
		{"h;rm", ssh, `host "h;rm": host name "h;rm" contains ';'`},
		{"h" + strings.Repeat(".h", 127), ssh, `host "` + "h" + strings.Repeat(".h", 127) + `": host name longer than 253 characters`},
		{"h", HostDefaults{User: "u", Port: 70000}, `host "h": default port 70000 is out of range 1..65535`},
	}
	for _, tt := range tests {
		_, err := ParseHost(tt.entry, tt.d)
		got := "<nil>"
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParseHost(%q): wrong error\nwant %s\n got %s", tt.entry, tt.want, got)
		}
	}
}

func TestHostStringRoundTrips(t *testing.T) {
	for _, h := range []Host{
		{User: "ops", Addr: "10.0.0.6", Port: 2222},
		{User: "ops", Addr: "::1", Port: 22},
		{User: "a.b", Addr: "worker-1.example.com", Port: 65535},
	} {
		got, err := ParseHost(h.String(), HostDefaults{})
		if err != nil {
			t.Fatalf("ParseHost(%q): %v", h.String(), err)
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("ParseHost(%q): wrong host (-want +got)\n%s", h.String(), diff)
		}
	}
}

// FuzzParseHost checks that every accepted entry yields a usable host whose
// String form parses back to the same host.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "ops@10.0.0.6:2222", "[::1]:2222", "ops@host", "fe80::1%eth0",
		"a@b@c", "[::1", "h:0", "ops@[2001:db8::1]", "x@-y", "é@h", "h.", ""} {
		f.Add(s, "lithops", 0)
	}
	f.Fuzz(func(t *testing.T, entry, user string, port int) {
		h, err := ParseHost(entry, HostDefaults{User: user, Port: port})
		if err != nil {
			return
		}
		if h.User == "" || h.Addr == "" || h.Port < 1 || h.Port > 65535 {
			t.Fatalf("ParseHost(%q) = %+v: incomplete host", entry, h)
		}
		if strings.ContainsAny(h.User, "@:/ \t\n") || strings.HasPrefix(h.User, "-") || strings.HasPrefix(h.Addr, "-") {
			t.Fatalf("ParseHost(%q) = %+v: unsafe user or address", entry, h)
		}
		again, err := ParseHost(h.String(), HostDefaults{})
		if err != nil {
			t.Fatalf("ParseHost(%q) = %+v, but its String %q does not parse: %v", entry, h, h.String(), err)
		}
		if diff := cmp.Diff(h, again); diff != "" {
			t.Fatalf("ParseHost(%q): String %q parses to a different host (-first +again)\n%s", entry, h.String(), diff)
		}
	})
}
