package views

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"lithops/apply"
)

// PlainOptions configure a Plain renderer.
type PlainOptions struct {
	// Out receives the lines.
	Out io.Writer
	// Color adds bold, red, green and yellow (SGR only, never cursor
	// movement).
	Color bool
	// Interval is how often a running job or resource change repeats its
	// progress line when nothing else happens. Default 5s.
	Interval time.Duration
	// Now is the clock; default time.Now. Tests pass a fake.
	Now func() time.Time
	// MaxFailureLines caps the failed-attempt reports printed per job
	// (default 20); the rest are counted when the job ends.
	MaxFailureLines int
	// StderrLines caps the stderr lines printed under each failure (default
	// 5).
	StderrLines int
}

// Plain prints events as Terraform-style lines for CI logs, pipes and
// -no-tui: one line per resource start and end, a progress line per job on
// every state change (start, failure, end) and at most every Interval while
// it runs, and the summary and outputs at the end. It never writes a
// carriage return or a cursor movement. Observe and Tick are safe for
// concurrent use.
type Plain struct {
	out      io.Writer
	c        painter
	interval time.Duration
	now      func() time.Time
	maxFail  int
	maxErr   int

	mu        sync.Mutex
	buf       bytes.Buffer
	resources map[string]*plainResource
	resOrder  []string
	jobs      map[string]*plainJob
	jobOrder  []string
	finished  chan struct{}
	closed    bool
}

type plainResource struct {
	action   apply.Action
	started  time.Time // by the Plain clock
	lastLine time.Time
	done     bool
}

type plainJob struct {
	started    time.Time // by the Plain clock
	lastLine   time.Time
	progress   apply.JobProgress
	hasProg    bool
	lastFailed int // Failed count in the last printed line
	failLines  int // failure reports printed
	unprinted  int // failure reports not printed (over the cap)
	done       bool
}

var _ apply.Observer = (*Plain)(nil)

// NewPlain returns a Plain renderer writing to o.Out.
func NewPlain(o PlainOptions) *Plain {
	p := &Plain{
		out:       o.Out,
		c:         painter(o.Color),
		interval:  o.Interval,
		now:       o.Now,
		maxFail:   o.MaxFailureLines,
		maxErr:    o.StderrLines,
		resources: map[string]*plainResource{},
		jobs:      map[string]*plainJob{},
		finished:  make(chan struct{}),
	}
	if p.interval <= 0 {
		p.interval = 5 * time.Second
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.maxFail == 0 {
		p.maxFail = 20
	}
	if p.maxErr == 0 {
		p.maxErr = 5
	}
	return p
}

// Observe implements apply.Observer.
func (p *Plain) Observe(e apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch e := e.(type) {
	case apply.ResourceStarted:
		r, ok := p.resources[e.Addr]
		if !ok {
			r = &plainResource{}
			p.resources[e.Addr] = r
			p.resOrder = append(p.resOrder, e.Addr)
		}
		*r = plainResource{action: e.Action, started: now, lastLine: now}
		p.line(p.addr(e.Addr) + ResourceStarting(e.Action))
	case apply.ResourceFinished:
		if r, ok := p.resources[e.Addr]; ok {
			r.done = true
		}
		if e.Err != "" {
			p.line(p.addr(e.Addr) + p.c.paint(ResourceDone(e), sgrRed))
		} else {
			p.line(p.addr(e.Addr) + ResourceDone(e))
		}
	case apply.JobStarted:
		j := p.job(e.Job)
		j.started, j.lastLine, j.done = now, now, false
		j.progress = apply.JobProgress{Job: e.Job, Phase: e.Phase, Total: e.Tasks, Queued: e.Tasks}
		j.hasProg, j.lastFailed = false, 0
		p.line(p.addr(e.Job) + JobStarting(e))
	case apply.JobProgress:
		j := p.job(e.Job)
		j.progress, j.hasProg = e, true
		failedMore := e.Failed > j.lastFailed && j.unprinted == 0
		if failedMore || now.Sub(j.lastLine) >= p.interval {
			p.progressLine(e.Job, j, e, now)
		}
	case apply.TaskFailed:
		j := p.job(e.Job)
		if j.failLines >= p.maxFail {
			j.unprinted++
			break
		}
		j.failLines++
		text := fmt.Sprintf("task %s failed (%s): %s", TaskName(e), Attempt(e), FailureReason(e))
		if e.Worker != "" {
			text += " on " + Sanitize(e.Worker)
		}
		p.line(p.addr(e.Job) + p.c.paint(text, sgrRed))
		for _, l := range StderrLines(e.StderrTail, p.maxErr) {
			p.line("    | " + l)
		}
	case apply.JobFinished:
		j := p.job(e.Job)
		j.done = true
		if j.unprinted > 0 {
			p.line(p.addr(e.Job) + fmt.Sprintf("%d more failed attempts not shown", j.unprinted))
			j.unprinted = 0
		}
		switch {
		case e.Err != "" && !e.Skipped:
			p.line(p.addr(e.Job) + p.c.paint(JobDone(e), sgrRed))
		case e.Skipped:
			p.line(p.addr(e.Job) + p.c.paint(JobDone(e), sgrYellow))
		default:
			p.line(p.addr(e.Job) + JobDone(e))
		}
	case apply.HostChanged:
		text := HostLine(e)
		switch e.State {
		case apply.HostLost, apply.HostUnreachable:
			text = p.c.paint(text, sgrRed)
		}
		p.line(p.addr(e.Executor) + text)
	case apply.Stopping:
		p.line(p.c.paint(StoppingText, sgrBold, sgrYellow))
	case apply.Message:
		if e.Level == "warn" {
			p.line(p.c.paint("Warning: ", sgrBold, sgrYellow) + Sanitize(e.Text))
		} else {
			p.line(Sanitize(e.Text))
		}
	case apply.Finished:
		p.finish(e)
	}
	p.flush()
}

// Tick prints the progress lines that are due: "Still creating... [10s
// elapsed]" for a resource change and the counters of a running job, each at
// most every Interval. Run calls it; tests call it after moving their clock.
func (p *Plain) Tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, addr := range p.resOrder {
		r := p.resources[addr]
		if r.done || now.Sub(r.lastLine) < p.interval {
			continue
		}
		r.lastLine = now
		p.line(p.addr(addr) + ResourceStill(r.action, now.Sub(r.started)))
	}
	for _, name := range p.jobOrder {
		j := p.jobs[name]
		if j.done || now.Sub(j.lastLine) < p.interval {
			continue
		}
		pr := j.progress
		pr.Elapsed = now.Sub(j.started)
		p.progressLine(name, j, pr, now)
	}
	p.flush()
}

