package hcl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Config is a loaded configuration directory. Maps are keyed by block label.
type Config struct {
	// Dir is the configuration directory (path.root), absolute.
	Dir string
	// Cwd is the directory lithops was started in (path.cwd), absolute.
	Cwd string
	// Files holds every parsed file by name, for rendering diagnostics.
	Files map[string]*hcl2.File

	Settings  *Settings
	Variables map[string]*Variable
	Locals    map[string]*Local
	Outputs   map[string]*Output
	Executors map[string]*Executor
	Storages  map[string]*Storage
	Runtimes  map[string]*Runtime
	Jobs      map[string]*Job

	// Values are the variables' values after precedence, type conversion
	// and validation.
	Values map[string]cty.Value

	// structural is set when loading found errors in the configuration's
	// structure or references, which make evaluating it pointless.
	structural bool

	depsMu  sync.Mutex
	jobDeps map[string][]string // JobDeps' answers, by job
}

// CanEvaluate reports whether the configuration's structure is sound enough
// to evaluate, even if Load reported problems with variable values.
func (cfg *Config) CanEvaluate() bool { return cfg != nil && !cfg.structural }

// Settings is the optional lithops {} block.
type Settings struct {
	// RequiredVersion is a version constraint such as ">= 0.1".
	RequiredVersion string
	// StatePath is where state lives, relative to Dir; "" means the default.
	StatePath string
	// Parallelism bounds concurrent resource operations; 0 means default.
	Parallelism int
	DeclRange   hcl2.Range
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Description string
	// Type is the type constraint; cty.DynamicPseudoType when none is given.
	Type       cty.Type
	HasType    bool
	Default    cty.Value // cty.NilVal when the variable is required
	Sensitive  bool
	Nullable   bool
	Validation []*Validation
	DeclRange  hcl2.Range
}

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// Validation is a validation block of a variable.
type Validation struct {
	Condition    hcl2.Expression
	ErrorMessage hcl2.Expression
	DeclRange    hcl2.Range
}

// Local is one attribute of a locals block.
type Local struct {
	Name      string
	Expr      hcl2.Expression
	DeclRange hcl2.Range
}

// Output is an output block.
type Output struct {
	Name        string
	Description string
	Expr        hcl2.Expression
	Sensitive   bool
	DependsOn   []hcl2.Traversal
	DeclRange   hcl2.Range
}

// Lifecycle is the lifecycle block the core owns on storages and executors.
type Lifecycle struct {
	PreventDestroy bool
}

// Executor is an executor block. Body is what remains for the backend.
type Executor struct {
	Name         string
	Backend      string
	BackendRange hcl2.Range
	// Storage names the storage block its jobs use by default ("" for none).
	Storage      string
	StorageRange hcl2.Range
	Lifecycle    Lifecycle
	DependsOn    []hcl2.Traversal
	Body         hcl2.Body
	DeclRange    hcl2.Range
	// Implicit marks the localhost executor made for jobs that name none.
	Implicit bool
}

// Addr is the executor's address: "executor.NAME".
func (e *Executor) Addr() string { return "executor." + e.Name }

// Storage is a storage block.
type Storage struct {
	Name         string
	Backend      string
	BackendRange hcl2.Range
	Lifecycle    Lifecycle
	Body         hcl2.Body
	DeclRange    hcl2.Range
}

// Addr is the storage's address: "storage.NAME".
func (s *Storage) Addr() string { return "storage." + s.Name }

// Runtime is a runtime block: an image or package and its memory and
// timeout on a serverless executor. Its attributes are the core's.
type Runtime struct {
	Name      string
	Body      hcl2.Body
	DeclRange hcl2.Range
}

// Addr is the runtime's address: "runtime.NAME".
func (r *Runtime) Addr() string { return "runtime." + r.Name }

// Job is a job block.
type Job struct {
	Name string
	// Executor names the executor block ("" means the implicit localhost).
	Executor      string
	ExecutorRange hcl2.Range
	Storage       string
	StorageRange  hcl2.Range
	Runtime       string
	RuntimeRange  hcl2.Range
	// DependsOn lists jobs that must run first, by name.
	DependsOn []string

	// Attribute expressions, nil when absent.
	Retries     hcl2.Expression
	Timeout     hcl2.Expression
	Env         hcl2.Expression
	Files       hcl2.Expression
	Rerun       hcl2.Expression
	Output      hcl2.Expression
	ChunkSize   hcl2.Expression
	MaxWorkers  hcl2.Expression
	Speculation hcl2.Expression

	Map    *Map
	Reduce *Reduce

	DeclRange hcl2.Range
}

// Addr is the job's address: "job.NAME".
func (j *Job) Addr() string { return "job." + j.Name }

// Map is a job's map block: exactly one of Over and Input is set.
type Map struct {
	Over      hcl2.Expression
	Command   hcl2.Expression
	Env       hcl2.Expression
	Input     *Input
	DeclRange hcl2.Range
}

// Input is a map's input block: partitioned data from a local path or from
// objects of a storage.
type Input struct {
	Path         hcl2.Expression
	Storage      string
	StorageRange hcl2.Range
	Prefix       hcl2.Expression
	Keys         hcl2.Expression
	Glob         hcl2.Expression
	ChunkSize    hcl2.Expression
	ChunkCount   hcl2.Expression
	Newline      hcl2.Expression
	DeclRange    hcl2.Range
}

// Reduce is a job's reduce block.
type Reduce struct {
	Command   hcl2.Expression
	Env       hcl2.Expression
	Output    hcl2.Expression
	DeclRange hcl2.Range
}

// Digest identifies the configuration's source: every configuration and
// variables file that was read, by name and content.
func (cfg *Config) Digest() string {
	names := make([]string, 0, len(cfg.Files))
	for n := range cfg.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		rel, err := filepath.Rel(cfg.Dir, n)
		if err != nil {
			rel = n
		}
		fmt.Fprintf(h, "%d:%s;%d:", len(rel), rel, len(cfg.Files[n].Bytes))
		h.Write(cfg.Files[n].Bytes)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
