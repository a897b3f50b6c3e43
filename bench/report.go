package main

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Meta is what the report says about the run itself.
type Meta struct {
	Command   string
	Date      time.Time
	Elapsed   time.Duration
	CPU       string
	Cores     int
	Kernel    string
	Memory    int64
	Go        string
	Commit    string
	Build     string
	Versions  map[string]string
	LoadStart float64
	LoadEnd   float64
	Runs      int
	Smoke     bool
	Storage   bool
}

// Targets from the issues; the report says for each whether it was met.
const (
	targetXargs      = 1.5  // lithops ÷ xargs at most
	targetParallel   = 1.0  // lithops ÷ GNU parallel below
	targetGrowth     = 12.0 // time at 10× the tasks at most this many times the time
	targetClientMiB  = 300  // client peak RSS at the largest size below
	targetTerraform  = 0.1  // lithops ÷ terraform at most (10× faster)
	targetPerResGrow = 1.5  // apply time per resource at the larger size ÷ at the smaller at most
)

// render writes the markdown report.
func render(w io.Writer, m Meta, benchmarks []*Benchmark, r *Results, skips []string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# lithops benchmarks\n\n")
	p("This file is the report of one run of the benchmark harness, as it printed it. To reproduce it, from the repository's root: `go run ./bench -out docs/BENCHMARKS.md` (about 45 minutes on 2 cores; `-runs N` for fewer runs, `-only REGEX` for some benchmarks, `-smoke` for the quick check CI runs). It builds lithops, installs GNU parallel with apt-get when it is missing, uses Terraform when it is installed, and needs root for the SSH fleet's network-namespace hosts (without root that benchmark is skipped and says so). Each section says what its peer is and what target it checks.\n\n")
	p("Produced by `%s` on %s (the whole run took %s).\n\n", m.Command, m.Date.Format("2006-01-02 15:04 UTC"), m.Elapsed.Round(time.Second))
	if m.Smoke {
		p("**Smoke mode**: tiny sizes, to check that the harness and every command work; these figures say nothing about speed.\n\n")
	}
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d cores |\n", m.CPU, m.Cores)
	p("| kernel | Linux %s |\n", m.Kernel)
	p("| memory | %.1f GiB |\n", float64(m.Memory)/(1<<30))
	p("| load average (1 min) | %.2f at the start, %.2f at the end |\n", m.LoadStart, m.LoadEnd)
	p("| Go | %s |\n", m.Go)
	p("| lithops | %s, commit %s, built with `%s` |\n", version(m, "lithops"), m.Commit, m.Build)
	p("| xargs | %s |\n", version(m, "xargs"))
	p("| GNU parallel | %s |\n", version(m, "parallel"))
	p("| Terraform | %s |\n", version(m, "terraform"))
	p("\nEvery tool of a benchmark runs %d %s, alternating (lithops, peer, lithops, peer …), each run in a fresh directory, so lithops starts from an empty state and runs every task. Times are wall-clock seconds from starting the command to its exit: median, then min–max over the runs. **lithops ÷ peer** is lithops's median divided by the peer's: below 1, lithops is faster. CPU is user + system time of the command and all its descendants (wait4). The load average column is the median of the 1-minute load average read before each run: this machine may be shared, and a high load slows every tool.\n\n",
		m.Runs, plural(m.Runs, "time", "times"))

	renderThroughput(p, benchmarks, r)
	renderLinearity(p, benchmarks, r)
	renderMemory(p, benchmarks, r)
	renderEngine(p, m, benchmarks, r)
	renderFleet(p, benchmarks, r)
	renderScan(p, benchmarks, r)
	renderCommands(p, benchmarks)
	if len(skips) > 0 {
		p("## Skipped in this run\n\n")
		for _, s := range skips {
			p("- %s\n", s)
		}
		p("\n")
	}
}

type printer func(format string, args ...any)

func version(m Meta, tool string) string {
	if v, ok := m.Versions[tool]; ok {
		return v
	}
	return "not installed"
}

