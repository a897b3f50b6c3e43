package bucketres

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
)

// Bucket is a store whose bucket the resource creates and removes.
type Bucket interface {
	objstore.Store
	objstore.Bucket
}

// Emptier is implemented by buckets with their own way to delete all they
// hold (S3: every version and unfinished upload); others are emptied with
// objstore.DeleteAll.
type Emptier interface {
	Empty(ctx context.Context) (int, error)
}

// Kind describes one backend's bucket resource type.
type Kind struct {
	Type string
	// Attributes are the type's own; force_destroy (bool) and url (computed
	// string) are added.
	Attributes map[string]providers.Attribute
	// Open returns the bucket that a planned or recorded value names. The
	// backend closes over the block's credentials: they are not attributes,
	// so they never reach state.
	Open func(ctx context.Context, v cty.Value) (Bucket, error)
	// RemoveDeletesObjects is set when removing the bucket deletes what it
	// holds (an Azure container): force_destroy then needs no emptying
	// first, and without it Delete still refuses a bucket that holds objects.
	RemoveDeletesObjects bool
}

// Resource is a bucket resource type.
type Resource struct {
	kind   Kind
	schema providers.Schema
}

var (
	_ providers.Resource = (*Resource)(nil)
	_ providers.Updater  = (*Resource)(nil)
)

// New returns the resource type for k.
func New(k Kind) *Resource {
	attrs := maps.Clone(k.Attributes)
	attrs["force_destroy"] = providers.Attribute{
		Type:        cty.Bool,
		Description: "Delete the objects the bucket holds when the bucket is destroyed; without it, destroying a bucket that is not empty fails.",
	}
	attrs["url"] = providers.Attribute{Type: cty.String, Computed: true, Description: "The store's address, e.g. s3://bucket."}
	return &Resource{kind: k, schema: providers.Schema{Attributes: attrs}}
}

// Bucket opens the bucket that a planned or recorded value names.
func (r *Resource) Bucket(ctx context.Context, v cty.Value) (Bucket, error) {
	return r.kind.Open(ctx, v)
}

// Type implements providers.Resource.
func (r *Resource) Type() string { return r.kind.Type }

// Schema implements providers.Resource.
func (r *Resource) Schema() providers.Schema { return r.schema }

// Read implements providers.Resource.
func (r *Resource) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	b, err := r.kind.Open(ctx, req.State)
	if err != nil {
		return providers.ReadResponse{}, fmt.Errorf("read %s: %w", req.Addr, err)
	}
	ok, err := b.Exists(ctx)
	if err != nil {
		return providers.ReadResponse{}, fmt.Errorf("read %s: %w", req.Addr, err)
	}
	if !ok {
		return providers.ReadResponse{State: req.State, Gone: true}, nil
	}
	return providers.ReadResponse{State: withURL(req.State, b.String())}, nil
}

// Create implements providers.Resource. A bucket that already exists is an
// error, not adopted: destroying it later would delete what lithops did not
// create.
func (r *Resource) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	b, err := r.kind.Open(ctx, req.Planned)
	if err != nil {
		return providers.CreateResponse{State: cty.NullVal(r.schema.ObjectType())}, fmt.Errorf("create %s: %w", req.Addr, err)
	}
	null := providers.CreateResponse{State: cty.NullVal(r.schema.ObjectType())}
	ok, err := b.Exists(ctx)
	if err != nil {
		return null, fmt.Errorf("create %s: %w", req.Addr, err)
	}
	if ok {
		return null, fmt.Errorf("create %s: %s already exists; lithops creates only buckets it will own. Set create = false to use it as it is", req.Addr, b)
	}
	if err := b.Create(ctx); err != nil {
		return null, fmt.Errorf("create %s: %w", req.Addr, err)
	}
	return providers.CreateResponse{State: withURL(req.Planned, b.String())}, nil
}

// Update implements providers.Updater: only force_destroy changes in place
// (every other attribute is ForceNew), and only in state.
func (r *Resource) Update(ctx context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	url := req.Prior.GetAttr("url")
	if url.IsNull() || !url.IsKnown() {
		return providers.UpdateResponse{}, fmt.Errorf("update %s: no recorded url", req.Addr)
	}
	return providers.UpdateResponse{State: withURL(req.Planned, url.AsString())}, nil
}

// Delete implements providers.Resource.
func (r *Resource) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	b, err := r.kind.Open(ctx, req.State)
	if err != nil {
		return providers.DeleteResponse{}, fmt.Errorf("delete %s: %w", req.Addr, err)
	}
	ok, err := b.Exists(ctx)
	if err != nil {
		return providers.DeleteResponse{}, fmt.Errorf("delete %s: %w", req.Addr, err)
	}
	if !ok {
		return providers.DeleteResponse{}, nil
	}
	if fd := req.State.GetAttr("force_destroy"); fd.IsKnown() && !fd.IsNull() && fd.True() {
		if r.kind.RemoveDeletesObjects {
			err = nil
		} else if e, ok := b.(Emptier); ok {
			_, err = e.Empty(ctx)
		} else {
			_, err = objstore.DeleteAll(ctx, b, "")
		}
		if err != nil {
			return providers.DeleteResponse{}, fmt.Errorf("delete %s: force_destroy: %w", req.Addr, err)
		}
	} else {
		if err := checkEmpty(ctx, b); err != nil {
			return providers.DeleteResponse{}, fmt.Errorf("delete %s: %w", req.Addr, err)
		}
	}
	if err := b.Remove(ctx); err != nil && !errors.Is(err, objstore.ErrNotExist) {
		return providers.DeleteResponse{}, fmt.Errorf("delete %s: %w", req.Addr, err)
	}
	return providers.DeleteResponse{}, nil
}

var errStop = errors.New("stop")

// checkEmpty fails when the bucket holds an object, naming it.
func checkEmpty(ctx context.Context, b Bucket) error {
	var first string
	err := b.List(ctx, "", func(o objstore.ObjectInfo) error {
		first = o.Key
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if first != "" {
		return fmt.Errorf("%s is not empty (it holds %q, perhaps more); set force_destroy = true to delete its objects with it", b, first)
	}
	return nil
}

// withURL returns v with its url attribute set.
func withURL(v cty.Value, url string) cty.Value {
	m := v.AsValueMap()
	m["url"] = cty.StringVal(url)
	return cty.ObjectVal(m)
}

// Config builds a resource value from configured attributes: the listed
// ones, the rest (computed, or not configured) null of their type.
func (r *Resource) Config(set map[string]cty.Value) cty.Value {
	m := make(map[string]cty.Value, len(r.schema.Attributes))
	for name, a := range r.schema.Attributes {
		if v, ok := set[name]; ok && !a.Computed {
			m[name] = v
		} else {
			m[name] = cty.NullVal(a.Type)
		}
	}
	return cty.ObjectVal(m)
}

// Opened finishes a backend's Open: the store it opened (or the error it
// got doing so) with the layout of the block's prefix.
func Opened(name string, body cty.Value, store objstore.Store, err error) (providers.OpenStorageResponse, error) {
	if err != nil {
		return providers.OpenStorageResponse{}, fmt.Errorf("storage %q: %w", name, err)
	}
	layout, err := objstore.NewLayout(String(body, "prefix"))
	if err != nil {
		return providers.OpenStorageResponse{}, fmt.Errorf("storage %q: %w", name, err)
	}
	return providers.OpenStorageResponse{Store: store, Layout: layout}, nil
}
