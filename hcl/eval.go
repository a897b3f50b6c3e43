package hcl

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Evaluator evaluates a configuration's expressions. Job results start
// unknown; SetJobResults makes a job's results known to what evaluates after
// it. An Evaluator is safe for concurrent use: apply runs independent jobs
// at the same time, and each sets its results as it finishes.
type Evaluator struct {
	cfg *Config
	fns map[string]function.Function

	// mu guards jobs, ctx and localDiags. A context, once built, is never
	// changed (SetJobResults drops it), so evaluating with it needs no lock.
	mu   sync.Mutex
	jobs map[string]cty.Value // job name -> {name, results, result}
	ctx  *hcl2.EvalContext    // built lazily, dropped when jobs change
	// localDiags are reported once, by the first context build.
	localDiags hcl2.Diagnostics
}

// Evaluator returns an evaluator over cfg's variable values.
func (cfg *Config) Evaluator() *Evaluator {
	e := &Evaluator{cfg: cfg, fns: Functions(cfg.Dir), jobs: map[string]cty.Value{}}
	for name := range cfg.Jobs {
		e.jobs[name] = cty.ObjectVal(map[string]cty.Value{
			"name":    cty.StringVal(name),
			"results": cty.DynamicVal,
			"result":  cty.DynamicVal,
		})
	}
	return e
}

// SetJobResults records a job's map outputs (in task order) and its reduce
// output (cty.NullVal when it has no reduce).
func (e *Evaluator) SetJobResults(name string, results []cty.Value, result cty.Value) {
	list := cty.EmptyTupleVal
	if len(results) > 0 {
		list = cty.TupleVal(results)
	}
	if result == cty.NilVal {
		result = cty.NullVal(cty.DynamicPseudoType)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.jobs[name] = cty.ObjectVal(map[string]cty.Value{
		"name":    cty.StringVal(name),
		"results": list,
		"result":  result,
	})
	e.ctx = nil
}

// Context returns the evaluation context of the configuration's top level.
func (e *Evaluator) Context() (*hcl2.EvalContext, hcl2.Diagnostics) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ctx != nil {
		return e.ctx, nil
	}
	cfg := e.cfg
	named := func(names []string, attrs func(string) map[string]cty.Value) cty.Value {
		m := make(map[string]cty.Value, len(names))
		for _, n := range names {
			m[n] = cty.ObjectVal(attrs(n))
		}
		return cty.ObjectVal(m)
	}
	vars := map[string]cty.Value{}
	for name, v := range cfg.Values {
		vars[name] = v
	}
	for name, v := range cfg.Variables {
		if _, ok := vars[name]; !ok {
			vars[name] = cty.UnknownVal(v.Type) // its value failed to resolve
		}
	}
	ctx := &hcl2.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(vars),
			"path": cty.ObjectVal(map[string]cty.Value{
				"root": cty.StringVal(cfg.Dir),
				"cwd":  cty.StringVal(cfg.Cwd),
			}),
			"executor": named(sortedNames(cfg.Executors), func(n string) map[string]cty.Value {
				return map[string]cty.Value{"name": cty.StringVal(n), "backend": cty.StringVal(cfg.Executors[n].Backend)}
			}),
			"storage": named(sortedNames(cfg.Storages), func(n string) map[string]cty.Value {
				return map[string]cty.Value{"name": cty.StringVal(n), "backend": cty.StringVal(cfg.Storages[n].Backend)}
			}),
			"runtime": named(sortedNames(cfg.Runtimes), func(n string) map[string]cty.Value {
				return map[string]cty.Value{"name": cty.StringVal(n)}
			}),
			"job": cty.ObjectVal(e.jobs),
		},
		Functions: e.fns,
	}
	locals, diags := e.evalLocals(ctx)
	ctx.Variables["local"] = cty.ObjectVal(locals)
	e.ctx = ctx
	if e.localDiags == nil {
		e.localDiags = diags
		return ctx, diags
	}
	return ctx, nil
}

