package hcl

import (
	"fmt"
	"path/filepath"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// JobSpec is a job's attributes, evaluated.
type JobSpec struct {
	Name string
	// Executor, Storage and Runtime name blocks; Executor is "" for the
	// implicit localhost executor.
	Executor, Storage, Runtime string

	Retries int
	// Timeout bounds each task attempt; zero means none.
	Timeout time.Duration
	Env     map[string]string
	// Files are the job's files: Source is absolute, Name relative to the
	// task's working directory.
	Files []JobFile
	// Rerun is "on_change" (reuse unchanged tasks' outputs) or "always".
	Rerun string
	// Output is "text" or "json": how the map's stdout becomes a result.
	Output      string
	ChunkSize   int
	MaxWorkers  int
	Speculation bool

	// Items are the elements of `over`; nil when the job reads an input, or
	// when `over` is not known yet (Unknown).
	Items   []Item
	Unknown bool
	Input   *InputSpec

	Reduce *ReduceSpec
	// Sensitive is set when the command, env or items use sensitive values.
	Sensitive bool
}

// JobFile is a file shipped with a job.
type JobFile struct {
	Name   string
	Source string
}

// InputSpec is a map's input block, evaluated.
type InputSpec struct {
	Path       string // absolute, for a local file
	Storage    string
	Prefix     string
	Keys       []string
	Glob       string
	ChunkSize  int64
	ChunkCount int
	Newline    bool
}

// ReduceSpec is a job's reduce block, evaluated.
type ReduceSpec struct {
	Argv      []string
	Env       map[string]string
	Output    string
	Sensitive bool
}

// TaskCommand is what one map task runs.
type TaskCommand struct {
	Argv      []string
	Env       map[string]string
	Sensitive bool
}

// Job evaluates a job's attributes. Its map items are evaluated too, unless
// they depend on results not known yet.
func (e *Evaluator) Job(name string) (*JobSpec, hcl2.Diagnostics) {
	j := e.cfg.Jobs[name]
	ctx, diags := e.Context()
	js := &JobSpec{
		Name: name, Executor: j.Executor, Storage: j.Storage, Runtime: j.Runtime,
		Rerun: "on_change", Output: "text", ChunkSize: 1,
	}
	if js.Storage == "" && js.Executor != "" {
		js.Storage = e.cfg.Executors[js.Executor].Storage
	}
	num := func(expr hcl2.Expression, what string, lo int, dst *int) {
		if expr == nil {
			return
		}
		v, more := evalAs(expr, ctx, cty.Number, what)
		diags = append(diags, more...)
		if more.HasErrors() || !v.IsKnown() {
			return
		}
		n, ok := intOf(v)
		if !ok || n < lo {
			diags = append(diags, valueError(expr, "Invalid "+what, fmt.Sprintf("The %s must be a whole number of at least %d.", what, lo)))
			return
		}
		*dst = n
	}
	str := func(expr hcl2.Expression, what string, allowed []string, dst *string) {
		if expr == nil {
			return
		}
		v, more := evalAs(expr, ctx, cty.String, what)
		diags = append(diags, more...)
		if more.HasErrors() || !v.IsKnown() || v.IsNull() {
			return
		}
		s, _ := v.Unmark()
		for _, a := range allowed {
			if s.AsString() == a {
				*dst = a
				return
			}
		}
		diags = append(diags, valueError(expr, "Invalid "+what, fmt.Sprintf("The %s must be one of %q; got %q.", what, allowed, s.AsString())))
	}
	num(j.Retries, "retries", 0, &js.Retries)
	num(j.ChunkSize, "chunksize", 1, &js.ChunkSize)
	num(j.MaxWorkers, "max_workers", 1, &js.MaxWorkers)
	str(j.Rerun, "rerun", []string{"on_change", "always"}, &js.Rerun)
	str(j.Output, "output", []string{"text", "json"}, &js.Output)
	if j.Timeout != nil {
		d, more := e.duration(ctx, j.Timeout, "timeout")
		diags = append(diags, more...)
		js.Timeout = d
	}
	if j.Speculation != nil {
		v, more := evalAs(j.Speculation, ctx, cty.Bool, "speculation")
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsKnown() && !v.IsNull() {
			u, _ := v.Unmark()
			js.Speculation = u.True()
		}
	}
	if j.Env != nil {
		v, more := j.Env.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() {
			m, sens, err := StringMap(v)
			if err != nil && v.IsWhollyKnown() {
				diags = append(diags, valueError(j.Env, "Invalid env", "The env must be a map of strings: "+err.Error()+"."))
			}
			js.Env, js.Sensitive = m, js.Sensitive || sens
		}
	}
	if j.Files != nil {
		files, more := e.files(ctx, j.Files)
		diags = append(diags, more...)
		js.Files = files
	}
	if j.Map != nil {
		diags = append(diags, e.mapInputs(ctx, j, js)...)
	}
	if j.Reduce != nil && j.Reduce.Command != nil {
		r := &ReduceSpec{Output: "text"}
		v, more := j.Reduce.Command.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsWhollyKnown() {
			argv, sens, err := Strings(v)
			if err != nil || len(argv) == 0 {
				diags = append(diags, commandError(j.Reduce.Command, err))
			}
			r.Argv, r.Sensitive = argv, sens
		}
		if j.Reduce.Env != nil {
			v, more := j.Reduce.Env.Value(ctx)
			diags = append(diags, more...)
			if !more.HasErrors() {
				m, sens, err := StringMap(v)
				if err != nil && v.IsWhollyKnown() {
					diags = append(diags, valueError(j.Reduce.Env, "Invalid env", "The env must be a map of strings: "+err.Error()+"."))
				}
				r.Env, r.Sensitive = m, r.Sensitive || sens
			}
		}
		str(j.Reduce.Output, "output", []string{"text", "json"}, &r.Output)
		js.Reduce = r
		js.Sensitive = js.Sensitive || r.Sensitive
	}
	return js, diags
}

func commandError(expr hcl2.Expression, err error) *hcl2.Diagnostic {
	detail := "A command is a non-empty list of strings, such as [\"wc\", \"-l\", each.value]; it runs without a shell."
	if err != nil {
		detail = fmt.Sprintf("%s Here: %s.", detail, err)
	}
	return valueError(expr, "Invalid command", detail)
}

func (e *Evaluator) duration(ctx *hcl2.EvalContext, expr hcl2.Expression, what string) (time.Duration, hcl2.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return 0, diags
	}
	v, _ = v.Unmark()
	var s string
	switch v.Type() {
	case cty.Number:
		s = v.AsBigFloat().Text('f', -1)
	case cty.String:
		s = v.AsString()
	default:
		return 0, hcl2.Diagnostics{valueError(expr, "Invalid "+what, "A duration is a string such as \"90s\", \"10m\" or \"1h30m\", or a number of seconds.")}
	}
	d, err := ParseDuration(s)
	if err != nil || d < 0 {
		return 0, hcl2.Diagnostics{valueError(expr, "Invalid "+what, fmt.Sprintf("%q is not a duration: use a string such as \"90s\", \"10m\" or \"1h30m\".", s))}
	}
	return d, nil
}

