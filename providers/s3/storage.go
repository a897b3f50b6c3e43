package s3

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

// Backend is the `s3` storage backend.
//
//	storage "data" {
//	  backend          = "s3"
//	  bucket           = "my-lithops"
//	  region           = "eu-west-1"
//	  endpoint         = "https://s3.eu-de.cloud-object-storage.appdomain.cloud" # S3-compatible
//	  force_path_style = true
//	  prefix           = "team-a/"
//	  create           = true      # the bucket is a resource lithops creates and destroys
//	  force_destroy    = false     # destroying a bucket that holds objects fails
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
func (Backend) Name() string { return "s3" }

var bodySchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"bucket":            {Type: cty.String, Description: "The bucket's name."},
	"region":            {Type: cty.String, Description: "The bucket's region; defaults to the SDK's (AWS_REGION, the profile), or us-east-1 with an endpoint."},
	"endpoint":          {Type: cty.String, Description: "Base URL of an S3-compatible service (IBM COS, MinIO, Ceph)."},
	"force_path_style":  {Type: cty.Bool, Description: "Address the bucket in the path (https://host/bucket/key), as most S3-compatible services need."},
	"prefix":            {Type: cty.String, Description: "Key prefix under which lithops keeps payloads, statuses, outputs and logs."},
	"create":            {Type: cty.Bool, Description: "Create the bucket (and destroy it with `lithops destroy`)."},
	"force_destroy":     {Type: cty.Bool, Description: "With create: destroying the bucket deletes the objects it holds first."},
	"profile":           {Type: cty.String, Description: "Shared config profile to take credentials and region from."},
	"access_key_id":     {Type: cty.String, Sensitive: true, Description: "Static access key; without it the SDK's credential chain is used."},
	"secret_access_key": {Type: cty.String, Sensitive: true, Description: "Secret of access_key_id."},
	"session_token":     {Type: cty.String, Sensitive: true, Description: "Session token of temporary credentials."},
}}

// BodySchema implements providers.BodyDescriber.
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
	awsBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipAddress     = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	regionName    = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// Validate implements providers.StorageBackend.
func (Backend) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	add := func(attr, summary, detail string) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: detail})
	}
	endpoint := bucketres.String(body, "endpoint")
	if b := bucketres.String(body, "bucket"); bucketres.Known(body, "bucket") {
		switch {
		case endpoint == "" && !bucketres.Unknown(body, "endpoint") &&
			(!awsBucketName.MatchString(b) || strings.Contains(b, "..") || ipAddress.MatchString(b)):
			add("bucket", "Invalid S3 bucket name",
				fmt.Sprintf("%q is not a valid S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit.", b))
		case b == "" || strings.Contains(b, "/"):
			add("bucket", "Invalid bucket name", fmt.Sprintf("%q is not a bucket name.", b))
		}
	}
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "Invalid endpoint", fmt.Sprintf("%q is not an http:// or https:// URL with a host.", endpoint))
		}
	}
	if r := bucketres.String(body, "region"); r != "" && !regionName.MatchString(r) {
		add("region", "Invalid region", fmt.Sprintf("%q is not a region name such as eu-west-1.", r))
	}
	if p := bucketres.String(body, "prefix"); objstore.CheckPrefix(p) != nil {
		add("prefix", "Invalid prefix", objstore.CheckPrefix(p).Error()+".")
	}
	id, secret := bucketres.Known(body, "access_key_id"), bucketres.Known(body, "secret_access_key")
	switch {
	case id && !secret:
		add("secret_access_key", "Missing secret_access_key", "access_key_id is set, so secret_access_key must be too.")
	case secret && !id:
		add("access_key_id", "Missing access_key_id", "secret_access_key is set, so access_key_id must be too.")
	case bucketres.Known(body, "session_token") && !id:
		add("session_token", "Session token without access key", "session_token goes with access_key_id and secret_access_key.")
	}
	if id && bucketres.Known(body, "profile") {
		add("profile", "Conflicting credentials", "Set either profile or access_key_id, not both.")
	}
	if bucketres.Bool(body, "force_destroy") && !bucketres.Bool(body, "create") && bucketres.Known(body, "create") {
		add("force_destroy", "force_destroy without create", "force_destroy applies only to a bucket that lithops creates (create = true).")
	}
	return ps
}

// options turns a body (or, with it, a resource value) into store options.
func (b Backend) options(body cty.Value) Options {
	return Options{
		Bucket:          bucketres.String(body, "bucket"),
		Region:          bucketres.String(body, "region"),
		Endpoint:        bucketres.String(body, "endpoint"),
		ForcePathStyle:  bucketres.Bool(body, "force_path_style"),
		Profile:         bucketres.String(body, "profile"),
		AccessKeyID:     bucketres.String(body, "access_key_id"),
		SecretAccessKey: bucketres.String(body, "secret_access_key"),
		SessionToken:    bucketres.String(body, "session_token"),
		Retry:           b.Retry,
		HTTPClient:      b.HTTPClient,
	}
}

// BucketResource is the s3_bucket resource type. Its values name the bucket;
// credentials come from body (the storage block's, never recorded) or, when
// body is null (a bucket whose block was removed), from the SDK's chain.
func (b Backend) BucketResource(body cty.Value) *bucketres.Resource {
	return bucketres.New(bucketres.Kind{
		Type: "s3_bucket",
		Attributes: map[string]providers.Attribute{
			"bucket":           {Type: cty.String, ForceNew: true, Description: bodySchema.Attributes["bucket"].Description},
			"region":           {Type: cty.String, ForceNew: true, Description: bodySchema.Attributes["region"].Description},
			"endpoint":         {Type: cty.String, ForceNew: true, Description: bodySchema.Attributes["endpoint"].Description},
			"force_path_style": {Type: cty.Bool, ForceNew: true, Description: bodySchema.Attributes["force_path_style"].Description},
		},
		Open: func(ctx context.Context, v cty.Value) (bucketres.Bucket, error) {
			o := b.options(body)
			o.Bucket = bucketres.String(v, "bucket")
			o.Region = bucketres.String(v, "region")
			o.Endpoint = bucketres.String(v, "endpoint")
			o.ForcePathStyle = bucketres.Bool(v, "force_path_style")
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
		"bucket":           req.Body.GetAttr("bucket"),
		"region":           req.Body.GetAttr("region"),
		"endpoint":         req.Body.GetAttr("endpoint"),
		"force_path_style": req.Body.GetAttr("force_path_style"),
		"force_destroy":    req.Body.GetAttr("force_destroy"),
	})
	return providers.StorageResourcesResponse{Resources: []providers.DesiredResource{{Name: "bucket", Resource: r, Config: cfg}}}, nil
}

// Open implements providers.StorageBackend.
func (b Backend) Open(ctx context.Context, req providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	st, err := New(ctx, b.options(req.Body))
	return bucketres.Opened(req.Name, req.Body, st, err)
}
