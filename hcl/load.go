package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// LoadOptions is everything Load reads besides the files themselves. main
// fills it from the command line and the environment; nothing here reads
// either on its own.
type LoadOptions struct {
	// Dir is the configuration directory.
	Dir string
	// Cwd is the directory lithops was started in (path.cwd); defaults to Dir.
	Cwd string
	// Env is the environment, as os.Environ returns it; LITHOPS_VAR_name
	// entries set variables.
	Env []string
	// Vars are the -var and -var-file flags in the order given.
	Vars []VarFlag
	// Registry is the set of backends; blocks naming others are errors.
	Registry *providers.Registry
	// Fixed are values that win over every other source: those a saved
	// plan recorded.
	Fixed map[string]cty.Value
}

// VarFlag is one -var 'name=value' (File false) or -var-file=PATH (File true).
type VarFlag struct {
	File  bool
	Value string
}

// Extensions of configuration files and of variable files.
const (
	extConfig     = ".hcl"
	extConfigJSON = ".hcl.json"
	extVars       = ".vars.hcl"
	extVarsJSON   = ".vars.hcl.json"
	extAutoVars   = ".auto.vars.hcl"
	extAutoJSON   = ".auto.vars.hcl.json"
)

// rootSchema is the top level of a configuration file.
var rootSchema = &hcl2.BodySchema{
	Blocks: []hcl2.BlockHeaderSchema{
		{Type: "lithops"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "executor", LabelNames: []string{"name"}},
		{Type: "storage", LabelNames: []string{"name"}},
		{Type: "runtime", LabelNames: []string{"name"}},
		{Type: "job", LabelNames: []string{"name"}},
	},
}

// Load parses every configuration file of opts.Dir, decodes it, resolves
// variable values and checks everything that can be checked without
// evaluating jobs. It returns all problems at once; the Config is usable for
// rendering diagnostics even when there are errors.
func Load(opts LoadOptions) (*Config, hcl2.Diagnostics) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Invalid configuration directory", Detail: err.Error()}}
	}
	cwd := opts.Cwd
	if cwd == "" {
		cwd = dir
	}
	cfg := &Config{
		Dir:       dir,
		Cwd:       cwd,
		Files:     map[string]*hcl2.File{},
		Variables: map[string]*Variable{},
		Locals:    map[string]*Local{},
		Outputs:   map[string]*Output{},
		Executors: map[string]*Executor{},
		Storages:  map[string]*Storage{},
		Runtimes:  map[string]*Runtime{},
		Jobs:      map[string]*Job{},
	}
	names, autoVars, err := configFiles(dir)
	if err != nil {
		return cfg, hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error()}}
	}
	if len(names) == 0 {
		return cfg, hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s holds no *.hcl or *.hcl.json file. Change to a directory with a configuration, or name one with -chdir=DIR.", dir),
		}}
	}
	p := hclparse.NewParser()
	var diags hcl2.Diagnostics
	for _, name := range names {
		f, more := parseFile(p, filepath.Join(dir, name))
		diags = append(diags, more...)
		if f == nil || more.HasErrors() {
			// Decoding a file with syntax errors only adds confusing
			// consequences of them.
			continue
		}
		cfg.Files[f.name] = f.file
		diags = append(diags, cfg.decodeFile(f.file)...)
	}
	for name, f := range p.Files() {
		cfg.Files[name] = f
	}
	diags = append(diags, cfg.checkReferences()...)
	diags = append(diags, cfg.checkBackends(opts.Registry)...)
	cfg.structural = diags.HasErrors()
	values, more := resolveVariables(p, cfg, autoVars, opts)
	cfg.Values = values
	diags = append(diags, more...)
	for name, f := range p.Files() {
		cfg.Files[name] = f
	}
	return cfg, diags
}

type parsedFile struct {
	name string
	file *hcl2.File
}

func parseFile(p *hclparse.Parser, path string) (*parsedFile, hcl2.Diagnostics) {
	var (
		f     *hcl2.File
		diags hcl2.Diagnostics
	)
	if strings.HasSuffix(path, ".json") {
		f, diags = p.ParseJSONFile(path)
	} else {
		f, diags = p.ParseHCLFile(path)
	}
	if f == nil || f.Body == nil {
		return nil, diags
	}
	return &parsedFile{name: path, file: f}, diags
}

