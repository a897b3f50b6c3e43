package localhost

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore/storetest"
	"lithops/providers"
	"lithops/providers/internal/bucketres/restest"
)

func decodeStorage(t *testing.T, src string) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := hcldec.Decode(f.Body, Storage{}.Spec(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}

func TestStorageValidate(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"path", `path = "data"`, nil},
		{"empty path", `path = ""`, []string{"path: Empty path"}},
		{"bad prefix", `
			path = "d"
			prefix = "../up"`, []string{"prefix: Invalid prefix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range (Storage{}).Validate(decodeStorage(t, tt.body)) {
				got = append(got, p.Attr+": "+p.Summary)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDirectoryResource(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	body := decodeStorage(t, fmt.Sprintf(`
		path = %q
		create = true`, dir))
	resp, err := Storage{}.Resources(context.Background(), providers.StorageResourcesRequest{Name: "local", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].Resource.Type() != "localhost_directory" {
		t.Fatalf("resources %+v, want one localhost_directory", resp.Resources)
	}
	restest.Lifecycle(t, resp.Resources[0].Resource, resp.Resources[0].Config)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

func TestRelativePathIsRecordedAbsolute(t *testing.T) {
	body := decodeStorage(t, `
		path = "rel/dir"
		create = true`)
	resp, err := Storage{}.Resources(context.Background(), providers.StorageResourcesRequest{Name: "local", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Resources[0].Config.GetAttr("path").AsString(); !filepath.IsAbs(p) {
		t.Errorf("recorded path %q is relative", p)
	}
}

func TestStorageOpen(t *testing.T) {
	dir := t.TempDir()
	resp, err := Storage{}.Open(context.Background(), providers.OpenStorageRequest{Name: "local", Body: decodeStorage(t, fmt.Sprintf(`
		path = %q
		prefix = "p/"`, dir))})
	if err != nil {
		t.Fatal(err)
	}
	key := resp.Layout.Job("wc").Output("sha256:00")
	storetest.Put(t, resp.Store, key, []byte("42\n"))
	b, err := os.ReadFile(filepath.Join(dir, "p", "lithops", "jobs", "wc", "outputs", "sha256:00"))
	if err != nil || string(b) != "42\n" {
		t.Errorf("output file: %q, %v", b, err)
	}
}
