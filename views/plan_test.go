package views_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/internal/fakeprovider"
	"lithops/internal/golden"
	"lithops/plan"
	"lithops/providers"
	"lithops/providers/localhost"
	"lithops/state"
	"lithops/views"
)

// harness is a configuration directory, a fake cloud and a state.
type harness struct {
	t     *testing.T
	dir   string
	cloud *fakeprovider.Cloud
	reg   *providers.Registry
	st    *state.State
}

func newHarness(t *testing.T, files map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), cloud: fakeprovider.NewCloud(), st: state.New()}
	h.reg, _ = fakeprovider.Registry(h.cloud, map[string]providers.ExecutorBackend{"localhost": &localhost.Executor{}})
	h.write(files)
	return h
}

func (h *harness) write(files map[string]string) {
	h.t.Helper()
	for name, src := range files {
		p := filepath.Join(h.dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) planner(vars ...hcl.VarFlag) *plan.Planner {
	h.t.Helper()
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: h.dir, Registry: h.reg, Vars: vars})
	if diags.HasErrors() {
		h.t.Fatalf("load: %s", diags.Error())
	}
	return plan.NewPlanner(cfg, h.reg, h.st)
}

func (h *harness) plan(opts plan.Options, vars ...hcl.VarFlag) *plan.Plan {
	h.t.Helper()
	p, diags := h.planner(vars...).Plan(context.Background(), opts)
	if diags.HasErrors() {
		h.t.Fatalf("plan: %s", diags.Error())
	}
	return p
}

// applyResources carries out the plan's resource changes directly against
// the fake cloud and records them, as apply would.
func (h *harness) applyResources(p *plan.Plan) {
	h.t.Helper()
	ctx := context.Background()
	for _, rc := range p.Resources {
		switch rc.Action {
		case plan.Create, plan.Replace, plan.Update:
			after, _ := rc.After.UnmarkDeep()
			resp, err := rc.Resource.Create(ctx, providers.CreateRequest{Addr: rc.Addr, Planned: after})
			if err != nil {
				h.t.Fatal(err)
			}
			attrs, err := plan.EncodeAttrs(resp.State, rc.Schema)
			if err != nil {
				h.t.Fatal(err)
			}
			h.st.Resources[rc.Addr] = state.Resource{Addr: rc.Addr, Type: rc.Type, Block: rc.Block, Status: state.StatusReady, Attributes: attrs}
		case plan.Delete:
			delete(h.st.Resources, rc.Addr)
		}
	}
	h.st.Lineage, h.st.Serial = "4f1f5a2e-0000-4000-8000-000000000001", h.st.Serial+1
}

// recordTasks records successful runs of the given tasks of a planned job,
// with output "out-<index>", as apply would.
func (h *harness) recordTasks(p *plan.Plan, job string, indexes ...int) {
	h.t.Helper()
	for _, jp := range p.Jobs {
		if jp.Name != job {
			continue
		}
		run := h.st.Jobs[job]
		if run == nil || run.DefinitionDigest != jp.DefinitionDigest {
			run = &state.JobRun{Name: job, DefinitionDigest: jp.DefinitionDigest, TaskCount: jp.Total}
			h.st.Jobs[job] = run
		}
		for _, i := range indexes {
			t := jp.Tasks[i]
			run.Record(state.TaskRecord{Index: i, Key: t.Task.Key, InputDigest: t.Digest, Output: state.InlineOutput([]byte("out-" + t.Task.Key + "\n")), Attempts: 1})
		}
		run.Complete = run.Len() == jp.Total
		return
	}
	h.t.Fatalf("no job %s in the plan", job)
}

func render(p *plan.Plan) string {
	var b bytes.Buffer
	views.WritePlan(&b, p, views.PlanOptions{})
	return b.String()
}

const bucketConfig = `
storage "data" {
  backend = "fake"
  name    = "results"
  region  = "%s"
  size    = %s
}
`

func bucket(region, size string) string {
	return strings.Replace(strings.Replace(bucketConfig, "%s", region, 1), "%s", size, 1)
}

const threeItems = `
job "count" {
  map {
    over    = ["a", "b", "c"]
    command = ["echo", each.value]
  }
}
`

