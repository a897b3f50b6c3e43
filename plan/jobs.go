package plan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"lithops/hcl"
	"lithops/objstore"
	"lithops/partition"
	"lithops/sched"
	"lithops/state"
)

// ImplicitExecutor is the address jobs that name no executor run on.
const ImplicitExecutor = "executor." + hcl.ImplicitExecutorName

// planJobs plans every job in dependency order.
func (p *Planner) planJobs(ctx context.Context, pl *Plan, opts Options) ([]*JobPlan, hcl2.Diagnostics) {
	var (
		out   []*JobPlan
		diags hcl2.Diagnostics
	)
	if opts.Destroy {
		for _, name := range sortedKeys(p.State.Jobs) {
			out = append(out, &JobPlan{Name: name, Status: JobRemove, Total: p.State.Jobs[name].Len()})
		}
		return filterJobTargets(out, opts.Targets, p.Config), nil
	}
	replace := map[string]bool{}
	for _, a := range opts.Replace {
		if name, ok := strings.CutPrefix(a, "job."); ok {
			replace[name] = true
		}
	}
	status := map[string]JobStatus{}
	for _, name := range p.JobOrder() {
		var jp *JobPlan
		if dep := p.pendingDep(name, status); dep != "" {
			jp = p.jobHeader(name)
			jp.Status = JobUnknown
			jp.Reason = fmt.Sprintf("it depends on job.%s, which will run first", dep)
		} else {
			var more hcl2.Diagnostics
			jp, more = p.ExpandJob(ctx, name, replace[name])
			diags = append(diags, more...)
			if more.HasErrors() {
				continue
			}
			if jp.Status == JobUpToDate {
				diags = append(diags, p.LoadResults(ctx, jp)...)
			}
		}
		status[name] = jp.Status
		out = append(out, jp)
	}
	for _, name := range sortedKeys(p.State.Jobs) {
		if _, ok := p.Config.Jobs[name]; !ok {
			out = append(out, &JobPlan{Name: name, Status: JobRemove, Reason: "it is no longer in the configuration", Total: p.State.Jobs[name].Len()})
		}
	}
	return filterJobTargets(out, opts.Targets, p.Config), diags
}

// pendingDep returns a job this one depends on that will run, if any.
func (p *Planner) pendingDep(name string, status map[string]JobStatus) string {
	for _, d := range p.Config.JobDeps(name) {
		if s := status[d]; s == JobRun || s == JobUnknown {
			return d
		}
	}
	return ""
}

// JobOrder returns the configuration's jobs in dependency order, ties broken
// by name.
func (p *Planner) JobOrder() []string {
	var (
		out  []string
		done = map[string]bool{}
	)
	var visit func(string)
	visit = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		for _, d := range p.Config.JobDeps(n) {
			if p.Config.Jobs[d] != nil {
				visit(d)
			}
		}
		out = append(out, n)
	}
	for _, n := range sortedKeys(p.Config.Jobs) {
		visit(n)
	}
	return out
}

// filterJobTargets keeps targeted jobs and the jobs they depend on.
func filterJobTargets(jobs []*JobPlan, targets []string, cfg interface{ JobDeps(string) []string }) []*JobPlan {
	if len(targets) == 0 {
		return jobs
	}
	keep := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if keep[n] {
			return
		}
		keep[n] = true
		for _, j := range jobs {
			if j.Name == n && j.Status != JobRemove {
				for _, d := range cfg.JobDeps(n) {
					mark(d)
				}
			}
		}
	}
	for _, t := range targets {
		if name, ok := strings.CutPrefix(t, "job."); ok {
			mark(name)
		}
	}
	var out []*JobPlan
	for _, j := range jobs {
		if keep[j.Name] {
			out = append(out, j)
		}
	}
	return out
}

// jobHeader fills what a job plan shows whatever its status.
func (p *Planner) jobHeader(name string) *JobPlan {
	j := p.Config.Jobs[name]
	jp := &JobPlan{Name: name, Executor: ImplicitExecutor, DependsOn: p.Config.JobDeps(name)}
	if j.Executor != "" {
		jp.Executor = "executor." + j.Executor
	}
	if j.Storage != "" {
		jp.Storage = "storage." + j.Storage
	} else if j.Executor != "" && p.Config.Executors[j.Executor] != nil && p.Config.Executors[j.Executor].Storage != "" {
		jp.Storage = "storage." + p.Config.Executors[j.Executor].Storage
	}
	if j.Map != nil && j.Map.Command != nil {
		jp.Command = p.sourceText(j.Map.Command.Range())
	}
	if j.Reduce != nil && j.Reduce.Command != nil {
		jp.Reduce = p.sourceText(j.Reduce.Command.Range())
	}
	return jp
}

