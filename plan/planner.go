package plan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/objstore"
	"lithops/providers"
	"lithops/state"
)

// Planner makes plans for one configuration and state. Apply keeps using it
// to expand jobs whose tasks were unknown at plan time.
type Planner struct {
	Config   *hcl.Config
	Registry *providers.Registry
	State    *state.State
	// WorkerDigest identifies the worker binary for executors that install
	// it on hosts ("sha256:…").
	WorkerDigest string
	// OpenStore opens a storage block by name; "" is the implicit local
	// storage that keeps outputs of jobs that name none.
	OpenStore func(ctx context.Context, name string) (objstore.Store, error)
	Hasher    *Hasher

	ev *hcl.Evaluator

	// refsOnce computes jobsUsed (jobs some job depends on) and
	// outputsUseJobs (an output uses a job or a local), for referenced.
	refsOnce       sync.Once
	jobsUsed       map[string]bool
	outputsUseJobs bool
}

// Options select what a plan covers.
type Options struct {
	Destroy bool
	// Refresh reads every recorded resource through its provider first.
	Refresh bool
	// Targets limit the plan to these addresses and what they depend on.
	Targets []string
	// Replace forces these resources to be replaced, or these jobs to re-run
	// every task.
	Replace []string
}

// NewPlanner returns a planner; the configuration must have loaded without
// errors.
func NewPlanner(cfg *hcl.Config, reg *providers.Registry, st *state.State) *Planner {
	return &Planner{
		Config:   cfg,
		Registry: reg,
		State:    st,
		Hasher:   NewHasher(),
		ev:       cfg.Evaluator(),
	}
}

// Evaluator is the planner's evaluator, which knows the results of jobs
// that are up to date or have run.
func (p *Planner) Evaluator() *hcl.Evaluator { return p.ev }

// Plan works out the changes.
func (p *Planner) Plan(ctx context.Context, opts Options) (*Plan, hcl2.Diagnostics) {
	pl := &Plan{
		Lineage:      p.State.Lineage,
		Serial:       p.State.Serial,
		ConfigDigest: p.Config.Digest(),
		Destroy:      opts.Destroy,
		Targeted:     len(opts.Targets) > 0,
	}
	var diags hcl2.Diagnostics
	if bad := p.checkAddrs(opts); bad != nil {
		return nil, bad
	}
	desired, more := p.desiredResources(ctx)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return nil, diags
	}
	if opts.Destroy {
		desired = nil
	}
	changes, more := p.diffResources(ctx, desired, opts)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return nil, diags
	}
	pl.Resources = changes

	jobs, more := p.planJobs(ctx, pl, opts)
	diags = append(diags, more...)
	pl.Jobs = jobs
	if !opts.Destroy && len(opts.Targets) == 0 {
		pl.Outputs, more = p.planOutputs()
		diags = append(diags, more...)
	}
	if opts.Destroy {
		for _, name := range sortedKeys(p.State.Outputs) {
			pl.Outputs = append(pl.Outputs, &OutputChange{Name: name, Action: Delete, Before: cty.DynamicVal, After: cty.NullVal(cty.DynamicPseudoType), Sensitive: p.State.Outputs[name].Sensitive})
		}
	}
	if len(opts.Targets) > 0 && pl.HasChanges() {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagWarning,
			Summary:  "Resource targeting is in effect",
			Detail:   "This plan covers only the targeted addresses and what they depend on. Use -target for exceptional cases, not routinely: the rest of the configuration may not match the state afterwards.",
		})
	}
	return pl, diags
}

// checkAddrs rejects -target and -replace addresses that name nothing.
func (p *Planner) checkAddrs(opts Options) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	check := func(flag, addr string) {
		kind, name, _ := strings.Cut(addr, ".")
		name, _, _ = strings.Cut(name, ".")
		name, _, _ = strings.Cut(name, "[")
		ok := false
		switch kind {
		case "job":
			_, ok = p.Config.Jobs[name]
			if !ok {
				_, ok = p.State.Jobs[name]
			}
		case "executor":
			_, ok = p.Config.Executors[name]
		case "storage":
			_, ok = p.Config.Storages[name]
		}
		if !ok {
			for a := range p.State.Resources {
				if a == addr || strings.HasPrefix(a, addr+".") || strings.HasPrefix(a, addr+"[") {
					ok = true
				}
			}
		}
		if !ok {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid " + flag + " address",
				Detail:   fmt.Sprintf("%s=%s names nothing in the configuration or the state. Addresses look like job.NAME, storage.NAME, executor.NAME or a resource address from lithops state list.", flag, addr),
			})
		}
	}
	for _, a := range opts.Targets {
		check("-target", a)
	}
	for _, a := range opts.Replace {
		check("-replace", a)
	}
	return diags
}

