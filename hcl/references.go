package hcl

import (
	"fmt"
	"sort"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"

	"lithops/providers"
)

// scope says where an expression sits, which decides what it may refer to.
type scope int

const (
	scopeGeneral  scope = iota // locals, outputs, job attributes
	scopeMap                   // map command and env: each.* allowed
	scopeResource              // executor, storage and runtime bodies: no job results
)

// refs returns the references of the non-nil expressions.
func refs(exprs ...hcl2.Expression) []hcl2.Traversal {
	var out []hcl2.Traversal
	for _, e := range exprs {
		if e != nil {
			out = append(out, e.Variables()...)
		}
	}
	return out
}

// jobExprs returns a job's expressions outside its map command and env.
func (j *Job) generalExprs() []hcl2.Expression {
	es := []hcl2.Expression{j.Retries, j.Timeout, j.Env, j.Files, j.Rerun, j.Output, j.ChunkSize, j.MaxWorkers, j.Speculation}
	if j.Map != nil {
		es = append(es, j.Map.Over)
		if in := j.Map.Input; in != nil {
			es = append(es, in.Path, in.Prefix, in.Keys, in.Glob, in.ChunkSize, in.ChunkCount, in.Newline)
		}
	}
	if j.Reduce != nil {
		es = append(es, j.Reduce.Command, j.Reduce.Env, j.Reduce.Output)
	}
	return es
}

func (j *Job) mapExprs() []hcl2.Expression {
	if j.Map == nil {
		return nil
	}
	return []hcl2.Expression{j.Map.Command, j.Map.Env}
}

// checkReferences checks that every reference names something declared and
// is allowed where it stands, and that locals and jobs have no cycles.
func (cfg *Config) checkReferences() hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	for _, name := range sortedNames(cfg.Locals) {
		diags = append(diags, cfg.checkRefs(refs(cfg.Locals[name].Expr), scopeGeneral)...)
	}
	for _, name := range sortedNames(cfg.Outputs) {
		diags = append(diags, cfg.checkRefs(refs(cfg.Outputs[name].Expr), scopeGeneral)...)
	}
	for _, name := range sortedNames(cfg.Runtimes) {
		content, _ := cfg.Runtimes[name].Body.Content(RuntimeSchema)
		for _, a := range sortedAttrs(content.Attributes) {
			diags = append(diags, cfg.checkRefs(refs(a.Expr), scopeResource)...)
		}
	}
	for _, name := range sortedNames(cfg.Jobs) {
		j := cfg.Jobs[name]
		diags = append(diags, cfg.checkRefs(refs(j.generalExprs()...), scopeGeneral)...)
		diags = append(diags, cfg.checkRefs(refs(j.mapExprs()...), scopeMap)...)
		if j.Executor != "" && cfg.Executors[j.Executor] == nil {
			diags = append(diags, undeclared("executor", j.Executor, j.ExecutorRange, sortedNames(cfg.Executors)))
		}
		if j.Storage != "" && cfg.Storages[j.Storage] == nil {
			diags = append(diags, undeclared("storage", j.Storage, j.StorageRange, sortedNames(cfg.Storages)))
		}
		if j.Runtime != "" && cfg.Runtimes[j.Runtime] == nil {
			diags = append(diags, undeclared("runtime", j.Runtime, j.RuntimeRange, sortedNames(cfg.Runtimes)))
		}
		if j.Map != nil && j.Map.Input != nil && j.Map.Input.Storage != "" && cfg.Storages[j.Map.Input.Storage] == nil {
			diags = append(diags, undeclared("storage", j.Map.Input.Storage, j.Map.Input.StorageRange, sortedNames(cfg.Storages)))
		}
		for _, dep := range j.DependsOn {
			if cfg.Jobs[dep] == nil {
				diags = append(diags, undeclared("job", dep, j.DeclRange, sortedNames(cfg.Jobs)))
			}
		}
	}
	for _, name := range sortedNames(cfg.Executors) {
		e := cfg.Executors[name]
		if e.Storage != "" && cfg.Storages[e.Storage] == nil {
			diags = append(diags, undeclared("storage", e.Storage, e.StorageRange, sortedNames(cfg.Storages)))
		}
	}
	diags = append(diags, cfg.checkLocalCycles()...)
	diags = append(diags, cfg.checkJobCycles()...)
	return diags
}

// checkRefs checks references found in one scope.
func (cfg *Config) checkRefs(trs []hcl2.Traversal, sc scope) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	for _, tr := range trs {
		if d := cfg.checkRef(tr, sc); d != nil {
			diags = append(diags, d)
		}
	}
	return diags
}

