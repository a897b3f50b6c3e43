package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/plan"
	"lithops/sched"
	"lithops/state"
)

// DefaultInlineLimit is the largest task output recorded in the state
// itself; larger outputs go to the job's storage and the state refers to
// them.
const DefaultInlineLimit = 64 << 10

// Engine carries out plans. Its fields are its dependencies; nothing is
// global.
type Engine struct {
	Planner *plan.Planner
	// Journal records every completed step; Commit folds it into the state.
	Journal  *state.Journal
	Observer Observer
	// Parallelism bounds concurrent resource operations (default 10).
	Parallelism int
	// OpenExecutor opens the dispatcher of an executor address
	// ("executor.local"), once its resources exist; resources holds their
	// current state, by name within the block (`bootstrap["10.0.0.5"]`).
	OpenExecutor func(ctx context.Context, addr string, resources map[string]cty.Value) (sched.Dispatcher, error)
	// OpenStore opens a storage by name ("" is the implicit local storage)
	// and says where lithops keeps its objects there.
	OpenStore func(ctx context.Context, name string) (objstore.Store, objstore.Layout, error)
	// InlineLimit overrides DefaultInlineLimit.
	InlineLimit int64
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Backoff overrides the retry backoff of every job (tests).
	Backoff *sched.Backoff
	// Replace holds the -replace addresses, for jobs expanded during apply.
	Replace map[string]bool

	mu          sync.Mutex
	dispatchers map[string]*sharedDispatcher
	opening     map[string]*opening // executors being opened, by address
	failedBlock map[string]string   // block address -> why its resources failed
	// current is every resource's state as this apply leaves it, by address.
	current map[string]currentResource
}

type currentResource struct {
	block string
	value cty.Value
}

// Result is what Apply did.
type Result struct {
	Added, Changed, Destroyed int
	JobsRan                   int
	Tasks, Retried, Failed    int
	Stopped                   bool
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) emit(ev Event) {
	if e.Observer != nil {
		e.Observer.Observe(ev)
	}
}

// Apply carries out p: resource changes (creations and updates in
// dependency order with bounded parallelism, deletions last in reverse
// order), then jobs in dependency order, then outputs. Every completed step
// is in the journal before the next begins. Cancelling ctx stops gracefully:
// nothing new starts, running tasks are stopped, and what finished is kept.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan) (Result, error) {
	start := e.now()
	e.dispatchers = map[string]*sharedDispatcher{}
	e.failedBlock = map[string]string{}
	e.current = map[string]currentResource{}
	for _, rc := range p.Resources {
		if rc.Action == plan.NoOp {
			e.current[rc.Addr] = currentResource{block: rc.Block, value: rc.Before}
		}
	}
	var res Result
	// The first Ctrl-C cancels ctx: say so while work winds down.
	stopWatch, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			e.emit(Stopping{Time: e.now()})
		case <-stopWatch:
		}
	}()
	// Creations and updates first, then jobs (which run on what was
	// created, and remove the results of jobs that left), then deletions:
	// a storage is destroyed only after the job results in it are gone.
	resErr := e.applyChanges(ctx, p, &res)
	var jobErr, delErr error
	if ctx.Err() == nil {
		jobErr = e.applyJobs(ctx, p, &res)
	}
	e.closeDispatchers()
	if ctx.Err() == nil {
		delErr = e.applyDeletes(ctx, p, &res)
	}
	var outErr error
	if ctx.Err() == nil && !p.Destroy && !p.Targeted {
		outErr = e.applyOutputs(p)
	}
	if p.Destroy {
		if err := e.Journal.SetOutputs(map[string]state.Output{}); err != nil && outErr == nil {
			outErr = err
		}
	}
	close(stopWatch)
	<-watched
	res.Stopped = ctx.Err() != nil
	err := errors.Join(resErr, jobErr, delErr, outErr)
	fin := Finished{
		Time: e.now(), Operation: "apply", Added: res.Added, Changed: res.Changed, Destroyed: res.Destroyed,
		JobsRan: res.JobsRan, Tasks: res.Tasks, Retried: res.Retried, Failed: res.Failed,
		Elapsed: e.now().Sub(start), Stopped: res.Stopped,
	}
	if p.Destroy {
		fin.Operation = "destroy"
	}
	if err != nil {
		fin.Err = err.Error()
	}
	if err == nil && !res.Stopped && !p.Destroy {
		fin.Outputs = e.outputValues(p)
	}
	e.emit(fin)
	return res, err
}

