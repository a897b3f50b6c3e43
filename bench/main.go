package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line's.
type options struct {
	smoke   bool
	runs    int
	only    *regexp.Regexp
	out     string
	timeout time.Duration
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes, one run each, only peers already installed (for CI)")
	fs.IntVar(&o.runs, "runs", 5, "runs of each tool per benchmark (1 with -smoke unless given)")
	only := fs.String("only", "", "run only the benchmarks whose ID matches this regular expression (IDs: tasks/true/1000, resources/5000, …)")
	fs.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "longest any one command may take")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	runsSet := false
	fs.Visit(func(f *flag.Flag) { runsSet = runsSet || f.Name == "runs" })
	if o.smoke && !runsSet {
		o.runs = 1
	}
	if o.runs < 1 {
		return o, fmt.Errorf("-runs must be at least 1")
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return o, fmt.Errorf("-only: %w", err)
		}
		o.only = re
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	started := time.Now()
	meta := Meta{
		Command:   strings.TrimSpace("go run ./bench " + strings.Join(args, " ")),
		Date:      started.UTC(),
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		Kernel:    kernel(),
		Memory:    memTotal(),
		Go:        runtime.Version(),
		Runs:      opts.runs,
		Smoke:     opts.smoke,
		LoadStart: loadAverage(),
		Versions:  map[string]string{},
	}

	root, err := moduleRoot(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	base, err := os.MkdirTemp("", "lithops-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(base)
		}
	}()

	bin := filepath.Join(base, "bin", "lithops")
	meta.Build = "go build -o " + filepath.Join("$TMP", "bin", "lithops") + " ."
	fmt.Fprintf(stderr, "building lithops from %s\n", root)
	if out, err := command(ctx, root, "go", "build", "-o", bin, "."); err != nil {
		fmt.Fprintf(stderr, "bench: go build: %v\n%s", err, out)
		return 1
	}
	meta.Commit = gitDescribe(ctx, root)
	meta.Versions["lithops"] = firstLine(command(ctx, root, bin, "version"))

	t := tools{Lithops: bin, CPUs: runtime.NumCPU(), TerraformRC: filepath.Join(base, "terraform.rc")}
	if err := os.WriteFile(t.TerraformRC, nil, 0o644); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if t.Xargs, err = exec.LookPath("xargs"); err != nil {
		fmt.Fprintf(stderr, "bench: xargs is needed: %v\n", err)
		return 1
	}
	meta.Versions["xargs"] = firstLine(command(ctx, base, t.Xargs, "--version"))
	t.Parallel, t.ParallelSkip = findParallel(ctx, opts.smoke, stderr)
	if t.Parallel != "" {
		meta.Versions["parallel"] = firstLine(command(ctx, base, t.Parallel, "--version"))
	}
	if p, err := exec.LookPath("terraform"); err == nil {
		t.Terraform = p
		out, _ := commandEnv(ctx, base, []string{"CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=" + t.TerraformRC}, p, "version")
		meta.Versions["terraform"] = firstLine(out, nil)
	} else {
		t.TerraformSkip = "terraform is not installed (looked in PATH)"
	}
	t.Storage = validates(ctx, base, bin, "probe-storage.hcl")
	sz := fullSizes
	if opts.smoke {
		sz = smokeSizes
	}
	selected := func(id string) bool { return opts.only == nil || opts.only.MatchString(id) }
	switch {
	case !selected("fleet/ssh"):
		t.FleetSkip = "not selected by -only"
	case !validates(ctx, base, bin, "probe-vm.hcl"):
		t.FleetSkip = "the SSH fleet executor (backend \"vm\") is not in this build: `lithops validate` refuses it"
	default:
		fmt.Fprintf(stderr, "starting %d SSH test hosts\n", fleetHosts)
		if t.Fleet, t.FleetSkip = startFleet(base); t.Fleet != nil {
			defer func() {
				if err := t.Fleet.Down(); err != nil {
					fmt.Fprintf(stderr, "bench: %v\n", err)
				}
			}()
		}
	}
	if selected("scan/s3") || selected("scan/s3/capped") {
		fmt.Fprintf(stderr, "starting an S3 server (gofakes3); its %s object is put there just before the scan benchmarks\n", mib(sz.Scan))
		s3, err := startS3(sz.Scan, scanCap)
		if err != nil {
			t.S3Skip = "the S3 server did not start: " + err.Error()
		} else {
			t.S3 = s3
			defer s3.Close()
		}
	} else {
		t.S3Skip = "not selected by -only"
	}
	meta.Storage = t.Storage
	if !t.Storage {
		fmt.Fprintln(stderr, "this lithops build has no localhost storage backend: the engine benchmark uses jobs of one task each instead of resources")
	}

	benchmarks, err := suite(t, sz)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	r := &runner{runs: opts.runs, timeout: opts.timeout, base: base, log: stderr, results: newResults()}
	for _, b := range benchmarks {
		if opts.only != nil && !opts.only.MatchString(b.ID) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r.run(ctx, b)
	}
	meta.LoadEnd = loadAverage()
	meta.Elapsed = time.Since(started)

	var report bytes.Buffer
	render(&report, meta, benchmarks, r.results, r.skips)
	stdout.Write(report.Bytes())
	if opts.out != "" {
		if err := os.WriteFile(opts.out, report.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted")
		return 130
	}
	if len(r.failures) > 0 {
		keep = true
		fmt.Fprintf(stderr, "\n%d benchmark commands failed:\n", len(r.failures))
		for _, f := range r.failures {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		return 1
	}
	return 0
}

// moduleRoot is the directory of this repository's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := command(ctx, "", "go", "env", "GOMOD")
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run bench from inside the lithops repository (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// gitDescribe is the commit being measured, marked when the worktree has
// changes.
func gitDescribe(ctx context.Context, root string) string {
	out, err := command(ctx, root, "git", "rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := command(ctx, root, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

// findParallel finds GNU parallel, installing it with apt-get when absent
// unless in smoke mode.
func findParallel(ctx context.Context, smoke bool, stderr io.Writer) (path, skip string) {
	if p, err := exec.LookPath("parallel"); err == nil {
		return p, ""
	}
	if smoke {
		return "", "GNU parallel is not installed (smoke mode installs nothing)"
	}
	fmt.Fprintln(stderr, "GNU parallel is not installed: installing it with apt-get install -y parallel")
	if out, err := commandEnv(ctx, "", []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", "install", "-y", "-qq", "parallel"); err != nil {
		fmt.Fprintf(stderr, "apt-get install failed (%v); trying apt-get update first\n%s", err, out)
		if out, err := commandEnv(ctx, "", nil, "apt-get", "update", "-qq"); err != nil {
			return "", fmt.Sprintf("GNU parallel is not installed and apt-get update failed: %v: %s", err, firstLine(out, nil))
		}
		if out, err := commandEnv(ctx, "", []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", "install", "-y", "-qq", "parallel"); err != nil {
			return "", fmt.Sprintf("GNU parallel is not installed and apt-get install failed: %v: %s", err, firstLine(out, nil))
		}
	}
	p, err := exec.LookPath("parallel")
	if err != nil {
		return "", "GNU parallel is not installed: " + err.Error()
	}
	return p, ""
}

// validates reports whether the lithops build accepts a probe scenario
// (a backend it may not have yet) with `lithops validate`.
func validates(ctx context.Context, base, bin, probe string) bool {
	dir, err := os.MkdirTemp(base, "probe-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	text, err := scenario(probe)
	if err != nil {
		return false
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(text), 0o644); err != nil {
		return false
	}
	_, err = command(ctx, dir, bin, "validate")
	return err == nil
}

// command runs a short helper command and returns its combined output.
func command(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	return commandEnv(ctx, dir, nil, name, args...)
}

func commandEnv(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// firstLine is the first line of a helper's output, or "unknown".
func firstLine(out []byte, err error) string {
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return "unknown"
	}
	return line
}