func (cfg *Config) checkRef(tr hcl2.Traversal, sc scope) *hcl2.Diagnostic {
	root := tr.RootName()
	rng := tr.SourceRange()
	attr := func(i int) (string, bool) {
		if len(tr) <= i {
			return "", false
		}
		if a, ok := tr[i].(hcl2.TraverseAttr); ok {
			return a.Name, true
		}
		return "", false
	}
	name, ok := attr(1)
	switch root {
	case "var", "local", "executor", "storage", "runtime", "job":
		if !ok {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid reference",
				Detail:   fmt.Sprintf("A reference to %s must name one, like %s.NAME.", root, root),
				Subject:  &rng,
			}
		}
	}
	switch root {
	case "var":
		if cfg.Variables[name] == nil {
			return undeclared("variable", name, rng, sortedNames(cfg.Variables))
		}
	case "local":
		if cfg.Locals[name] == nil {
			return undeclared("local value", name, rng, sortedNames(cfg.Locals))
		}
	case "executor":
		if cfg.Executors[name] == nil {
			return undeclared("executor", name, rng, sortedNames(cfg.Executors))
		}
	case "storage":
		if cfg.Storages[name] == nil {
			return undeclared("storage", name, rng, sortedNames(cfg.Storages))
		}
	case "runtime":
		if cfg.Runtimes[name] == nil {
			return undeclared("runtime", name, rng, sortedNames(cfg.Runtimes))
		}
	case "job":
		if cfg.Jobs[name] == nil {
			return undeclared("job", name, rng, sortedNames(cfg.Jobs))
		}
		if sc == scopeResource {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Job reference in a resource",
				Detail:   "Executors, storages and runtimes are created before any job runs, so they cannot refer to jobs.",
				Subject:  &rng,
			}
		}
		if a, ok := attr(2); ok && a != "results" && a != "result" && a != "name" {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Unsupported job attribute",
				Detail:   fmt.Sprintf("A job has the attributes results (the list of map outputs), result (the reduce output) and name; %q is none of them.", a),
				Subject:  &rng,
			}
		}
	case "path":
		if !ok || (name != "root" && name != "cwd") {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid path reference",
				Detail:   "The path object has the attributes root (the configuration directory) and cwd (where lithops was started).",
				Subject:  &rng,
			}
		}
	case "each":
		if sc != scopeMap {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Reference to each outside a map",
				Detail:   "each.key and each.value are the current item of a map; they exist only in the map block's command and env.",
				Subject:  &rng,
			}
		}
		if !ok || (name != "key" && name != "value") {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid each reference",
				Detail:   "The each object has the attributes key and value.",
				Subject:  &rng,
			}
		}
	default:
		return &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Unknown reference",
			Detail:   fmt.Sprintf("There is no %q to refer to. References start with var., local., executor., storage., runtime., job., path. or, inside a map, each.", root),
			Subject:  &rng,
		}
	}
	return nil
}

