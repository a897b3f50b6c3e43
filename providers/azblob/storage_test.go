package azblob

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
		{"default credential", `
			account = "acct1"
			container = "data"`, nil},
		{"connection string", `
			container = "data"
			connection_string = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k"`, nil},
		{"no account", `container = "data"`, []string{"account: Missing account"}},
		{"bad container", `
			account = "acct1"
			container = "Data--x"`, []string{"container: Invalid container name"}},
		{"bad account", `
			account = "My-Account"
			container = "data"`, []string{"account: Invalid storage account name"}},
		{"key and connection string", `
			account = "acct1"
			container = "data"
			account_key = "k"
			connection_string = "c"`, []string{"account_key: Conflicting credentials"}},
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

func body(t *testing.T, base, extra string) cty.Value {
	return decode(t, fmt.Sprintf(`
		account = %q
		account_key = %q
		endpoint = "%s/%s"
		container = "lithops-res-%d"
		%s`, devAccount, devKey, base, devAccount, containers.Add(1), extra))
}

func TestContainerResource(t *testing.T) {
	resp, err := Backend{Retry: testRetry}.Resources(context.Background(), providers.StorageResourcesRequest{Name: "data", Body: body(t, azurite(t), "create = true")})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].Resource.Type() != "azure_blob_container" {
		t.Fatalf("resources %+v, want one azure_blob_container", resp.Resources)
	}
	restest.Lifecycle(t, resp.Resources[0].Resource, resp.Resources[0].Config)
}

func TestOpenWithConnectionString(t *testing.T) {
	base := azurite(t)
	ctx := context.Background()
	cs := fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s/%s;", devAccount, devKey, base, devAccount)
	bd := decode(t, fmt.Sprintf(`
		container = "lithops-cs-%d"
		connection_string = %q
		prefix = "x/"`, containers.Add(1), cs))
	resp, err := Backend{Retry: testRetry}.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: bd})
	if err != nil {
		t.Fatal(err)
	}
	if want := "azblob://" + devAccount + "/" + bd.GetAttr("container").AsString(); resp.Store.String() != want {
		t.Errorf("store %s, want %s", resp.Store, want)
	}
	if err := resp.Store.(*Store).Create(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, resp.Store, "k", []byte("v"))
	if got := string(storetest.Get(t, resp.Store, "k")); got != "v" {
		t.Errorf("read back %q", got)
	}
}

func TestErrorsKeepTheKeySecret(t *testing.T) {
	ctx := context.Background()
	for _, bd := range []cty.Value{
		decode(t, `
			container = "data"
			connection_string = "AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;BlobEndpoint=http://127.0.0.1:1/acct;"`),
		decode(t, `
			account = "acct"
			container = "data"
			account_key = "not base64 c2VjcmV0LWtleQ"
			endpoint = "http://127.0.0.1:1/acct"`),
	} {
		resp, err := Backend{Retry: testRetry}.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: bd})
		if err == nil {
			_, err = resp.Store.Head(ctx, "k")
		}
		if err == nil {
			t.Fatal("no error from an unreachable endpoint")
		}
		if strings.Contains(err.Error(), "c2VjcmV0LWtleQ") {
			t.Errorf("error reveals the key: %v", err)
		}
	}
}