func renderThroughput(p printer, benchmarks []*Benchmark, r *Results) {
	p("## 1. Localhost throughput\n\n")
	p("Many small commands on this machine, %s at a time by every tool. lithops runs `lithops apply` of a job with one task per item (its \"job phase\" is the time from the job's start to its end in the `-json` events, without loading the configuration, planning and writing the state). Targets: lithops within %.1f× of xargs, and faster than GNU parallel.\n\n",
		"as many as there are cores", targetXargs)
	p("| workload | tasks | tool | median | min–max | CPU | load | job phase | lithops ÷ peer | target |\n")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, b := range benchmarks {
		if b.Section != Throughput {
			continue
		}
		lith := summarize(seconds(r.Samples(b.ID, "lithops", "run"), wall))
		for _, t := range b.Tools {
			ss := r.Samples(b.ID, t.Name, "run")
			row := []string{workloadLabel[b.Workload], thousands(b.Size), t.Label}
			if len(ss) == 0 {
				row = append(row, "not run", "", "", "", "", "", "")
				p("| %s |\n", strings.Join(row, " | "))
				continue
			}
			s := summarize(seconds(ss, wall))
			row = append(row, secs(s.Median), secs(s.Min)+"–"+secs(s.Max),
				secs(summarize(seconds(ss, cpu)).Median), load(ss))
			ratio, target := "", ""
			if t.Name == "lithops" {
				row = append(row, secs(summarize(seconds(ss, jobPhase)).Median))
			} else {
				row = append(row, "")
				if lith.N > 0 {
					q := lith.Median / s.Median
					ratio = fmt.Sprintf("%.2f", q)
					switch t.Name {
					case "xargs":
						target = verdict(q <= targetXargs, fmt.Sprintf("≤ %.1f", targetXargs))
					case "parallel":
						target = verdict(q < targetParallel, fmt.Sprintf("< %.0f", targetParallel))
					}
				}
			}
			row = append(row, ratio, target)
			p("| %s |\n", strings.Join(row, " | "))
		}
	}
	p("\n")
}

func renderLinearity(p printer, benchmarks []*Benchmark, r *Results) {
	p("## 2. Linearity\n\n")
	p("lithops alone, the `true ITEM` job at three sizes (the first two are the throughput runs above). Each size has 10× the tasks of the one before, so linear work takes 10× the time; the target is at most %.0f×.\n\n", targetGrowth)
	p("| tasks | apply median | per task | job phase median | per task | apply × the size before | target |\n")
	p("|---:|---:|---:|---:|---:|---:|---|\n")
	prev := Summary{}
	prevSize := 0
	for _, b := range trueSizes(benchmarks) {
		ss := r.Samples(b.ID, "lithops", "run")
		if len(ss) == 0 {
			p("| %s | not run | | | | | |\n", thousands(b.Size))
			prev = Summary{}
			continue
		}
		s := summarize(seconds(ss, wall))
		j := summarize(seconds(ss, jobPhase))
		growth, target := "", ""
		if prev.N > 0 && prevSize > 0 {
			g := s.Median / prev.Median
			growth = fmt.Sprintf("%.2f (for %.0f× the tasks)", g, float64(b.Size)/float64(prevSize))
			if b.Size == prevSize*10 {
				target = verdict(g <= targetGrowth, fmt.Sprintf("≤ %.0f", targetGrowth))
			}
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", thousands(b.Size), secs(s.Median), perItem(s.Median, b.Size),
			secs(j.Median), perItem(j.Median, b.Size), growth, target)
		prev, prevSize = s, b.Size
	}
	p("\n")
}

func renderMemory(p printer, benchmarks []*Benchmark, r *Results) {
	p("## 3. Memory\n\n")
	p("Peak resident memory of the same `true ITEM` runs. **Client** is `ru_maxrss` from wait4 on the lithops process: the larger of its own peak and the peak of the largest descendant it reaped (its worker processes, whose figure in turn covers the tasks they reaped), so it is the client's own peak whenever the client is the largest process. **Polled** is the client's VmHWM read from /proc every %s while it runs, which should agree. **Pool** is the sum over the worker processes (the client's children) of each one's VmHWM, polled the same way. **Workers** is the most worker processes one run started: more than the number of cores means the pool replaced a worker that died during that run. Target: client under %d MiB at the largest size.\n\n",
		pollInterval, targetClientMiB)
	p("| tasks | client (wait4), median | max | polled client, max | pool, median | workers | target |\n")
	p("|---:|---:|---:|---:|---:|---:|---|\n")
	sizes := trueSizes(benchmarks)
	for i, b := range sizes {
		ss := r.Samples(b.ID, "lithops", "run")
		if len(ss) == 0 {
			p("| %s | not run | | | | | |\n", thousands(b.Size))
			continue
		}
		rss := summarize(bytesOf(ss, func(s Sample) int64 { return s.MaxRSS }))
		polled := summarize(bytesOf(ss, func(s Sample) int64 { return s.ClientHWM }))
		pool := summarize(bytesOf(ss, func(s Sample) int64 { return s.PoolHWM }))
		workers := summarize(bytesOf(ss, func(s Sample) int64 { return int64(s.Children) }))
		target := ""
		if i == len(sizes)-1 {
			target = verdict(rss.Max < targetClientMiB*(1<<20), fmt.Sprintf("< %d MiB", targetClientMiB))
		}
		p("| %s | %s | %s | %s | %s | %.0f | %s |\n", thousands(b.Size), mib(int64(rss.Median)), mib(int64(rss.Max)),
			mib(int64(polled.Max)), mib(int64(pool.Median)), workers.Max, target)
	}
	p("\n")
}