// desired is a resource the configuration asks for.
type desired struct {
	addr, block    string
	res            providers.Resource
	config         cty.Value
	deps           []string
	uses           []string
	preventDestroy bool
}

// desiredResources asks every storage and executor block's backend which
// resources it needs.
func (p *Planner) desiredResources(ctx context.Context) ([]desired, hcl2.Diagnostics) {
	cfg := p.Config
	var (
		out   []desired
		diags hcl2.Diagnostics
	)
	addrsOf := map[string][]string{} // block -> its resource addresses
	add := func(block string, rs []providers.DesiredResource, prevent bool, blockDeps []string) {
		for _, r := range rs {
			addr := block
			if r.Name != "" {
				addr = block + "." + r.Name
			}
			d := desired{addr: addr, block: block, res: r.Resource, config: r.Config, preventDestroy: prevent}
			for _, dep := range r.DependsOn {
				d.deps = append(d.deps, block+"."+dep)
			}
			for _, u := range r.Uses {
				d.uses = append(d.uses, block+"."+u)
				if !slices.Contains(d.deps, block+"."+u) {
					d.deps = append(d.deps, block+"."+u)
				}
			}
			d.deps = append(d.deps, blockDeps...)
			out = append(out, d)
			addrsOf[block] = append(addrsOf[block], addr)
		}
	}
	for _, name := range sortedKeys(cfg.Storages) {
		s := cfg.Storages[name]
		b := p.Registry.Storages[s.Backend]
		body, more := p.ev.Body(s.Body, b.Spec())
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		diags = append(diags, hcl.Problems(b.Validate(body), s.Body, b.Spec(), s.DeclRange)...)
		resp, err := b.Resources(ctx, providers.StorageResourcesRequest{Name: name, Body: body, Dir: p.Config.Dir})
		if err != nil {
			diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot plan storage", Detail: fmt.Sprintf("%s: %s", s.Addr(), err), Subject: s.DeclRange.Ptr()})
			continue
		}
		add(s.Addr(), resp.Resources, s.Lifecycle.PreventDestroy, nil)
	}
	for _, name := range sortedKeys(cfg.Executors) {
		e := cfg.Executors[name]
		b := p.Registry.Executors[e.Backend]
		body, more := p.ev.Body(e.Body, b.Spec())
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		diags = append(diags, hcl.Problems(b.Validate(body), e.Body, b.Spec(), e.DeclRange)...)
		runtimes, more := p.runtimesOf(name)
		diags = append(diags, more...)
		resp, err := b.Resources(ctx, providers.ExecutorResourcesRequest{Name: name, Body: body, Runtimes: runtimes, WorkerDigest: p.WorkerDigest, Storage: e.Storage, Dir: p.Config.Dir})
		if err != nil {
			diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot plan executor", Detail: fmt.Sprintf("%s: %s", e.Addr(), err), Subject: e.DeclRange.Ptr()})
			continue
		}
		var deps []string
		if e.Storage != "" {
			deps = append(deps, addrsOf["storage."+e.Storage]...)
		}
		for _, tr := range e.DependsOn {
			if len(tr) == 2 {
				if a, ok := tr[1].(hcl2.TraverseAttr); ok {
					deps = append(deps, addrsOf[tr.RootName()+"."+a.Name]...)
				}
			}
		}
		add(e.Addr(), resp.Resources, e.Lifecycle.PreventDestroy, deps)
	}
	return out, diags
}

