package remote

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is the SSH port used when neither the host entry nor the
// defaults name one.
const DefaultPort = 22

// Host is one SSH endpoint. A Host from ParseHost always has a user, an
// address and a port in 1..65535.
type Host struct {
	User string
	// Addr is a host name or an IP address; IPv6 addresses carry no
	// brackets here.
	Addr string
	Port int
}

// HostDefaults fills what a host entry leaves out: the user and port of the
// executor's ssh block.
type HostDefaults struct {
	User string
	Port int // 0 means DefaultPort
}

// Address is the host's "addr:port" for dialing ("[::1]:2222" for IPv6).
func (h Host) Address() string {
	return net.JoinHostPort(h.Addr, strconv.Itoa(h.Port))
}

// String is the host in entry form, "user@addr:port"; ParseHost reads it back
// to the same Host.
func (h Host) String() string {
	return h.User + "@" + h.Address()
}

// ParseHost reads one host entry: "10.0.0.5", "ops@10.0.0.6:2222",
// "[::1]:2222", "ops@host", or a bare IPv6 address ("fe80::1"). A user or
// port in the entry overrides the defaults.
func ParseHost(entry string, d HostDefaults) (Host, error) {
	h, err := parseHost(entry, d)
	if err != nil {
		return Host{}, fmt.Errorf("host %q: %w", entry, err)
	}
	return h, nil
}

func parseHost(entry string, d HostDefaults) (Host, error) {
	if entry == "" {
		return Host{}, fmt.Errorf("empty host entry")
	}
	for _, r := range entry {
		if r <= ' ' || r == 0x7f {
			return Host{}, fmt.Errorf("contains a space or control character")
		}
	}
	h := Host{User: d.User, Port: d.Port}
	if h.Port == 0 {
		h.Port = DefaultPort
	}
	if h.Port < 1 || h.Port > 65535 {
		return Host{}, fmt.Errorf("default port %d is out of range 1..65535", d.Port)
	}

	rest := entry
	if i := strings.IndexByte(entry, '@'); i >= 0 {
		user := entry[:i]
		rest = entry[i+1:]
		if strings.IndexByte(rest, '@') >= 0 {
			return Host{}, fmt.Errorf("more than one @; write user@host")
		}
		if user == "" {
			return Host{}, fmt.Errorf("empty user before @")
		}
		h.User = user
	}
	if err := checkUser(h.User); err != nil {
		return Host{}, err
	}

	addr, port, hasPort, err := splitAddrPort(rest)
	if err != nil {
		return Host{}, err
	}
	if hasPort {
		p, err := parsePort(port)
		if err != nil {
			return Host{}, err
		}
		h.Port = p
	}
	h.Addr = addr
	return h, nil
}

// splitAddrPort splits "addr", "addr:port", "[v6]" or "[v6]:port"; a bare
// IPv6 address has no port.
func splitAddrPort(s string) (addr, port string, hasPort bool, err error) {
	if s == "" {
		return "", "", false, fmt.Errorf("no address after @")
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("missing ] after IPv6 address")
		}
		addr, after := s[1:end], s[end+1:]
		if !isIPv6(addr) {
			return "", "", false, fmt.Errorf("brackets must hold an IPv6 address, not %q", addr)
		}
		switch {
		case after == "":
			return addr, "", false, nil
		case after[0] == ':':
			return addr, after[1:], true, nil
		default:
			return "", "", false, fmt.Errorf("unexpected %q after ]", after)
		}
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", false, checkHostname(s)
	case 1:
		i := strings.IndexByte(s, ':')
		return s[:i], s[i+1:], true, checkHostname(s[:i])
	default:
		if !isIPv6(s) {
			return "", "", false, fmt.Errorf("too many colons: write an IPv6 address with a port as [addr]:port")
		}
		return s, "", false, nil
	}
}

// isIPv6 reports whether s is an IPv6 address, with an optional zone made of
// letters, digits, '.', '-' and '_' (an interface name or number).
func isIPv6(s string) bool {
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is6() {
		return false
	}
	for _, r := range ip.Zone() {
		if !isNameRune(r) && r != '.' {
			return false
		}
	}
	return true
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// checkHostname accepts an IPv4 address or a DNS name: dot-separated labels
// of letters, digits, '-' and '_', none empty, none starting with '-'.
func checkHostname(s string) error {
	if s == "" {
		return fmt.Errorf("empty address")
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		if !ip.Is4() {
			return fmt.Errorf("IPv6 address %q must be written in brackets", s)
		}
		return nil
	}
	if len(s) > 253 {
		return fmt.Errorf("host name longer than 253 characters")
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" {
			return fmt.Errorf("empty label in host name %q", s)
		}
		if label[0] == '-' {
			return fmt.Errorf("host name label %q starts with '-'", label)
		}
		for _, r := range label {
			if !isNameRune(r) {
				return fmt.Errorf("host name %q contains %q", s, r)
			}
		}
	}
	return nil
}

// checkUser refuses what cannot be a login name in an entry: nothing at all,
// '@', ':', '/', or a leading '-'.
func checkUser(u string) error {
	switch {
	case u == "":
		return fmt.Errorf("no user: write user@host or set user in the ssh block")
	case u[0] == '-':
		return fmt.Errorf("user %q starts with '-'", u)
	case strings.ContainsAny(u, "@:/"):
		return fmt.Errorf("user %q contains '@', ':' or '/'", u)
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("user %q contains a space or control character", u)
		}
	}
	return nil
}

func parsePort(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty port after ':'")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %s is out of range 1..65535", s)
	}
	return p, nil
}