func renderEngine(p printer, m Meta, benchmarks []*Benchmark, r *Results) {
	p("## 4. Engine bookkeeping\n\n")
	if m.Storage {
		p("lithops plans, applies and plans again (nothing to change) N `storage` blocks with `backend = \"localhost\"` and `create = true` (each a `localhost_directory` resource: a directory lithops creates and records in its state); Terraform does the same with N `terraform_data` resources of its built-in provider (nothing to download, nothing remote). Both change at most 10 resources at once (their defaults). Target: lithops at least 10× faster (lithops ÷ terraform ≤ %.1f) for plan and apply, and apply time per resource not growing with N (at most %.1f× from the smaller size to the larger).\n\n", targetTerraform, targetPerResGrow)
	} else {
		p("**This lithops build has no resource-bearing block** (the localhost storage backend, whose `create = true` makes a `localhost_directory` resource, is not in it yet), so lithops's side is the cheapest declarative unit it has: N jobs of one `true` task each, every one planned, run and recorded in the state. That is more work than Terraform's N `terraform_data` resources (each lithops job also starts a process), so the comparison favours Terraform. Target: lithops at least 10× faster (lithops ÷ terraform ≤ %.1f) for plan and apply, and apply time per unit not growing with N (at most %.1f× from the smaller size to the larger).\n\n", targetTerraform, targetPerResGrow)
	}
	p("| N | step | tool | median | min–max | load | lithops ÷ terraform | target |\n")
	p("|---:|---|---|---:|---:|---:|---:|---|\n")
	var engine []*Benchmark
	for _, b := range benchmarks {
		if b.Section == Engine {
			engine = append(engine, b)
		}
	}
	for _, b := range engine {
		for _, step := range []string{"plan", "apply", "replan"} {
			lith := summarize(seconds(r.Samples(b.ID, "lithops", step), wall))
			for _, t := range b.Tools {
				ss := r.Samples(b.ID, t.Name, step)
				name := map[string]string{"plan": "plan", "apply": "apply", "replan": "plan, no changes"}[step]
				if len(ss) == 0 {
					p("| %s | %s | %s | not run | | | | |\n", thousands(b.Size), name, t.Label)
					continue
				}
				s := summarize(seconds(ss, wall))
				ratio, target := "", ""
				if t.Name != "lithops" && lith.N > 0 {
					q := lith.Median / s.Median
					ratio = fmt.Sprintf("%.3f", q)
					if step != "replan" {
						target = verdict(q <= targetTerraform, fmt.Sprintf("≤ %.1f", targetTerraform))
					}
				}
				p("| %s | %s | %s | %s | %s–%s | %s | %s | %s |\n", thousands(b.Size), name, t.Label,
					secs(s.Median), secs(s.Min), secs(s.Max), load(ss), ratio, target)
			}
		}
	}
	if len(engine) >= 2 {
		small, large := engine[0], engine[len(engine)-1]
		p("\nApply time per resource, median:\n\n| tool | at %s | at %s | growth | target |\n|---|---:|---:|---:|---|\n", thousands(small.Size), thousands(large.Size))
		for _, t := range small.Tools {
			a := summarize(seconds(r.Samples(small.ID, t.Name, "apply"), wall))
			b := summarize(seconds(r.Samples(large.ID, t.Name, "apply"), wall))
			if a.N == 0 || b.N == 0 {
				p("| %s | not run | | | |\n", t.Label)
				continue
			}
			g := (b.Median / float64(large.Size)) / (a.Median / float64(small.Size))
			target := ""
			if t.Name == "lithops" {
				target = verdict(g <= targetPerResGrow, fmt.Sprintf("≤ %.1f", targetPerResGrow))
			}
			p("| %s | %s | %s | %.2f | %s |\n", t.Label, perItem(a.Median, small.Size), perItem(b.Median, large.Size), g, target)
		}
	}
	p("\n")
}

