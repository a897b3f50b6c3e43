// Package restest checks a bucket resource type's whole lifecycle against a
// test server: create, read, refusing to adopt an existing bucket, refusing
// to destroy a bucket that holds objects, force_destroy, and a bucket
// deleted outside lithops read as gone.
package restest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
	"lithops/providers/internal/bucketres"
)

// Lifecycle runs the lifecycle of the bucket that config (a value of r's
// schema, from the backend's Resources) names; that bucket must not exist.
func Lifecycle(t *testing.T, r providers.Resource, config cty.Value) {
	t.Helper()
	br, ok := r.(*bucketres.Resource)
	if !ok {
		t.Fatalf("%T is not a bucket resource", r)
	}
	ctx := context.Background()
	addr := "storage.test.bucket"
	planned := with(config, "url", cty.UnknownVal(cty.String))
	planned = with(planned, "force_destroy", cty.False)

	created, err := r.Create(ctx, providers.CreateRequest{Addr: addr, Planned: planned})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	state := created.State
	if !state.IsWhollyKnown() || state.GetAttr("url").AsString() == "" {
		t.Fatalf("created state %#v has unknown or empty attributes", state)
	}
	read, err := r.Read(ctx, providers.ReadRequest{Addr: addr, State: state})
	if err != nil || read.Gone || !read.State.RawEquals(state) {
		t.Fatalf("read after create: gone=%v, state %#v, err %v", read.Gone, read.State, err)
	}
	if _, err := r.Create(ctx, providers.CreateRequest{Addr: addr, Planned: planned}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("creating an existing bucket: %v, want an error saying it exists", err)
	}

	b, err := br.Bucket(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "data/object", bytes.NewReader([]byte("x")), 1); err != nil {
		t.Fatal(err)
	}
	_, err = r.Delete(ctx, providers.DeleteRequest{Addr: addr, State: state})
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "force_destroy") {
		t.Fatalf("deleting a bucket that holds an object: %v, want an error pointing at force_destroy", err)
	}
	if ok, err := b.Exists(ctx); err != nil || !ok {
		t.Fatalf("bucket gone after a refused delete: %v %v", ok, err)
	}

	up, ok := r.(providers.Updater)
	if !ok {
		t.Fatalf("%T cannot update force_destroy in place", r)
	}
	updated, err := up.Update(ctx, providers.UpdateRequest{Addr: addr, Prior: state, Planned: with(planned, "force_destroy", cty.True)})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	state = updated.State
	if !state.IsWhollyKnown() || !state.GetAttr("force_destroy").True() {
		t.Fatalf("updated state %#v", state)
	}
	if _, err := r.Delete(ctx, providers.DeleteRequest{Addr: addr, State: state}); err != nil {
		t.Fatalf("delete with force_destroy: %v", err)
	}
	read, err = r.Read(ctx, providers.ReadRequest{Addr: addr, State: state})
	if err != nil || !read.Gone {
		t.Fatalf("read after delete: gone=%v, err %v; want gone", read.Gone, err)
	}
	if _, err := r.Delete(ctx, providers.DeleteRequest{Addr: addr, State: state}); err != nil {
		t.Errorf("deleting a deleted bucket: %v", err)
	}
}

func with(v cty.Value, name string, a cty.Value) cty.Value {
	m := v.AsValueMap()
	m[name] = a
	return cty.ObjectVal(m)
}
