package hcl

import (
	"fmt"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var settingsSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "required_version"},
		{Name: "state"},
		{Name: "parallelism"},
	},
}

func decodeSettings(b *hcl2.Block) (*Settings, hcl2.Diagnostics) {
	s := &Settings{DeclRange: b.DefRange}
	content, diags := b.Body.Content(settingsSchema)
	if a, ok := content.Attributes["required_version"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &s.RequiredVersion)...)
	}
	if a, ok := content.Attributes["state"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &s.StatePath)...)
	}
	if a, ok := content.Attributes["parallelism"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &s.Parallelism)...)
		if s.Parallelism < 0 {
			diags = append(diags, attrError(a, "Invalid parallelism", "The parallelism must be a positive number."))
		}
	}
	return s, diags
}

var variableSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "description"},
		{Name: "type"},
		{Name: "default"},
		{Name: "sensitive"},
		{Name: "nullable"},
	},
	Blocks: []hcl2.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

func decodeVariable(b *hcl2.Block) (*Variable, hcl2.Diagnostics) {
	v := &Variable{Name: b.Labels[0], Type: cty.DynamicPseudoType, Nullable: true, DeclRange: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	if isReservedVariable(v.Name) {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Reserved variable name",
			Detail:   fmt.Sprintf("The name %q is reserved; choose another name for this variable.", v.Name),
			Subject:  b.LabelRanges[0].Ptr(),
		})
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &v.Description)...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &v.Sensitive)...)
	}
	if a, ok := content.Attributes["nullable"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &v.Nullable)...)
	}
	var defaults *typeexpr.Defaults
	if a, ok := content.Attributes["type"]; ok {
		ty, defs, more := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, more...)
		if !more.HasErrors() {
			v.Type, v.HasType, defaults = ty, true, defs
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		val, more := a.Expr.Value(nil)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if defaults != nil {
				val = defaults.Apply(val)
			}
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("The default value does not match the variable's type constraint: %s.", err),
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				v.Default = conv
			}
			if v.Default == cty.NilVal {
				v.Default = cty.NullVal(v.Type)
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, more := vb.Body.Content(validationSchema)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		val := &Validation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    vb.DefRange,
		}
		for _, ref := range val.Condition.Variables() {
			if ref.RootName() != "var" {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Invalid reference in variable validation",
					Detail:   "A validation condition can refer only to variables (var.NAME).",
					Subject:  ref.SourceRange().Ptr(),
				})
			}
		}
		v.Validation = append(v.Validation, val)
	}
	return v, diags
}

// isReservedVariable reports names kept for future meta-arguments.
func isReservedVariable(name string) bool {
	switch name {
	case "each", "count", "for_each", "depends_on", "lifecycle", "providers", "source", "version":
		return true
	}
	return false
}

func decodeLocals(b *hcl2.Block) ([]*Local, hcl2.Diagnostics) {
	attrs, diags := b.Body.JustAttributes()
	out := make([]*Local, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, &Local{Name: a.Name, Expr: a.Expr, DeclRange: a.Range})
	}
	return out, diags
}

var outputSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "value", Required: true},
		{Name: "description"},
		{Name: "sensitive"},
		{Name: "depends_on"},
	},
}

func decodeOutput(b *hcl2.Block) (*Output, hcl2.Diagnostics) {
	o := &Output{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(outputSchema)
	if a, ok := content.Attributes["value"]; ok {
		o.Expr = a.Expr
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &o.Description)...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &o.Sensitive)...)
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		trs, more := traversalList(a.Expr)
		diags = append(diags, more...)
		o.DependsOn = trs
	}
	if o.Expr == nil {
		o.Expr = hcl2.StaticExpr(cty.NullVal(cty.DynamicPseudoType), b.DefRange)
	}
	return o, diags
}

var lifecycleSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{{Name: "prevent_destroy"}},
}

