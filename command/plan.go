package command

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"lithops/plan"
	"lithops/views"
)

const planHelp = `plan [options]

Show what apply would do: the resources it would create, change or destroy,
and for every job how many of its tasks would run and how many would reuse a
recorded output. plan changes nothing (it takes the state's lock while it
reads).

Options:
  -out=FILE             Save the plan; "lithops apply FILE" then does exactly
                        this, or refuses if the state or configuration moved.
  -json                 Print the plan as JSON (format_version 1.0).
  -detailed-exitcode    Exit 0 with no changes, 1 on error, 2 with changes.
  -destroy              Plan to destroy everything the state records.
  -replace=ADDR         Replace a resource, or re-run every task of a job
                        (job.NAME); repeatable.
  -target=ADDR          Plan only ADDR and what it depends on; repeatable.
  -refresh=false        Use the recorded state without reading resources.
` + configFlagsHelp + "\n" + stateFlagsHelp + "\n"

// planFlags are plan's options, shared with apply and destroy.
type planFlags struct {
	configFlags
	stateFlags
	replace, target multiFlag
	refresh         bool
	destroy         bool
}

func (p *planFlags) register(fs *flag.FlagSet) {
	p.configFlags.register(fs)
	p.stateFlags.register(fs, true)
	fs.Var(&p.replace, "replace", "")
	fs.Var(&p.target, "target", "")
	fs.BoolVar(&p.refresh, "refresh", true, "")
}

func (p *planFlags) options() plan.Options {
	return plan.Options{Destroy: p.destroy, Refresh: p.refresh, Targets: p.target, Replace: p.replace}
}

// multiFlag collects a repeatable string option.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runPlan(ctx context.Context, env *Env, args []string) int {
	fs := newFlags("plan")
	var pf planFlags
	pf.register(fs)
	fs.BoolVar(&pf.destroy, "destroy", false, "")
	out := fs.String("out", "", "")
	asJSON := fs.Bool("json", false, "")
	detailed := fs.Bool("detailed-exitcode", false, "")
	if code, ok := parse(env, fs, planHelp, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "Error: plan takes no arguments (got %q); to plan another directory, use lithops -chdir=DIR plan\n", fs.Arg(0))
		return 1
	}
	s := openSession(ctx, env, &pf.configFlags, &pf.stateFlags, "plan", nil)
	if s == nil {
		return 1
	}
	defer s.close()
	p, diags := s.planner.Plan(ctx, pf.options())
	if printDiags(env, s.cfg, diags, pf.color(env)) {
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(views.PlanJSON(p, Version), "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		views.WritePlan(env.Stdout, p, views.PlanOptions{Color: pf.color(env)})
	}
	if *out != "" {
		if err := savePlan(env, s, p, &pf, env.path(*out)); err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		if !*asJSON {
			fmt.Fprintf(env.Stdout, "\nSaved the plan to %s. To perform exactly these actions, run:\n  lithops apply %s\n", *out, *out)
		}
	}
	if *detailed && p.HasChanges() {
		return 2
	}
	return 0
}

// savePlan writes a plan file.
func savePlan(env *Env, s *session, p *plan.Plan, pf *planFlags, path string) error {
	f := &plan.File{
		LithopsVersion: Version,
		Lineage:        p.Lineage,
		Serial:         p.Serial,
		ConfigDigest:   p.ConfigDigest,
		Variables:      map[string]plan.FileValue{},
		PlanDigest:     p.Digest(),
	}
	f.Options.Destroy, f.Options.Refresh = pf.destroy, pf.refresh
	f.Options.Targets, f.Options.Replace = pf.target, pf.replace
	for _, name := range sortedKeys(s.cfg.Values) {
		if s.cfg.Variables[name].Sensitive {
			f.Sensitive = append(f.Sensitive, name)
			continue
		}
		v, err := plan.EncodeValue(s.cfg.Values[name])
		if err != nil {
			return fmt.Errorf("save variable %s: %w", name, err)
		}
		f.Variables[name] = v
	}
	sort.Strings(f.Sensitive)
	b, err := json.Marshal(views.PlanJSON(p, Version))
	if err != nil {
		return err
	}
	f.Plan = b
	var text strings.Builder
	views.WritePlan(&text, p, views.PlanOptions{})
	f.Text = text.String()
	return plan.WriteFile(path, f)
}

// fixedValues decodes a saved plan's variables.
func fixedValues(f *plan.File) (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	for name, fv := range f.Variables {
		v, err := fv.Decode()
		if err != nil {
			return nil, fmt.Errorf("variable %s in the plan file: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}
