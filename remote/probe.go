package remote

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// HostInfo is what Probe learns about a host.
type HostInfo struct {
	OS       string // GOOS spelling: "linux", "darwin", "freebsd", ...
	Arch     string // GOARCH spelling: "amd64", "arm64", ...
	CPUs     int    // online processors
	Home     string // the login's home directory
	Hostname string // uname -n
}

// probeScript prints one fact a line; the CPU count has per-OS spellings.
const probeScript = `uname -s; uname -m; uname -n; ` +
	`getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || sysctl -n hw.ncpu; ` +
	`printf '%s\n' "$HOME"`

// Probe asks the host what it is, in one round trip.
func (c *Conn) Probe(ctx context.Context) (HostInfo, error) {
	out, err := c.Output(ctx, []string{"/bin/sh", "-c", probeScript})
	if err != nil {
		return HostInfo{}, fmt.Errorf("probe: %w", err)
	}
	info, err := parseProbe(string(out))
	if err != nil {
		return HostInfo{}, fmt.Errorf("probe %s: %w", c.host, err)
	}
	return info, nil
}

func parseProbe(out string) (HostInfo, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		return HostInfo{}, fmt.Errorf("unexpected probe output %q", out)
	}
	cpus, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil || cpus < 1 {
		return HostInfo{}, fmt.Errorf("unexpected processor count %q", lines[3])
	}
	return HostInfo{
		OS:       goos(lines[0]),
		Arch:     goarch(lines[1]),
		Hostname: lines[2],
		CPUs:     cpus,
		Home:     lines[4],
	}, nil
}

// goos spells `uname -s` as GOOS; unknown kernels come back lowercased.
func goos(uname string) string {
	return strings.ToLower(strings.TrimSpace(uname))
}

// goarch spells `uname -m` as GOARCH; unknown machines come back as they are.
func goarch(uname string) string {
	m := strings.TrimSpace(uname)
	switch m {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "aarch64_be":
		return "arm64"
	case "i386", "i486", "i586", "i686", "i86pc", "x86":
		return "386"
	case "ppc64le", "ppc64", "s390x", "riscv64", "mips64", "mips64le", "loong64":
		return m
	case "loongarch64":
		return "loong64"
	}
	if strings.HasPrefix(m, "armv") {
		return "arm"
	}
	return m
}