func (p *Planner) sourceText(r hcl2.Range) string {
	f := p.Config.Files[r.Filename]
	if f == nil || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(f.Bytes[r.Start.Byte:r.End.Byte])
}

// ExpandJob evaluates a job into tasks and decides which of them can reuse a
// recorded output. force re-runs every task.
func (p *Planner) ExpandJob(ctx context.Context, name string, force bool) (*JobPlan, hcl2.Diagnostics) {
	j := p.Config.Jobs[name]
	jp := p.jobHeader(name)
	js, diags := p.ev.Job(name)
	if diags.HasErrors() {
		return jp, diags
	}
	jp.Spec, jp.Sensitive = js, js.Sensitive
	if js.Unknown {
		jp.Status, jp.Reason = JobUnknown, "its input depends on results known only after apply"
		return jp, diags
	}
	def, err := p.definitionDigest(js)
	if err != nil {
		return jp, append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot read job files", Detail: err.Error(), Subject: j.DeclRange.Ptr()})
	}
	jp.DefinitionDigest = def

	var more hcl2.Diagnostics
	switch {
	case js.Input != nil && js.Input.Path != "":
		more = p.fileTasks(ctx, j, js, jp)
	case js.Input != nil:
		more = p.objectTasks(ctx, j, js, jp)
	default:
		more = p.itemTasks(j, js, jp)
	}
	diags = append(diags, more...)
	if diags.HasErrors() || jp.Status == JobUnknown {
		return jp, diags
	}

	prior := p.State.Jobs[name]
	reuse := !force && js.Rerun != "always"
	for _, t := range jp.Tasks {
		if !reuse {
			continue
		}
		if rec, ok := p.State.Cached(name, def, t.Digest); ok {
			rec := rec
			rec.Index = t.Task.Index
			t.Cached = &rec
		}
	}
	jp.Total = len(jp.Tasks)
	for _, t := range jp.Tasks {
		if t.Cached != nil {
			jp.Cached++
		} else {
			jp.ToRun++
		}
	}
	if js.Reduce != nil {
		jp.ReduceTask = &TaskPlan{Task: sched.Task{Index: 0, Key: "reduce", Argv: js.Reduce.Argv, Env: taskEnv(name, -1, "", js.Env, js.Reduce.Env), Timeout: js.Timeout}}
		if jp.ToRun == 0 {
			digests := make([]string, len(jp.Tasks))
			for i, t := range jp.Tasks {
				digests[i] = t.Cached.Output.Digest
			}
			jp.ReduceTask.Digest = ReduceDigest(def, js, digests)
			if reuse && prior != nil && prior.Reduce != nil && prior.DefinitionDigest == def && prior.Reduce.InputDigest == jp.ReduceTask.Digest && prior.Reduce.OK() {
				rec := *prior.Reduce
				jp.ReduceTask.Cached = &rec
			}
		}
		jp.ReduceRuns = jp.ReduceTask.Cached == nil
	}
	switch {
	case jp.ToRun == 0 && !jp.ReduceRuns:
		jp.Status = JobUpToDate
	default:
		jp.Status = JobRun
		switch {
		case force:
			jp.Reason = "re-run of every task requested with -replace"
		case js.Rerun == "always":
			jp.Reason = `rerun = "always"`
		case prior == nil:
			jp.Reason = "it has not run before"
		case prior.DefinitionDigest != def:
			jp.Reason = "its definition changed (env, files, output or runtime)"
		case jp.ToRun == 0:
			jp.Reason = "its reduce has not run on these map outputs"
		case !prior.Complete:
			jp.Reason = "its last run did not finish"
		default:
			jp.Reason = fmt.Sprintf("%d of %d tasks have new or changed inputs", jp.ToRun, jp.Total)
		}
	}
	return jp, diags
}

