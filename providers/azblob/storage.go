package azblob

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
	"lithops/providers/internal/bucketres"
)

// Backend is the `azure_blob` storage backend.
//
//	storage "data" {
//	  backend       = "azure_blob"
//	  account       = "mystorageaccount"
//	  container     = "lithops"
//	  account_key   = var.storage_key   # or connection_string; else DefaultAzureCredential
//	  prefix        = "team-a/"
//	  create        = true
//	  force_destroy = false
//	}
type Backend struct {
	// Retry overrides objstore.DefaultRetry for every store opened.
	Retry objstore.Retry
	// Transport, when set, carries every request (tests).
	Transport policy.Transporter
}

var (
	_ providers.StorageBackend = Backend{}
	_ providers.BodyDescriber  = Backend{}
)

// Name implements providers.StorageBackend.
func (Backend) Name() string { return "azure_blob" }

var bodySchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"account":           {Type: cty.String, Description: "The storage account's name (not needed with connection_string)."},
	"container":         {Type: cty.String, Description: "The container's name."},
	"endpoint":          {Type: cty.String, Description: "Blob service URL; default https://<account>.blob.core.windows.net/."},
	"account_key":       {Type: cty.String, Sensitive: true, Description: "The account's shared key; without it and connection_string, DefaultAzureCredential is used."},
	"connection_string": {Type: cty.String, Sensitive: true, Description: "A storage connection string (account, key and endpoints)."},
	"prefix":            {Type: cty.String, Description: "Key prefix under which lithops keeps payloads, statuses, outputs and logs."},
	"create":            {Type: cty.Bool, Description: "Create the container (and destroy it with `lithops destroy`)."},
	"force_destroy":     {Type: cty.Bool, Description: "With create: destroying the container deletes the blobs it holds."},
}}

// BodySchema implements providers.BodyDescriber.
func (Backend) BodySchema() providers.Schema { return bodySchema }

// Spec implements providers.StorageBackend.
func (Backend) Spec() hcldec.Spec {
	spec := hcldec.ObjectSpec{}
	for name, a := range bodySchema.Attributes {
		spec[name] = &hcldec.AttrSpec{Name: name, Type: a.Type, Required: name == "container"}
	}
	return spec
}

var (
	containerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	accountName   = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
)

// Validate implements providers.StorageBackend.
func (Backend) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	add := func(attr, summary, detail string) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: detail})
	}
	if c := bucketres.String(body, "container"); bucketres.Known(body, "container") &&
		(!containerName.MatchString(c) || strings.Contains(c, "--")) {
		add("container", "Invalid container name",
			fmt.Sprintf("%q is not a valid container name: use 3 to 63 lowercase letters, digits and single hyphens, beginning and ending with a letter or digit.", c))
	}
	if a := bucketres.String(body, "account"); bucketres.Known(body, "account") && !accountName.MatchString(a) {
		add("account", "Invalid storage account name", fmt.Sprintf("%q is not a storage account name: 3 to 24 lowercase letters and digits.", a))
	}
	if e := bucketres.String(body, "endpoint"); e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "Invalid endpoint", fmt.Sprintf("%q is not an http:// or https:// URL with a host.", e))
		}
	}
	cs, key := bucketres.Known(body, "connection_string"), bucketres.Known(body, "account_key")
	switch {
	case cs && key:
		add("account_key", "Conflicting credentials", "Set either connection_string or account_key, not both.")
	case !cs && !bucketres.Unknown(body, "connection_string") && !bucketres.Known(body, "account") && !bucketres.Unknown(body, "account"):
		add("account", "Missing account", "Set account (with account_key, or none to use DefaultAzureCredential), or connection_string.")
	}
	if p := bucketres.String(body, "prefix"); objstore.CheckPrefix(p) != nil {
		add("prefix", "Invalid prefix", objstore.CheckPrefix(p).Error()+".")
	}
	if bucketres.Bool(body, "force_destroy") && !bucketres.Bool(body, "create") && bucketres.Known(body, "create") {
		add("force_destroy", "force_destroy without create", "force_destroy applies only to a container that lithops creates (create = true).")
	}
	return ps
}

func (b Backend) options(body cty.Value) Options {
	return Options{
		Account:          bucketres.String(body, "account"),
		Container:        bucketres.String(body, "container"),
		Endpoint:         bucketres.String(body, "endpoint"),
		AccountKey:       bucketres.String(body, "account_key"),
		ConnectionString: bucketres.String(body, "connection_string"),
		Retry:            b.Retry,
		Transport:        b.Transport,
	}
}

// ContainerResource is the azure_blob_container resource type; body is the
// storage block's (null for a container whose block was removed).
func (b Backend) ContainerResource(body cty.Value) *bucketres.Resource {
	attr := func(name string) providers.Attribute {
		a := bodySchema.Attributes[name]
		a.ForceNew = true
		return a
	}
	return bucketres.New(bucketres.Kind{
		Type: "azure_blob_container",
		Attributes: map[string]providers.Attribute{
			"account":   attr("account"),
			"container": attr("container"),
			"endpoint":  attr("endpoint"),
		},
		Open: func(ctx context.Context, v cty.Value) (bucketres.Bucket, error) {
			o := b.options(body)
			if a := bucketres.String(v, "account"); a != "" {
				o.Account = a
			}
			o.Container = bucketres.String(v, "container")
			o.Endpoint = bucketres.String(v, "endpoint")
			return New(ctx, o)
		},
		RemoveDeletesObjects: true,
	})
}

// Resources implements providers.StorageBackend: the container, when create.
func (b Backend) Resources(ctx context.Context, req providers.StorageResourcesRequest) (providers.StorageResourcesResponse, error) {
	if !bucketres.Bool(req.Body, "create") {
		return providers.StorageResourcesResponse{}, nil
	}
	r := b.ContainerResource(req.Body)
	cfg := r.Config(map[string]cty.Value{
		"account":       req.Body.GetAttr("account"),
		"container":     req.Body.GetAttr("container"),
		"endpoint":      req.Body.GetAttr("endpoint"),
		"force_destroy": req.Body.GetAttr("force_destroy"),
	})
	return providers.StorageResourcesResponse{Resources: []providers.DesiredResource{{Name: "container", Resource: r, Config: cfg}}}, nil
}

// Open implements providers.StorageBackend.
func (b Backend) Open(ctx context.Context, req providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	st, err := New(ctx, b.options(req.Body))
	return bucketres.Opened(req.Name, req.Body, st, err)
}