// Run calls Tick every second until ctx is done or Finished was observed.
func (p *Plain) Run(ctx context.Context) {
	step := time.Second
	if p.interval < step {
		step = p.interval
	}
	t := time.NewTicker(step)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.finished:
			return
		case <-t.C:
			p.Tick()
		}
	}
}

func (p *Plain) job(name string) *plainJob {
	j, ok := p.jobs[name]
	if !ok {
		j = &plainJob{}
		p.jobs[name] = j
		p.jobOrder = append(p.jobOrder, name)
	}
	return j
}

func (p *Plain) progressLine(name string, j *plainJob, pr apply.JobProgress, now time.Time) {
	j.lastLine, j.lastFailed = now, pr.Failed
	p.line(p.addr(name) + JobProgressLine(pr))
}

func (p *Plain) finish(f apply.Finished) {
	p.line("")
	color := []string{sgrBold, sgrGreen}
	switch {
	case f.Err != "":
		color = []string{sgrBold, sgrRed}
	case f.Stopped:
		color = []string{sgrBold, sgrYellow}
	}
	p.line(p.c.paint(SummaryTitle(f), color...) + " " + SummaryCounts(f))
	if f.Err != "" {
		// One line per error: several jobs may fail in one apply.
		for _, e := range strings.Split(f.Err, "\n") {
			if strings.TrimSpace(e) == "" {
				continue
			}
			p.line("")
			p.line(p.c.paint("Error: ", sgrBold, sgrRed) + Sanitize(e))
		}
	}
	if outs := OutputLines(f.Outputs); len(outs) > 0 {
		p.line("")
		p.line(p.c.paint("Outputs:", sgrGreen))
		p.line("")
		for _, l := range outs {
			p.line(l)
		}
	}
	if !p.closed {
		p.closed = true
		close(p.finished)
	}
}

// addr is the bold "name: " prefix of a line.
func (p *Plain) addr(name string) string {
	return p.c.paint(Sanitize(name)+":", sgrBold) + " "
}

func (p *Plain) line(s string) {
	p.buf.WriteString(s)
	p.buf.WriteByte('\n')
}

// flush writes what one call produced in a single Write, so lines from
// concurrent observers never interleave mid-line.
func (p *Plain) flush() {
	if p.buf.Len() == 0 {
		return
	}
	_, _ = p.out.Write(p.buf.Bytes())
	p.buf.Reset()
}
