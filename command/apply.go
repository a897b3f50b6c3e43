package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"lithops/apply"
	"lithops/hcl"
	"lithops/plan"
	"lithops/providers"
	"lithops/sched"
	"lithops/state"
	"lithops/tui"
	"lithops/views"
)

const applyHelp = `apply [options] [PLANFILE]

Create, update and destroy resources as the plan says, then run the jobs
that have tasks to run, then record the outputs. Without PLANFILE, apply
first shows the plan and asks for "yes". With a PLANFILE saved by
"lithops plan -out", it does exactly that plan, or refuses if the state,
the configuration or the inputs changed since.

On a terminal, progress shows in a live view; without one (or with -no-tui,
or when CI is set) it prints plain lines. The first Ctrl-C (or q) stops
gracefully: no new task starts, running tasks are stopped, finished work is
recorded. A second Ctrl-C exits at once; the journal keeps what finished.

Options:
  -auto-approve         Do not ask for approval.
  -parallelism=N        Change at most N resources at once (default 10).
  -no-tui               Print plain progress lines even on a terminal.
  -json                 Print one JSON event per line (needs -auto-approve
                        or a PLANFILE). See docs/JSON-EVENTS.md.
  -replace=ADDR         Replace a resource, or re-run every task of a job.
  -target=ADDR          Apply only ADDR and what it depends on.
  -refresh=false        Use the recorded state without reading resources.
` + configFlagsHelp + "\n" + stateFlagsHelp + "\n"

const destroyHelp = `destroy [options]

Destroy everything the state records: every resource, and the recorded
results of every job (in the state and in storage). It shows the plan first
and asks for "yes".

Options:
  -auto-approve         Do not ask for approval.
  -parallelism=N        Destroy at most N resources at once (default 10).
  -no-tui               Print plain progress lines even on a terminal.
  -json                 Print one JSON event per line (needs -auto-approve).
  -target=ADDR          Destroy only ADDR and what depends on it.
` + configFlagsHelp + "\n" + stateFlagsHelp + "\n"

func runApply(ctx context.Context, env *Env, args []string) int {
	return applyOrDestroy(ctx, env, args, false)
}

func runDestroy(ctx context.Context, env *Env, args []string) int {
	return applyOrDestroy(ctx, env, args, true)
}

func applyOrDestroy(ctx context.Context, env *Env, args []string, destroy bool) int {
	name, help := "apply", applyHelp
	if destroy {
		name, help = "destroy", destroyHelp
	}
	fs := newFlags(name)
	var pf planFlags
	pf.register(fs)
	autoApprove := fs.Bool("auto-approve", false, "")
	parallelism := fs.Int("parallelism", 10, "")
	noTUI := fs.Bool("no-tui", false, "")
	asJSON := fs.Bool("json", false, "")
	if code, ok := parse(env, fs, help, args); !ok {
		return code
	}
	pf.destroy = destroy
	if *parallelism < 1 {
		fmt.Fprintln(env.Stderr, "Error: -parallelism must be at least 1")
		return 1
	}
	var saved *plan.File
	switch {
	case fs.NArg() > 1 || (destroy && fs.NArg() > 0):
		fmt.Fprintf(env.Stderr, "Error: %s takes at most one argument, a saved plan file\n", name)
		return 1
	case fs.NArg() == 1:
		f, err := plan.ReadFile(env.path(fs.Arg(0)))
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		saved = f
		pf.destroy, pf.refresh = f.Options.Destroy, f.Options.Refresh
		pf.target, pf.replace = f.Options.Targets, f.Options.Replace
	}
	if *asJSON && !*autoApprove && saved == nil {
		fmt.Fprintf(env.Stderr, "Error: -json needs -auto-approve (or a saved plan): a JSON stream cannot ask for approval\n")
		return 1
	}
	var fixed map[string]cty.Value
	if saved != nil {
		var err error
		if fixed, err = fixedValues(saved); err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
	}
	op := name
	s := openSession(ctx, env, &pf.configFlags, &pf.stateFlags, op, fixed)
	if s == nil {
		return 1
	}
	defer s.close()
	color := pf.color(env)

	p, diags := s.planner.Plan(ctx, pf.options())
	if printDiags(env, s.cfg, diags, color) {
		return 1
	}
	if saved != nil {
		if err := checkSaved(saved, p); err != nil {
			fmt.Fprintf(env.Stderr, "Error: saved plan is stale: %s\n\nMake a new plan with lithops plan -out=FILE and apply that.\n", err)
			return 1
		}
	} else if !*asJSON {
		views.WritePlan(env.Stdout, p, views.PlanOptions{Color: color})
	}
	if !p.HasChanges() {
		if *asJSON {
			obs := views.NewJSON(views.JSONOptions{Out: env.Stdout, Version: Version})
			obs.Start()
			obs.Observe(apply.Finished{Operation: op})
		}
		return 0
	}
	if saved == nil && !*autoApprove {
		ok, err := views.Approve(ctx, views.Approval{In: env.Stdin, Out: env.Stdout, Operation: op, Color: color})
		switch {
		case err != nil:
			fmt.Fprintf(env.Stderr, "Error: no approval: %s. Answer \"yes\", or pass -auto-approve.\n", err)
			return 1
		case !ok:
			fmt.Fprintf(env.Stdout, "%s cancelled.\n", strings.ToUpper(op[:1])+op[1:])
			return 1
		}
	}

	s.st.LithopsVersion = Version
	journal, err := state.OpenJournal(s.statePath, s.st, state.JournalOptions{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		return 1
	}
	replace := map[string]bool{}
	for _, a := range pf.replace {
		replace[a] = true
	}
	applyCtx, stopApply := context.WithCancel(ctx)
	defer stopApply()
	eng := &apply.Engine{
		Planner:     s.planner,
		Journal:     journal,
		Parallelism: *parallelism,
		OpenStore:   s.openStore,
		Replace:     replace,
	}
	eng.OpenExecutor = func(ctx context.Context, addr string, resources map[string]cty.Value) (sched.Dispatcher, error) {
		return s.openExecutor(ctx, addr, resources, eng.Observer)
	}

	var applyErr error
	useTUI := env.StdoutTTY && !*noTUI && !*asJSON && env.Getenv("CI") == ""
	switch {
	case *asJSON:
		obs := views.NewJSON(views.JSONOptions{Out: env.Stdout, Version: Version})
		obs.Start()
		eng.Observer = obs
		_, applyErr = eng.Apply(applyCtx, p)
	case useTUI:
		var in io.Reader
		if env.StdinTTY {
			in = env.Stdin
		}
		ui := tui.New(tui.Options{
			Out: env.Stdout, In: in, Width: env.Width, Height: env.Height,
			Color: color, Operation: op, Stop: stopApply, Kill: env.Kill,
		})
		eng.Observer = ui
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, applyErr = eng.Apply(applyCtx, p)
		}()
		if err := ui.Run(applyCtx); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		}
		<-done
	default:
		obs := views.NewPlain(views.PlainOptions{Out: env.Stdout, Color: color})
		eng.Observer = obs
		tickCtx, stopTick := context.WithCancel(ctx)
		go obs.Run(tickCtx)
		_, applyErr = eng.Apply(applyCtx, p)
		stopTick()
	}
	if _, err := journal.Commit(); err != nil {
		fmt.Fprintf(env.Stderr, "Error: recording the state: %s\nThe journal beside the state keeps what finished; the next lithops command folds it in.\n", err)
		return 1
	}
	if applyErr != nil || applyCtx.Err() != nil {
		return 1
	}
	return 0
}

