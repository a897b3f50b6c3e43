package gcs

import (
	"context"
	"fmt"
	"strings"
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

func decode(t *testing.T, src string) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := hcldec.Decode(f.Body, Backend{}.Spec(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"minimal", `bucket = "my_bucket-1"`, nil},
		{"dotted long name", `bucket = "data.example.com"`, nil},
		{"upper case", `bucket = "MyBucket"`, []string{"bucket: Invalid GCS bucket name"}},
		{"goog prefix", `bucket = "goog-data"`, []string{"bucket: Invalid GCS bucket name"}},
		{"too long without dots", fmt.Sprintf("bucket = %q", strings.Repeat("a", 64)), []string{"bucket: Invalid GCS bucket name"}},
		{"create without project", `
			bucket = "b-1"
			create = true`, []string{"project: Missing project"}},
		{"bad endpoint", `
			bucket = "b-1"
			endpoint = "localhost:4443"`, []string{"endpoint: Invalid endpoint"}},
		{"bad location", `
			bucket = "b-1"
			location = "eu west"`, []string{"location: Invalid location"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range (Backend{}).Validate(decode(t, tt.body)) {
				got = append(got, p.Attr+": "+p.Summary)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong problems (-want +got):\n%s", diff)
			}
		})
	}
}

func body(t *testing.T, endpoint, extra string) cty.Value {
	return decode(t, fmt.Sprintf(`
		bucket = "lithops-res-%d"
		project = "test-project"
		endpoint = %q
		anonymous = true
		%s`, buckets.Add(1), endpoint, extra))
}

func TestBucketResource(t *testing.T) {
	resp, err := Backend{Retry: testRetry}.Resources(context.Background(), providers.StorageResourcesRequest{Name: "data", Body: body(t, fakeGCS(t), "create = true")})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].Resource.Type() != "gcs_bucket" {
		t.Fatalf("resources %+v, want one gcs_bucket", resp.Resources)
	}
	restest.Lifecycle(t, resp.Resources[0].Resource, resp.Resources[0].Config)
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	bd := body(t, fakeGCS(t), `prefix = "p"`)
	resp, err := Backend{Retry: testRetry}.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: bd})
	if err != nil {
		t.Fatal(err)
	}
	if want := "gs://" + bd.GetAttr("bucket").AsString(); resp.Store.String() != want {
		t.Errorf("store %s, want %s", resp.Store, want)
	}
	if got := resp.Layout.Root(); got != "p/lithops/" {
		t.Errorf("layout root %q", got)
	}
	if err := resp.Store.(*Store).Create(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, resp.Store, "k", []byte("v"))
	if got := string(storetest.Get(t, resp.Store, "k")); got != "v" {
		t.Errorf("read back %q", got)
	}
}
