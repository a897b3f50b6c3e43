package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"lithops/plan"
	"lithops/state"
)

const showHelp = `show [options] [PLANFILE]

Show a saved plan, or with no argument what the state records: resources
with their attributes, job runs and outputs. It reads without locking.

Options:
  -json          Print as JSON (format_version 1.0).
  -state=PATH    The state file to show.
  -no-color      Do not colour the output.
`

// readState reads the state for a command that does not lock it, with the
// journal of a running or killed apply folded in, in memory only.
func readState(path string) (*state.State, bool, error) {
	st, err := state.Read(path)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(path + ".journal")
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if _, err := state.Fold(st, f); err != nil {
		return nil, false, fmt.Errorf("read the journal beside the state: %w", err)
	}
	return st, true, nil
}

func runShow(_ context.Context, env *Env, args []string) int {
	fs := newFlags("show")
	asJSON := fs.Bool("json", false, "")
	var sf stateFlags
	sf.register(fs, false)
	fs.Bool("no-color", false, "")
	if code, ok := parse(env, fs, showHelp, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(env.Stderr, "Error: show takes at most one argument, a saved plan file")
		return 1
	}
	if fs.NArg() == 1 {
		f, err := plan.ReadFile(env.path(fs.Arg(0)))
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		if *asJSON {
			var v any
			json.Unmarshal(f.Plan, &v)
			b, _ := json.MarshalIndent(v, "", "  ")
			fmt.Fprintln(env.Stdout, string(b))
			return 0
		}
		fmt.Fprint(env.Stdout, f.Text)
		fmt.Fprintf(env.Stdout, "\nThis plan was made from state serial %d; lithops apply %s performs it.\n", f.Serial, fs.Arg(0))
		return 0
	}
	path := sf.statePath(env, nil)
	st, live, err := readState(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(stateJSON(st), "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return 0
	}
	if len(st.Resources) == 0 && len(st.Jobs) == 0 && len(st.Outputs) == 0 {
		fmt.Fprintln(env.Stdout, "The state is empty: nothing has been applied yet.")
		return 0
	}
	if live {
		fmt.Fprintln(env.Stdout, "(An apply is running or was interrupted: this includes what its journal recorded so far.)")
		fmt.Fprintln(env.Stdout)
	}
	for _, addr := range sortedKeys(st.Resources) {
		r := st.Resources[addr]
		fmt.Fprintf(env.Stdout, "# %s (%s)%s\n", addr, r.Type, taintNote(r))
		writeAttrs(env, r.Attributes)
		fmt.Fprintln(env.Stdout)
	}
	for _, name := range sortedKeys(st.Jobs) {
		j := st.Jobs[name]
		failed := 0
		for _, t := range j.Tasks() {
			if !t.OK() {
				failed++
			}
		}
		status := "complete"
		if !j.Complete {
			status = "incomplete"
		}
		fmt.Fprintf(env.Stdout, "# job.%s: %s run of %d tasks (%d recorded, %d failed), finished %s\n", name, status, j.TaskCount, j.Len(), failed, j.Finished.Local().Format("2006-01-02 15:04:05"))
	}
	if len(st.Outputs) > 0 {
		fmt.Fprintln(env.Stdout, "\nOutputs:")
		writeOutputs(env, st.Outputs)
	}
	return 0
}

func taintNote(r state.Resource) string {
	if r.Status == state.StatusTainted {
		return " (tainted: will be replaced)"
	}
	return ""
}

func writeAttrs(env *Env, raw json.RawMessage) {
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	width := 0
	for k := range m {
		width = max(width, len(k))
	}
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(env.Stdout, "    %s%s = %s\n", k, strings.Repeat(" ", width-len(k)), string(m[k]))
	}
}

func writeOutputs(env *Env, outs map[string]state.Output) {
	width := 0
	for k := range outs {
		width = max(width, len(k))
	}
	for _, k := range sortedKeys(outs) {
		o := outs[k]
		v := string(o.Value)
		if o.Sensitive {
			v = "(sensitive value)"
		}
		fmt.Fprintf(env.Stdout, "%s%s = %s\n", k, strings.Repeat(" ", width-len(k)), v)
	}
}

// stateJSON is show -json's form of the state.
func stateJSON(st *state.State) map[string]any {
	resources := []map[string]any{}
	for _, addr := range sortedKeys(st.Resources) {
		r := st.Resources[addr]
		resources = append(resources, map[string]any{
			"address": r.Addr, "type": r.Type, "block": r.Block, "status": r.Status,
			"attributes": r.Attributes, "depends_on": r.Dependencies,
		})
	}
	jobs := []map[string]any{}
	for _, name := range sortedKeys(st.Jobs) {
		j := st.Jobs[name]
		failed := 0
		for _, t := range j.Tasks() {
			if !t.OK() {
				failed++
			}
		}
		jobs = append(jobs, map[string]any{
			"address": "job." + name, "definition_digest": j.DefinitionDigest, "executor": j.Executor,
			"complete": j.Complete, "tasks_total": j.TaskCount, "tasks_recorded": j.Len(), "tasks_failed": failed,
			"started": j.Started, "finished": j.Finished,
		})
	}
	outputs := map[string]any{}
	for k, o := range st.Outputs {
		if o.Sensitive {
			outputs[k] = map[string]any{"sensitive": true}
		} else {
			outputs[k] = map[string]any{"sensitive": false, "value": o.Value}
		}
	}
	return map[string]any{
		"format_version": "1.0", "lithops_version": st.LithopsVersion, "lineage": st.Lineage, "serial": st.Serial,
		"resources": resources, "jobs": jobs, "outputs": outputs,
	}
}