// checkSaved refuses a saved plan whose state, configuration or changes
// moved since it was made.
func checkSaved(f *plan.File, p *plan.Plan) error {
	switch {
	case f.Lineage != "" && f.Lineage != p.Lineage:
		return fmt.Errorf("it was made for another state (lineage %s, now %s)", f.Lineage, p.Lineage)
	case f.Serial != p.Serial:
		return fmt.Errorf("the state changed since it was made (serial %d, now %d)", f.Serial, p.Serial)
	case f.ConfigDigest != p.ConfigDigest:
		return fmt.Errorf("the configuration files changed since it was made")
	case f.PlanDigest != p.Digest():
		return fmt.Errorf("planning again gives a different plan: job inputs or resources changed since it was made")
	}
	return nil
}

// openExecutor opens the dispatcher of an executor address once its
// resources exist.
func (s *session) openExecutor(ctx context.Context, addr string, resources map[string]cty.Value, obs apply.Observer) (sched.Dispatcher, error) {
	name := strings.TrimPrefix(addr, "executor.")
	var (
		backend providers.ExecutorBackend
		body    cty.Value
		storage string
	)
	if e := s.cfg.Executors[name]; e != nil {
		backend = s.env.Registry.Executors[e.Backend]
		v, d := s.planner.Evaluator().Body(e.Body, backend.Spec())
		if d.HasErrors() {
			return nil, d
		}
		body, storage = v, e.Storage
	} else if name == hcl.ImplicitExecutorName {
		backend = s.env.Registry.Executors["localhost"]
		if backend == nil {
			return nil, fmt.Errorf("this build has no localhost executor")
		}
		body = cty.NullVal(cty.DynamicPseudoType)
	} else {
		return nil, fmt.Errorf("no executor %q is declared", name)
	}
	req := providers.OpenExecutorRequest{Name: name, Body: body, Resources: resources, OpenStore: s.openStoreOnly, DescribeStorage: s.describeStorage}
	if storage != "" {
		st, layout, err := s.openStore(ctx, storage)
		if err != nil {
			return nil, err
		}
		req.Storage, req.StorageName, req.Layout = st, storage, layout
	}
	if obs != nil {
		req.Hosts = func(h providers.HostEvent) {
			obs.Observe(apply.HostChanged{Executor: addr, Host: h.Host, State: apply.HostState(h.State), Slots: h.Slots, Detail: h.Detail})
		}
	}
	resp, err := backend.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.Dispatcher, nil
}