// runtimesOf lists the runtimes the jobs on an executor use.
func (p *Planner) runtimesOf(executor string) ([]providers.Runtime, hcl2.Diagnostics) {
	var (
		out   []providers.Runtime
		diags hcl2.Diagnostics
		seen  = map[string]bool{}
	)
	for _, jn := range sortedKeys(p.Config.Jobs) {
		j := p.Config.Jobs[jn]
		if j.Executor != executor || j.Runtime == "" || seen[j.Runtime] {
			continue
		}
		seen[j.Runtime] = true
		body, more := p.ev.Runtime(j.Runtime)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		digest, err := p.runtimeDigest(j.Runtime, body)
		if err != nil {
			diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot read runtime files", Detail: err.Error(), Subject: p.Config.Runtimes[j.Runtime].DeclRange.Ptr()})
			continue
		}
		out = append(out, providers.Runtime{Name: j.Runtime, Body: body, Digest: digest})
	}
	return out, diags
}

// runtimeDigest identifies a runtime's content: its settings and its files.
func (p *Planner) runtimeDigest(name string, body cty.Value) (string, error) {
	d := newDigester("runtime").str(name)
	body, _ = body.UnmarkDeep()
	for _, attr := range []string{"image_uri", "architecture"} {
		if v := body.GetAttr(attr); !v.IsNull() && v.IsKnown() {
			d.str(attr).str(v.AsString())
		}
	}
	if files := body.GetAttr("files"); !files.IsNull() && files.IsWhollyKnown() {
		names, _, _ := hcl.Strings(files)
		for _, f := range names {
			path := f
			if !strings.HasPrefix(path, "/") {
				path = p.Config.Dir + "/" + f
			}
			fd, ok, err := p.Hasher.File(path)
			if err != nil {
				return "", err
			}
			if !ok {
				return "", fmt.Errorf("runtime.%s: file %s does not exist", name, f)
			}
			d.str(f).str(fd)
		}
	}
	return d.sum(), nil
}

// diffResources compares the desired resources with the recorded ones.
func (p *Planner) diffResources(ctx context.Context, want []desired, opts Options) ([]*ResourceChange, hcl2.Diagnostics) {
	var diags hcl2.Diagnostics
	byAddr := map[string]desired{}
	for _, d := range want {
		byAddr[d.addr] = d
	}
	replace := map[string]bool{}
	for _, a := range opts.Replace {
		replace[a] = true
	}
	var changes []*ResourceChange
	seen := map[string]bool{}

	// Recorded resources: keep, change, replace or delete.
	for _, addr := range sortedKeys(p.State.Resources) {
		rec := p.State.Resources[addr]
		seen[addr] = true
		d, inConfig := byAddr[addr]
		res := d.res
		if !inConfig {
			res = p.Registry.Resources[rec.Type]
		}
		if res == nil {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Unknown resource type in state",
				Detail:   fmt.Sprintf("The state records %s of type %q, which this build of lithops cannot manage. Use a build that has its backend, or remove it from the state with lithops state rm %s (it then stays in the cloud).", addr, rec.Type, addr),
			})
			continue
		}
		schema := res.Schema()
		prior, err := DecodeAttrs(rec.Attributes, schema)
		if err != nil {
			diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Unreadable state", Detail: fmt.Sprintf("%s: %s", addr, err)})
			continue
		}
		recCopy := rec
		rc := &ResourceChange{Addr: addr, Block: rec.Block, Type: rec.Type, Before: prior, Schema: schema, Resource: res, Prior: &recCopy, DependsOn: rec.Dependencies}
		gone := false
		if opts.Refresh {
			resp, err := res.Read(ctx, providers.ReadRequest{Addr: addr, State: prior})
			if err != nil {
				diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot refresh resource", Detail: fmt.Sprintf("Reading %s failed: %s. Retry later, or plan with -refresh=false to use the recorded state as it is.", addr, err)})
				continue
			}
			if resp.Gone {
				gone = true
			} else if resp.State != cty.NilVal && !resp.State.IsNull() {
				rc.Before = conform(resp.State, schema)
			}
		}
		switch {
		case !inConfig:
			if gone {
				// Deleted outside lithops and gone from the configuration:
				// only the record is left to forget.
				rc.Action, rc.After, rc.Drift = Delete, cty.NullVal(schema.ObjectType()), true
				rc.Reason = "no longer exists (deleted outside lithops); its record will be removed"
				break
			}
			rc.Action, rc.After = Delete, cty.NullVal(schema.ObjectType())
			if opts.Destroy {
				rc.Reason = ""
			} else {
				rc.Reason = "its block is no longer in the configuration"
			}
		case gone:
			rc.Action, rc.Drift = Create, true
			rc.Before = cty.NullVal(schema.ObjectType())
			rc.After = plannedNew(d.config, schema)
			rc.Reason = "was deleted outside lithops, so it will be created again"
		default:
			rc.After, rc.Action, rc.ReplacePaths = p.diffOne(rc.Before, d.config, schema, res)
			if rec.Status == state.StatusTainted {
				rc.Action, rc.After = Replace, plannedNew(d.config, schema)
				rc.Reason = "tainted: its creation did not finish, so it will be replaced"
			} else if replace[addr] || replace[rec.Block] {
				rc.Action, rc.After = Replace, plannedNew(d.config, schema)
				rc.Reason = "replacement requested with -replace"
			} else if rc.Action == Replace {
				rc.Reason = "changing " + strings.Join(rc.ReplacePaths, ", ") + " forces replacement"
			}
		}
		if inConfig {
			rc.DependsOn, rc.Uses = d.deps, d.uses
		}
		if (rc.Action == Delete || rc.Action == Replace) && !rc.Drift && (d.preventDestroy || p.preventDestroy(rec.Block)) {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Instance cannot be destroyed",
				Detail:   fmt.Sprintf("%s has lifecycle.prevent_destroy set, but the plan would %s it. To go on, remove prevent_destroy from its block first.", addr, map[Action]string{Delete: "destroy", Replace: "replace"}[rc.Action]),
				Subject:  p.blockRange(rec.Block),
			})
		}
		changes = append(changes, rc)
	}
	// New resources.
	for _, d := range want {
		if seen[d.addr] {
			continue
		}
		schema := d.res.Schema()
		changes = append(changes, &ResourceChange{
			Addr: d.addr, Block: d.block, Type: d.res.Type(), Action: Create,
			Before: cty.NullVal(schema.ObjectType()), After: plannedNew(d.config, schema),
			Schema: schema, Resource: d.res, DependsOn: d.deps, Uses: d.uses,
		})
	}
	changes = replaceUsers(orderChanges(changes), byAddr)
	for _, rc := range changes {
		if est, ok := rc.Resource.(providers.Estimator); ok && rc.Action != Delete {
			if resp, err := est.Estimate(ctx, providers.EstimateRequest{Addr: rc.Addr, Planned: rc.After}); err == nil && (resp.Hourly > 0 || resp.Basis != "") {
				rc.Estimate = &resp
			}
		}
	}
	if len(opts.Targets) > 0 {
		changes = filterTargets(changes, opts.Targets, p.Config)
	}
	return orderChanges(changes), diags
}