func decodeLifecycle(blocks hcl2.Blocks) (Lifecycle, hcl2.Diagnostics) {
	var (
		lc    Lifecycle
		diags hcl2.Diagnostics
	)
	for i, b := range blocks {
		if i > 0 {
			diags = append(diags, duplicate("lifecycle block", "", blocks[0].DefRange, b.DefRange))
			continue
		}
		content, more := b.Body.Content(lifecycleSchema)
		diags = append(diags, more...)
		if a, ok := content.Attributes["prevent_destroy"]; ok {
			diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &lc.PreventDestroy)...)
		}
	}
	return lc, diags
}

var executorSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "backend", Required: true},
		{Name: "storage"},
		{Name: "depends_on"},
	},
	Blocks: []hcl2.BlockHeaderSchema{{Type: "lifecycle"}},
}

func decodeExecutor(b *hcl2.Block) (*Executor, hcl2.Diagnostics) {
	e := &Executor{Name: b.Labels[0], DeclRange: b.DefRange}
	content, remain, diags := b.Body.PartialContent(executorSchema)
	e.Body = remain
	if a, ok := content.Attributes["backend"]; ok {
		name, more := staticString(a, "executor backend")
		diags = append(diags, more...)
		e.Backend, e.BackendRange = name, a.Expr.Range()
	}
	if a, ok := content.Attributes["storage"]; ok {
		name, more := blockRef(a.Expr, "storage")
		diags = append(diags, more...)
		e.Storage, e.StorageRange = name, a.Expr.Range()
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		trs, more := traversalList(a.Expr)
		diags = append(diags, more...)
		e.DependsOn = trs
	}
	lc, more := decodeLifecycle(content.Blocks.OfType("lifecycle"))
	e.Lifecycle = lc
	return e, append(diags, more...)
}

var storageSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{{Name: "backend", Required: true}},
	Blocks:     []hcl2.BlockHeaderSchema{{Type: "lifecycle"}},
}

func decodeStorage(b *hcl2.Block) (*Storage, hcl2.Diagnostics) {
	s := &Storage{Name: b.Labels[0], DeclRange: b.DefRange}
	content, remain, diags := b.Body.PartialContent(storageSchema)
	s.Body = remain
	if a, ok := content.Attributes["backend"]; ok {
		name, more := staticString(a, "storage backend")
		diags = append(diags, more...)
		s.Backend, s.BackendRange = name, a.Expr.Range()
	}
	lc, more := decodeLifecycle(content.Blocks.OfType("lifecycle"))
	s.Lifecycle = lc
	return s, append(diags, more...)
}

// RuntimeSchema is the body of a runtime block; executors interpret it.
var RuntimeSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "image_uri"},
		{Name: "memory"},
		{Name: "timeout"},
		{Name: "architecture"},
		{Name: "env"},
		{Name: "files"},
	},
}

func decodeRuntime(b *hcl2.Block) (*Runtime, hcl2.Diagnostics) {
	r := &Runtime{Name: b.Labels[0], Body: b.Body, DeclRange: b.DefRange}
	_, diags := b.Body.Content(RuntimeSchema)
	return r, diags
}

var jobSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "executor"},
		{Name: "storage"},
		{Name: "runtime"},
		{Name: "depends_on"},
		{Name: "retries"},
		{Name: "timeout"},
		{Name: "env"},
		{Name: "files"},
		{Name: "rerun"},
		{Name: "output"},
		{Name: "chunksize"},
		{Name: "max_workers"},
		{Name: "speculation"},
	},
	Blocks: []hcl2.BlockHeaderSchema{{Type: "map"}, {Type: "reduce"}},
}

var mapSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "over"},
		{Name: "command", Required: true},
		{Name: "env"},
	},
	Blocks: []hcl2.BlockHeaderSchema{{Type: "input"}},
}

var inputSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "path"},
		{Name: "storage"},
		{Name: "prefix"},
		{Name: "keys"},
		{Name: "glob"},
		{Name: "chunk_size"},
		{Name: "chunk_count"},
		{Name: "newline"},
	},
}

var reduceSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "command", Required: true},
		{Name: "env"},
		{Name: "output"},
	},
}

