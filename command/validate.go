package command

import (
	"context"
	"fmt"

	"lithops/views"
)

const validateHelp = `validate [options]

Check that the configuration in the current directory (or -chdir's) is valid:
syntax, references, types, variable values, backend settings, job commands.
It touches no cloud and runs nothing.

Options:
  -json              Print the result as JSON (format_version 1.0).
` + configFlagsHelp + "\n"

func runValidate(_ context.Context, env *Env, args []string) int {
	fs := newFlags("validate")
	var cf configFlags
	cf.register(fs)
	asJSON := fs.Bool("json", false, "")
	if code, ok := parse(env, fs, validateHelp, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "Error: validate takes no arguments; to validate another directory, use lithops -chdir=DIR validate\n")
		return 1
	}
	cfg, diags := cf.load(env)
	if cfg.CanEvaluate() {
		diags = append(diags, cfg.Validate(env.Registry)...)
	}
	if *asJSON {
		views.WriteDiagnosticsJSON(env.Stdout, diags, env.Cwd)
		if diags.HasErrors() {
			return 1
		}
		return 0
	}
	if printDiags(env, cfg, diags, cf.color(env)) {
		return 1
	}
	fmt.Fprintln(env.Stdout, "Success! The configuration is valid.")
	return 0
}