func (p *Planner) preventDestroy(block string) bool {
	kind, name, _ := strings.Cut(block, ".")
	switch kind {
	case "storage":
		if s := p.Config.Storages[name]; s != nil {
			return s.Lifecycle.PreventDestroy
		}
	case "executor":
		if e := p.Config.Executors[name]; e != nil {
			return e.Lifecycle.PreventDestroy
		}
	}
	return false
}

func (p *Planner) blockRange(block string) *hcl2.Range {
	kind, name, _ := strings.Cut(block, ".")
	switch kind {
	case "storage":
		if s := p.Config.Storages[name]; s != nil {
			return s.DeclRange.Ptr()
		}
	case "executor":
		if e := p.Config.Executors[name]; e != nil {
			return e.DeclRange.Ptr()
		}
	}
	return nil
}

// plannedNew is a new resource's planned value: the configured attributes,
// computed ones unknown.
func plannedNew(config cty.Value, schema providers.Schema) cty.Value {
	config = conform(config, schema)
	attrs := config.AsValueMap()
	for name, a := range schema.Attributes {
		if a.Computed && attrs[name].IsNull() {
			attrs[name] = cty.UnknownVal(a.Type)
		}
	}
	return cty.ObjectVal(attrs)
}

// diffOne compares a recorded resource with its configuration.
func (p *Planner) diffOne(prior, config cty.Value, schema providers.Schema, res providers.Resource) (cty.Value, Action, []string) {
	config = conform(config, schema)
	after := map[string]cty.Value{}
	changed := false
	var forces []string
	for _, name := range attrNames(schema) {
		a := schema.Attributes[name]
		pv, cv := prior.GetAttr(name), config.GetAttr(name)
		switch {
		case a.Computed && cv.IsNull():
			after[name] = pv // kept as recorded
		case a.Sensitive:
			after[name] = cv // not recorded, so not compared
		default:
			after[name] = cv
			if !equalValues(pv, cv) {
				changed = true
				if a.ForceNew {
					forces = append(forces, name)
				}
			}
		}
	}
	afterVal := cty.ObjectVal(after)
	if !changed {
		return afterVal, NoOp, nil
	}
	if _, ok := res.(providers.Updater); !ok || len(forces) > 0 {
		if len(forces) == 0 {
			for _, name := range attrNames(schema) {
				a := schema.Attributes[name]
				if !a.Computed && !a.Sensitive && !equalValues(prior.GetAttr(name), config.GetAttr(name)) {
					forces = append(forces, name)
				}
			}
		}
		return plannedNew(config, schema), Replace, forces
	}
	return afterVal, Update, nil
}

