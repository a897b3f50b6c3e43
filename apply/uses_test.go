package apply_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/internal/fakeprovider"
	"lithops/plan"
	"lithops/providers"
	"lithops/sched"
	"lithops/state"
)

// chainBackend is an executor whose block needs a chain of three
// resources, each made from the one before: key ← machine ← agent, as a
// fleet's key pair, instance and worker bootstrap are.
type chainBackend struct {
	res *chainResource
}

var _ providers.ExecutorBackend = (*chainBackend)(nil)

func (*chainBackend) Name() string { return "chain" }
func (*chainBackend) Spec() hcldec.Spec {
	return hcldec.ObjectSpec{"size": &hcldec.AttrSpec{Name: "size", Type: cty.String}}
}
func (*chainBackend) Validate(cty.Value) []providers.Problem { return nil }
func (b *chainBackend) Resources(context.Context, providers.ExecutorResourcesRequest) (providers.ExecutorResourcesResponse, error) {
	cfg := func(size cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"size": size, "id": cty.NullVal(cty.String), "from": cty.NullVal(cty.String)})
	}
	return providers.ExecutorResourcesResponse{Resources: []providers.DesiredResource{
		{Name: "key", Resource: b.res, Config: cfg(cty.StringVal("k"))},
		{Name: "machine", Resource: b.res, Config: cfg(cty.StringVal("m")), Uses: []string{"key"}},
		{Name: "agent", Resource: b.res, Config: cfg(cty.StringVal("a")), Uses: []string{"machine"}},
	}}, nil
}
func (*chainBackend) Open(context.Context, providers.OpenExecutorRequest) (providers.OpenExecutorResponse, error) {
	return providers.OpenExecutorResponse{}, fmt.Errorf("chain runs no jobs")
}

// chainResource records, in "from", the ids of what each resource was
// created from.
type chainResource struct {
	mu   sync.Mutex
	next int
	// live are the ids that exist.
	live map[string]bool
}

var chainSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"size": {Type: cty.String},
	"id":   {Type: cty.String, Computed: true},
	"from": {Type: cty.String, Computed: true},
}}

func (*chainResource) Type() string             { return "chain_link" }
func (*chainResource) Schema() providers.Schema { return chainSchema }
func (r *chainResource) Read(_ context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.live[req.State.GetAttr("id").AsString()] {
		return providers.ReadResponse{Gone: true}, nil
	}
	return providers.ReadResponse{State: req.State}, nil
}
func (r *chainResource) Create(_ context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	id := fmt.Sprintf("%s%d", req.Planned.GetAttr("size").AsString(), r.next)
	from := cty.NullVal(cty.String)
	for _, u := range req.Uses {
		from = u.GetAttr("id")
	}
	r.live[id] = true
	return providers.CreateResponse{State: cty.ObjectVal(map[string]cty.Value{
		"size": req.Planned.GetAttr("size"), "id": cty.StringVal(id), "from": from,
	})}, nil
}
func (r *chainResource) Delete(_ context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, req.State.GetAttr("id").AsString())
	return providers.DeleteResponse{}, nil
}

