package gcs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
	"lithops/providers/internal/bucketres"
)

// Backend is the `gcs` storage backend.
//
//	storage "data" {
//	  backend       = "gcs"
//	  bucket        = "my-lithops"
//	  project       = "my-project"  # needed with create
//	  location      = "EU"
//	  prefix        = "team-a/"
//	  create        = true
//	  force_destroy = false
//	}
type Backend struct {
	// Retry overrides objstore.DefaultRetry for every store opened.
	Retry objstore.Retry
	// HTTPClient, when set, carries every request (tests).
	HTTPClient *http.Client
}

var (
	_ providers.StorageBackend = Backend{}
	_ providers.BodyDescriber  = Backend{}
)

// Name implements providers.StorageBackend.
func (Backend) Name() string { return "gcs" }

var bodySchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"bucket":        {Type: cty.String, Description: "The bucket's name."},
	"project":       {Type: cty.String, Description: "Project to create the bucket in (needed with create)."},
	"location":      {Type: cty.String, Description: "Location of a created bucket (default US)."},
	"endpoint":      {Type: cty.String, Description: "Base URL of the JSON API, for emulators and private endpoints."},
	"anonymous":     {Type: cty.Bool, Description: "Send no credentials (emulators, public buckets)."},
	"prefix":        {Type: cty.String, Description: "Key prefix under which lithops keeps payloads, statuses, outputs and logs."},
	"create":        {Type: cty.Bool, Description: "Create the bucket (and destroy it with `lithops destroy`)."},
	"force_destroy": {Type: cty.Bool, Description: "With create: destroying the bucket deletes the objects it holds first."},
}}

// BodySchema implements providers.BodyDescriber. No attribute carries
// credentials: they come from Application Default Credentials.
func (Backend) BodySchema() providers.Schema { return bodySchema }

// Spec implements providers.StorageBackend.
func (Backend) Spec() hcldec.Spec {
	spec := hcldec.ObjectSpec{}
	for name, a := range bodySchema.Attributes {
		spec[name] = &hcldec.AttrSpec{Name: name, Type: a.Type, Required: name == "bucket"}
	}
	return spec
}

var (
	bucketName   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)
	dotlessName  = regexp.MustCompile(`^[^.]{3,63}$`)
	locationName = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

// Validate implements providers.StorageBackend.
func (Backend) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	add := func(attr, summary, detail string) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: detail})
	}
	if b := bucketres.String(body, "bucket"); bucketres.Known(body, "bucket") {
		ok := bucketName.MatchString(b) && !strings.HasPrefix(b, "goog") && !strings.Contains(b, "google")
		if !strings.Contains(b, ".") {
			ok = ok && dotlessName.MatchString(b)
		}
		if !ok {
			add("bucket", "Invalid GCS bucket name",
				fmt.Sprintf("%q is not a valid bucket name: use 3 to 63 lowercase letters, digits, hyphens and underscores (up to 222 with dots), beginning and ending with a letter or digit, without \"goog\" at the start or \"google\" anywhere.", b))
		}
	}
	if e := bucketres.String(body, "endpoint"); e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "Invalid endpoint", fmt.Sprintf("%q is not an http:// or https:// URL with a host.", e))
		}
	}
	if l := bucketres.String(body, "location"); l != "" && !locationName.MatchString(l) {
		add("location", "Invalid location", fmt.Sprintf("%q is not a location such as EU, US or europe-west1.", l))
	}
	if p := bucketres.String(body, "prefix"); objstore.CheckPrefix(p) != nil {
		add("prefix", "Invalid prefix", objstore.CheckPrefix(p).Error()+".")
	}
	if bucketres.Bool(body, "create") && !bucketres.Known(body, "project") && !bucketres.Unknown(body, "project") {
		add("project", "Missing project", "A bucket that lithops creates (create = true) needs the project to create it in.")
	}
	if bucketres.Bool(body, "force_destroy") && !bucketres.Bool(body, "create") && bucketres.Known(body, "create") {
		add("force_destroy", "force_destroy without create", "force_destroy applies only to a bucket that lithops creates (create = true).")
	}
	return ps
}

func (b Backend) options(body cty.Value) Options {
	return Options{
		Bucket:     bucketres.String(body, "bucket"),
		Project:    bucketres.String(body, "project"),
		Location:   bucketres.String(body, "location"),
		Endpoint:   bucketres.String(body, "endpoint"),
		Anonymous:  bucketres.Bool(body, "anonymous"),
		Retry:      b.Retry,
		HTTPClient: b.HTTPClient,
	}
}

// BucketResource is the gcs_bucket resource type; body is the storage
// block's (null for a bucket whose block was removed).
func (b Backend) BucketResource(body cty.Value) *bucketres.Resource {
	attr := func(name string) providers.Attribute {
		a := bodySchema.Attributes[name]
		a.ForceNew = true
		return a
	}
	return bucketres.New(bucketres.Kind{
		Type: "gcs_bucket",
		Attributes: map[string]providers.Attribute{
			"bucket":   attr("bucket"),
			"project":  attr("project"),
			"location": attr("location"),
			"endpoint": attr("endpoint"),
		},
		Open: func(ctx context.Context, v cty.Value) (bucketres.Bucket, error) {
			o := b.options(body)
			o.Bucket = bucketres.String(v, "bucket")
			o.Project = bucketres.String(v, "project")
			o.Location = bucketres.String(v, "location")
			o.Endpoint = bucketres.String(v, "endpoint")
			return New(ctx, o)
		},
	})
}

// Resources implements providers.StorageBackend: the bucket, when create.
func (b Backend) Resources(ctx context.Context, req providers.StorageResourcesRequest) (providers.StorageResourcesResponse, error) {
	if !bucketres.Bool(req.Body, "create") {
		return providers.StorageResourcesResponse{}, nil
	}
	r := b.BucketResource(req.Body)
	cfg := r.Config(map[string]cty.Value{
		"bucket":        req.Body.GetAttr("bucket"),
		"project":       req.Body.GetAttr("project"),
		"location":      req.Body.GetAttr("location"),
		"endpoint":      req.Body.GetAttr("endpoint"),
		"force_destroy": req.Body.GetAttr("force_destroy"),
	})
	return providers.StorageResourcesResponse{Resources: []providers.DesiredResource{{Name: "bucket", Resource: r, Config: cfg}}}, nil
}

// Open implements providers.StorageBackend.
func (b Backend) Open(ctx context.Context, req providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	st, err := New(ctx, b.options(req.Body))
	return bucketres.Opened(req.Name, req.Body, st, err)
}
