package views

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"lithops/plan"
)

// PlanOptions controls plan rendering.
type PlanOptions struct {
	Color bool
}

const (
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
)

type planWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (pw *planWriter) printf(format string, args ...any) {
	if pw.err == nil {
		_, pw.err = fmt.Fprintf(pw.w, format, args...)
	}
}

func (pw *planWriter) paint(code, s string) string {
	if !pw.color {
		return s
	}
	return code + s + ansiReset
}

func (pw *planWriter) symbol(a plan.Action) string {
	switch a {
	case plan.Create:
		return pw.paint(ansiGreen, "  +")
	case plan.Update:
		return pw.paint(ansiYellow, "  ~")
	case plan.Delete:
		return pw.paint(ansiRed, "  -")
	case plan.Replace:
		return pw.paint(ansiRed, "-/") + pw.paint(ansiGreen, "+")
	}
	return "   "
}

// WritePlan renders a plan for a person, in Terraform's conventions: one
// block per resource change and per job (never one line per task), then a
// summary line.
func WritePlan(w io.Writer, p *plan.Plan, opts PlanOptions) error {
	// One write per 64 KiB, not per line: a plan of thousands of resources
	// was thousands of write calls.
	bw := bufio.NewWriterSize(w, 64<<10)
	err := writePlan(bw, p, opts)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func writePlan(w io.Writer, p *plan.Plan, opts PlanOptions) error {
	pw := &planWriter{w: w, color: opts.Color}
	if !p.HasChanges() {
		pw.printf("%s\n\n", pw.paint(ansiBold+ansiGreen, "No changes."))
		pw.printf("The resources match the configuration and every job is up to date.\n")
		pw.printf("\n")
		writeUpToDate(pw, p)
		return pw.err
	}
	legend := map[string]bool{}
	for _, r := range p.Resources {
		legend[r.Action.String()] = true
	}
	for _, j := range p.Jobs {
		legend[string(j.Status)] = true
	}
	pw.printf("lithops will perform the following actions. Symbols:\n")
	for _, l := range []struct{ key, sym, text string }{
		{"create", pw.symbol(plan.Create), "create"},
		{"update", pw.symbol(plan.Update), "update in place"},
		{"delete", pw.symbol(plan.Delete), "destroy"},
		{"replace", pw.symbol(plan.Replace), "destroy and then create a replacement"},
		{"run", pw.paint(ansiCyan, "  >"), "run a job"},
		{"unknown", pw.paint(ansiCyan, "  >"), "run a job"},
		{"remove", pw.symbol(plan.Delete), "remove a job's results"},
	} {
		if legend[l.key] {
			pw.printf("%s %s\n", l.sym, l.text)
			if l.key == "run" {
				legend["unknown"] = false
			}
		}
	}
	pw.printf("\n")
	for _, r := range p.Resources {
		if r.Action == plan.NoOp {
			continue
		}
		writeResource(pw, r)
	}
	for _, j := range p.Jobs {
		if j.Status == plan.JobUpToDate {
			continue
		}
		writeJob(pw, j)
	}
	writeUpToDate(pw, p)
	writeOutputs(pw, p)
	pw.printf("%s\n", SummaryLine(p))
	if cost := hourlyCost(p); cost > 0 {
		pw.printf("Estimated cost while the planned resources exist: $%.4f/hour (an estimate from list prices, not a bill).\n", cost)
	}
	return pw.err
}

func writeUpToDate(pw *planWriter, p *plan.Plan) {
	var names []string
	for _, j := range p.Jobs {
		if j.Status == plan.JobUpToDate {
			names = append(names, fmt.Sprintf("job.%s (%s)", j.Name, plural(j.Total, "task")))
		}
	}
	if len(names) > 0 {
		pw.printf("Up to date, nothing to run: %s.\n\n", strings.Join(names, ", "))
	}
}

func hourlyCost(p *plan.Plan) float64 {
	total := 0.0
	for _, r := range p.Resources {
		if r.Estimate != nil && r.Action != plan.Delete {
			total += r.Estimate.Hourly
		}
	}
	return total
}

// SummaryLine is the plan's last line, as in
// "Plan: 2 to add, 0 to change, 1 to destroy; 1 job to run (97 of 100 tasks)."
func SummaryLine(p *plan.Plan) string {
	s := p.Summary()
	if p.Destroy {
		line := fmt.Sprintf("Plan: 0 to add, 0 to change, %d to destroy", s.Destroy)
		if s.JobsRemoved > 0 {
			line += fmt.Sprintf("; %s removed", plural(s.JobsRemoved, "job's results", "jobs' results"))
		}
		return line + "."
	}
	line := fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy; %s to run", s.Add, s.Change, s.Destroy, plural(s.JobsToRun, "job"))
	known := s.JobsToRun - s.UnknownJobs
	switch {
	case known > 0 && s.UnknownJobs > 0:
		line += fmt.Sprintf(" (%d of %s, and the tasks of %s known after apply)", s.TasksToRun, plural(s.Tasks, "task"), plural(s.UnknownJobs, "job"))
	case known > 0:
		line += fmt.Sprintf(" (%d of %s)", s.TasksToRun, plural(s.Tasks, "task"))
	case s.UnknownJobs > 0:
		line += " (tasks known after apply)"
	}
	if s.JobsRemoved > 0 {
		line += fmt.Sprintf("; %s removed", plural(s.JobsRemoved, "job's results", "jobs' results"))
	}
	return line + "."
}

func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func writeResource(pw *planWriter, r *plan.ResourceChange) {
	what := map[plan.Action]string{
		plan.Create:  "will be created",
		plan.Update:  "will be updated in place",
		plan.Delete:  "will be destroyed",
		plan.Replace: "must be replaced",
	}[r.Action]
	if r.Drift && r.Action == plan.Delete {
		what = "will be forgotten"
	}
	pw.printf("  # %s (%s) %s", r.Addr, r.Type, what)
	if r.Reason != "" {
		pw.printf(": %s", r.Reason)
	}
	pw.printf("\n%s %s {\n", pw.symbol(r.Action), r.Addr)
	names := make([]string, 0, len(r.Schema.Attributes))
	for n := range r.Schema.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	forces := map[string]bool{}
	for _, f := range r.ReplacePaths {
		forces[f] = true
	}
	hidden := 0
	for _, n := range names {
		a := r.Schema.Attributes[n]
		before, after := attr(r.Before, n), attr(r.After, n)
		sensitive := a.Sensitive || marked(before) || marked(after)
		pad := strings.Repeat(" ", width-len(n))
		switch r.Action {
		case plan.Create:
			if after.IsNull() {
				continue
			}
			pw.printf("      %s %s%s = %s\n", pw.paint(ansiGreen, "+"), n, pad, renderValue(after, sensitive))
		case plan.Delete:
			if before.IsNull() {
				continue
			}
			pw.printf("      %s %s%s = %s -> null\n", pw.paint(ansiRed, "-"), n, pad, renderValue(before, sensitive))
		default:
			if equal(before, after) || (a.Sensitive && r.Action == plan.Update) {
				hidden++
				continue
			}
			note := ""
			if forces[n] {
				note = pw.paint(ansiRed, " # forces replacement")
			}
			switch {
			case before.IsNull():
				pw.printf("      %s %s%s = %s%s\n", pw.paint(ansiGreen, "+"), n, pad, renderValue(after, sensitive), note)
			case after.IsNull():
				pw.printf("      %s %s%s = %s -> null%s\n", pw.paint(ansiRed, "-"), n, pad, renderValue(before, sensitive), note)
			default:
				pw.printf("      %s %s%s = %s -> %s%s\n", pw.paint(ansiYellow, "~"), n, pad, renderValue(before, sensitive), renderValue(after, sensitive), note)
			}
		}
	}
	if hidden > 0 {
		pw.printf("        # (%s hidden)\n", plural(hidden, "unchanged attribute"))
	}
	if r.Estimate != nil {
		pw.printf("        # estimated cost: $%.4f/hour (%s)\n", r.Estimate.Hourly, r.Estimate.Basis)
	}
	pw.printf("    }\n\n")
}

func attr(v cty.Value, name string) cty.Value {
	if v == cty.NilVal || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	if !v.IsKnown() {
		return cty.DynamicVal
	}
	return v.GetAttr(name)
}

func marked(v cty.Value) bool {
	_, marks := v.UnmarkDeep()
	return len(marks) > 0
}

func equal(a, b cty.Value) bool {
	a, _ = a.UnmarkDeep()
	b, _ = b.UnmarkDeep()
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	eq := a.Equals(b)
	return eq.IsKnown() && eq.True()
}

// renderValue renders a value in HCL syntax, or one of Terraform's
// placeholders.
func renderValue(v cty.Value, sensitive bool) string {
	if sensitive || marked(v) {
		return "(sensitive value)"
	}
	if !v.IsWhollyKnown() {
		return "(known after apply)"
	}
	if v.IsNull() {
		return "null"
	}
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

func writeJob(pw *planWriter, j *plan.JobPlan) {
	var head, sym string
	switch j.Status {
	case plan.JobRun:
		head = fmt.Sprintf("will run %d of %s", j.ToRun, plural(j.Total, "task"))
		if j.Cached > 0 {
			head += fmt.Sprintf(" (%d unchanged)", j.Cached)
		}
		if j.ToRun == 0 && j.ReduceRuns {
			head = fmt.Sprintf("will run its reduce (%s unchanged)", plural(j.Total, "map task"))
		}
		sym = pw.paint(ansiCyan, "  >")
	case plan.JobUnknown:
		head = "will run (tasks known after apply)"
		sym = pw.paint(ansiCyan, "  >")
	case plan.JobRemove:
		head = fmt.Sprintf("will be removed with its %s", plural(j.Total, "recorded result"))
		sym = pw.symbol(plan.Delete)
	}
	pw.printf("  # job.%s %s", j.Name, head)
	if j.Reason != "" {
		pw.printf(": %s", j.Reason)
	}
	if j.Status == plan.JobRemove {
		pw.printf("\n%s job.%s\n\n", sym, j.Name)
		return
	}
	pw.printf("\n%s job.%s {\n", sym, j.Name)
	{
		rows := [][2]string{{"executor", j.Executor}}
		if j.Storage != "" {
			rows = append(rows, [2]string{"storage", j.Storage})
		}
		if j.Command != "" {
			rows = append(rows, [2]string{"command", sourceBlock(j.Command)})
		}
		switch j.Status {
		case plan.JobRun:
			rows = append(rows, [2]string{"tasks", fmt.Sprintf("%d (%d to run, %d unchanged)", j.Total, j.ToRun, j.Cached)})
		case plan.JobUnknown:
			rows = append(rows, [2]string{"tasks", "(known after apply)"})
		}
		if j.Reduce != "" {
			state := "will run"
			if !j.ReduceRuns && j.Status == plan.JobRun {
				state = "unchanged"
			}
			rows = append(rows, [2]string{"reduce", sourceBlock(j.Reduce) + "  # " + state})
		}
		if len(j.DependsOn) > 0 {
			deps := make([]string, len(j.DependsOn))
			for i, d := range j.DependsOn {
				deps[i] = "job." + d
			}
			rows = append(rows, [2]string{"after", strings.Join(deps, ", ")})
		}
		width := 0
		for _, r := range rows {
			width = max(width, len(r[0]))
		}
		for _, r := range rows {
			// Later lines of a multi-line expression line up under its
			// first character.
			value := strings.ReplaceAll(r[1], "\n", "\n"+strings.Repeat(" ", 6+width+3))
			pw.printf("      %s%s = %s\n", r[0], strings.Repeat(" ", width-len(r[0])), value)
		}
	}
	pw.printf("    }\n\n")
}

func writeOutputs(pw *planWriter, p *plan.Plan) {
	var changed []*plan.OutputChange
	width := 0
	for _, o := range p.Outputs {
		if o.Action != plan.NoOp {
			changed = append(changed, o)
			width = max(width, len(o.Name))
		}
	}
	if len(changed) == 0 {
		return
	}
	pw.printf("Changes to Outputs:\n")
	for _, o := range changed {
		pad := strings.Repeat(" ", width-len(o.Name))
		switch o.Action {
		case plan.Create:
			pw.printf("%s %s%s = %s\n", pw.symbol(plan.Create), o.Name, pad, renderValue(o.After, o.Sensitive))
		case plan.Delete:
			pw.printf("%s %s%s = %s -> null\n", pw.symbol(plan.Delete), o.Name, pad, renderValue(o.Before, o.Sensitive))
		default:
			pw.printf("%s %s%s = %s -> %s\n", pw.symbol(plan.Update), o.Name, pad, renderValue(o.Before, o.Sensitive), renderValue(o.After, o.Sensitive))
		}
	}
	pw.printf("\n")
}

// sourceBlock shows an expression's source as written: its lines without the
// indentation they share, control characters removed.
func sourceBlock(src string) string {
	lines := strings.Split(strings.TrimRight(src, " \t\n"), "\n")
	indent := -1
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if i > 0 && indent > 0 && len(l) >= indent {
			l = l[indent:]
		}
		lines[i] = Sanitize(strings.TrimRight(l, " \t\r"))
	}
	return strings.Join(lines, "\n")
}
