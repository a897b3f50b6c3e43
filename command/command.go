package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"lithops/hcl"
	"lithops/providers"
)

// Version is the lithops version, set at build time with
// -ldflags "-X lithops/command.Version=v1.2.3".
var Version = "v0.1.0-dev"

// Env is everything a command may read of the outside world.
type Env struct {
	// Args are the arguments after the program name.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Environ is the environment, as os.Environ returns it.
	Environ []string
	// Cwd is the directory lithops was started in (path.cwd).
	Cwd string
	// Dir is the configuration directory: Cwd, or -chdir's directory. Main
	// sets it; relative paths of options resolve against it, as in
	// Terraform after -chdir.
	Dir string
	// StdinTTY and StdoutTTY report whether those streams are terminals.
	StdinTTY, StdoutTTY bool
	// Width and Height are the terminal's size when StdoutTTY.
	Width, Height int
	// Executable is the path of this binary, which workers run.
	Executable string
	// Registry lists the backends of this build.
	Registry *providers.Registry
	// Stop asks a running operation to stop gracefully (as a first Ctrl-C
	// does); Kill ends the process at once (a second Ctrl-C). Interactive
	// views call them on q and Ctrl-C when they own the terminal.
	Stop func()
	Kill func()
	// Worker runs the hidden worker mode (package worker's Main).
	Worker func(ctx context.Context, args []string) int
}

// Getenv returns the value of an environment variable of env.Environ.
func (e *Env) Getenv(key string) string {
	for i := len(e.Environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e.Environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// command is one subcommand.
type command struct {
	name     string
	synopsis string
	// help is the text after "Usage: lithops [global options] ".
	help   string
	hidden bool
	run    func(ctx context.Context, env *Env, args []string) int
}

// commands lists the subcommands in the order help shows them.
func commands() []*command {
	return []*command{
		{name: "validate", synopsis: "Check whether the configuration is valid", help: validateHelp, run: runValidate},
		{name: "plan", synopsis: "Show what apply would create and run", help: planHelp, run: runPlan},
		{name: "apply", synopsis: "Create resources and run jobs", help: applyHelp, run: runApply},
		{name: "destroy", synopsis: "Remove everything the state records", help: destroyHelp, run: runDestroy},
		{name: "fmt", synopsis: "Rewrite configuration files in the canonical style", help: fmtHelp, run: runFmt},
		{name: "show", synopsis: "Show a saved plan or the current state", help: showHelp, run: runShow},
		{name: "output", synopsis: "Show output values", help: outputHelp, run: runOutput},
		{name: "logs", synopsis: "Show a task's log (its stderr)", help: logsHelp, run: runLogs},
		{name: "state", synopsis: "Inspect and edit the state (list, show, rm)", help: stateHelp, run: runState},
		{name: "storage", synopsis: "Move data in a declared storage (ls, put, get, rm)", help: storageHelp, run: runStorage},
		{name: "force-unlock", synopsis: "Release a lock left on the state", help: forceUnlockHelp, run: runForceUnlock},
		{name: "version", synopsis: "Show the lithops version", help: versionHelp, run: runVersion},
		{name: "worker", hidden: true, synopsis: "Run as a worker (used by executors)", help: "worker [options]", run: runWorker},
	}
}

const globalHelp = `Usage: lithops [global options] <command> [options] [args]

lithops runs parallel map and map-reduce jobs declared in HCL: plan shows what
will be created and what will run, apply creates it and runs the jobs, destroy
removes what the state records.

Commands:
%s
Global options (before the command):
  -chdir=DIR   Switch to DIR before doing anything else
  -help        Show this help
  -version     Show the version

Every option takes one dash or two: -auto-approve and --auto-approve are the
same. Run "lithops <command> -help" for a command's options.
`

// Main runs the command line in env and returns the exit status.
func Main(ctx context.Context, env *Env) int {
	args := env.Args
	if env.Dir == "" {
		env.Dir = env.Cwd
	}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch name {
		case "chdir":
			if !hasValue {
				if len(args) < 2 {
					fmt.Fprintln(env.Stderr, "Error: -chdir needs a directory: -chdir=DIR")
					return 1
				}
				value, args = args[1], args[1:]
			}
			dir := value
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(env.Cwd, dir)
			}
			st, err := os.Stat(dir)
			if err != nil || !st.IsDir() {
				fmt.Fprintf(env.Stderr, "Error: -chdir: %s is not a directory\n", value)
				return 1
			}
			env.Dir = dir
		case "help", "h":
			printGlobalHelp(env.Stdout)
			return 0
		case "version", "v":
			return runVersion(ctx, env, nil)
		default:
			fmt.Fprintf(env.Stderr, "Error: unknown global option %s\n\nGlobal options are -chdir=DIR, -help and -version; command options go after the command.\n", args[0])
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		printGlobalHelp(env.Stderr)
		return 1
	}
	name := args[0]
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, args[1:])
		}
	}
	var names []string
	for _, c := range commands() {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	msg := fmt.Sprintf("Error: unknown command %q.", name)
	if s := hcl.Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	}
	fmt.Fprintf(env.Stderr, "%s\n\nRun \"lithops -help\" for the list of commands.\n", msg)
	return 1
}

func printGlobalHelp(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.synopsis)
		}
	}
	fmt.Fprintf(w, globalHelp, b.String())
}

// newFlags makes a command's flag set; parse reports its errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// path resolves a path given on the command line against the configuration
// directory.
func (e *Env) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.Dir, p)
}

// parse parses args, printing help or a clear error. It returns the exit
// status to return and false when the command must not go on.
func parse(env *Env, fs *flag.FlagSet, help string, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(env.Stdout, "Usage: lithops [global options] %s\n", strings.TrimLeft(help, "\n"))
		return 0, false
	default:
		msg := err.Error()
		if strings.HasPrefix(msg, "flag provided but not defined: ") {
			msg = "unknown option " + strings.TrimPrefix(msg, "flag provided but not defined: ")
		}
		fmt.Fprintf(env.Stderr, "Error: %s\n\nRun \"lithops %s -help\" for its options.\n", msg, fs.Name())
		return 1, false
	}
}

// varFlags collects -var and -var-file in the order given.
type varFlags struct {
	list *[]varFlag
	file bool
}

type varFlag struct {
	file  bool
	value string
}

func (v varFlags) String() string { return "" }

func (v varFlags) Set(s string) error {
	*v.list = append(*v.list, varFlag{file: v.file, value: s})
	return nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
