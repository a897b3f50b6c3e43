package vm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// decodeBody decodes an executor block body written in HCL.
func decodeBody(t testing.TB, src string) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := hcldec.Decode(f.Body, spec(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}

func TestValidate(t *testing.T) {
	b := &Backend{User: "me", Home: "/home/me"}
	tests := []struct {
		name string
		body string
		want []string // problem summaries
	}{
		{name: "minimal", body: `hosts = ["10.0.0.5"]`},
		{name: "everything", body: `
hosts            = ["10.0.0.5", "ops@10.0.0.6:2222", "[::1]:22", "build.example.com"]
worker_processes = 4
env              = { LANG = "C", _X1 = "a b" }
worker_binaries  = { "linux/arm64" = "/opt/lithops-arm64" }
ssh {
  user             = "ops"
  port             = 2200
  private_key_file = "~/.ssh/lab"
  known_hosts_file = "/etc/lab_known_hosts"
}`},
		{name: "no hosts", body: `hosts = []`, want: []string{"No hosts"}},
		{name: "bad host", body: `hosts = ["a b", "x@y@z", "h:99999"]`, want: []string{"Invalid host", "Invalid host", "Invalid host"}},
		{name: "duplicate", body: `
hosts = ["10.0.0.5", "me@10.0.0.5:22", "10.0.0.5:2222"]`, want: []string{"Duplicate host"}},
		{name: "processes", body: `
hosts            = ["h"]
worker_processes = 0`, want: []string{"Invalid worker_processes"}},
		{name: "fractional processes", body: `
hosts            = ["h"]
worker_processes = 1.5`, want: []string{"Invalid worker_processes"}},
		{name: "env name", body: `
hosts = ["h"]
env   = { "A-B" = "x", "1A" = "y" }`, want: []string{"Invalid environment variable name", "Invalid environment variable name"}},
		{name: "relative paths", body: `
hosts = ["h"]
ssh {
  private_key_file = "keys/id"
  known_hosts_file = "kh"
}`, want: []string{"Invalid private_key_file", "Invalid known_hosts_file"}},
		{name: "platform", body: `
hosts           = ["h"]
worker_binaries = { "arm64" = "/x", "linux/arm64" = "rel" }`, want: []string{"Invalid platform", "Invalid worker binary path"}},
		{name: "port", body: `
hosts = ["h"]
ssh {
  port = 70000
}`, want: []string{"Invalid ssh port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range b.Validate(decodeBody(t, tt.body)) {
				got = append(got, p.Summary)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidateNeedsUser: without a local user name, a host entry without
// user@ and an ssh block without user is a problem.
func TestValidateNeedsUser(t *testing.T) {
	b := &Backend{Home: "/home/me"}
	ps := b.Validate(decodeBody(t, `hosts = ["10.0.0.5", "ops@10.0.0.6"]`))
	if len(ps) != 1 || ps[0].Summary != "Invalid host" {
		t.Fatalf("got %+v, want one Invalid host", ps)
	}
}

// TestResources: one bootstrap per host entry, named by the entry as
// written, with the entry's user and port overriding the ssh block's.
func TestResources(t *testing.T) {
	dir := t.TempDir()
	arm := filepath.Join(dir, "lithops-arm64")
	os.WriteFile(arm, []byte("arm binary"), 0o755)
	b := &Backend{User: "me", Home: "/home/me"}
	body := decodeBody(t, `
hosts           = ["10.0.0.5", "ops@10.0.0.6:2222"]
worker_binaries = { "linux/arm64" = "`+arm+`" }
ssh {
  port = 2200
}`)
	resp, err := b.Resources(context.Background(), providers.ExecutorResourcesRequest{Name: "lab", Body: body, WorkerDigest: "sha256:abc"})
	if err != nil {
		t.Fatal(err)
	}
	armDigest, _ := fileDigest(arm)
	type res struct {
		Name   string
		Type   string
		Config map[string]string
	}
	var got []res
	for _, r := range resp.Resources {
		cfg := map[string]string{}
		for k, v := range r.Config.AsValueMap() {
			switch {
			case v.IsNull():
				cfg[k] = "null"
			case v.Type() == cty.Number:
				cfg[k] = v.AsBigFloat().String()
			case v.Type().IsMapType():
				cfg[k] = v.Index(cty.StringVal("linux/arm64")).AsString()
			default:
				cfg[k] = v.AsString()
			}
		}
		got = append(got, res{Name: r.Name, Type: r.Resource.Type(), Config: cfg})
	}
	common := func(host, user, port string) map[string]string {
		return map[string]string{
			"host": host, "user": user, "port": port, "worker_digest": "sha256:abc", "worker_binaries": armDigest,
			"known_hosts_file": "/home/me/.ssh/known_hosts", "private_key_file": "null",
			"platform": "null", "binary_digest": "null", "remote_path": "null",
		}
	}
	want := []res{
		{Name: `bootstrap["10.0.0.5"]`, Type: "vm_bootstrap", Config: common("10.0.0.5", "me", "2200")},
		{Name: `bootstrap["ops@10.0.0.6:2222"]`, Type: "vm_bootstrap", Config: common("10.0.0.6", "ops", "2222")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong resources (-want +got):\n%s", diff)
	}
	// Every attribute of the schema is in the config, in its type.
	if !resp.Resources[0].Config.Type().Equals(bootstrapSchema.ObjectType()) {
		t.Errorf("config type %#v is not the schema's %#v", resp.Resources[0].Config.Type(), bootstrapSchema.ObjectType())
	}
}

func TestWorkerArgv(t *testing.T) {
	tests := []struct {
		name string
		s    settings
		want []string
	}{
		{
			name: "defaults",
			want: []string{"/h/.lithops/bin/lithops-0123", "worker", "-cache", "/h/.lithops/cache", "-client-timeout", "30s"},
		},
		{
			name: "env and slots",
			s:    settings{env: []string{"A=1", "B=x y"}, processes: 3},
			want: []string{"env", "A=1", "B=x y", "/h/.lithops/bin/lithops-0123", "worker", "-cache", "/h/.lithops/cache", "-client-timeout", "30s", "-slots", "3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.workerArgv("/h/.lithops/bin/lithops-0123", 30*time.Second)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong argv (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSSHConfigNeverSkipsHostKeys: every config the backend builds names a
// known_hosts file or (for a Machine) the host key, and one without any
// credential is refused.
func TestSSHConfigNeverSkipsHostKeys(t *testing.T) {
	home := t.TempDir()
	b := &Backend{Home: home}
	if _, err := b.sshConfig("", filepath.Join(home, "kh"), ""); err == nil {
		t.Error("a config without keys or agent was accepted")
	}
	if _, err := b.sshConfig("/k", "", ""); err == nil {
		t.Error("a config without known_hosts was accepted")
	}
	b.AgentSocket = "/run/agent.sock"
	cfg, err := b.sshConfig("", filepath.Join(home, "kh"), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(home, "kh")}, cfg.KnownHostsFiles); diff != "" || cfg.HostKey != "" {
		t.Errorf("wrong host key verification (-want +got):\n%s", diff)
	}
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBMASMSUzOb2Qh9lVxje6YIKeyqrj9VwB+PtqWKW/kU"
	cfg, err = b.sshConfig("/k", "", key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HostKey != key || len(cfg.KnownHostsFiles) != 0 {
		t.Errorf("a machine's config verifies %q and %v, want only its host key", cfg.HostKey, cfg.KnownHostsFiles)
	}
}