// definitionDigest covers what every task of a job shares.
func (p *Planner) definitionDigest(js *hcl.JobSpec) (string, error) {
	d := newDigester("job").kv(js.Env).str(js.Output)
	for _, f := range js.Files {
		fd, ok, err := p.Hasher.File(f.Source)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("job.%s: file %s does not exist or is not a regular file", js.Name, f.Source)
		}
		d.str(f.Name).str(fd)
	}
	if js.Runtime != "" {
		body, diags := p.ev.Runtime(js.Runtime)
		if diags.HasErrors() {
			return "", fmt.Errorf("runtime.%s: %s", js.Runtime, diags.Error())
		}
		rd, err := p.runtimeDigest(js.Runtime, body)
		if err != nil {
			return "", err
		}
		d.str(rd)
	}
	return d.sum(), nil
}

// ReduceDigest covers a reduce's command and the map outputs it reads, by
// their digests in task order.
func ReduceDigest(def string, js *hcl.JobSpec, outputs []string) string {
	return newDigester("reduce").str(def).strs(js.Reduce.Argv).kv(js.Reduce.Env).str(js.Reduce.Output).strs(outputs).sum()
}

// taskEnv builds a task's extra environment.
func taskEnv(job string, index int, item string, envs ...map[string]string) []string {
	env := []string{"LITHOPS_JOB=" + job}
	if index >= 0 {
		env = append(env, "LITHOPS_TASK_INDEX="+strconv.Itoa(index), "LITHOPS_ITEM="+item)
	}
	for _, m := range envs {
		for _, k := range sortedKeys(m) {
			env = append(env, k+"="+m[k])
		}
	}
	return env
}

// itemTasks makes one task per element of `over`.
func (p *Planner) itemTasks(j *hcl.Job, js *hcl.JobSpec, jp *JobPlan) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	jp.Tasks = make([]*TaskPlan, 0, len(js.Items))
	for i, it := range js.Items {
		tc, more := p.ev.MapTask(j, it)
		if more.HasErrors() {
			return append(diags, more...)
		}
		if len(tc.Argv) == 0 {
			jp.Status, jp.Reason = JobUnknown, "its command depends on results known only after apply"
			return diags
		}
		item, err := itemJSON(it.Value)
		if err != nil {
			return append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Invalid map item", Detail: fmt.Sprintf("Item %s cannot be given to the task as JSON: %s.", it.KeyString(), err), Subject: j.Map.Over.Range().Ptr()})
		}
		files, err := p.Hasher.argFiles(p.Config.Dir, tc.Argv)
		if err != nil {
			return append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: "Cannot read task input", Detail: err.Error(), Subject: j.Map.Command.Range().Ptr()})
		}
		digest := newDigester("task").str(jp.DefinitionDigest).strs(tc.Argv).kv(tc.Env).str(item).strs(files).sum()
		jp.Tasks = append(jp.Tasks, &TaskPlan{
			Task: sched.Task{
				Index: i, Key: it.KeyString(), Argv: tc.Argv,
				Env: taskEnv(js.Name, i, item, js.Env, tc.Env), Timeout: js.Timeout,
			},
			Digest: digest,
			Item:   item,
		})
		if tc.Sensitive {
			jp.Sensitive = true
		}
	}
	return diags
}

