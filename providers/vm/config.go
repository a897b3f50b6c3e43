package vm

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
	"lithops/remote"
)

// spec decodes an executor block body of backend "vm".
func spec() hcldec.Spec {
	return hcldec.ObjectSpec{
		"hosts":            &hcldec.AttrSpec{Name: "hosts", Type: cty.List(cty.String), Required: true},
		"worker_processes": &hcldec.AttrSpec{Name: "worker_processes", Type: cty.Number},
		"env":              &hcldec.AttrSpec{Name: "env", Type: cty.Map(cty.String)},
		"worker_binaries":  &hcldec.AttrSpec{Name: "worker_binaries", Type: cty.Map(cty.String)},
		"ssh": &hcldec.BlockSpec{TypeName: "ssh", Nested: hcldec.ObjectSpec{
			"user":             &hcldec.AttrSpec{Name: "user", Type: cty.String},
			"port":             &hcldec.AttrSpec{Name: "port", Type: cty.Number},
			"private_key_file": &hcldec.AttrSpec{Name: "private_key_file", Type: cty.String},
			"known_hosts_file": &hcldec.AttrSpec{Name: "known_hosts_file", Type: cty.String},
		}},
	}
}

// member is one host entry of the block.
type member struct {
	// entry is the host as written in `hosts`: it names the host's
	// bootstrap resource and the host in events.
	entry string
	host  remote.Host
}

