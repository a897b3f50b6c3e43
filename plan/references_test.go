package plan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/providers"
	"lithops/providers/localhost"
	"lithops/state"
)

// TestReferenced: a job's results are loaded only when an expression may
// use them: another job depends on it, or an output uses a job or a local.
func TestReferenced(t *testing.T) {
	jobs := `
job "a" {
  map {
    over    = ["x"]
    command = ["true"]
  }
}
job "b" {
  map {
    over    = job.a.results
    command = ["true", each.value]
  }
}
job "c" {
  depends_on = [job.b]
  map {
    over    = ["y"]
    command = ["true"]
  }
}
job "d" {
  map {
    over    = ["z"]
    command = ["true"]
  }
}
`
	tests := []struct {
		name    string
		outputs string
		want    map[string]bool
	}{
		{"only jobs", ``, map[string]bool{"a": true, "b": true, "c": false, "d": false}},
		{"an output uses a job", `output "o" { value = job.d.results }`, map[string]bool{"a": true, "b": true, "c": true, "d": true}},
		{"an output uses a local", "locals {\n  n = 1\n}\noutput \"o\" { value = local.n }", map[string]bool{"a": true, "b": true, "c": true, "d": true}},
		{"an output uses a variable", "variable \"v\" {\n  default = 1\n}\noutput \"o\" { value = var.v }", map[string]bool{"a": true, "b": true, "c": false, "d": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(jobs+tt.outputs+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			reg := &providers.Registry{Executors: map[string]providers.ExecutorBackend{"localhost": &localhost.Executor{}}}
			cfg, diags := hcl.Load(hcl.LoadOptions{Dir: dir, Registry: reg})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			p := NewPlanner(cfg, reg, state.New())
			got := map[string]bool{}
			for name := range cfg.Jobs {
				got[name] = p.referenced(name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong referenced jobs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSetResultsOfUnusedJobKeepsContext: making known the results of a job
// that no expression uses leaves the evaluation context as it is, so that a
// plan of many up-to-date jobs does not rebuild it once per job.
func TestSetResultsOfUnusedJobKeepsContext(t *testing.T) {
	dir := t.TempDir()
	config := `
job "used" {
  map {
    over    = ["x"]
    command = ["true"]
  }
}
job "user" {
  map {
    over    = job.used.results
    command = ["true", each.value]
  }
}
job "alone" {
  map {
    over    = ["y"]
    command = ["true"]
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := &providers.Registry{Executors: map[string]providers.ExecutorBackend{"localhost": &localhost.Executor{}}}
	cfg, diags := hcl.Load(hcl.LoadOptions{Dir: dir, Registry: reg})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := NewPlanner(cfg, reg, state.New())
	spec := func(name string) *hcl.JobSpec {
		js, diags := p.Evaluator().Job(name)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return js
	}
	alone, used := spec("alone"), spec("used")
	before, _ := p.Evaluator().Context()
	out := state.InlineOutput([]byte("v\n"))
	if err := p.SetResults(t.Context(), &JobPlan{Name: "alone", Spec: alone}, []state.OutputRef{out}, nil); err != nil {
		t.Fatal(err)
	}
	if after, _ := p.Evaluator().Context(); after != before {
		t.Errorf("setting the results of an unused job rebuilt the evaluation context")
	}
	if err := p.SetResults(t.Context(), &JobPlan{Name: "used", Spec: used}, []state.OutputRef{out}, nil); err != nil {
		t.Fatal(err)
	}
	ctx, _ := p.Evaluator().Context()
	got := ctx.Variables["job"].GetAttr("used").GetAttr("results")
	if want := cty.TupleVal([]cty.Value{cty.StringVal("v")}); !got.RawEquals(want) {
		t.Errorf("wrong job.used.results: got %#v, want %#v", got, want)
	}
}
