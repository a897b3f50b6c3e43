package views

import (
	"encoding/json"
	"sort"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"lithops/plan"
)

// PlanFormatVersion is the format_version of plan -json and show -json.
const PlanFormatVersion = "1.0"

// JSONPlan is the machine-readable form of a plan (docs/JSON.md).
type JSONPlan struct {
	FormatVersion   string               `json:"format_version"`
	LithopsVersion  string               `json:"lithops_version"`
	Lineage         string               `json:"lineage,omitempty"`
	Serial          uint64               `json:"serial"`
	ConfigDigest    string               `json:"config_digest"`
	Destroy         bool                 `json:"destroy"`
	Targeted        bool                 `json:"targeted"`
	ResourceChanges []JSONResourceChange `json:"resource_changes"`
	JobRuns         []JSONJobRun         `json:"job_runs"`
	OutputChanges   []JSONOutputChange   `json:"output_changes"`
	Summary         JSONSummary          `json:"summary"`
	HasChanges      bool                 `json:"has_changes"`
}

// JSONResourceChange is one resource's planned change.
type JSONResourceChange struct {
	Address      string            `json:"address"`
	Block        string            `json:"block"`
	Type         string            `json:"type"`
	Action       string            `json:"action"`
	Reason       string            `json:"reason,omitempty"`
	Drift        bool              `json:"drift,omitempty"`
	ReplacePaths []string          `json:"replace_paths,omitempty"`
	Before       *JSONValues       `json:"before,omitempty"`
	After        *JSONValues       `json:"after,omitempty"`
	Estimate     *JSONEstimate     `json:"estimate,omitempty"`
	DependsOn    []string          `json:"depends_on,omitempty"`
	Extra        map[string]string `json:"-"`
}

// JSONValues are a resource's attributes: known, non-sensitive values in
// Values; the names of unknown and sensitive ones listed apart.
type JSONValues struct {
	Values    map[string]json.RawMessage `json:"values"`
	Unknown   []string                   `json:"unknown,omitempty"`
	Sensitive []string                   `json:"sensitive,omitempty"`
}

// JSONEstimate is a cost estimate.
type JSONEstimate struct {
	HourlyUSD float64 `json:"hourly_usd"`
	Basis     string  `json:"basis"`
}

// JSONJobRun is one job's plan.
type JSONJobRun struct {
	Address    string   `json:"address"`
	Status     string   `json:"status"`
	Executor   string   `json:"executor,omitempty"`
	Storage    string   `json:"storage,omitempty"`
	TasksTotal int      `json:"tasks_total"`
	TasksToRun int      `json:"tasks_to_run"`
	TasksCache int      `json:"tasks_unchanged"`
	ReduceRuns bool     `json:"reduce_runs"`
	Reason     string   `json:"reason,omitempty"`
	DependsOn  []string `json:"depends_on,omitempty"`
}

// JSONOutputChange is an output's planned value.
type JSONOutputChange struct {
	Name      string          `json:"name"`
	Action    string          `json:"action"`
	Sensitive bool            `json:"sensitive"`
	Known     bool            `json:"known"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// JSONSummary counts the changes.
type JSONSummary struct {
	Add         int `json:"add"`
	Change      int `json:"change"`
	Destroy     int `json:"destroy"`
	JobsToRun   int `json:"jobs_to_run"`
	TasksToRun  int `json:"tasks_to_run"`
	Tasks       int `json:"tasks_total"`
	UnknownJobs int `json:"jobs_known_after_apply"`
	JobsRemoved int `json:"jobs_removed"`
}

// PlanJSON converts a plan to its JSON form.
func PlanJSON(p *plan.Plan, version string) JSONPlan {
	s := p.Summary()
	out := JSONPlan{
		FormatVersion: PlanFormatVersion, LithopsVersion: version,
		Lineage: p.Lineage, Serial: p.Serial, ConfigDigest: p.ConfigDigest,
		Destroy: p.Destroy, Targeted: p.Targeted,
		ResourceChanges: []JSONResourceChange{}, JobRuns: []JSONJobRun{}, OutputChanges: []JSONOutputChange{},
		Summary: JSONSummary{
			Add: s.Add, Change: s.Change, Destroy: s.Destroy, JobsToRun: s.JobsToRun, TasksToRun: s.TasksToRun,
			Tasks: s.Tasks, UnknownJobs: s.UnknownJobs, JobsRemoved: s.JobsRemoved,
		},
		HasChanges: p.HasChanges(),
	}
	for _, r := range p.Resources {
		jr := JSONResourceChange{
			Address: r.Addr, Block: r.Block, Type: r.Type, Action: r.Action.String(),
			Reason: r.Reason, Drift: r.Drift, ReplacePaths: r.ReplacePaths, DependsOn: r.DependsOn,
		}
		if r.Action != plan.Create {
			jr.Before = jsonValues(r.Before, r)
		}
		if r.Action != plan.Delete {
			jr.After = jsonValues(r.After, r)
		}
		if r.Estimate != nil {
			jr.Estimate = &JSONEstimate{HourlyUSD: r.Estimate.Hourly, Basis: r.Estimate.Basis}
		}
		out.ResourceChanges = append(out.ResourceChanges, jr)
	}
	for _, j := range p.Jobs {
		deps := make([]string, 0, len(j.DependsOn))
		for _, d := range j.DependsOn {
			deps = append(deps, "job."+d)
		}
		out.JobRuns = append(out.JobRuns, JSONJobRun{
			Address: "job." + j.Name, Status: string(j.Status), Executor: j.Executor, Storage: j.Storage,
			TasksTotal: j.Total, TasksToRun: j.ToRun, TasksCache: j.Cached, ReduceRuns: j.ReduceRuns,
			Reason: j.Reason, DependsOn: deps,
		})
	}
	for _, o := range p.Outputs {
		jo := JSONOutputChange{Name: o.Name, Action: o.Action.String(), Sensitive: o.Sensitive}
		v := o.After
		if o.Action == plan.Delete {
			v = o.Before
		}
		if v != cty.NilVal && v.IsWhollyKnown() {
			jo.Known = true
			if !o.Sensitive && !marked(v) {
				u, _ := v.UnmarkDeep()
				if b, err := ctyjson.Marshal(u, u.Type()); err == nil {
					jo.Value = b
				}
			}
		}
		out.OutputChanges = append(out.OutputChanges, jo)
	}
	return out
}

func jsonValues(v cty.Value, r *plan.ResourceChange) *JSONValues {
	jv := &JSONValues{Values: map[string]json.RawMessage{}}
	names := make([]string, 0, len(r.Schema.Attributes))
	for n := range r.Schema.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := r.Schema.Attributes[n]
		av := attr(v, n)
		switch {
		case a.Sensitive || marked(av):
			jv.Sensitive = append(jv.Sensitive, n)
		case !av.IsWhollyKnown():
			jv.Unknown = append(jv.Unknown, n)
		case av.IsNull():
		default:
			if b, err := ctyjson.Marshal(av, av.Type()); err == nil {
				jv.Values[n] = b
			}
		}
	}
	return jv
}
