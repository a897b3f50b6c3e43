package command

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"lithops/apply"
	"lithops/plan"
	"lithops/state"
)

const outputHelp = `output [options] [NAME]

Show the output values recorded by the last apply. Without NAME, all of them
(sensitive ones hidden); with NAME, that one — a sensitive output is shown
when named, computed again from the configuration and the recorded results,
since the state never keeps sensitive values.

Options:
  -json          Print as JSON.
  -raw           Print a string, number or bool value as it is, without
                 quotes, for scripts (NAME required).
  -state=PATH    The state file.
` + configFlagsHelp + "\n"

func runOutput(ctx context.Context, env *Env, args []string) int {
	fs := newFlags("output")
	asJSON := fs.Bool("json", false, "")
	raw := fs.Bool("raw", false, "")
	var cf configFlags
	cf.register(fs)
	var sf stateFlags
	sf.register(fs, false)
	if code, ok := parse(env, fs, outputHelp, args); !ok {
		return code
	}
	if fs.NArg() > 1 || (*raw && fs.NArg() != 1) {
		fmt.Fprintln(env.Stderr, "Error: output takes at most one output name (and -raw needs one)")
		return 1
	}
	st, _, err := readState(sf.statePath(env, nil))
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		return 1
	}
	if fs.NArg() == 0 {
		if *asJSON {
			out := map[string]any{}
			for k, o := range st.Outputs {
				if o.Sensitive {
					out[k] = map[string]any{"sensitive": true}
				} else {
					out[k] = map[string]any{"sensitive": false, "value": o.Value, "type": o.Type}
				}
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintln(env.Stdout, string(b))
			return 0
		}
		if len(st.Outputs) == 0 {
			fmt.Fprintln(env.Stderr, "Warning: no outputs are recorded. Declare output blocks and run lithops apply.")
			return 0
		}
		for _, k := range sortedKeys(st.Outputs) {
			o := st.Outputs[k]
			text := "(sensitive value)"
			if !o.Sensitive {
				v, err := decodeRecorded(o)
				if err != nil {
					fmt.Fprintf(env.Stderr, "Error: output %s: %s\n", k, err)
					return 1
				}
				text = apply.RenderValue(v)
			}
			fmt.Fprintf(env.Stdout, "%s = %s\n", k, text)
		}
		return 0
	}
	name := fs.Arg(0)
	o, ok := st.Outputs[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "Error: no output %q is recorded; lithops output lists those that are\n", name)
		return 1
	}
	var v cty.Value
	if o.Sensitive {
		v, ok = sensitiveOutput(ctx, env, &cf, &sf, name)
		if !ok {
			return 1
		}
	} else if v, err = decodeRecorded(o); err != nil {
		fmt.Fprintf(env.Stderr, "Error: output %s: %s\n", name, err)
		return 1
	}
	return printValue(env.Stdout, env.Stderr, v, *asJSON, *raw)
}

func decodeRecorded(o state.Output) (cty.Value, error) {
	fv := plan.FileValue{Type: o.Type, Value: o.Value}
	if len(o.Type) == 0 {
		ty, err := ctyjson.ImpliedType(o.Value)
		if err != nil {
			return cty.NilVal, err
		}
		return ctyjson.Unmarshal(o.Value, ty)
	}
	return fv.Decode()
}

// sensitiveOutput computes a sensitive output again from the configuration
// and the recorded results.
func sensitiveOutput(ctx context.Context, env *Env, cf *configFlags, sf *stateFlags, name string) (cty.Value, bool) {
	s := openSession(ctx, env, cf, sf, readOnly, nil)
	if s == nil {
		return cty.NilVal, false
	}
	if _, diags := s.planner.Plan(ctx, plan.Options{}); printDiags(env, s.cfg, diags, false) {
		return cty.NilVal, false
	}
	v, diags := s.planner.Evaluator().OutputValue(name)
	if printDiags(env, s.cfg, diags, false) {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		fmt.Fprintf(env.Stderr, "Error: output %s depends on jobs that have not finished; run lithops apply\n", name)
		return cty.NilVal, false
	}
	return v, true
}

func printValue(out, errw io.Writer, v cty.Value, asJSON, raw bool) int {
	v, _ = v.UnmarkDeep()
	switch {
	case asJSON:
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			fmt.Fprintf(errw, "Error: %s\n", err)
			return 1
		}
		fmt.Fprintln(out, string(b))
	case raw:
		switch {
		case v.IsNull():
			fmt.Fprintln(errw, "Error: the value is null; -raw prints only strings, numbers and bools")
			return 1
		case v.Type() == cty.String:
			fmt.Fprint(out, v.AsString())
		case v.Type() == cty.Number:
			fmt.Fprint(out, v.AsBigFloat().Text('f', -1))
		case v.Type() == cty.Bool:
			fmt.Fprint(out, v.True())
		default:
			fmt.Fprintf(errw, "Error: -raw prints only strings, numbers and bools; this is %s. Use -json.\n", strings.TrimSpace(v.Type().FriendlyName()))
			return 1
		}
	default:
		fmt.Fprintln(out, apply.RenderValue(v))
	}
	return 0
}