func undeclared(kind, name string, rng hcl2.Range, declared []string) *hcl2.Diagnostic {
	detail := fmt.Sprintf("No %s named %q is declared.", kind, name)
	if s := Suggest(name, declared); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(declared) > 0 {
		detail += fmt.Sprintf(" Declared: %s.", strings.Join(declared, ", "))
	}
	return &hcl2.Diagnostic{
		Severity: hcl2.DiagError,
		Summary:  "Reference to undeclared " + kind,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}

// Suggest returns the declared name closest to name, if one is close
// enough to be a likely typo (the command line uses it for command names
// too).
func Suggest(name string, declared []string) string {
	best, bestDist := "", 3
	for _, d := range declared {
		if dist := levenshtein(name, d); dist < bestDist {
			best, bestDist = d, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// localDeps returns the locals a local refers to directly.
func (cfg *Config) localDeps(name string) []string {
	var out []string
	for _, tr := range refs(cfg.Locals[name].Expr) {
		if tr.RootName() == "local" && len(tr) > 1 {
			if a, ok := tr[1].(hcl2.TraverseAttr); ok {
				out = append(out, a.Name)
			}
		}
	}
	return out
}

func (cfg *Config) checkLocalCycles() hcl2.Diagnostics {
	cycles := findCycles(sortedNames(cfg.Locals), cfg.localDeps)
	var diags hcl2.Diagnostics
	for _, c := range cycles {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Cycle in local values",
			Detail:   "These local values refer to each other in a loop: " + formatCycle("local.", c) + ". Break the loop by computing one of them without the others.",
			Subject:  cfg.Locals[c[0]].DeclRange.Ptr(),
		})
	}
	return diags
}

// JobDeps returns the jobs a job must wait for: those in its depends_on and
// those whose results its expressions use, directly or through locals.
//
// The answer is worked out once per job and shared: callers must not modify
// the slice.
func (cfg *Config) JobDeps(name string) []string {
	cfg.depsMu.Lock()
	defer cfg.depsMu.Unlock()
	if deps, ok := cfg.jobDeps[name]; ok {
		return deps
	}
	if cfg.jobDeps == nil {
		cfg.jobDeps = map[string][]string{}
	}
	deps := cfg.jobDepsOf(name)
	cfg.jobDeps[name] = deps
	return deps
}

func (cfg *Config) jobDepsOf(name string) []string {
	j := cfg.Jobs[name]
	set := map[string]bool{}
	for _, d := range j.DependsOn {
		set[d] = true
	}
	seenLocals := map[string]bool{}
	var visit func([]hcl2.Traversal)
	visit = func(trs []hcl2.Traversal) {
		for _, tr := range trs {
			if len(tr) < 2 {
				continue
			}
			a, ok := tr[1].(hcl2.TraverseAttr)
			if !ok {
				continue
			}
			switch tr.RootName() {
			case "job":
				set[a.Name] = true
			case "local":
				if l := cfg.Locals[a.Name]; l != nil && !seenLocals[a.Name] {
					seenLocals[a.Name] = true
					visit(refs(l.Expr))
				}
			}
		}
	}
	visit(refs(append(j.generalExprs(), j.mapExprs()...)...))
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func (cfg *Config) checkJobCycles() hcl2.Diagnostics {
	cycles := findCycles(sortedNames(cfg.Jobs), cfg.JobDeps)
	var diags hcl2.Diagnostics
	for _, c := range cycles {
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Cycle between jobs",
			Detail:   "These jobs wait for each other, through depends_on or by using each other's results: " + formatCycle("job.", c) + ". A job can only use the results of jobs that run before it.",
			Subject:  cfg.Jobs[c[0]].DeclRange.Ptr(),
		})
	}
	return diags
}

func formatCycle(prefix string, c []string) string {
	parts := make([]string, 0, len(c)+1)
	for _, n := range c {
		parts = append(parts, prefix+n)
	}
	parts = append(parts, prefix+c[0])
	return strings.Join(parts, " → ")
}

// findCycles returns each elementary cycle found by a depth-first search, at
// most once per set of members, starting from the smallest name in it.
func findCycles(nodes []string, deps func(string) []string) [][]string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var (
		stack  []string
		cycles [][]string
		seen   = map[string]bool{}
	)
	known := map[string]bool{}
	for _, n := range nodes {
		known[n] = true
	}
	var visit func(string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range deps(n) {
			if !known[d] {
				continue
			}
			switch color[d] {
			case white:
				visit(d)
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				c := append([]string(nil), stack[i:]...)
				c = rotateToMin(c)
				key := strings.Join(c, "\x00")
				if !seen[key] {
					seen[key] = true
					cycles = append(cycles, c)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range nodes {
		if color[n] == white {
			visit(n)
		}
	}
	return cycles
}

func rotateToMin(c []string) []string {
	m := 0
	for i := range c {
		if c[i] < c[m] {
			m = i
		}
	}
	return append(append([]string(nil), c[m:]...), c[:m]...)
}

// checkBackends checks that executor and storage blocks name available
// backends and that their bodies fit the backends' schemas.
func (cfg *Config) checkBackends(reg *providers.Registry) hcl2.Diagnostics {
	if reg == nil {
		reg = &providers.Registry{}
	}
	var diags hcl2.Diagnostics
	for _, name := range sortedNames(cfg.Executors) {
		e := cfg.Executors[name]
		if e.Backend == "" {
			continue
		}
		b, ok := reg.Executors[e.Backend]
		if !ok {
			diags = append(diags, unknownBackend("executor", e.Backend, e.BackendRange, reg.ExecutorNames(), reg.PlannedExecutors))
			continue
		}
		diags = append(diags, cfg.checkBody(e.Body, b.Spec())...)
	}
	for _, name := range sortedNames(cfg.Storages) {
		s := cfg.Storages[name]
		if s.Backend == "" {
			continue
		}
		b, ok := reg.Storages[s.Backend]
		if !ok {
			diags = append(diags, unknownBackend("storage", s.Backend, s.BackendRange, reg.StorageNames(), reg.PlannedStorages))
			continue
		}
		diags = append(diags, cfg.checkBody(s.Body, b.Spec())...)
	}
	return diags
}

// checkBody checks a backend body's structure and references offline.
func (cfg *Config) checkBody(body hcl2.Body, spec hcldec.Spec) hcl2.Diagnostics {
	_, diags := body.Content(hcldec.ImpliedSchema(spec))
	if diags.HasErrors() {
		return diags
	}
	return cfg.checkRefs(hcldec.Variables(body, spec), scopeResource)
}

func unknownBackend(kind, name string, rng hcl2.Range, available, planned []string) *hcl2.Diagnostic {
	for _, p := range planned {
		if p == name {
			return &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Backend not available yet",
				Detail: fmt.Sprintf("The %s backend %q is part of lithops' design but this build does not include it yet. Available %s backends: %s.",
					kind, name, kind, strings.Join(available, ", ")),
				Subject: rng.Ptr(),
			}
		}
	}
	detail := fmt.Sprintf("There is no %s backend %q. Available: %s.", kind, name, strings.Join(available, ", "))
	if s := Suggest(name, available); s != "" {
		detail = fmt.Sprintf("There is no %s backend %q; did you mean %q? Available: %s.", kind, name, s, strings.Join(available, ", "))
	}
	return &hcl2.Diagnostic{
		Severity: hcl2.DiagError,
		Summary:  "Unknown " + kind + " backend",
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedAttrs(attrs hcl2.Attributes) []*hcl2.Attribute {
	out := make([]*hcl2.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