// outputValues renders the root outputs for the final event.
func (e *Engine) outputValues(p *plan.Plan) []OutputValue {
	var out []OutputValue
	cfg := e.Planner.Config
	for _, name := range sortedKeys(cfg.Outputs) {
		v, diags := e.Planner.Evaluator().OutputValue(name)
		if diags.HasErrors() {
			continue
		}
		ov := OutputValue{Name: name, Sensitive: cfg.Outputs[name].Sensitive}
		if ov.Sensitive {
			ov.Value = "(sensitive value)"
		} else {
			ov.Value = RenderValue(v)
		}
		out = append(out, ov)
	}
	return out
}

// applyOutputs evaluates the outputs and records them.
func (e *Engine) applyOutputs(p *plan.Plan) error {
	cfg := e.Planner.Config
	outs := map[string]state.Output{}
	var errs []error
	for _, name := range sortedKeys(cfg.Outputs) {
		v, diags := e.Planner.Evaluator().OutputValue(name)
		if diags.HasErrors() {
			errs = append(errs, fmt.Errorf("output %s: %s", name, diags.Error()))
			continue
		}
		if !v.IsWhollyKnown() {
			continue // a job it needs did not finish
		}
		o, err := plan.EncodeOutput(v, cfg.Outputs[name].Sensitive)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", name, err))
			continue
		}
		outs[name] = o
	}
	if err := e.Journal.SetOutputs(outs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RenderValue renders a value for people, in HCL syntax.
func RenderValue(v cty.Value) string {
	return renderValue(v)
}

// providerBlocked reports why a block's resources are unusable, if they are.
func (e *Engine) blocked(block string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failedBlock[block]
}

// setCurrent records a resource's state after a change; a null value
// removes it.
func (e *Engine) setCurrent(rc *plan.ResourceChange, v cty.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v == cty.NilVal || v.IsNull() {
		delete(e.current, rc.Addr)
		return
	}
	e.current[rc.Addr] = currentResource{block: rc.Block, value: v}
}

// blockResources returns the current state of a block's resources, by name
// within the block.
func (e *Engine) blockResources(block string) map[string]cty.Value {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]cty.Value{}
	for addr, r := range e.current {
		if r.block == block {
			out[strings.TrimPrefix(strings.TrimPrefix(addr, block), ".")] = r.value
		}
	}
	return out
}

func (e *Engine) markFailed(block, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.failedBlock[block]; !ok {
		e.failedBlock[block] = why
	}
}

// resourceState is the state record of a resource after a change. Besides
// the attributes its schema marks sensitive, it leaves out those whose
// configured value came from a sensitive variable.
func resourceState(rc *plan.ResourceChange, v cty.Value, status state.Status) (state.Resource, error) {
	attrs, err := plan.EncodeAttrs(v, rc.Schema)
	if err != nil {
		return state.Resource{}, fmt.Errorf("record %s: %w", rc.Addr, err)
	}
	if names := markedAttrs(rc.After); len(names) > 0 {
		if attrs, err = state.ScrubAttributes(attrs, names); err != nil {
			return state.Resource{}, fmt.Errorf("record %s: %w", rc.Addr, err)
		}
	}
	return state.Resource{Addr: rc.Addr, Type: rc.Type, Block: rc.Block, Status: status, Attributes: attrs, Dependencies: rc.DependsOn}, nil
}

// markedAttrs names the attributes of an object that carry marks.
func markedAttrs(v cty.Value) []string {
	if v == cty.NilVal || v.IsNull() || !v.Type().IsObjectType() || !v.IsKnown() {
		return nil
	}
	var out []string
	for name, av := range v.AsValueMap() {
		if _, marks := av.UnmarkDeep(); len(marks) > 0 {
			out = append(out, name)
		}
	}
	return out
}