// evalLocals evaluates the locals in dependency order. A local that fails
// is unknown to those that use it.
func (e *Evaluator) evalLocals(ctx *hcl2.EvalContext) (map[string]cty.Value, hcl2.Diagnostics) {
	cfg := e.cfg
	out := make(map[string]cty.Value, len(cfg.Locals))
	state := map[string]int{} // 1 visiting, 2 done
	var diags hcl2.Diagnostics
	var visit func(string)
	visit = func(name string) {
		if state[name] != 0 {
			if state[name] == 1 {
				out[name] = cty.DynamicVal // a cycle, reported by Load
			}
			return
		}
		state[name] = 1
		for _, d := range cfg.localDeps(name) {
			if cfg.Locals[d] != nil {
				visit(d)
			}
		}
		partial := make(map[string]cty.Value, len(out))
		for k, v := range out {
			partial[k] = v
		}
		for k := range cfg.Locals {
			if _, ok := partial[k]; !ok {
				partial[k] = cty.DynamicVal
			}
		}
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{"local": cty.ObjectVal(partial)}
		v, more := cfg.Locals[name].Expr.Value(child)
		diags = append(diags, more...)
		if more.HasErrors() {
			v = cty.DynamicVal
		}
		out[name] = v
		state[name] = 2
	}
	for _, name := range sortedNames(cfg.Locals) {
		visit(name)
	}
	return out, diags
}

// Body decodes a backend block body with the backend's spec.
func (e *Evaluator) Body(body hcl2.Body, spec hcldec.Spec) (cty.Value, hcl2.Diagnostics) {
	ctx, diags := e.Context()
	v, more := hcldec.Decode(body, spec, ctx)
	return v, append(diags, more...)
}

// AttrRange returns the source range of a named attribute of a decoded body,
// for diagnostics about values a backend rejects.
func AttrRange(body hcl2.Body, spec hcldec.Spec, attr string, fallback hcl2.Range) hcl2.Range {
	if attr == "" {
		return fallback
	}
	if obj, ok := spec.(hcldec.ObjectSpec); ok {
		if s, ok := obj[attr]; ok {
			if r := hcldec.SourceRange(body, s); r.Filename != "" {
				return r
			}
		}
	}
	return fallback
}

// Runtime decodes a runtime block into an object with the attributes of
// RuntimeSchema (null where absent).
func (e *Evaluator) Runtime(name string) (cty.Value, hcl2.Diagnostics) {
	r := e.cfg.Runtimes[name]
	return e.Body(r.Body, RuntimeSpec)
}

// RuntimeSpec decodes a runtime block.
var RuntimeSpec = hcldec.ObjectSpec{
	"image_uri":    &hcldec.AttrSpec{Name: "image_uri", Type: cty.String},
	"memory":       &hcldec.AttrSpec{Name: "memory", Type: cty.Number},
	"timeout":      &hcldec.AttrSpec{Name: "timeout", Type: cty.String},
	"architecture": &hcldec.AttrSpec{Name: "architecture", Type: cty.String},
	"env":          &hcldec.AttrSpec{Name: "env", Type: cty.Map(cty.String)},
	"files":        &hcldec.AttrSpec{Name: "files", Type: cty.List(cty.String)},
}

// expr evaluates one expression in ctx and converts it to ty.
func evalAs(expr hcl2.Expression, ctx *hcl2.EvalContext, ty cty.Type, what string) (cty.Value, hcl2.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.UnknownVal(ty), diags
	}
	conv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.UnknownVal(ty), hcl2.Diagnostics{{
			Severity:    hcl2.DiagError,
			Summary:     "Invalid " + what,
			Detail:      fmt.Sprintf("The %s must be %s: %s.", what, ty.FriendlyName(), err),
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		}}
	}
	return conv, nil
}

func valueError(expr hcl2.Expression, summary, detail string) *hcl2.Diagnostic {
	return &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: summary, Detail: detail, Subject: expr.Range().Ptr()}
}

// ParseDuration reads "90s", "10m", "1h30m", or a number of seconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// ParseSize reads "64MiB", "1GB", "512KiB", "100" (bytes).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("not a size: use a number of bytes or a unit such as 64MiB or 1GB")
	}
	return int64(f * float64(mult)), nil
}

