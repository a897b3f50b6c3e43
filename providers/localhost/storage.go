package localhost

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/objstore/dirstore"
	"lithops/providers"
	"lithops/providers/internal/bucketres"
)

// Storage is the `localhost` storage backend.
//
//	storage "local" {
//	  backend       = "localhost"
//	  path          = "${path.root}/.lithops-storage"
//	  prefix        = "team-a/"
//	  create        = true    # the directory is a resource lithops creates and destroys
//	  force_destroy = false
//	}
//
// A relative path is taken from the configuration directory (path.root).
type Storage struct{}

var (
	_ providers.StorageBackend = Storage{}
	_ providers.BodyDescriber  = Storage{}
)

// Name implements providers.StorageBackend.
func (Storage) Name() string { return "localhost" }

var storageSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"path":          {Type: cty.String, Description: "The directory that holds the objects."},
	"prefix":        {Type: cty.String, Description: "Key prefix under which lithops keeps payloads, statuses, outputs and logs."},
	"create":        {Type: cty.Bool, Description: "Create the directory (and remove it with `lithops destroy`)."},
	"force_destroy": {Type: cty.Bool, Description: "With create: destroying the directory deletes the objects it holds first."},
}}

// BodySchema implements providers.BodyDescriber.
func (Storage) BodySchema() providers.Schema { return storageSchema }

// Spec implements providers.StorageBackend.
func (Storage) Spec() hcldec.Spec {
	spec := hcldec.ObjectSpec{}
	for name, a := range storageSchema.Attributes {
		spec[name] = &hcldec.AttrSpec{Name: name, Type: a.Type, Required: name == "path"}
	}
	return spec
}

// Validate implements providers.StorageBackend.
func (Storage) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	if bucketres.Known(body, "path") && bucketres.String(body, "path") == "" {
		ps = append(ps, providers.Problem{Attr: "path", Summary: "Empty path", Detail: "Set path to the directory that holds the objects."})
	}
	if p := bucketres.String(body, "prefix"); objstore.CheckPrefix(p) != nil {
		ps = append(ps, providers.Problem{Attr: "prefix", Summary: "Invalid prefix", Detail: objstore.CheckPrefix(p).Error() + "."})
	}
	if bucketres.Bool(body, "force_destroy") && !bucketres.Bool(body, "create") && bucketres.Known(body, "create") {
		ps = append(ps, providers.Problem{Attr: "force_destroy", Summary: "force_destroy without create",
			Detail: "force_destroy applies only to a directory that lithops creates (create = true)."})
	}
	return ps
}

// DirectoryResource is the localhost_directory resource type.
func (Storage) DirectoryResource() *bucketres.Resource {
	return bucketres.New(bucketres.Kind{
		Type: "localhost_directory",
		Attributes: map[string]providers.Attribute{
			"path": {Type: cty.String, ForceNew: true, Description: "The directory's absolute path."},
		},
		Open: func(ctx context.Context, v cty.Value) (bucketres.Bucket, error) {
			return dirstore.New(bucketres.String(v, "path"))
		},
	})
}

// Resources implements providers.StorageBackend: the directory, when create.
// Its path is recorded absolute, so destroy finds it from any directory.
func (s Storage) Resources(ctx context.Context, req providers.StorageResourcesRequest) (providers.StorageResourcesResponse, error) {
	if !bucketres.Bool(req.Body, "create") {
		return providers.StorageResourcesResponse{}, nil
	}
	path := req.Body.GetAttr("path")
	if bucketres.Known(req.Body, "path") {
		abs, err := filepath.Abs(resolve(req.Dir, path.AsString()))
		if err != nil {
			return providers.StorageResourcesResponse{}, fmt.Errorf("storage %q: %w", req.Name, err)
		}
		path = cty.StringVal(abs)
	}
	r := s.DirectoryResource()
	cfg := r.Config(map[string]cty.Value{"path": path, "force_destroy": req.Body.GetAttr("force_destroy")})
	return providers.StorageResourcesResponse{Resources: []providers.DesiredResource{{Name: "directory", Resource: r, Config: cfg}}}, nil
}

// Open implements providers.StorageBackend.
func (Storage) Open(ctx context.Context, req providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	st, err := dirstore.New(resolve(req.Dir, bucketres.String(req.Body, "path")))
	return bucketres.Opened(req.Name, req.Body, st, err)
}

// resolve takes a relative path from the configuration directory, as every
// other path of a configuration is.
func resolve(dir, path string) string {
	if path == "" || filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}