// A resource gets the state of those it uses when it is created, and is
// replaced when one of them is created anew: by -replace, or because it
// was deleted outside lithops. Replacements cascade down the chain.
func TestUsedResourcesFlowAndRenewUsers(t *testing.T) {
	res := &chainResource{live: map[string]bool{}}
	w := newWorld(t, `
executor "x" {
  backend = "chain"
}
`)
	w.reg, w.bucket = fakeprovider.Registry(w.cloud, map[string]providers.ExecutorBackend{"chain": &chainBackend{res: res}})
	w.reg.Resources["chain_link"] = res
	w.dispatch = &fakeDispatcher{run: func(sched.Task) sched.Result { return sched.Result{} }}

	// from renders each recorded link as "id<what it was made from".
	from := func() map[string]string {
		out := map[string]string{}
		for addr, r := range w.state().Resources {
			v, err := plan.DecodeAttrs(r.Attributes, chainSchema)
			if err != nil {
				t.Fatal(err)
			}
			out[addr] = str(v.GetAttr("id")) + "<" + str(v.GetAttr("from"))
		}
		return out
	}

	if _, err := w.apply(plan.Options{}, 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"executor.x.key": "k1<", "executor.x.machine": "m2<k1", "executor.x.agent": "a3<m2"}
	if diff := cmp.Diff(want, from()); diff != "" {
		t.Fatalf("wrong state after the first apply (-want +got):\n%s", diff)
	}

	actions := func(opts plan.Options) map[string]string {
		p := w.plan(opts)
		out := map[string]string{}
		for _, rc := range p.Resources {
			out[rc.Addr] = rc.Action.String() + " " + rc.Reason
		}
		return out
	}
	wantNoOp := map[string]string{"executor.x.key": "no-op ", "executor.x.machine": "no-op ", "executor.x.agent": "no-op "}
	if diff := cmp.Diff(wantNoOp, actions(plan.Options{Refresh: true})); diff != "" {
		t.Errorf("wrong plan with nothing changed (-want +got):\n%s", diff)
	}

	// The middle of the chain replaced: the agent on it goes too, the key
	// stays.
	wantReplace := map[string]string{
		"executor.x.key":     "no-op ",
		"executor.x.machine": "replace replacement requested with -replace",
		"executor.x.agent":   "replace it uses executor.x.machine, which will be created anew",
	}
	if diff := cmp.Diff(wantReplace, actions(plan.Options{Replace: []string{"executor.x.machine"}})); diff != "" {
		t.Errorf("wrong plan for -replace (-want +got):\n%s", diff)
	}
	if _, err := w.apply(plan.Options{Replace: []string{"executor.x.machine"}}, 0); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"executor.x.key": "k1<", "executor.x.machine": "m4<k1", "executor.x.agent": "a5<m4"}
	if diff := cmp.Diff(want, from()); diff != "" {
		t.Fatalf("wrong state after -replace (-want +got):\n%s", diff)
	}

	// The key deleted behind lithops' back: everything made from it is
	// made again, in order.
	res.mu.Lock()
	delete(res.live, "k1")
	res.mu.Unlock()
	wantDrift := map[string]string{
		"executor.x.key":     "create was deleted outside lithops, so it will be created again",
		"executor.x.machine": "replace it uses executor.x.key, which will be created anew",
		"executor.x.agent":   "replace it uses executor.x.machine, which will be created anew",
	}
	if diff := cmp.Diff(wantDrift, actions(plan.Options{Refresh: true})); diff != "" {
		t.Errorf("wrong plan after drift (-want +got):\n%s", diff)
	}
	if _, err := w.apply(plan.Options{Refresh: true}, 0); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"executor.x.key": "k6<", "executor.x.machine": "m7<k6", "executor.x.agent": "a8<m7"}
	if diff := cmp.Diff(want, from()); diff != "" {
		t.Fatalf("wrong state after the drift was repaired (-want +got):\n%s", diff)
	}
	res.mu.Lock()
	live := len(res.live)
	res.mu.Unlock()
	if live != 3 {
		t.Errorf("%d links exist, want 3: replaced ones were not deleted", live)
	}
}

func str(v cty.Value) string {
	if v.IsNull() {
		return ""
	}
	return v.AsString()
}

// plan plans as the apply command does, without applying.
func (w *world) plan(opts plan.Options) *plan.Plan {
	w.t.Helper()
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: w.dir, Registry: w.reg})
	if diags.HasErrors() {
		w.t.Fatal(diags)
	}
	st, _, err := state.Recover(w.statePath())
	if err != nil {
		w.t.Fatal(err)
	}
	p, diags := plan.NewPlanner(cfg, w.reg, st).Plan(context.Background(), opts)
	if diags.HasErrors() {
		w.t.Fatal(diags)
	}
	return p
}
