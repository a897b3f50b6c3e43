package remote

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProbe(t *testing.T) {
	got, err := parseProbe("Linux\naarch64\nworker-7\n16\n/home/ops\n")
	if err != nil {
		t.Fatal(err)
	}
	want := HostInfo{OS: "linux", Arch: "arm64", CPUs: 16, Home: "/home/ops", Hostname: "worker-7"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong host info (-want +got)\n%s", diff)
	}
	for _, bad := range []string{"", "Linux\nx86_64\nh\n/home\n", "Linux\nx86_64\nh\nzero\n/home\n", "Linux\nx86_64\nh\n0\n/home\n"} {
		if _, err := parseProbe(bad); err == nil {
			t.Errorf("parseProbe(%q) succeeded", bad)
		}
	}
}

func TestGoSpellings(t *testing.T) {
	for uname, want := range map[string]string{
		"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
		"armv6l": "arm", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
		"loongarch64": "loong64", "sparc64": "sparc64",
	} {
		if got := goarch(uname); got != want {
			t.Errorf("goarch(%q) = %q, want %q", uname, got, want)
		}
	}
	for uname, want := range map[string]string{"Linux": "linux", "Darwin": "darwin", "FreeBSD": "freebsd"} {
		if got := goos(uname); got != want {
			t.Errorf("goos(%q) = %q, want %q", uname, got, want)
		}
	}
}