func decodeJob(b *hcl2.Block) (*Job, hcl2.Diagnostics) {
	j := &Job{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(jobSchema)
	attr := func(name string) hcl2.Expression {
		if a, ok := content.Attributes[name]; ok {
			return a.Expr
		}
		return nil
	}
	if a, ok := content.Attributes["executor"]; ok {
		name, more := blockRef(a.Expr, "executor")
		diags = append(diags, more...)
		j.Executor, j.ExecutorRange = name, a.Expr.Range()
	}
	if a, ok := content.Attributes["storage"]; ok {
		name, more := blockRef(a.Expr, "storage")
		diags = append(diags, more...)
		j.Storage, j.StorageRange = name, a.Expr.Range()
	}
	if a, ok := content.Attributes["runtime"]; ok {
		name, more := blockRef(a.Expr, "runtime")
		diags = append(diags, more...)
		j.Runtime, j.RuntimeRange = name, a.Expr.Range()
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		trs, more := traversalList(a.Expr)
		diags = append(diags, more...)
		for _, tr := range trs {
			if tr.RootName() != "job" || len(tr) != 2 {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   "A job's depends_on lists other jobs, like [job.prepare].",
					Subject:  tr.SourceRange().Ptr(),
				})
				continue
			}
			if step, ok := tr[1].(hcl2.TraverseAttr); ok {
				j.DependsOn = append(j.DependsOn, step.Name)
			}
		}
	}
	j.Retries, j.Timeout, j.Env, j.Files = attr("retries"), attr("timeout"), attr("env"), attr("files")
	j.Rerun, j.Output, j.ChunkSize = attr("rerun"), attr("output"), attr("chunksize")
	j.MaxWorkers, j.Speculation = attr("max_workers"), attr("speculation")

	maps := content.Blocks.OfType("map")
	if len(maps) == 0 {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Missing map block",
			Detail:   "A job needs a map block that says what each task runs, for example:\n  map {\n    over    = [\"a\", \"b\"]\n    command = [\"echo\", each.value]\n  }",
			Subject:  b.DefRange.Ptr(),
		})
	}
	for i, mb := range maps {
		if i > 0 {
			diags = append(diags, duplicate("map block", "", maps[0].DefRange, mb.DefRange))
			continue
		}
		m, more := decodeMap(mb)
		diags = append(diags, more...)
		j.Map = m
	}
	reduces := content.Blocks.OfType("reduce")
	for i, rb := range reduces {
		if i > 0 {
			diags = append(diags, duplicate("reduce block", "", reduces[0].DefRange, rb.DefRange))
			continue
		}
		rc, more := rb.Body.Content(reduceSchema)
		diags = append(diags, more...)
		r := &Reduce{DeclRange: rb.DefRange}
		if a, ok := rc.Attributes["command"]; ok {
			r.Command = a.Expr
		}
		if a, ok := rc.Attributes["env"]; ok {
			r.Env = a.Expr
		}
		if a, ok := rc.Attributes["output"]; ok {
			r.Output = a.Expr
		}
		j.Reduce = r
	}
	return j, diags
}

func decodeMap(b *hcl2.Block) (*Map, hcl2.Diagnostics) {
	m := &Map{DeclRange: b.DefRange}
	content, diags := b.Body.Content(mapSchema)
	if a, ok := content.Attributes["over"]; ok {
		m.Over = a.Expr
	}
	if a, ok := content.Attributes["command"]; ok {
		m.Command = a.Expr
	}
	if a, ok := content.Attributes["env"]; ok {
		m.Env = a.Expr
	}
	inputs := content.Blocks.OfType("input")
	for i, ib := range inputs {
		if i > 0 {
			diags = append(diags, duplicate("input block", "", inputs[0].DefRange, ib.DefRange))
			continue
		}
		in, more := decodeInput(ib)
		diags = append(diags, more...)
		m.Input = in
	}
	switch {
	case m.Over != nil && m.Input != nil:
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Conflicting map inputs",
			Detail:   "A map runs one task per item of `over` or one task per chunk of its input block, not both. Remove one of them.",
			Subject:  m.Over.Range().Ptr(),
		})
	case m.Over == nil && m.Input == nil:
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Missing map input",
			Detail:   "A map needs `over` (a list, set or map: one task per item) or an input block (one task per chunk of a file or of objects).",
			Subject:  b.DefRange.Ptr(),
		})
	}
	return m, diags
}