func TestPlanGolden(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// setup prepares the state from a first plan of the same files.
		setup func(h *harness, first *plan.Plan)
		// edit changes the files after setup.
		edit map[string]string
		opts plan.Options
		vars []hcl.VarFlag
	}{
		{name: "create", files: map[string]string{"main.hcl": bucket("eu-1", "10")}},
		{
			name: "update", files: map[string]string{"main.hcl": bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p) },
			edit:  map[string]string{"main.hcl": bucket("eu-1", "20")},
			opts:  plan.Options{Refresh: true},
		},
		{
			name: "replace", files: map[string]string{"main.hcl": bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p) },
			edit:  map[string]string{"main.hcl": bucket("us-2", "10")},
			opts:  plan.Options{Refresh: true},
		},
		{
			name: "delete", files: map[string]string{"main.hcl": bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p) },
			edit:  map[string]string{"main.hcl": threeItems},
			opts:  plan.Options{Refresh: true},
		},
		{
			name: "drift", files: map[string]string{"main.hcl": bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) {
				h.applyResources(p)
				for _, id := range h.cloud.IDs() {
					h.cloud.Remove(id)
				}
			},
			opts: plan.Options{Refresh: true},
		},
		{name: "new-job", files: map[string]string{"main.hcl": threeItems + "\noutput \"n\" {\n  value = length(job.count.results)\n}\n"}},
		{
			name: "partly-cached", files: map[string]string{"main.hcl": threeItems},
			setup: func(h *harness, p *plan.Plan) { h.recordTasks(p, "count", 0, 1, 2) },
			edit:  map[string]string{"main.hcl": strings.Replace(threeItems, `"b", "c"`, `"B", "c"`, 1)},
		},
		{
			name: "interrupted", files: map[string]string{"main.hcl": threeItems},
			setup: func(h *harness, p *plan.Plan) { h.recordTasks(p, "count", 0, 2) },
		},
		{
			name: "up-to-date-job", files: map[string]string{"main.hcl": threeItems + bucket("eu-1", "1")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p); h.recordTasks(p, "count", 0, 1, 2) },
			edit:  map[string]string{"main.hcl": threeItems + bucket("eu-1", "2")},
			opts:  plan.Options{Refresh: true},
		},
		{
			name: "unknown-input",
			files: map[string]string{"main.hcl": threeItems + `
job "upper" {
  map {
    over    = job.count.results
    command = ["tr", "a-z", "A-Z"]
  }
  reduce {
    command = ["sort"]
  }
}
`},
		},
		{
			name: "sensitive",
			files: map[string]string{"main.hcl": `
variable "token" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

storage "data" {
  backend = "fake"
  name    = "results"
  secret  = var.token
}

job "call" {
  env = { TOKEN = var.token }
  map {
    over    = [1, 2]
    command = ["curl", "-H", "Authorization: ${var.token}", "https://example.invalid/${each.value}"]
  }
}

output "token" {
  value     = var.token
  sensitive = true
}

output "masked" {
  value     = "prefix-${var.token}"
  sensitive = true
}
`},
		},
		{
			name: "no-changes", files: map[string]string{"main.hcl": bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p) },
			opts:  plan.Options{Refresh: true},
		},
		{
			name: "destroy", files: map[string]string{"main.hcl": threeItems + bucket("eu-1", "10")},
			setup: func(h *harness, p *plan.Plan) { h.applyResources(p); h.recordTasks(p, "count", 0, 1, 2) },
			opts:  plan.Options{Refresh: true, Destroy: true},
		},
		{
			name: "targeted",
			files: map[string]string{"main.hcl": bucket("eu-1", "10") + threeItems + `
job "other" {
  storage = storage.data
  map {
    over    = range(4)
    command = ["echo", each.value]
  }
}
`},
			opts: plan.Options{Targets: []string{"job.other"}},
		},
		{
			name: "replace-job", files: map[string]string{"main.hcl": threeItems},
			setup: func(h *harness, p *plan.Plan) { h.recordTasks(p, "count", 0, 1, 2) },
			opts:  plan.Options{Replace: []string{"job.count"}},
		},
		{
			name: "partitioned-input",
			files: map[string]string{
				"main.hcl": `
job "grep" {
  map {
    input {
      path        = "big.log"
      chunk_count = 4
      newline     = true
    }
    command = ["grep", "-c", "ERROR"]
  }
  reduce {
    command = ["awk", "{s += $1} END {print s}"]
  }
}
`,
				"big.log": strings.Repeat("INFO ok\nERROR bad\n", 100),
			},
			setup: func(h *harness, p *plan.Plan) { h.recordTasks(p, "grep", 0, 1, 2, 3) },
			edit:  map[string]string{"big.log": strings.Repeat("INFO ok\nERROR bad\n", 99) + "INFO ok\nERROR BAD\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.files)
			if tt.setup != nil {
				tt.setup(h, h.plan(plan.Options{}, tt.vars...))
			}
			h.write(tt.edit)
			p := h.plan(tt.opts, tt.vars...)
			golden.Check(t, filepath.Join("plan", tt.name+".golden"), render(p))
		})
	}
}

// The summary line counts a replacement as one to add and one to destroy,
// and tasks across jobs, as in the example.
func TestSummaryLine(t *testing.T) {
	p := &plan.Plan{
		Resources: []*plan.ResourceChange{{Action: plan.Create}, {Action: plan.Replace}, {Action: plan.NoOp}},
		Jobs: []*plan.JobPlan{
			{Name: "a", Status: plan.JobRun, Total: 100, ToRun: 97, Cached: 3},
			{Name: "b", Status: plan.JobUpToDate, Total: 5},
		},
	}
	want := "Plan: 2 to add, 0 to change, 1 to destroy; 1 job to run (97 of 100 tasks)."
	if got := views.SummaryLine(p); got != want {
		t.Errorf("wrong summary\n got %q\nwant %q", got, want)
	}
}

func TestPlanErrorsGolden(t *testing.T) {
	h := newHarness(t, map[string]string{"main.hcl": `
storage "data" {
  backend = "fake"
  name    = "results"
  lifecycle {
    prevent_destroy = true
  }
}
`})
	h.applyResources(h.plan(plan.Options{}))
	h.write(map[string]string{"main.hcl": `
storage "data" {
  backend = "fake"
  name    = "results"
  region  = "moved-1"
  lifecycle {
    prevent_destroy = true
  }
}
`})
	p := h.planner()
	_, diags := p.Plan(context.Background(), plan.Options{Refresh: true})
	var b bytes.Buffer
	views.WriteDiagnostics(&b, diags, views.DiagnosticsOptions{Files: p.Config.Files, BaseDir: h.dir})
	golden.Check(t, filepath.Join("plan", "errors.golden"), b.String())
}

var _ = cty.NilVal