// Item is one element of a map's `over`: each.key and each.value.
type Item struct {
	Key   cty.Value
	Value cty.Value
}

// KeyString renders each.key for messages and logs.
func (it Item) KeyString() string {
	k, _ := it.Key.Unmark()
	if k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
		return k.AsString()
	}
	if k.Type() == cty.Number && k.IsKnown() && !k.IsNull() {
		bf := k.AsBigFloat()
		if bf.IsInt() {
			i, _ := bf.Int64()
			return strconv.FormatInt(i, 10)
		}
		return bf.Text('g', -1)
	}
	return k.GoString()
}

// Items enumerates a collection as a map iterates it: lists and tuples in
// order with numeric keys; sets in their order with each.key = each.value
// for strings and the position otherwise; maps and objects by key.
func Items(v cty.Value) ([]Item, error) {
	v, marks := v.Unmark()
	if v.IsNull() {
		return nil, fmt.Errorf("the collection is null")
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("the collection is not known yet")
	}
	t := v.Type()
	var out []Item
	switch {
	case t.IsListType() || t.IsTupleType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			out = append(out, Item{Key: cty.NumberIntVal(int64(i)), Value: ev.WithMarks(marks)})
		}
	case t.IsSetType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			key := cty.NumberIntVal(int64(i))
			if ev.Type() == cty.String {
				key = ev
			}
			out = append(out, Item{Key: key.WithMarks(marks), Value: ev.WithMarks(marks)})
		}
	case t.IsMapType() || t.IsObjectType():
		m := v.AsValueMap()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, Item{Key: cty.StringVal(k).WithMarks(marks), Value: m[k].WithMarks(marks)})
		}
	default:
		return nil, fmt.Errorf("a map goes over a list, set or map, not %s", t.FriendlyName())
	}
	return out, nil
}

// Strings converts a list of strings (or numbers, or bools) to Go strings.
// sensitive reports whether any element came from a sensitive value.
func Strings(v cty.Value) (out []string, sensitive bool, err error) {
	v, marks := v.UnmarkDeep()
	sensitive = len(marks) > 0
	if v.IsNull() {
		return nil, sensitive, fmt.Errorf("the value is null")
	}
	if !v.IsKnown() || !v.IsWhollyKnown() {
		return nil, sensitive, fmt.Errorf("the value is not known yet")
	}
	if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		return nil, sensitive, fmt.Errorf("expected a list of strings, got %s", v.Type().FriendlyName())
	}
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			return nil, sensitive, fmt.Errorf("element %d is null", len(out))
		}
		s, err := convert.Convert(ev, cty.String)
		if err != nil {
			return nil, sensitive, fmt.Errorf("element %d: %s", len(out), err)
		}
		out = append(out, s.AsString())
	}
	return out, sensitive, nil
}

// StringMap converts a map of strings to Go.
func StringMap(v cty.Value) (out map[string]string, sensitive bool, err error) {
	v, marks := v.UnmarkDeep()
	sensitive = len(marks) > 0
	if v.IsNull() {
		return nil, sensitive, nil
	}
	if !v.IsWhollyKnown() {
		return nil, sensitive, fmt.Errorf("the value is not known yet")
	}
	if !v.Type().IsMapType() && !v.Type().IsObjectType() {
		return nil, sensitive, fmt.Errorf("expected a map of strings, got %s", v.Type().FriendlyName())
	}
	out = map[string]string{}
	for k, ev := range v.AsValueMap() {
		if ev.IsNull() {
			continue
		}
		s, err := convert.Convert(ev, cty.String)
		if err != nil {
			return nil, sensitive, fmt.Errorf("%s: %s", k, err)
		}
		out[k] = s.AsString()
	}
	return out, sensitive, nil
}

// intOf reads a whole number.
func intOf(v cty.Value) (int, bool) {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0, false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, false
	}
	i, acc := bf.Int64()
	return int(i), acc == big.Exact
}
