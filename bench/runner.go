package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Results holds every sample, by benchmark, tool and step.
type Results struct {
	samples map[string][]Sample
}

func newResults() *Results { return &Results{samples: map[string][]Sample{}} }

func resultKey(id, tool, step string) string { return id + "|" + tool + "|" + step }

// Add records one sample.
func (r *Results) Add(id, tool, step string, s Sample) {
	k := resultKey(id, tool, step)
	r.samples[k] = append(r.samples[k], s)
}

// Samples returns the samples of one benchmark's tool's step, in run order.
func (r *Results) Samples(id, tool, step string) []Sample {
	return r.samples[resultKey(id, tool, step)]
}

// runner runs benchmarks and keeps their samples and failures.
type runner struct {
	runs    int
	timeout time.Duration
	// base is the directory under which each run gets a fresh directory.
	base    string
	log     io.Writer
	results *Results
	// failures are the commands that failed or did not do their work.
	failures []string
	// skips are the benchmarks and tools that did not run, and why.
	skips []string
}

// run measures one benchmark: runs rounds, each running every tool once, in
// the order of b.Tools (lithops, peer, lithops, peer …).
func (r *runner) run(ctx context.Context, b *Benchmark) {
	if b.Skip != "" {
		r.skip(b.ID, b.Skip)
		return
	}
	for _, t := range b.Tools {
		if t.Skip != "" {
			r.skip(b.ID+" "+t.Name, t.Skip)
		}
	}
	if b.Before != nil {
		if err := b.Before(); err != nil {
			msg := fmt.Sprintf("%s: %v", b.ID, err)
			r.failures = append(r.failures, msg)
			fmt.Fprintf(r.log, "FAIL %s\n", msg)
			return
		}
	}
	for i := range r.runs {
		for _, t := range b.Tools {
			if t.Skip != "" || ctx.Err() != nil {
				continue
			}
			if err := r.runTool(ctx, b, t, i); err != nil {
				msg := fmt.Sprintf("%s %s run %d: %v", b.ID, t.Name, i+1, err)
				r.failures = append(r.failures, msg)
				fmt.Fprintf(r.log, "FAIL %s\n", msg)
			}
		}
	}
}

func (r *runner) skip(what, why string) {
	r.skips = append(r.skips, what+": "+why)
	fmt.Fprintf(r.log, "skip %s: %s\n", what, why)
}

// runTool runs one tool's steps once in a fresh directory, removed after a
// success and kept for inspection after a failure.
func (r *runner) runTool(ctx context.Context, b *Benchmark, t *Tool, i int) error {
	dir, err := os.MkdirTemp(r.base, "run-")
	if err != nil {
		return err
	}
	if err := writeFiles(dir, t.Files); err != nil {
		return err
	}
	for _, st := range t.Steps {
		o, err := execute(ctx, dir, st, r.timeout)
		if err != nil {
			return fmt.Errorf("%w (directory kept: %s)", err, dir)
		}
		r.results.Add(b.ID, t.Name, st.Name, o.Sample)
		line := fmt.Sprintf("%-18s run %d/%d %-9s %-6s %8.3fs  cpu %7.2fs  load %.1f",
			b.ID, i+1, r.runs, t.Name, st.Name, o.Wall.Seconds(), o.CPU.Seconds(), o.Load1)
		if o.JobPhase > 0 {
			line += fmt.Sprintf("  job %.3fs", o.JobPhase.Seconds())
		}
		if st.Watch {
			line += fmt.Sprintf("  maxrss %s  pool %s (%d)", mib(o.MaxRSS), mib(o.PoolHWM), o.Children)
		}
		fmt.Fprintln(r.log, line)
	}
	return os.RemoveAll(dir)
}

// mib formats a size in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