// configFiles lists the configuration files and the auto variable files of
// dir, each sorted by name.
func configFiles(dir string) (config, autoVars []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		switch {
		case strings.HasSuffix(name, extAutoVars), strings.HasSuffix(name, extAutoJSON):
			autoVars = append(autoVars, name)
		case strings.HasSuffix(name, extVars), strings.HasSuffix(name, extVarsJSON):
			// Named with -var-file only.
		case strings.HasSuffix(name, extConfig), strings.HasSuffix(name, extConfigJSON):
			config = append(config, name)
		}
	}
	sort.Strings(config)
	sort.Strings(autoVars)
	return config, autoVars, nil
}

// decodeFile decodes the top-level blocks of one file into cfg.
func (cfg *Config) decodeFile(f *hcl2.File) hcl2.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	for _, b := range content.Blocks {
		if len(b.Labels) == 1 && !hclsyntax.ValidIdentifier(b.Labels[0]) {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid block name",
				Detail:   fmt.Sprintf("%q is not a valid %s name: a name starts with a letter or underscore and holds only letters, digits, underscores and dashes.", b.Labels[0], b.Type),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		switch b.Type {
		case "lithops":
			if cfg.Settings != nil {
				diags = append(diags, duplicate("lithops settings", "", cfg.Settings.DeclRange, b.DefRange))
				continue
			}
			s, more := decodeSettings(b)
			diags = append(diags, more...)
			cfg.Settings = s
		case "variable":
			v, more := decodeVariable(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Variables, "variable", v.Name, v, v.DeclRange)
		case "locals":
			locals, more := decodeLocals(b)
			diags = append(diags, more...)
			for _, l := range locals {
				diags = insert(diags, cfg.Locals, "local value", l.Name, l, l.DeclRange)
			}
		case "output":
			o, more := decodeOutput(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Outputs, "output", o.Name, o, o.DeclRange)
		case "executor":
			e, more := decodeExecutor(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Executors, "executor", e.Name, e, e.DeclRange)
		case "storage":
			st, more := decodeStorage(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Storages, "storage", st.Name, st, st.DeclRange)
		case "runtime":
			r, more := decodeRuntime(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Runtimes, "runtime", r.Name, r, r.DeclRange)
		case "job":
			j, more := decodeJob(b)
			diags = append(diags, more...)
			diags = insert(diags, cfg.Jobs, "job", j.Name, j, j.DeclRange)
		}
	}
	return diags
}

// declared is a block that knows where it was declared.
type declared interface {
	*Variable | *Local | *Output | *Executor | *Storage | *Runtime | *Job
}

// insert adds a decoded block under its name, or reports that the name is
// taken.
func insert[T declared](diags hcl2.Diagnostics, m map[string]T, kind, name string, v T, at hcl2.Range) hcl2.Diagnostics {
	if prev, ok := m[name]; ok {
		return append(diags, duplicate(kind, name, declRange(prev), at))
	}
	m[name] = v
	return diags
}

func declRange[T declared](v T) hcl2.Range {
	switch b := any(v).(type) {
	case *Variable:
		return b.DeclRange
	case *Local:
		return b.DeclRange
	case *Output:
		return b.DeclRange
	case *Executor:
		return b.DeclRange
	case *Storage:
		return b.DeclRange
	case *Runtime:
		return b.DeclRange
	case *Job:
		return b.DeclRange
	}
	return hcl2.Range{}
}

func duplicate(kind, name string, first, again hcl2.Range) *hcl2.Diagnostic {
	what := kind
	if name != "" {
		what = fmt.Sprintf("%s %q", kind, name)
	}
	return &hcl2.Diagnostic{
		Severity: hcl2.DiagError,
		Summary:  "Duplicate " + kind,
		Detail:   fmt.Sprintf("A %s was already declared at %s:%d:%d. Names must be unique within a configuration directory.", what, filepath.Base(first.Filename), first.Start.Line, first.Start.Column),
		Subject:  again.Ptr(),
	}
}

// ImplicitExecutorName is the executor jobs run on when they name none.
const ImplicitExecutorName = "localhost"

// staticString evaluates an attribute that must be a literal string.
func staticString(attr *hcl2.Attribute, what string) (string, hcl2.Diagnostics) {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Invalid " + what,
			Detail:   fmt.Sprintf("The %s must be a literal string, such as \"localhost\"; it cannot use variables or functions.", what),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	return v.AsString(), nil
}