func renderFleet(p printer, benchmarks []*Benchmark, r *Results) {
	p("## 5. SSH fleet\n\n")
	p("%d hosts, each a network namespace of this machine with its own sshd, user and address (the hosts of the vm backend's tests, `internal/testhosts`), running %d tasks at a time each. lithops applies a job of `echo ITEM` tasks through a `vm` executor: one SSH connection per host carrying a long-lived worker. GNU parallel runs the same `echo ITEM` with `--sshlogin %d/USER@HOST` for each host and the same key and known_hosts: an ssh login per task, as parallel does. lithops's first apply of each run bootstraps the hosts (the worker binary is already on them after the first run, so it checks and records them), and is shown apart; the compared figure is the second apply, the job. Target: lithops faster (lithops ÷ parallel < 1).\n\n",
		fleetHosts, fleetSlots, fleetSlots)
	p("| tasks | tool | step | median | min–max | CPU | load | per task | lithops ÷ peer | target |\n")
	p("|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, b := range benchmarks {
		if b.Section != Fleet || b.Skip != "" {
			continue
		}
		lith := summarize(seconds(r.Samples(b.ID, "lithops", "run"), wall))
		for _, t := range b.Tools {
			for _, st := range t.Steps {
				ss := r.Samples(b.ID, t.Name, st.Name)
				step := map[string]string{"bootstrap": "bootstrap (1 task)", "run": "job"}[st.Name]
				if len(ss) == 0 {
					p("| %s | %s | %s | not run | | | | | | |\n", thousands(b.Size), t.Label, step)
					continue
				}
				s := summarize(seconds(ss, wall))
				per, ratio, target := "", "", ""
				if st.Name == "run" {
					per = perItem(s.Median, b.Size)
					if t.Name != "lithops" && lith.N > 0 {
						q := lith.Median / s.Median
						ratio = fmt.Sprintf("%.3f", q)
						target = verdict(q < 1, "< 1")
					}
				}
				p("| %s | %s | %s | %s | %s–%s | %s | %s | %s | %s | %s |\n", thousands(b.Size), t.Label, step,
					secs(s.Median), secs(s.Min), secs(s.Max), secs(summarize(seconds(ss, cpu)).Median), load(ss), per, ratio, target)
			}
		}
	}
	p("\n")
}

func renderScan(p printer, benchmarks []*Benchmark, r *Results) {
	p("## 6. Partitioned scan over S3\n\n")
	p("Counting the lines of one object in an S3 bucket served by gofakes3 (in memory, in the harness's own process, on this machine). lithops applies a job whose `map { input { storage = storage.data; keys = [...]; chunk_count = %d; newline = true } }` splits the object into %d newline-aligned chunks, read with ranged GETs, one `wc -l` task per chunk on a localhost executor with %d worker processes, summed by a reduce; the check is that the sum equals the object's line count. The peer is one stream: `curl URL | wc -l`. **capped** puts a proxy in front of the server that holds each response to %s a second, about what one S3 GET sustains: a synthetic limit, standing for the per-connection throughput that parallel ranged reads overcome. Uncapped, both sides are bound by this machine's CPU (the server, the readers and `wc` share its cores), so the figure says what the partitioning costs rather than what it gains. Target, capped only: lithops faster (lithops ÷ stream < 1).\n\n",
		scanChunks, scanChunks, scanChunks, mib(scanCap))
	p("| object | responses | tool | median | min–max | CPU | load | throughput | lithops ÷ peer | target |\n")
	p("|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, b := range benchmarks {
		if b.Section != Scan || b.Skip != "" {
			continue
		}
		lith := summarize(seconds(r.Samples(b.ID, "lithops", "run"), wall))
		limit := "as fast as served"
		if b.Capped {
			limit = "capped at " + mib(scanCap) + "/s"
		}
		for _, t := range b.Tools {
			ss := r.Samples(b.ID, t.Name, "run")
			if len(ss) == 0 {
				p("| %s | %s | %s | not run | | | | | | |\n", mib(int64(b.Size)), limit, t.Label)
				continue
			}
			s := summarize(seconds(ss, wall))
			ratio, target := "", ""
			if t.Name != "lithops" && lith.N > 0 {
				q := lith.Median / s.Median
				ratio = fmt.Sprintf("%.3f", q)
				if b.Capped {
					target = verdict(q < 1, "< 1")
				}
			}
			p("| %s | %s | %s | %s | %s–%s | %s | %s | %.0f MiB/s | %s | %s |\n", mib(int64(b.Size)), limit, t.Label,
				secs(s.Median), secs(s.Min), secs(s.Max), secs(summarize(seconds(ss, cpu)).Median), load(ss),
				float64(b.Size)/(1<<20)/s.Median, ratio, target)
		}
	}
	p("\n")
}

