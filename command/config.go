package command

import (
	"flag"

	hcl2 "github.com/hashicorp/hcl/v2"

	"lithops/hcl"
	"lithops/views"
)

// configFlags are the options of every command that loads the configuration.
type configFlags struct {
	vars    []varFlag
	noColor bool
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.Var(varFlags{list: &c.vars}, "var", "")
	fs.Var(varFlags{list: &c.vars, file: true}, "var-file", "")
	fs.BoolVar(&c.noColor, "no-color", false, "")
}

const configFlagsHelp = `  -var 'NAME=VALUE'  Set a variable; repeatable. Later values win.
  -var-file=FILE     Set variables from a file; repeatable, in order with -var.
  -no-color          Do not colour the output.`

// load loads the configuration of env.Dir with the flags' variables.
func (c *configFlags) load(env *Env) (*hcl.Config, hcl2.Diagnostics) {
	var vars []hcl.VarFlag
	for _, v := range c.vars {
		vars = append(vars, hcl.VarFlag{File: v.file, Value: v.value})
	}
	return hcl.Load(hcl.LoadOptions{
		Dir:      env.Dir,
		Cwd:      env.Cwd,
		Env:      env.Environ,
		Vars:     vars,
		Registry: env.Registry,
	})
}

// color reports whether output to stdout may be coloured.
func (c *configFlags) color(env *Env) bool {
	return colorOK(env, c.noColor)
}

func colorOK(env *Env, noColor bool) bool {
	return env.StdoutTTY && !noColor && env.Getenv("NO_COLOR") == "" && env.Getenv("TERM") != "dumb"
}

// printDiags writes diagnostics to stderr and reports whether there was an
// error among them.
func printDiags(env *Env, cfg *hcl.Config, diags hcl2.Diagnostics, color bool) bool {
	if len(diags) == 0 {
		return false
	}
	var files map[string]*hcl2.File
	if cfg != nil {
		files = cfg.Files
	}
	views.WriteDiagnostics(env.Stderr, diags, views.DiagnosticsOptions{Files: files, BaseDir: env.Cwd, Color: color && env.StdoutTTY, Width: env.Width})
	return diags.HasErrors()
}
