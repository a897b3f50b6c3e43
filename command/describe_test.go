package command

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/plan"
	"lithops/providers"
	"lithops/providers/s3"
	"lithops/state"
)

// TestDescribeStorageLeavesOutSecrets: what a remote worker learns of a
// storage block is its backend and its settings; sensitive attributes, and
// anything computed from a sensitive variable, are null, so no credential
// travels in a payload.
func TestDescribeStorageLeavesOutSecrets(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`
variable "key" {
  type      = string
  sensitive = true
  default   = "AKIDSECRET"
}

variable "secret_prefix" {
  type      = string
  sensitive = true
  default   = "hidden/"
}

storage "data" {
  backend           = "s3"
  bucket            = "my-bucket"
  region            = "eu-west-1"
  endpoint          = "http://127.0.0.1:9000"
  access_key_id     = var.key
  secret_access_key = var.key
  prefix            = var.secret_prefix
}
`), 0o644)
	reg := &providers.Registry{Storages: map[string]providers.StorageBackend{"s3": s3.Backend{}}}
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: dir, Registry: reg})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := &session{env: &Env{Registry: reg}, cfg: cfg, planner: plan.NewPlanner(cfg, reg, state.New())}
	ref, err := s.describeStorage(context.Background(), "data")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range ref.Body.AsValueMap() {
		if v.ContainsMarked() {
			t.Errorf("%s is still marked", k)
			v, _ = v.UnmarkDeep()
		}
		switch {
		case v.IsNull():
		case v.Type() == cty.String:
			got[k] = v.AsString()
		}
	}
	want := map[string]string{"bucket": "my-bucket", "region": "eu-west-1", "endpoint": "http://127.0.0.1:9000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong description (-want +got):\n%s", diff)
	}
	if ref.Name != "data" || ref.Backend != "s3" {
		t.Errorf("described %q of backend %q", ref.Name, ref.Backend)
	}
}