// settings is a decoded executor block.
type settings struct {
	members []member
	// processes is worker_processes: worker slots per host; 0 means each
	// host's CPU count.
	processes int
	// env is added to the workers' environment, "KEY=VALUE", sorted.
	env []string
	// binaries maps "os/arch" to a local lithops binary for hosts of
	// another platform than this build, paths expanded.
	binaries map[string]string
	// keyFile is ssh.private_key_file, expanded; empty means the default
	// identities and the agent.
	keyFile string
	// knownHosts is ssh.known_hosts_file, expanded, or the default.
	knownHosts string
}

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	platform = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9]+$`)
)

// decode reads a body, reporting every problem. Values not known yet
// (validate before variables have values) are skipped.
func (b *Backend) decode(body cty.Value) (settings, []providers.Problem) {
	var (
		s  settings
		ps []providers.Problem
	)
	problem := func(attr, summary, detail string, args ...any) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}
	if body.IsNull() || !body.IsKnown() || !body.Type().IsObjectType() {
		problem("", "Missing executor settings", "A vm executor needs at least hosts = [...].")
		return s, ps
	}
	get := func(v cty.Value, name string) cty.Value {
		if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		return v.GetAttr(name)
	}
	str := func(v cty.Value) (string, bool) {
		if v.IsNull() || !v.IsKnown() {
			return "", false
		}
		return v.AsString(), true
	}

	// The ssh block: defaults of every host entry, and credentials.
	sshBlock := get(body, "ssh")
	defaults := remote.HostDefaults{User: b.User}
	if u, ok := str(get(sshBlock, "user")); ok {
		defaults.User = u
	}
	if v := get(sshBlock, "port"); !v.IsNull() && v.IsKnown() {
		p, acc := v.AsBigFloat().Int64()
		if !v.AsBigFloat().IsInt() || acc != 0 || p < 1 || p > 65535 {
			problem("ssh", "Invalid ssh port", "ssh.port is a TCP port: a whole number from 1 to 65535.")
		} else {
			defaults.Port = int(p)
		}
	}
	if f, ok := str(get(sshBlock, "private_key_file")); ok {
		p, err := b.expand(f)
		if err != nil {
			problem("ssh", "Invalid private_key_file", "ssh.private_key_file: %s.", err)
		}
		s.keyFile = p
	}
	s.knownHosts = remote.DefaultKnownHostsFile(b.Home)
	if f, ok := str(get(sshBlock, "known_hosts_file")); ok {
		p, err := b.expand(f)
		if err != nil {
			problem("ssh", "Invalid known_hosts_file", "ssh.known_hosts_file: %s.", err)
		}
		s.knownHosts = p
	} else if b.Home == "" {
		problem("ssh", "No known_hosts file", "This lithops does not know your home directory, so it has no default known_hosts file: set ssh { known_hosts_file = \"/path/to/known_hosts\" }.")
	}

	// Hosts.
	hosts := get(body, "hosts")
	if hosts.IsKnown() && !hosts.IsNull() {
		if hosts.LengthInt() == 0 {
			problem("hosts", "No hosts", "A vm executor runs on the machines listed in hosts: name at least one, as \"10.0.0.5\", \"ops@10.0.0.6:2222\" or \"host.example.com\".")
		}
		seen := map[string]string{}
		for it := hosts.ElementIterator(); it.Next(); {
			_, v := it.Element()
			entry, ok := str(v)
			if !ok {
				continue
			}
			h, err := remote.ParseHost(entry, defaults)
			if err != nil {
				detail := err.Error() + "."
				if defaults.User == "" && strings.Contains(err.Error(), "no user") {
					detail += " This lithops does not know your local user name either."
				}
				problem("hosts", "Invalid host", "%s", detail)
				continue
			}
			if prev, dup := seen[h.String()]; dup {
				problem("hosts", "Duplicate host", "Host entries %q and %q both reach %s: list each machine once (a host runs worker_processes workers).", prev, entry, h)
				continue
			}
			seen[h.String()] = entry
			s.members = append(s.members, member{entry: entry, host: h})
		}
	}

	if v := get(body, "worker_processes"); !v.IsNull() && v.IsKnown() {
		n, acc := v.AsBigFloat().Int64()
		if !v.AsBigFloat().IsInt() || acc != 0 || n < 1 || n > 4096 {
			problem("worker_processes", "Invalid worker_processes", "worker_processes is the number of tasks each host runs at once: a whole number from 1 to 4096. Leave it out to use each host's CPU count.")
		} else {
			s.processes = int(n)
		}
	}

	if m := get(body, "env"); !m.IsNull() && m.IsKnown() {
		vals := m.AsValueMap()
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			v := vals[k]
			if !envName.MatchString(k) {
				problem("env", "Invalid environment variable name", "env key %q is not a variable name: letters, digits and _, not starting with a digit.", k)
				continue
			}
			if !v.IsKnown() || v.IsNull() {
				continue
			}
			if strings.IndexByte(v.AsString(), 0) >= 0 {
				problem("env", "Invalid environment value", "env %s contains a NUL byte.", k)
				continue
			}
			s.env = append(s.env, k+"="+v.AsString())
		}
		sort.Strings(s.env)
	}

	if m := get(body, "worker_binaries"); !m.IsNull() && m.IsKnown() {
		s.binaries = map[string]string{}
		vals := m.AsValueMap()
		// In key order, so that problems come out the same way every time.
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			v := vals[k]
			if !platform.MatchString(k) {
				problem("worker_binaries", "Invalid platform", "worker_binaries key %q is not a platform: write GOOS/GOARCH, as \"linux/arm64\".", k)
				continue
			}
			f, ok := str(v)
			if !ok {
				continue
			}
			p, err := b.expand(f)
			if err != nil {
				problem("worker_binaries", "Invalid worker binary path", "worker_binaries[%q]: %s.", k, err)
				continue
			}
			s.binaries[k] = p
		}
	}
	return s, ps
}

// expand makes a local path absolute: "~/" is the home directory; relative
// paths are refused, since the directory they would be relative to is not
// obvious from the block.
func (b *Backend) expand(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("empty path")
	case p == "~" || strings.HasPrefix(p, "~/"):
		if b.Home == "" {
			return "", fmt.Errorf("%q starts with ~, but this lithops does not know your home directory", p)
		}
		return filepath.Join(b.Home, strings.TrimPrefix(p, "~")), nil
	case filepath.IsAbs(p):
		return filepath.Clean(p), nil
	}
	return "", fmt.Errorf("%q is relative: write an absolute path, one under ~/, or \"${path.root}/%s\" for a file beside the configuration", p, p)
}
