package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"lithops/internal/testhosts"
)

// Section is a part of the report.
type Section int

const (
	Throughput Section = iota + 1
	Linearity
	Engine
	Fleet
	Scan
)

// Benchmark is one workload at one size, run by each of its tools.
type Benchmark struct {
	// ID names it for -only and in the progress lines:
	// "tasks/true/1000", "resources/5000".
	ID      string
	Section Section
	// Workload is how the report names what runs.
	Workload string
	// Size is the number of tasks or resources (bytes for a scan).
	Size int
	// Capped marks the scan whose responses are held to a fixed rate.
	Capped bool
	Tools  []*Tool
	// Skip, when set, says why the benchmark does not run.
	Skip string
	// Before, when set, runs once before the benchmark's first run.
	Before func() error
}

// Tool is one contender of a benchmark.
type Tool struct {
	// Name is "lithops", "xargs", "parallel" or "terraform".
	Name string
	// Label is how the report names it: "xargs -P 2".
	Label string
	// Files are written into each run's fresh directory.
	Files map[string]string
	// Steps run in order in that directory; each is timed.
	Steps []Step
	// Skip, when set, says why this tool does not run.
	Skip string
}

// sizes are the numbers of tasks and resources of a suite.
type sizes struct {
	// Small and Large are the throughput sizes; Huge is the linearity and
	// memory size (lithops only); CPU is the CPU-bound set's.
	Small, Large, Huge, CPU int
	// Resources are the engine benchmark's sizes.
	Resources []int
	// Fleet is the SSH fleet benchmark's number of tasks; Scan the size
	// in bytes of the scan benchmark's object.
	Fleet int
	Scan  int64
}

var (
	fullSizes  = sizes{Small: 1_000, Large: 10_000, Huge: 100_000, CPU: 200, Resources: []int{1_000, 5_000}, Fleet: 1_000, Scan: 1 << 30}
	smokeSizes = sizes{Small: 10, Large: 100, Huge: 1_000, CPU: 4, Resources: []int{10, 50}, Fleet: 12, Scan: 8 << 20}
)

// tools says where the programs are and what this machine has.
type tools struct {
	Lithops   string
	Xargs     string
	Parallel  string // empty when absent
	Terraform string // empty when absent
	// ParallelSkip and TerraformSkip say why a peer is absent.
	ParallelSkip, TerraformSkip string
	// TerraformRC is an empty CLI configuration file for Terraform.
	TerraformRC string
	// CPUs is the number of tasks every tool runs at once.
	CPUs int
	// Storage is true when this lithops build has the localhost storage
	// backend (the resource of the engine benchmark).
	Storage bool
	// Fleet are the SSH hosts of the fleet benchmark; FleetSkip says why
	// there are none.
	Fleet     *testhosts.Fleet
	FleetSkip string
	// S3 serves the scan benchmark's object; S3Skip says why there is none.
	S3     *s3Server
	S3Skip string
}

