package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"lithops/plan"
	"lithops/providers"
	"lithops/state"
)

// applyChanges runs the creations, updates and replacements in dependency
// order, at most Parallelism at a time. A failed change skips what depends
// on it; the rest goes on.
func (e *Engine) applyChanges(ctx context.Context, p *plan.Plan, res *Result) error {
	var changes []*plan.ResourceChange
	for _, rc := range p.Resources {
		switch rc.Action {
		case plan.Create, plan.Update, plan.Replace:
			changes = append(changes, rc)
		}
	}
	return e.runGraph(ctx, changes, false, res)
}

// applyDeletes runs the deletions last, in reverse dependency order.
func (e *Engine) applyDeletes(ctx context.Context, p *plan.Plan, res *Result) error {
	var deletes []*plan.ResourceChange
	for _, rc := range p.Resources {
		if rc.Action == plan.Delete {
			deletes = append(deletes, rc)
		}
	}
	return e.runGraph(ctx, deletes, true, res)
}

// runGraph runs changes whose dependencies (among the given changes) are
// done; reverse runs dependents first (for deletion).
func (e *Engine) runGraph(ctx context.Context, changes []*plan.ResourceChange, reverse bool, res *Result) error {
	if len(changes) == 0 {
		return nil
	}
	par := e.Parallelism
	if par <= 0 {
		par = 10
	}
	byAddr := map[string]*plan.ResourceChange{}
	for _, rc := range changes {
		byAddr[rc.Addr] = rc
	}
	// waits[a] are the changes a must wait for.
	waits := map[string][]string{}
	for _, rc := range changes {
		for _, d := range rc.DependsOn {
			if byAddr[d] == nil {
				continue
			}
			if reverse {
				waits[d] = append(waits[d], rc.Addr)
			} else {
				waits[rc.Addr] = append(waits[rc.Addr], d)
			}
		}
	}
	var (
		mu     sync.Mutex
		done   = map[string]chan struct{}{}
		failed = map[string]bool{}
		errs   []error
		sem    = make(chan struct{}, par)
		wg     sync.WaitGroup
	)
	for _, rc := range changes {
		done[rc.Addr] = make(chan struct{})
	}
	for _, rc := range changes {
		wg.Add(1)
		go func(rc *plan.ResourceChange) {
			defer wg.Done()
			defer close(done[rc.Addr])
			for _, w := range waits[rc.Addr] {
				<-done[w]
				mu.Lock()
				f := failed[w]
				mu.Unlock()
				if f {
					mu.Lock()
					failed[rc.Addr] = true
					mu.Unlock()
					e.markFailed(rc.Block, fmt.Sprintf("%s was not changed because %s failed", rc.Addr, w))
					return
				}
			}
			if ctx.Err() != nil {
				mu.Lock()
				failed[rc.Addr] = true
				mu.Unlock()
				return
			}
			sem <- struct{}{}
			err := e.applyOne(ctx, rc, res, &mu)
			<-sem
			if err != nil {
				mu.Lock()
				failed[rc.Addr] = true
				errs = append(errs, err)
				mu.Unlock()
				e.markFailed(rc.Block, err.Error())
			}
		}(rc)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// applyOne carries out one change and records it.
func (e *Engine) applyOne(ctx context.Context, rc *plan.ResourceChange, res *Result, mu *sync.Mutex) error {
	action := map[plan.Action]Action{plan.Create: ActionCreate, plan.Update: ActionUpdate, plan.Replace: ActionReplace, plan.Delete: ActionDelete}[rc.Action]
	start := e.now()
	e.emit(ResourceStarted{Time: start, Addr: rc.Addr, Action: action})
	err := e.change(ctx, rc)
	fin := ResourceFinished{Time: e.now(), Addr: rc.Addr, Action: action, Elapsed: e.now().Sub(start)}
	if err != nil {
		fin.Err = err.Error()
	}
	e.emit(fin)
	if err != nil {
		return err
	}
	mu.Lock()
	switch rc.Action {
	case plan.Create:
		res.Added++
	case plan.Update:
		res.Changed++
	case plan.Replace:
		res.Added++
		res.Destroyed++
	case plan.Delete:
		res.Destroyed++
	}
	mu.Unlock()
	return nil
}

func (e *Engine) change(ctx context.Context, rc *plan.ResourceChange) error {
	r := rc.Resource
	record := func(v cty.Value, status state.Status) error {
		sr, err := resourceState(rc, v, status)
		if err != nil {
			return err
		}
		if err := e.Journal.SetResource(sr); err != nil {
			return err
		}
		if status == state.StatusReady {
			e.setCurrent(rc, v)
		}
		return nil
	}
	create := func() error {
		resp, err := r.Create(ctx, providers.CreateRequest{Addr: rc.Addr, Planned: unmark(rc.After), Uses: e.usedValues(rc)})
		if err != nil {
			// What was created half-way is recorded, tainted, so the next
			// plan replaces it and nothing leaks.
			if resp.State != cty.NilVal && !resp.State.IsNull() {
				if rerr := record(resp.State, state.StatusTainted); rerr != nil {
					return errors.Join(fmt.Errorf("create %s: %w", rc.Addr, err), rerr)
				}
			}
			return fmt.Errorf("create %s: %w", rc.Addr, err)
		}
		return record(resp.State, state.StatusReady)
	}
	switch rc.Action {
	case plan.Create:
		return create()
	case plan.Update:
		u, ok := r.(providers.Updater)
		if !ok {
			return fmt.Errorf("update %s: its type %s cannot be updated in place", rc.Addr, rc.Type)
		}
		resp, err := u.Update(ctx, providers.UpdateRequest{Addr: rc.Addr, Prior: unmark(rc.Before), Planned: unmark(rc.After), Uses: e.usedValues(rc)})
		if err != nil {
			if resp.State != cty.NilVal && !resp.State.IsNull() {
				record(resp.State, state.StatusTainted)
			}
			return fmt.Errorf("update %s: %w", rc.Addr, err)
		}
		return record(resp.State, state.StatusReady)
	case plan.Replace:
		if !rc.Before.IsNull() {
			if _, err := r.Delete(ctx, providers.DeleteRequest{Addr: rc.Addr, State: unmark(rc.Before)}); err != nil {
				return fmt.Errorf("replace %s: delete the old one: %w", rc.Addr, err)
			}
		}
		if err := e.Journal.DeleteResource(rc.Addr); err != nil {
			return err
		}
		e.setCurrent(rc, cty.NilVal)
		return create()
	case plan.Delete:
		if !rc.Drift {
			if _, err := r.Delete(ctx, providers.DeleteRequest{Addr: rc.Addr, State: unmark(rc.Before)}); err != nil {
				return fmt.Errorf("destroy %s: %w", rc.Addr, err)
			}
		}
		e.setCurrent(rc, cty.NilVal)
		return e.Journal.DeleteResource(rc.Addr)
	}
	return nil
}

// usedValues is the current state of the resources rc uses, by name within
// its block; apply runs rc only after they succeeded.
func (e *Engine) usedValues(rc *plan.ResourceChange) map[string]cty.Value {
	if len(rc.Uses) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]cty.Value, len(rc.Uses))
	for _, addr := range rc.Uses {
		if r, ok := e.current[addr]; ok {
			out[strings.TrimPrefix(strings.TrimPrefix(addr, rc.Block), ".")] = unmark(r.value)
		}
	}
	return out
}

func unmark(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	return v
}