func (e *Evaluator) files(ctx *hcl2.EvalContext, expr hcl2.Expression) ([]JobFile, hcl2.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return nil, diags
	}
	names, _, err := Strings(v)
	if err != nil {
		return nil, hcl2.Diagnostics{valueError(expr, "Invalid files", "files is a list of paths relative to the configuration directory: "+err.Error()+".")}
	}
	var out []JobFile
	for _, n := range names {
		src := resolve(e.cfg.Dir, n)
		name := n
		if filepath.IsAbs(n) {
			name = filepath.Base(n)
		}
		name = filepath.Clean(name)
		if name == ".." || len(name) > 2 && name[:3] == "../" {
			name = filepath.Base(n)
		}
		out = append(out, JobFile{Name: filepath.ToSlash(name), Source: src})
	}
	return out, nil
}

// mapInputs evaluates a map's `over` or input block.
func (e *Evaluator) mapInputs(ctx *hcl2.EvalContext, j *Job, js *JobSpec) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	m := j.Map
	if m.Over != nil {
		v, more := m.Over.Value(ctx)
		diags = append(diags, more...)
		if more.HasErrors() {
			return diags
		}
		if !v.IsWhollyKnown() {
			js.Unknown = true
			return diags
		}
		items, err := Items(v)
		if err != nil {
			return append(diags, valueError(m.Over, "Invalid map collection", err.Error()+"."))
		}
		_, marks := v.UnmarkDeep()
		js.Items, js.Sensitive = items, js.Sensitive || len(marks) > 0
		return diags
	}
	in := m.Input
	if in == nil {
		return diags
	}
	spec := &InputSpec{Storage: in.Storage}
	strAttr := func(expr hcl2.Expression, what string) string {
		if expr == nil {
			return ""
		}
		v, more := evalAs(expr, ctx, cty.String, what)
		diags = append(diags, more...)
		if more.HasErrors() || !v.IsKnown() || v.IsNull() {
			if !more.HasErrors() && !v.IsKnown() {
				js.Unknown = true
			}
			return ""
		}
		u, _ := v.Unmark()
		return u.AsString()
	}
	if p := strAttr(in.Path, "input path"); p != "" {
		spec.Path = resolve(e.cfg.Dir, p)
	}
	spec.Prefix = strAttr(in.Prefix, "prefix")
	spec.Glob = strAttr(in.Glob, "glob")
	if in.Keys != nil {
		v, more := in.Keys.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if !v.IsWhollyKnown() {
				js.Unknown = true
			} else if keys, _, err := Strings(v); err != nil {
				diags = append(diags, valueError(in.Keys, "Invalid keys", "keys is a list of object keys: "+err.Error()+"."))
			} else {
				spec.Keys = keys
			}
		}
	}
	if in.ChunkSize != nil {
		v, more := in.ChunkSize.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsKnown() && !v.IsNull() {
			u, _ := v.Unmark()
			var s string
			if u.Type() == cty.Number {
				s = u.AsBigFloat().Text('f', 0)
			} else if u.Type() == cty.String {
				s = u.AsString()
			}
			n, err := ParseSize(s)
			if err != nil || n <= 0 {
				diags = append(diags, valueError(in.ChunkSize, "Invalid chunk_size", fmt.Sprintf("%q is not a positive size: use a number of bytes or a unit such as \"64MiB\".", s)))
			}
			spec.ChunkSize = n
		}
	}
	if in.ChunkCount != nil {
		v, more := evalAs(in.ChunkCount, ctx, cty.Number, "chunk_count")
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsKnown() {
			n, ok := intOf(v)
			if !ok || n < 1 {
				diags = append(diags, valueError(in.ChunkCount, "Invalid chunk_count", "chunk_count must be a whole number of at least 1."))
			}
			spec.ChunkCount = n
		}
	}
	if in.Newline != nil {
		v, more := evalAs(in.Newline, ctx, cty.Bool, "newline")
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsKnown() && !v.IsNull() {
			u, _ := v.Unmark()
			spec.Newline = u.True()
		}
	}
	if spec.ChunkSize == 0 && spec.ChunkCount == 0 && in.ChunkSize == nil && in.ChunkCount == nil {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Missing chunking",
			Detail:   "An input block splits its data by chunk_size (such as \"64MiB\") or chunk_count (a number of chunks); set one of them.",
			Subject:  in.DeclRange.Ptr(),
		})
	}
	js.Input = spec
	return diags
}