func decodeInput(b *hcl2.Block) (*Input, hcl2.Diagnostics) {
	in := &Input{DeclRange: b.DefRange}
	content, diags := b.Body.Content(inputSchema)
	get := func(name string) hcl2.Expression {
		if a, ok := content.Attributes[name]; ok {
			return a.Expr
		}
		return nil
	}
	in.Path, in.Prefix, in.Keys, in.Glob = get("path"), get("prefix"), get("keys"), get("glob")
	in.ChunkSize, in.ChunkCount, in.Newline = get("chunk_size"), get("chunk_count"), get("newline")
	if a, ok := content.Attributes["storage"]; ok {
		name, more := blockRef(a.Expr, "storage")
		diags = append(diags, more...)
		in.Storage, in.StorageRange = name, a.Expr.Range()
	}
	subject := b.DefRange.Ptr()
	switch {
	case in.Path != nil && in.Storage != "":
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Conflicting input sources",
			Detail:   "An input reads a local file (path) or objects of a storage (storage with prefix, keys or glob), not both.",
			Subject:  in.Path.Range().Ptr(),
		})
	case in.Path == nil && in.Storage == "":
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Missing input source",
			Detail:   "An input block needs path = \"FILE\" or storage = storage.NAME with prefix, keys or glob.",
			Subject:  subject,
		})
	case in.Storage != "":
		n := 0
		for _, e := range []hcl2.Expression{in.Prefix, in.Keys, in.Glob} {
			if e != nil {
				n++
			}
		}
		if n != 1 {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Ambiguous object selection",
				Detail:   "An input from a storage selects objects with exactly one of prefix, keys or glob.",
				Subject:  subject,
			})
		}
	case in.Prefix != nil || in.Keys != nil || in.Glob != nil:
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Object selection without storage",
			Detail:   "prefix, keys and glob select objects of a storage; set storage = storage.NAME, or use path for a local file.",
			Subject:  subject,
		})
	}
	if in.ChunkSize != nil && in.ChunkCount != nil {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Conflicting chunking",
			Detail:   "Set chunk_size (such as \"64MiB\") or chunk_count (a number of chunks), not both.",
			Subject:  in.ChunkCount.Range().Ptr(),
		})
	}
	return in, diags
}

// blockRef reads a static reference to a block of the given kind, such as
// storage.data, and returns the block's name.
func blockRef(expr hcl2.Expression, kind string) (string, hcl2.Diagnostics) {
	tr, diags := hcl2.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(tr) != 2 || tr.RootName() != kind {
		return "", hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Invalid " + kind + " reference",
			Detail:   fmt.Sprintf("This must name a %s block, like %s.NAME.", kind, kind),
			Subject:  expr.Range().Ptr(),
		}}
	}
	step, ok := tr[1].(hcl2.TraverseAttr)
	if !ok {
		return "", hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Invalid " + kind + " reference",
			Detail:   fmt.Sprintf("This must name a %s block, like %s.NAME.", kind, kind),
			Subject:  expr.Range().Ptr(),
		}}
	}
	return step.Name, nil
}

// traversalList reads a list of static references, as depends_on holds.
func traversalList(expr hcl2.Expression) ([]hcl2.Traversal, hcl2.Diagnostics) {
	exprs, diags := hcl2.ExprList(expr)
	var out []hcl2.Traversal
	for _, e := range exprs {
		tr, more := hcl2.AbsTraversalForExpr(e)
		if more.HasErrors() {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid reference",
				Detail:   "depends_on holds references to other blocks, like job.prepare.",
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		out = append(out, tr)
	}
	return out, diags
}

func attrError(a *hcl2.Attribute, summary, detail string) *hcl2.Diagnostic {
	return &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr()}
}