// replaceUsers replaces every recorded resource that uses one the plan
// creates or replaces: what it was made from will be new. changes must be
// in dependency order, so that replacements cascade (a key pair, the
// instances made with it, the bootstraps on them).
func replaceUsers(changes []*ResourceChange, want map[string]desired) []*ResourceChange {
	renewed := map[string]bool{}
	for _, rc := range changes {
		if rc.Action == Create || rc.Action == Replace {
			renewed[rc.Addr] = true
		}
		if rc.Action != NoOp && rc.Action != Update {
			continue
		}
		for _, u := range rc.Uses {
			if !renewed[u] {
				continue
			}
			rc.Action, rc.After = Replace, plannedNew(want[rc.Addr].config, rc.Schema)
			rc.ReplacePaths = nil
			rc.Reason = "it uses " + u + ", which will be created anew"
			renewed[rc.Addr] = true
			break
		}
	}
	return changes
}

// filterTargets keeps the changes of targeted blocks or addresses, plus the
// resources they depend on.
func filterTargets(changes []*ResourceChange, targets []string, cfg *hcl.Config) []*ResourceChange {
	keep := map[string]bool{}
	byAddr := map[string]*ResourceChange{}
	for _, c := range changes {
		byAddr[c.Addr] = c
	}
	var mark func(string)
	mark = func(addr string) {
		if keep[addr] {
			return
		}
		keep[addr] = true
		if c := byAddr[addr]; c != nil {
			for _, d := range c.DependsOn {
				mark(d)
			}
		}
	}
	matches := func(c *ResourceChange, t string) bool {
		return c.Addr == t || c.Block == t || strings.HasPrefix(c.Addr, t+".") || strings.HasPrefix(c.Addr, t+"[")
	}
	for _, t := range targets {
		// A targeted job brings its executor and storages along.
		blocks := []string{t}
		if name, ok := strings.CutPrefix(t, "job."); ok {
			if j := cfg.Jobs[name]; j != nil {
				if j.Executor != "" {
					blocks = append(blocks, "executor."+j.Executor)
					if e := cfg.Executors[j.Executor]; e != nil && e.Storage != "" {
						blocks = append(blocks, "storage."+e.Storage)
					}
				}
				if j.Storage != "" {
					blocks = append(blocks, "storage."+j.Storage)
				}
			}
		}
		for _, b := range blocks {
			for _, c := range changes {
				if matches(c, b) {
					mark(c.Addr)
				}
			}
		}
	}
	var out []*ResourceChange
	for _, c := range changes {
		if keep[c.Addr] {
			out = append(out, c)
		}
	}
	return out
}

// orderChanges sorts changes so that each comes after what it depends on,
// ties broken by address.
func orderChanges(changes []*ResourceChange) []*ResourceChange {
	sort.Slice(changes, func(i, j int) bool { return changes[i].Addr < changes[j].Addr })
	byAddr := map[string]*ResourceChange{}
	for _, c := range changes {
		byAddr[c.Addr] = c
	}
	var (
		out  []*ResourceChange
		done = map[string]bool{}
		busy = map[string]bool{}
	)
	var visit func(c *ResourceChange)
	visit = func(c *ResourceChange) {
		if done[c.Addr] || busy[c.Addr] {
			return
		}
		busy[c.Addr] = true
		deps := append([]string(nil), c.DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if dc := byAddr[d]; dc != nil {
				visit(dc)
			}
		}
		busy[c.Addr] = false
		done[c.Addr] = true
		out = append(out, c)
	}
	for _, c := range changes {
		visit(c)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