// itemJSON renders each.value as JSON.
func itemJSON(v cty.Value) (string, error) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return "null", nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// chunkItem is each.value for a chunk of partitioned input.
func chunkItem(r sched.Range, part, parts int, extra map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{
		"offset": cty.NumberIntVal(r.Offset),
		"length": cty.NumberIntVal(r.Length),
		"size":   cty.NumberIntVal(r.Size),
		"part":   cty.NumberIntVal(int64(part)),
		"parts":  cty.NumberIntVal(int64(parts)),
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return cty.ObjectVal(attrs)
}

// fileTasks makes one task per chunk of a local file.
func (p *Planner) fileTasks(ctx context.Context, j *hcl.Job, js *hcl.JobSpec, jp *JobPlan) hcl2.Diagnostics {
	in := js.Input
	subject := j.Map.Input.DeclRange.Ptr()
	st, err := os.Stat(in.Path)
	if err != nil || !st.Mode().IsRegular() {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Input file not found", Detail: fmt.Sprintf("The input path %s is not a readable regular file.", in.Path), Subject: subject}}
	}
	ranges, err := partition.Plan(in.Path, st.Size(), in.ChunkSize, in.ChunkCount, in.Newline)
	if err != nil {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Cannot split input", Detail: err.Error(), Subject: subject}}
	}
	fileDigest, _, err := p.Hasher.File(in.Path)
	if err != nil {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Cannot read input", Detail: err.Error(), Subject: subject}}
	}
	// Each chunk's digest is its content's, so editing one part of a file
	// re-runs only the chunks whose bytes changed. Chunks are hashed in
	// parallel, and only when the file's content changed since the last
	// plan of this process.
	digests, err := p.chunkDigests(ctx, in.Path, fileDigest, ranges)
	if err != nil {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Cannot read input", Detail: err.Error(), Subject: subject}}
	}
	items := make([]hcl.Item, len(ranges))
	for i, r := range ranges {
		items[i] = hcl.Item{Key: cty.NumberIntVal(int64(i)), Value: chunkItem(r, i, len(ranges), map[string]cty.Value{"path": cty.StringVal(in.Path)})}
	}
	return p.chunkTasks(j, js, jp, ranges, items, digests, false)
}

// chunkTasks makes the tasks of partitioned input.
func (p *Planner) chunkTasks(j *hcl.Job, js *hcl.JobSpec, jp *JobPlan, ranges []sched.Range, items []hcl.Item, digests []string, object bool) hcl2.Diagnostics {
	jp.Tasks = make([]*TaskPlan, 0, len(ranges))
	for i, r := range ranges {
		tc, diags := p.ev.MapTask(j, items[i])
		if diags.HasErrors() {
			return diags
		}
		if len(tc.Argv) == 0 {
			jp.Status, jp.Reason = JobUnknown, "its command depends on results known only after apply"
			return nil
		}
		item, _ := itemJSON(items[i].Value)
		rng := r
		input := &sched.Input{File: &rng}
		if object {
			input = &sched.Input{Object: &rng}
		}
		digest := newDigester("chunk").str(jp.DefinitionDigest).strs(tc.Argv).kv(tc.Env).str(digests[i]).sum()
		jp.Tasks = append(jp.Tasks, &TaskPlan{
			Task: sched.Task{
				Index: i, Key: strconv.Itoa(i), Argv: tc.Argv, Stdin: input,
				Env: taskEnv(js.Name, i, item, js.Env, tc.Env), Timeout: js.Timeout,
			},
			Digest: digest,
			Item:   item,
		})
	}
	return nil
}

// chunkDigests hashes the content of each chunk of a local file.
func (p *Planner) chunkDigests(ctx context.Context, path, fileDigest string, ranges []sched.Range) ([]string, error) {
	out := make([]string, len(ranges))
	if len(ranges) == 1 && !ranges[0].Newline && ranges[0].Offset == 0 && ranges[0].Length == ranges[0].Size {
		out[0] = fileDigest
		return out, nil
	}
	src, err := partition.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	for range min(runtime.NumCPU(), len(ranges)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rc, err := partition.Open(ctx, src, ranges[i])
				if err == nil {
					out[i], err = digestReader(rc)
					rc.Close()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("chunk %d of %s: %w", i, path, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range ranges {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, firstErr
}

// objectTasks makes one task per chunk of each selected object.
func (p *Planner) objectTasks(ctx context.Context, j *hcl.Job, js *hcl.JobSpec, jp *JobPlan) hcl2.Diagnostics {
	in := js.Input
	subject := j.Map.Input.DeclRange.Ptr()
	fail := func(summary string, err error) hcl2.Diagnostics {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: summary, Detail: fmt.Sprintf("storage.%s: %s", in.Storage, err), Subject: subject}}
	}
	if p.OpenStore == nil {
		return fail("Cannot open storage", fmt.Errorf("this command cannot reach storages"))
	}
	store, err := p.OpenStore(ctx, in.Storage)
	if err != nil {
		return fail("Cannot open storage", err)
	}
	objects, err := selectObjects(ctx, store, in)
	if err != nil {
		return fail("Cannot list input objects", err)
	}
	var (
		ranges  []sched.Range
		items   []hcl.Item
		digests []string
	)
	for _, o := range objects {
		rs, err := partition.Plan(o.Key, o.Size, in.ChunkSize, in.ChunkCount, in.Newline)
		if err != nil {
			return fail("Cannot split input", err)
		}
		for part, r := range rs {
			r.Storage = in.Storage
			items = append(items, hcl.Item{
				Key: cty.NumberIntVal(int64(len(ranges))),
				Value: chunkItem(r, part, len(rs), map[string]cty.Value{
					"storage": cty.StringVal(in.Storage),
					"key":     cty.StringVal(o.Key),
					"etag":    cty.StringVal(o.ETag),
				}),
			})
			digests = append(digests, newDigester("object").str(o.Key).str(o.ETag).str(strconv.FormatInt(o.Size, 10)).
				str(strconv.FormatInt(r.Offset, 10)).str(strconv.FormatInt(r.Length, 10)).str(strconv.FormatBool(r.Newline)).sum())
			ranges = append(ranges, r)
		}
	}
	return p.chunkTasks(j, js, jp, ranges, items, digests, true)
}

// selectObjects lists the objects an input names: under a prefix, matching a
// glob, or by key.
func selectObjects(ctx context.Context, store objstore.Store, in *hcl.InputSpec) ([]objstore.ObjectInfo, error) {
	var out []objstore.ObjectInfo
	switch {
	case len(in.Keys) > 0:
		for _, k := range in.Keys {
			info, err := store.Head(ctx, k)
			if err != nil {
				return nil, fmt.Errorf("object %q: %w", k, err)
			}
			out = append(out, info)
		}
	case in.Glob != "":
		prefix := in.Glob
		if i := strings.IndexAny(prefix, "*?["); i >= 0 {
			prefix = prefix[:i]
		}
		err := store.List(ctx, prefix, func(o objstore.ObjectInfo) error {
			if ok, _ := path.Match(in.Glob, o.Key); ok {
				out = append(out, o)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	default:
		err := store.List(ctx, in.Prefix, func(o objstore.ObjectInfo) error {
			if !strings.HasSuffix(o.Key, "/") {
				out = append(out, o)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// LoadResults makes an up-to-date job's recorded outputs known to the
// expressions that use them.
func (p *Planner) LoadResults(ctx context.Context, jp *JobPlan) hcl2.Diagnostics {
	refs := make([]state.OutputRef, 0, len(jp.Tasks))
	for _, t := range jp.Tasks {
		if t.Cached == nil {
			return nil
		}
		refs = append(refs, t.Cached.Output)
	}
	var reduce *state.OutputRef
	if jp.ReduceTask != nil && jp.ReduceTask.Cached != nil {
		reduce = &jp.ReduceTask.Cached.Output
	}
	if err := p.SetResults(ctx, jp, refs, reduce); err != nil {
		return hcl2.Diagnostics{{Severity: hcl2.DiagError, Summary: "Cannot read job results", Detail: err.Error()}}
	}
	return nil
}

// SetResults makes a job's outputs, in task order, and its reduce output
// known to the expressions that use them. When no expression uses them it
// does nothing: outputs kept in a storage are not read, and the evaluator
// keeps its context (rebuilding it costs time in the number of jobs, so
// doing it for each of many up-to-date jobs was quadratic).
func (p *Planner) SetResults(ctx context.Context, jp *JobPlan, refs []state.OutputRef, reduce *state.OutputRef) error {
	js := jp.Spec
	if !p.referenced(jp.Name) {
		return nil
	}
	results := make([]cty.Value, len(refs))
	for i, ref := range refs {
		v, err := p.ResultValue(ctx, ref, js.Output)
		if err != nil {
			return fmt.Errorf("job.%s task %d: %w", jp.Name, i, err)
		}
		results[i] = v
	}
	result := cty.NullVal(cty.DynamicPseudoType)
	if reduce != nil && js.Reduce != nil {
		v, err := p.ResultValue(ctx, *reduce, js.Reduce.Output)
		if err != nil {
			return fmt.Errorf("job.%s reduce: %w", jp.Name, err)
		}
		result = v
	}
	p.ev.SetJobResults(jp.Name, results, result)
	return nil
}

// referenced reports whether any expression uses a job's results.
func (p *Planner) referenced(name string) bool {
	p.refsOnce.Do(p.findReferences)
	return p.outputsUseJobs || p.jobsUsed[name]
}

// findReferences works out, once, which jobs other jobs depend on and
// whether an output uses jobs or locals: asking for each job whether any
// other depends on it costs a walk of every job's expressions, so asking it
// of every job was quadratic in the number of jobs.
func (p *Planner) findReferences() {
	p.jobsUsed = map[string]bool{}
	for other := range p.Config.Jobs {
		for _, d := range p.Config.JobDeps(other) {
			p.jobsUsed[d] = true
		}
	}
	for _, o := range p.Config.Outputs {
		for _, tr := range o.Expr.Variables() {
			if tr.RootName() == "job" || tr.RootName() == "local" {
				p.outputsUseJobs = true
			}
		}
	}
}

// ResultValue turns a recorded output into the value job.NAME.results holds:
// decoded JSON when the output is "json", else the text without its trailing
// newlines (as shell command substitution gives it).
func (p *Planner) ResultValue(ctx context.Context, ref state.OutputRef, kind string) (cty.Value, error) {
	data, ok := ref.Inline()
	if !ok && ref.Kind == state.OutputObject {
		if p.OpenStore == nil {
			return cty.NilVal, fmt.Errorf("output %s is in a storage this command cannot reach", ref.Key)
		}
		store, err := p.OpenStore(ctx, ref.Storage)
		if err != nil {
			return cty.NilVal, err
		}
		rc, _, err := store.Get(ctx, ref.Key)
		if err != nil {
			return cty.NilVal, fmt.Errorf("read output %s: %w", ref.Key, err)
		}
		data, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return cty.NilVal, fmt.Errorf("read output %s: %w", ref.Key, err)
		}
	}
	if kind == "json" || ref.Kind == state.OutputJSON {
		data = bytes.TrimSpace(data)
		ty, err := ctyjson.ImpliedType(data)
		if err != nil {
			return cty.NilVal, fmt.Errorf("output is not JSON: %w", err)
		}
		return ctyjson.Unmarshal(data, ty)
	}
	return cty.StringVal(strings.TrimRight(string(data), "\r\n")), nil
}

// SetJobResults makes a job's results known to later expressions (apply
// calls it as jobs finish).
func (p *Planner) SetJobResults(name string, results []cty.Value, result cty.Value) {
	p.ev.SetJobResults(name, results, result)
}

// planOutputs evaluates the outputs with what is known.
func (p *Planner) planOutputs() ([]*OutputChange, hcl2.Diagnostics) {
	var (
		out   []*OutputChange
		diags hcl2.Diagnostics
	)
	for _, name := range sortedKeys(p.Config.Outputs) {
		o := p.Config.Outputs[name]
		v, more := p.ev.OutputValue(name)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		oc := &OutputChange{Name: name, After: v, Sensitive: o.Sensitive, Before: cty.NullVal(cty.DynamicPseudoType)}
		prev, had := p.State.Outputs[name]
		switch {
		case !had:
			oc.Action = Create
		case prev.Sensitive || o.Sensitive || !v.IsWhollyKnown():
			oc.Action = Update
			if prev.Sensitive == o.Sensitive && !o.Sensitive {
				if before, err := decodeOutput(prev); err == nil {
					oc.Before = before
				}
			}
			if o.Sensitive && prev.Sensitive && v.IsWhollyKnown() {
				oc.Action = NoOp // cannot tell; state holds no sensitive value
			}
		default:
			before, err := decodeOutput(prev)
			if err == nil {
				oc.Before = before
			}
			if err == nil && equalValues(before, v) {
				oc.Action = NoOp
			} else {
				oc.Action = Update
			}
		}
		out = append(out, oc)
	}
	for _, name := range sortedKeys(p.State.Outputs) {
		if _, ok := p.Config.Outputs[name]; !ok {
			before, _ := decodeOutput(p.State.Outputs[name])
			out = append(out, &OutputChange{Name: name, Action: Delete, Before: before, After: cty.NullVal(cty.DynamicPseudoType), Sensitive: p.State.Outputs[name].Sensitive})
		}
	}
	return out, diags
}

// decodeOutput reads a recorded output value.
func decodeOutput(o state.Output) (cty.Value, error) {
	if o.Sensitive || len(o.Value) == 0 {
		return cty.DynamicVal, nil
	}
	ty := cty.DynamicPseudoType
	if len(o.Type) > 0 {
		t, err := ctyjson.UnmarshalType(o.Type)
		if err != nil {
			return cty.NilVal, err
		}
		ty = t
	}
	if ty == cty.DynamicPseudoType {
		t, err := ctyjson.ImpliedType(o.Value)
		if err != nil {
			return cty.NilVal, err
		}
		ty = t
	}
	return ctyjson.Unmarshal(o.Value, ty)
}

// EncodeOutput records an output value; sensitive ones keep no value.
func EncodeOutput(v cty.Value, sensitive bool) (state.Output, error) {
	if sensitive {
		return state.Output{Sensitive: true}, nil
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return state.Output{}, fmt.Errorf("value is not known")
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return state.Output{}, err
	}
	tb, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return state.Output{}, err
	}
	return state.Output{Value: b, Type: tb}, nil
}