func renderCommands(p printer, benchmarks []*Benchmark) {
	p("## Commands\n\n")
	p("Each run's directory holds the files named here; `items.txt` is the output of `seq N`. The lithops configurations are in `bench/scenarios/`. GNU parallel hands each command line to a shell (`$SHELL -c`, bash here) even with `-q`, so its `true` and `echo` are shell builtins; xargs and lithops start the program directly.\n\n")
	seen := map[string]bool{}
	for _, b := range benchmarks {
		if b.Skip != "" || b.Section == Linearity {
			continue
		}
		key := b.Workload
		if seen[key] {
			continue
		}
		seen[key] = true
		switch b.Section {
		case Throughput:
			p("**%s**\n\n", workloadLabel[b.Workload])
		case Engine:
			p("**Engine bookkeeping** (N = %s shown)\n\n", thousands(b.Size))
		case Fleet:
			p("**SSH fleet** (%s tasks; USER@HOST and the key paths are the test hosts')\n\n", thousands(b.Size))
		case Scan:
			p("**Partitioned scan** (the uncapped server's URL shown; the capped one differs in its port)\n\n")
		}
		for _, t := range b.Tools {
			files := make([]string, 0, len(t.Files))
			for _, name := range sortedKeys(t.Files) {
				files = append(files, fileNote(b, name))
			}
			if len(files) == 0 {
				p("- %s:\n\n", t.Label)
			} else {
				p("- %s, in a directory with %s:\n\n", t.Label, strings.Join(files, " and "))
			}
			for _, st := range t.Steps {
				p("      %s\n", display(st))
			}
			p("\n")
		}
	}
}

// fileNote says where a run directory's file comes from.
func fileNote(b *Benchmark, name string) string {
	switch {
	case name == "items.txt":
		return "`items.txt`"
	case b.Section == Throughput && name == "main.hcl":
		return "`main.hcl` = `bench/scenarios/tasks-" + b.Workload + ".hcl`"
	case name == "main.hcl" && b.Section == Fleet:
		return "`main.hcl` from `bench/scenarios/fleet-ssh.hcl`"
	case name == "main.hcl" && b.Section == Scan:
		return "`main.hcl` from `bench/scenarios/scan-s3.hcl`"
	case name == "main.hcl" && b.Workload == "storage":
		return "`main.hcl` from `bench/scenarios/resources-storage.hcl.tmpl`"
	case name == "main.hcl":
		return "`main.hcl` from `bench/scenarios/resources-jobs.hcl.tmpl`"
	case name == "main.tf":
		return "`main.tf` from `bench/scenarios/resources.tf.tmpl`"
	}
	return "`" + name + "`"
}

// display is a step as a shell command line, the program by its name.
func display(st Step) string {
	words := []string{}
	for _, e := range st.Env {
		if strings.HasPrefix(e, "TF_CLI_CONFIG_FILE=") {
			e = "TF_CLI_CONFIG_FILE=empty.rc"
		}
		words = append(words, shellQuote(e))
	}
	for i, a := range st.Argv {
		if i == 0 {
			a = filepath.Base(a)
		}
		words = append(words, shellQuote(a))
	}
	s := strings.Join(words, " ")
	if st.Stdin != "" {
		s += " < " + st.Stdin
	}
	return s
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_=./,:@%+{}", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// trueSizes are the `true` benchmarks, smallest first.
func trueSizes(benchmarks []*Benchmark) []*Benchmark {
	var out []*Benchmark
	for _, b := range benchmarks {
		if b.Workload == "true" && (b.Section == Throughput || b.Section == Linearity) {
			out = append(out, b)
		}
	}
	return out
}

func wall(s Sample) time.Duration     { return s.Wall }
func cpu(s Sample) time.Duration      { return s.CPU }
func jobPhase(s Sample) time.Duration { return s.JobPhase }

// load is the median 1-minute load average before the samples' runs.
func load(ss []Sample) string {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = s.Load1
	}
	return fmt.Sprintf("%.1f", summarize(v).Median)
}

// secs formats seconds with three significant figures or more.
func secs(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.3f s", v)
	case v < 100:
		return fmt.Sprintf("%.2f s", v)
	default:
		return fmt.Sprintf("%.1f s", v)
	}
}

// perItem formats a time per task or resource in milliseconds.
func perItem(total float64, n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%.3f ms", total/float64(n)*1000)
}

// thousands writes an integer with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func verdict(ok bool, target string) string {
	if ok {
		return target + ": met"
	}
	return target + ": **missed**"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
