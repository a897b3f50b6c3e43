// Package fakeprovider is a storage and executor backend for engine tests:
// its resources live in memory, and every behaviour a test needs to steer
// (drift, failures, partial creation) is a function field. It implements the
// same contract as the real backends, so plan and apply are tested through
// the code paths they use in production.
package fakeprovider

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// Cloud is the fake's world: the resources that exist, by id.
type Cloud struct {
	mu        sync.Mutex
	resources map[string]cty.Value
	next      int
	// Calls records "create ADDR", "update ADDR", "delete ADDR", "read ADDR".
	Calls []string
}

// NewCloud returns an empty world.
func NewCloud() *Cloud { return &Cloud{resources: map[string]cty.Value{}} }

// IDs lists the ids of existing resources.
func (c *Cloud) IDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id := range c.resources {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Remove deletes a resource behind lithops' back (drift).
func (c *Cloud) Remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.resources, id)
}

func (c *Cloud) call(s string) {
	c.mu.Lock()
	c.Calls = append(c.Calls, s)
	c.mu.Unlock()
}

// BucketSchema is the fake_bucket resource's schema: region forces
// replacement, size updates in place, secret is sensitive, id is computed.
var BucketSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"name":   {Type: cty.String},
	"region": {Type: cty.String, ForceNew: true},
	"size":   {Type: cty.Number},
	"secret": {Type: cty.String, Sensitive: true},
	"id":     {Type: cty.String, Computed: true},
}}

// Bucket is the fake_bucket resource type.
type Bucket struct {
	Cloud *Cloud
	// FailCreate, when set, decides whether a create fails; partial makes
	// the failed create leave a resource behind (returned with the error).
	FailCreate func(addr string) (fail, partial bool)
	// HourlyCost, when non-zero, makes Estimate report it.
	HourlyCost float64
}

var (
	_ providers.Resource  = (*Bucket)(nil)
	_ providers.Updater   = (*Bucket)(nil)
	_ providers.Estimator = (*Bucket)(nil)
)

func (*Bucket) Type() string             { return "fake_bucket" }
func (*Bucket) Schema() providers.Schema { return BucketSchema }

func (b *Bucket) Read(_ context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	b.Cloud.call("read " + req.Addr)
	id := req.State.GetAttr("id")
	if id.IsNull() {
		return providers.ReadResponse{Gone: true}, nil
	}
	b.Cloud.mu.Lock()
	v, ok := b.Cloud.resources[id.AsString()]
	b.Cloud.mu.Unlock()
	if !ok {
		return providers.ReadResponse{Gone: true}, nil
	}
	return providers.ReadResponse{State: v}, nil
}

func (b *Bucket) Create(_ context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	b.Cloud.call("create " + req.Addr)
	b.Cloud.mu.Lock()
	b.Cloud.next++
	id := fmt.Sprintf("b-%d", b.Cloud.next)
	attrs := req.Planned.AsValueMap()
	attrs["id"] = cty.StringVal(id)
	v := cty.ObjectVal(attrs)
	b.Cloud.mu.Unlock()
	if b.FailCreate != nil {
		if fail, partial := b.FailCreate(req.Addr); fail {
			if partial {
				b.Cloud.mu.Lock()
				b.Cloud.resources[id] = v
				b.Cloud.mu.Unlock()
				return providers.CreateResponse{State: v}, fmt.Errorf("injected failure after creating %s", id)
			}
			return providers.CreateResponse{}, fmt.Errorf("injected failure")
		}
	}
	b.Cloud.mu.Lock()
	b.Cloud.resources[id] = v
	b.Cloud.mu.Unlock()
	return providers.CreateResponse{State: v}, nil
}

func (b *Bucket) Update(_ context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	b.Cloud.call("update " + req.Addr)
	attrs := req.Planned.AsValueMap()
	attrs["id"] = req.Prior.GetAttr("id")
	v := cty.ObjectVal(attrs)
	b.Cloud.mu.Lock()
	b.Cloud.resources[attrs["id"].AsString()] = v
	b.Cloud.mu.Unlock()
	return providers.UpdateResponse{State: v}, nil
}

func (b *Bucket) Delete(_ context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	b.Cloud.call("delete " + req.Addr)
	if id := req.State.GetAttr("id"); !id.IsNull() {
		b.Cloud.Remove(id.AsString())
	}
	return providers.DeleteResponse{}, nil
}

func (b *Bucket) Estimate(_ context.Context, req providers.EstimateRequest) (providers.EstimateResponse, error) {
	if b.HourlyCost == 0 {
		return providers.EstimateResponse{}, nil
	}
	return providers.EstimateResponse{Hourly: b.HourlyCost, Basis: "fake price table of 2026-11-01"}, nil
}

// Storage is the "fake" storage backend: one fake_bucket per block.
type Storage struct {
	Bucket *Bucket
}

var _ providers.StorageBackend = (*Storage)(nil)

func (*Storage) Name() string { return "fake" }

func (*Storage) Spec() hcldec.Spec {
	return hcldec.ObjectSpec{
		"name":   &hcldec.AttrSpec{Name: "name", Type: cty.String, Required: true},
		"region": &hcldec.AttrSpec{Name: "region", Type: cty.String},
		"size":   &hcldec.AttrSpec{Name: "size", Type: cty.Number},
		"secret": &hcldec.AttrSpec{Name: "secret", Type: cty.String},
	}
}

func (*Storage) Validate(body cty.Value) []providers.Problem {
	if s := body.GetAttr("size"); s.IsKnown() && !s.IsNull() && s.AsBigFloat().Sign() < 0 {
		return []providers.Problem{{Attr: "size", Summary: "Invalid size", Detail: "size must not be negative."}}
	}
	return nil
}

func (s *Storage) Resources(_ context.Context, req providers.StorageResourcesRequest) (providers.StorageResourcesResponse, error) {
	region := req.Body.GetAttr("region")
	if region.IsNull() {
		region = cty.StringVal("local-1")
	}
	cfg := cty.ObjectVal(map[string]cty.Value{
		"name": req.Body.GetAttr("name"), "region": region, "size": req.Body.GetAttr("size"),
		"secret": req.Body.GetAttr("secret"), "id": cty.NullVal(cty.String),
	})
	return providers.StorageResourcesResponse{Resources: []providers.DesiredResource{{Resource: s.Bucket, Config: cfg}}}, nil
}

func (s *Storage) Open(context.Context, providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	return providers.OpenStorageResponse{}, fmt.Errorf("the fake storage holds no objects")
}

// Registry returns a registry with the fake storage and the given executor
// backends.
func Registry(cloud *Cloud, executors map[string]providers.ExecutorBackend) (*providers.Registry, *Bucket) {
	b := &Bucket{Cloud: cloud}
	return &providers.Registry{
		Executors: executors,
		Storages:  map[string]providers.StorageBackend{"fake": &Storage{Bucket: b}},
		Resources: map[string]providers.Resource{"fake_bucket": b},
	}, b
}
