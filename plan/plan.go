package plan

import (
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/providers"
	"lithops/sched"
	"lithops/state"
)

// Action is what a plan does to a resource. The values are the symbols the
// rendered plan shows.
type Action rune

const (
	NoOp    Action = ' '
	Create  Action = '+'
	Update  Action = '~'
	Delete  Action = '-'
	Replace Action = '±' // delete, then create
)

func (a Action) String() string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	case Replace:
		return "replace"
	}
	return "no-op"
}

// Plan is what apply would do: resource changes, then job runs.
type Plan struct {
	// Lineage and Serial identify the state the plan was made from; a saved
	// plan applied to a state that moved since is refused.
	Lineage string
	Serial  uint64
	// ConfigDigest identifies the configuration files the plan was made from.
	ConfigDigest string
	Destroy      bool
	// Targeted is set when -target limited the plan.
	Targeted bool

	// Resources are ordered so that creating them in order respects
	// dependencies; apply deletes in reverse.
	Resources []*ResourceChange
	// Jobs are in dependency order.
	Jobs    []*JobPlan
	Outputs []*OutputChange
}

// ResourceChange is the plan for one resource.
//
// Invariants: Before is null for Create; After is null for Delete; After's
// computed attributes are unknown for Create and Replace. Both are objects
// of Schema's type, with sensitive attributes null in Before (state never
// holds them).
type ResourceChange struct {
	Addr string
	// Block is the address of the configuration block it belongs to:
	// "storage.data", "executor.lab".
	Block  string
	Type   string
	Action Action
	Before cty.Value
	After  cty.Value
	// Reason explains a replacement, a drift or a forced change.
	Reason string
	// ReplacePaths names the attributes whose change forces replacement.
	ReplacePaths []string
	// Drift is set when refresh found the resource gone.
	Drift bool
	// DependsOn are addresses of resources that must exist first.
	DependsOn []string
	// Uses are the addresses among DependsOn whose state Create and Update
	// receive (providers.DesiredResource.Uses); creating or replacing one
	// replaces this resource.
	Uses []string

	Schema   providers.Schema
	Estimate *providers.EstimateResponse

	// Resource is the provider that carries the change out.
	Resource providers.Resource `json:"-"`
	// Prior is the recorded state, for Update, Replace and Delete.
	Prior *state.Resource `json:"-"`
}

// JobStatus is what will happen to a job.
type JobStatus string

const (
	// JobRun: some or all of its tasks will run.
	JobRun JobStatus = "run"
	// JobUpToDate: every task's output is recorded and still valid.
	JobUpToDate JobStatus = "up-to-date"
	// JobUnknown: its tasks depend on results of jobs that will run first;
	// they are known after apply.
	JobUnknown JobStatus = "unknown"
	// JobRemove: the job left the configuration (or the plan destroys);
	// its recorded results are removed.
	JobRemove JobStatus = "remove"
)

// JobPlan is the plan for one job.
type JobPlan struct {
	Name   string
	Status JobStatus
	// Executor is the executor block's address ("executor.local"), or
	// "executor.localhost" for the implicit localhost executor.
	Executor string
	Storage  string
	// Command is the map command's source text, for the rendered plan.
	Command string
	// Reduce is the reduce command's source text, if any.
	Reduce string

	Total  int // map tasks
	ToRun  int
	Cached int
	// ReduceRuns is set when the reduce will run (or may: unknown).
	ReduceRuns bool
	// Reason says why tasks run: "new job", "definition changed", "3 inputs
	// changed", "-replace", "rerun = always".
	Reason    string
	DependsOn []string
	Sensitive bool

	DefinitionDigest string
	Spec             *hcl.JobSpec `json:"-"`
	// Tasks are all map tasks in index order, cached or not.
	Tasks []*TaskPlan `json:"-"`
	// ReduceTask is the reduce, when the job has one; its digest is known
	// only when every map task is cached.
	ReduceTask *TaskPlan `json:"-"`
}

// TaskPlan is one task of a job.
type TaskPlan struct {
	Task sched.Task
	// Digest is the task's input digest: the same digest means the same
	// output may be reused.
	Digest string
	// Item is each.value as JSON, given to the task as LITHOPS_ITEM.
	Item string
	// Cached holds the recorded result when the task will not run.
	Cached *state.TaskRecord
}

// OutputChange is an output's planned value.
type OutputChange struct {
	Name      string
	Action    Action // Create, Update, Delete or NoOp
	Before    cty.Value
	After     cty.Value // unknown when it depends on jobs that will run
	Sensitive bool
}

// Summary counts a plan's changes.
type Summary struct {
	Add, Change, Destroy int
	JobsToRun            int
	TasksToRun, Tasks    int
	// UnknownJobs run tasks known only after apply.
	UnknownJobs int
	JobsRemoved int
}

// Summary counts the plan's changes. A replacement counts as one to add and
// one to destroy, as in Terraform.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, r := range p.Resources {
		switch r.Action {
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete:
			s.Destroy++
		case Replace:
			s.Add++
			s.Destroy++
		}
	}
	for _, j := range p.Jobs {
		switch j.Status {
		case JobRun:
			s.JobsToRun++
			s.TasksToRun += j.ToRun
			s.Tasks += j.Total
		case JobUnknown:
			s.JobsToRun++
			s.UnknownJobs++
		case JobRemove:
			s.JobsRemoved++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary()
	if s.Add+s.Change+s.Destroy+s.JobsToRun+s.JobsRemoved > 0 {
		return true
	}
	for _, o := range p.Outputs {
		if o.Action != NoOp {
			return true
		}
	}
	return false
}
