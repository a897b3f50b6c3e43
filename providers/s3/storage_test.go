package s3

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

// decode decodes an HCL block body with the backend's spec.
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
		want []string // "attr: summary"
	}{
		{"minimal", `bucket = "my-bucket"`, nil},
		{"s3-compatible allows other names", `
			bucket = "My_Bucket"
			endpoint = "https://cos.example.com"
			force_path_style = true`, nil},
		{"bad AWS name", `bucket = "My_Bucket"`, []string{"bucket: Invalid S3 bucket name"}},
		{"IP-like name", `bucket = "10.0.0.1"`, []string{"bucket: Invalid S3 bucket name"}},
		{"bad endpoint", `
			bucket = "b-1"
			endpoint = "cos.example.com"`, []string{"endpoint: Invalid endpoint"}},
		{"half a key", `
			bucket = "b-1"
			access_key_id = "AKIA"`, []string{"secret_access_key: Missing secret_access_key"}},
		{"key and profile", `
			bucket = "b-1"
			profile = "dev"
			access_key_id = "AKIA"
			secret_access_key = "s"`, []string{"profile: Conflicting credentials"}},
		{"bad prefix", `
			bucket = "b-1"
			prefix = "/abs"`, []string{"prefix: Invalid prefix"}},
		{"force_destroy without create", `
			bucket = "b-1"
			create = false
			force_destroy = true`, []string{"force_destroy: force_destroy without create"}},
		{"bad region", `
			bucket = "b-1"
			region = "EU West"`, []string{"region: Invalid region"}},
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

func TestValidateSkipsUnknownValues(t *testing.T) {
	body := decode(t, `bucket = "b-1"`)
	m := body.AsValueMap()
	m["endpoint"] = cty.UnknownVal(cty.String)
	m["bucket"] = cty.StringVal("Upper_Case_Fine_If_Endpoint")
	if ps := (Backend{}).Validate(cty.ObjectVal(m)); len(ps) != 0 {
		t.Errorf("problems with an unknown endpoint: %+v", ps)
	}
}

func TestSensitiveAttributes(t *testing.T) {
	var got []string
	for name, a := range (Backend{}).BodySchema().Attributes {
		if a.Sensitive {
			got = append(got, name)
		}
	}
	want := []string{"access_key_id", "secret_access_key", "session_token"}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("wrong sensitive attributes (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	return m
})

func body(t *testing.T, endpoint, extra string) cty.Value {
	return decode(t, fmt.Sprintf(`
		bucket = "lithops-res-%d"
		region = "us-east-1"
		endpoint = %q
		force_path_style = true
		access_key_id = "test-key"
		secret_access_key = "test-secret"
		%s`, buckets.Add(1), endpoint, extra))
}

func TestBucketResource(t *testing.T) {
	b := Backend{Retry: testRetry}
	resp, err := b.Resources(context.Background(), providers.StorageResourcesRequest{Name: "data", Body: body(t, fakeS3(t), "create = true")})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].Resource.Type() != "s3_bucket" {
		t.Fatalf("resources %+v, want one s3_bucket", resp.Resources)
	}
	r := resp.Resources[0]
	for name, a := range r.Resource.Schema().Attributes {
		if a.Sensitive || name == "access_key_id" || name == "secret_access_key" {
			t.Errorf("resource attribute %q would put credentials in state", name)
		}
	}
	restest.Lifecycle(t, r.Resource, r.Config)
}

func TestNoResourceWithoutCreate(t *testing.T) {
	resp, err := Backend{}.Resources(context.Background(), providers.StorageResourcesRequest{Name: "data", Body: body(t, "http://127.0.0.1:1", "")})
	if err != nil || len(resp.Resources) != 0 {
		t.Errorf("resources %+v, %v; want none", resp.Resources, err)
	}
}

func TestOpen(t *testing.T) {
	endpoint := fakeS3(t)
	b := Backend{Retry: testRetry}
	ctx := context.Background()
	bd := body(t, endpoint, `prefix = "team-a/"`)
	resp, err := b.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: bd})
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://" + bd.GetAttr("bucket").AsString(); resp.Store.String() != want {
		t.Errorf("store %s, want %s", resp.Store, want)
	}
	if got := resp.Layout.Job("j").Output("d"); got != "team-a/lithops/jobs/j/outputs/d" {
		t.Errorf("layout puts outputs at %q", got)
	}
	if err := resp.Store.(*Store).Create(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, resp.Store, "k", []byte("v"))
	if got := string(storetest.Get(t, resp.Store, "k")); got != "v" {
		t.Errorf("read back %q", got)
	}
}

func TestErrorsKeepTheSecretSecret(t *testing.T) {
	ctx := context.Background()
	bd := decode(t, `
		bucket = "b-1"
		endpoint = "http://127.0.0.1:1"
		access_key_id = "AKIATESTKEYID"
		secret_access_key = "s3cr3t-value-never-shown"`)
	resp, err := Backend{Retry: testRetry}.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: bd})
	if err != nil {
		t.Fatal(err)
	}
	_, err = resp.Store.Head(ctx, "k")
	if err == nil {
		t.Fatal("no error from an unreachable endpoint")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error reveals the secret: %v", err)
	}
}