// suite lists every benchmark in the order they run.
func suite(t tools, sz sizes) ([]*Benchmark, error) {
	var out []*Benchmark
	for _, w := range []struct {
		name, file string
		sizes      []int
	}{
		{"true", "tasks-true.hcl", []int{sz.Small, sz.Large}},
		{"echo", "tasks-echo.hcl", []int{sz.Small, sz.Large}},
		{"cpu", "tasks-cpu.hcl", []int{sz.CPU}},
	} {
		hcl, err := scenario(w.file)
		if err != nil {
			return nil, err
		}
		for _, n := range w.sizes {
			out = append(out, &Benchmark{
				ID:       fmt.Sprintf("tasks/%s/%d", w.name, n),
				Section:  Throughput,
				Workload: w.name,
				Size:     n,
				Tools:    []*Tool{lithopsTasks(t, hcl, w.name, n), xargsTasks(t, w.name, n), parallelTasks(t, w.name, n)},
			})
		}
	}
	hcl, err := scenario("tasks-true.hcl")
	if err != nil {
		return nil, err
	}
	out = append(out, &Benchmark{
		ID:       fmt.Sprintf("tasks/true/%d", sz.Huge),
		Section:  Linearity,
		Workload: "true",
		Size:     sz.Huge,
		Tools:    []*Tool{lithopsTasks(t, hcl, "true", sz.Huge)},
	})
	for _, n := range sz.Resources {
		b, err := resourceBenchmark(t, n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	out = append(out, fleetBenchmark(t, sz.Fleet))
	out = append(out, scanBenchmarks(t)...)
	return out, nil
}

// workloadLabel is how the report names a task workload.
var workloadLabel = map[string]string{
	"true": "`true ITEM`",
	"echo": "`sh -c 'echo \"$0\"' ITEM`",
	"cpu":  "awk loop, 10⁶ steps",
}

// awkProgram is the CPU-bound task's program, the same for every tool (and
// in scenarios/tasks-cpu.hcl).
const awkProgram = `BEGIN { s = seed; for (i = 0; i < 1000000; i++) s = (s * 31 + i) % 1000003; print s }`

func lithopsTasks(t tools, hcl, workload string, n int) *Tool {
	return &Tool{
		Name:  "lithops",
		Label: "lithops",
		Files: map[string]string{"main.hcl": hcl, "items.txt": seq(n)},
		Steps: []Step{{
			Name:  "run",
			Argv:  []string{t.Lithops, "apply", "-auto-approve", "-no-tui", "-json"},
			Watch: true,
			Check: checkApplyTasks(n),
		}},
	}
}

func xargsTasks(t tools, workload string, n int) *Tool {
	p := strconv.Itoa(t.CPUs)
	var argv []string
	switch workload {
	case "true":
		argv = []string{t.Xargs, "-P", p, "-n", "1", "true"}
	case "echo":
		argv = []string{t.Xargs, "-P", p, "-n", "1", "sh", "-c", `echo "$0"`}
	case "cpu":
		argv = []string{t.Xargs, "-P", p, "-I", "{}", "awk", "-v", "seed={}", awkProgram}
	}
	return &Tool{
		Name:  "xargs",
		Label: "xargs -P " + p,
		Files: map[string]string{"items.txt": seq(n)},
		Steps: []Step{{Name: "run", Argv: argv, Stdin: "items.txt", Check: checkOutput(workload, n)}},
	}
}

func parallelTasks(t tools, workload string, n int) *Tool {
	p := strconv.Itoa(t.CPUs)
	tool := &Tool{
		Name:  "parallel",
		Label: "GNU parallel -j " + p,
		Files: map[string]string{"items.txt": seq(n)},
		Skip:  t.ParallelSkip,
	}
	bin := t.Parallel
	if bin == "" {
		bin = "parallel"
	}
	// -q quotes the command's words, so that each runs as the argv
	// written here (parallel still hands the line to a shell).
	argv := []string{bin, "--will-cite", "-q", "-j", p}
	switch workload {
	case "true":
		argv = append(argv, "true", "{}")
	case "echo":
		argv = append(argv, "sh", "-c", `echo "$0"`, "{}")
	case "cpu":
		argv = append(argv, "awk", "-v", "seed={}", awkProgram)
	}
	tool.Steps = []Step{{Name: "run", Argv: argv, Stdin: "items.txt", Check: checkOutput(workload, n)}}
	return tool
}

// resourceBenchmark plans, applies and plans again n resources with lithops
// and with Terraform.
func resourceBenchmark(t tools, n int) (*Benchmark, error) {
	tmpl, what, want := "resources-storage.hcl.tmpl", "storage", fmt.Sprintf("Plan: %d to add", n)
	if !t.Storage {
		tmpl, what, want = "resources-jobs.hcl.tmpl", "jobs", fmt.Sprintf("%d jobs to run", n)
	}
	hcl, err := renderScenario(tmpl, n)
	if err != nil {
		return nil, err
	}
	tf, err := renderScenario("resources.tf.tmpl", n)
	if err != nil {
		return nil, err
	}
	lithops := &Tool{
		Name:  "lithops",
		Label: "lithops",
		Files: map[string]string{"main.hcl": hcl},
		Steps: []Step{
			{Name: "plan", Argv: []string{t.Lithops, "plan", "-detailed-exitcode"}, WantExit: 2, Check: checkContains(want)},
			{Name: "apply", Argv: []string{t.Lithops, "apply", "-auto-approve", "-no-tui", "-json"}, Check: checkApplyResources(what, n)},
			{Name: "replan", Argv: []string{t.Lithops, "plan", "-detailed-exitcode"}},
		},
	}
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE=" + t.TerraformRC}
	bin := t.Terraform
	if bin == "" {
		bin = "terraform"
	}
	terraform := &Tool{
		Name:  "terraform",
		Label: "terraform",
		Files: map[string]string{"main.tf": tf},
		Skip:  t.TerraformSkip,
		Steps: []Step{
			{Name: "plan", Argv: []string{bin, "plan", "-input=false", "-no-color", "-detailed-exitcode"}, Env: env, WantExit: 2,
				Check: checkContains(fmt.Sprintf("Plan: %d to add", n))},
			{Name: "apply", Argv: []string{bin, "apply", "-input=false", "-no-color", "-auto-approve"}, Env: env,
				Check: checkContains(fmt.Sprintf("Resources: %d added", n))},
			{Name: "replan", Argv: []string{bin, "plan", "-input=false", "-no-color", "-detailed-exitcode"}, Env: env},
		},
	}
	workload := "storage"
	if !t.Storage {
		workload = "jobs"
	}
	return &Benchmark{
		ID:       fmt.Sprintf("resources/%d", n),
		Section:  Engine,
		Workload: workload,
		Size:     n,
		Tools:    []*Tool{lithops, terraform},
	}, nil
}

// checkApplyTasks verifies an apply -json stream ran n tasks, none failed,
// and takes the job phase from it.
func checkApplyTasks(n int) func(*Outcome) error {
	return func(o *Outcome) error {
		ev, err := readEventsFile(o.Stdout)
		if err != nil {
			return err
		}
		switch {
		case !ev.Finished:
			return fmt.Errorf("no finished event")
		case ev.Error != "":
			return fmt.Errorf("apply failed: %s", ev.Error)
		case ev.Tasks != n || ev.Failed != 0:
			return fmt.Errorf("ran %d tasks with %d failed, want %d with none failed", ev.Tasks, ev.Failed, n)
		}
		o.JobPhase = ev.JobPhase
		return nil
	}
}

// checkApplyResources verifies an apply -json stream created n storages, or
// ran n jobs.
func checkApplyResources(what string, n int) func(*Outcome) error {
	return func(o *Outcome) error {
		ev, err := readEventsFile(o.Stdout)
		if err != nil {
			return err
		}
		if !ev.Finished || ev.Error != "" {
			return fmt.Errorf("apply did not finish cleanly: %q", ev.Error)
		}
		got := ev.Added
		if what == "jobs" {
			got = ev.JobsRan
		}
		if got != n {
			return fmt.Errorf("%d %s done, want %d", got, what, n)
		}
		o.JobPhase = ev.JobPhase
		return nil
	}
}

func readEventsFile(path string) (applyEvents, error) {
	f, err := os.Open(path)
	if err != nil {
		return applyEvents{}, err
	}
	defer f.Close()
	return readEvents(f)
}

// checkContains verifies standard output contains s.
func checkContains(s string) func(*Outcome) error {
	return func(o *Outcome) error {
		b, err := os.ReadFile(o.Stdout)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), s) {
			return fmt.Errorf("output does not say %q", s)
		}
		return nil
	}
}

// checkOutput verifies a peer's standard output: nothing for true, the
// items 1 to n in any order for echo, n numbers for the awk loop.
func checkOutput(workload string, n int) func(*Outcome) error {
	return func(o *Outcome) error {
		f, err := os.Open(o.Stdout)
		if err != nil {
			return err
		}
		defer f.Close()
		var lines []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return err
		}
		switch workload {
		case "true":
			if len(lines) != 0 {
				return fmt.Errorf("true printed %d lines", len(lines))
			}
		case "echo":
			want := strings.Fields(seq(n))
			slices.Sort(want)
			slices.Sort(lines)
			if !slices.Equal(want, lines) {
				return fmt.Errorf("printed %d lines, not the %d items", len(lines), n)
			}
		case "cpu":
			if len(lines) != n {
				return fmt.Errorf("printed %d lines, want %d", len(lines), n)
			}
		}
		return nil
	}
}

// writeFiles writes a tool's files into dir.
func writeFiles(dir string, files map[string]string) error {
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