// MapTask evaluates a map's command and env for one item.
func (e *Evaluator) MapTask(j *Job, item Item) (TaskCommand, hcl2.Diagnostics) {
	ctx, diags := e.Context()
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": item.Key, "value": item.Value})}
	var tc TaskCommand
	v, more := j.Map.Command.Value(child)
	diags = append(diags, more...)
	if !more.HasErrors() {
		if !v.IsWhollyKnown() {
			return tc, diags
		}
		argv, sens, err := Strings(v)
		if err != nil || len(argv) == 0 {
			return tc, append(diags, commandError(j.Map.Command, err))
		}
		tc.Argv, tc.Sensitive = argv, sens
	}
	if j.Map.Env != nil {
		v, more := j.Map.Env.Value(child)
		diags = append(diags, more...)
		if !more.HasErrors() && v.IsWhollyKnown() {
			m, sens, err := StringMap(v)
			if err != nil {
				diags = append(diags, valueError(j.Map.Env, "Invalid env", "The env must be a map of strings: "+err.Error()+"."))
			}
			tc.Env, tc.Sensitive = m, tc.Sensitive || sens
		}
	}
	return tc, diags
}

// CheckMap evaluates a map's command and env with an unknown item, which
// finds type errors and bad references without enumerating the items.
func (e *Evaluator) CheckMap(j *Job) hcl2.Diagnostics {
	if j.Map == nil || j.Map.Command == nil {
		return nil
	}
	_, diags := e.MapTask(j, Item{Key: cty.UnknownVal(cty.DynamicPseudoType), Value: cty.DynamicVal})
	return diags
}

// OutputValue evaluates an output. It is an error for an output to show a
// sensitive value without being declared sensitive.
func (e *Evaluator) OutputValue(name string) (cty.Value, hcl2.Diagnostics) {
	o := e.cfg.Outputs[name]
	ctx, diags := e.Context()
	v, more := o.Expr.Value(ctx)
	diags = append(diags, more...)
	if more.HasErrors() {
		return cty.DynamicVal, diags
	}
	if _, marks := v.UnmarkDeep(); len(marks) > 0 && !o.Sensitive {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Output refers to sensitive values",
			Detail:   fmt.Sprintf("output %q uses a sensitive value. Declare it with sensitive = true to confirm it may be shown only on request, or wrap the value in nonsensitive().", name),
			Subject:  o.Expr.Range().Ptr(),
		})
	}
	return v, diags
}
