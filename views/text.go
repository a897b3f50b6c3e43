package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"lithops/apply"
)

// This file is the wording every human view shares (Plain here, the terminal
// UI in package tui): resource verbs, durations, task failures and the final
// summary, in Terraform's phrasing where Terraform has one.

// Duration renders an elapsed time as Terraform does: whole seconds in Go's
// notation ("0s", "14s", "1m2s", "1h0m5s").
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Truncate(time.Second).String()
}

// verbs are the words for one action, in the forms the views need.
type verbs struct {
	progressive string // "Creating"
	noun        string // "Creation"
	past        string // "created"
	still       string // "creating"
}

func verbsOf(a apply.Action) verbs {
	switch a {
	case apply.ActionCreate:
		return verbs{"Creating", "Creation", "created", "creating"}
	case apply.ActionUpdate:
		return verbs{"Modifying", "Modifications", "updated", "modifying"}
	case apply.ActionReplace:
		return verbs{"Replacing", "Replacement", "replaced", "replacing"}
	case apply.ActionDelete:
		return verbs{"Destroying", "Destruction", "destroyed", "destroying"}
	case apply.ActionRead:
		return verbs{"Reading", "Read", "read", "reading"}
	}
	s := string(a)
	return verbs{"Changing (" + s + ")", "Change (" + s + ")", s, "changing (" + s + ")"}
}

// ResourceStarting is the line body when a resource change begins:
// "Creating...".
func ResourceStarting(a apply.Action) string {
	return verbsOf(a).progressive + "..."
}

// ResourceStill is the line body while a change runs: "Still creating...
// [10s elapsed]".
func ResourceStill(a apply.Action, elapsed time.Duration) string {
	return fmt.Sprintf("Still %s... [%s elapsed]", verbsOf(a).still, Duration(elapsed))
}

// ResourceDone is the line body when a change ends: "Creation complete after
// 2s", or "Creation failed after 2s: <err>".
func ResourceDone(f apply.ResourceFinished) string {
	v := verbsOf(f.Action)
	if f.Err != "" {
		return fmt.Sprintf("%s failed after %s: %s", v.noun, Duration(f.Elapsed), oneLine(f.Err))
	}
	return fmt.Sprintf("%s complete after %s", v.noun, Duration(f.Elapsed))
}

// ResourceActive is the short form the terminal UI shows next to a spinner:
// "creating… 12s".
func ResourceActive(a apply.Action, elapsed time.Duration) string {
	return verbsOf(a).still + "… " + Duration(elapsed)
}

// ResourceFinal is the short form the terminal UI shows for a finished
// change: "created in 14s", or "creation failed after 3s: <err>".
func ResourceFinal(f apply.ResourceFinished) string {
	v := verbsOf(f.Action)
	if f.Err != "" {
		return fmt.Sprintf("%s failed after %s: %s", strings.ToLower(v.noun), Duration(f.Elapsed), oneLine(f.Err))
	}
	return v.past + " in " + Duration(f.Elapsed)
}

// FailureReason says why a task attempt failed: "timed out", "killed by
// SIGKILL", "exit status 2", or the error text, with the error appended when
// it adds something.
func FailureReason(f apply.TaskFailed) string {
	var reason string
	switch {
	case f.TimedOut:
		reason = "timed out"
	case f.Signal != "":
		reason = "killed by " + f.Signal
	case f.ExitCode != 0:
		reason = "exit status " + strconv.Itoa(f.ExitCode)
	}
	errText := oneLine(f.Err)
	switch {
	case reason == "" && errText == "":
		return "failed"
	case reason == "":
		return errText
	case errText == "" || strings.Contains(errText, reason):
		return reason
	}
	return reason + ": " + errText
}

// TaskName names a task: "#17" when its key is its index, else `#17 "a.txt"`.
func TaskName(f apply.TaskFailed) string {
	idx := strconv.Itoa(f.Index)
	if f.Key == "" || f.Key == idx {
		return "#" + idx
	}
	return "#" + idx + " " + strconv.Quote(f.Key)
}

// Attempt says what follows a failed attempt: "attempt 1, retrying" or
// "attempt 3, gave up".
func Attempt(f apply.TaskFailed) string {
	if f.Final {
		return fmt.Sprintf("attempt %d, gave up", f.Attempt)
	}
	return fmt.Sprintf("attempt %d, retrying", f.Attempt)
}

// StderrLines splits a stderr tail into at most max non-empty trailing lines,
// tabs expanded and control characters removed so they cannot move the
// cursor.
func StderrLines(tail string, max int) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(tail, "\r\n", "\n"), "\n") {
		l = sanitize(l)
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if max >= 0 && len(lines) > max {
		lines = lines[len(lines)-max:]
	}
	return lines
}

// sanitize drops escape sequences and control characters (carriage returns,
// bells) from text that came from a task, and expands tabs.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range ansi.Strip(s) {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine joins a multi-line message into one line and strips control
// characters.
func oneLine(s string) string {
	return sanitize(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "))
}

// SummaryTitle is the first words of the final summary: "Apply complete!",
// "Destroy complete!", "Apply stopped." or "Apply failed!".
func SummaryTitle(f apply.Finished) string {
	op := "Apply"
	if f.Operation == "destroy" {
		op = "Destroy"
	}
	switch {
	case f.Err != "":
		return op + " failed!"
	case f.Stopped:
		return op + " stopped."
	}
	return op + " complete!"
}

// SummaryCounts is the rest of the summary line: "Resources: 1 added, 0
// changed, 0 destroyed. Jobs: 1 ran, 1000 tasks, 3 retried, 0 failed." A
// destroy says only "Resources: 2 destroyed."; an apply that ran no job
// leaves the jobs out.
func SummaryCounts(f apply.Finished) string {
	if f.Operation == "destroy" {
		return fmt.Sprintf("Resources: %d destroyed.", f.Destroyed)
	}
	s := fmt.Sprintf("Resources: %d added, %d changed, %d destroyed.", f.Added, f.Changed, f.Destroyed)
	if f.JobsRan > 0 || f.Tasks > 0 || f.Failed > 0 {
		s += fmt.Sprintf(" Jobs: %d ran, %d tasks, %d retried, %d failed.", f.JobsRan, f.Tasks, f.Retried, f.Failed)
	}
	return s
}

// Summary is the whole summary line: SummaryTitle and SummaryCounts.
func Summary(f apply.Finished) string {
	return SummaryTitle(f) + " " + SummaryCounts(f)
}

// OutputLines renders root outputs as "name = value" lines, a sensitive
// value always as "(sensitive value)" whatever the engine passed.
func OutputLines(outs []apply.OutputValue) []string {
	lines := make([]string, 0, len(outs))
	for _, o := range outs {
		v := o.Value
		if o.Sensitive {
			v = "(sensitive value)"
		}
		lines = append(lines, o.Name+" = "+v)
	}
	return lines
}

// JobProgressLine is the body of a plain progress line: "812/1000 done, 3
// failed, 2 retried [40s]".
func JobProgressLine(p apply.JobProgress) string {
	return fmt.Sprintf("%d/%d done, %d failed, %d retried [%s]", p.Done, p.Total, p.Failed, p.Retried, Duration(p.Elapsed))
}

// JobDone is the body of the line that ends a job: "Complete after 40s: 1000
// tasks, 3 retried, 0 failed", "Failed after 40s: 3 of 1000 tasks failed:
// <err>", or "Skipped: <why>".
func JobDone(f apply.JobFinished) string {
	if f.Skipped {
		if f.Err == "" {
			return "Skipped"
		}
		return "Skipped: " + oneLine(f.Err)
	}
	cached := ""
	if f.Cached > 0 {
		cached = fmt.Sprintf(" (%d cached)", f.Cached)
	}
	if f.Stopped {
		return fmt.Sprintf("Stopped after %s: %d tasks finished%s, %d failed; the rest run next time",
			Duration(f.Elapsed), f.Tasks, cached, f.Failed)
	}
	if f.Err != "" {
		return fmt.Sprintf("Failed after %s: %d of %d tasks failed%s, %d retried: %s",
			Duration(f.Elapsed), f.Failed, f.Tasks, cached, f.Retried, oneLine(f.Err))
	}
	return fmt.Sprintf("Complete after %s: %d tasks%s, %d retried, %d failed",
		Duration(f.Elapsed), f.Tasks, cached, f.Retried, f.Failed)
}

// JobStarting is the body of the line that starts a job (phase): "Running
// 1000 map tasks on executor.local (3 cached)...".
func JobStarting(s apply.JobStarted) string {
	phase := ""
	if s.Phase != "" {
		phase = s.Phase + " "
	}
	noun := "tasks"
	if s.Tasks == 1 {
		noun = "task"
	}
	b := fmt.Sprintf("Running %d %s%s", s.Tasks, phase, noun)
	if s.Executor != "" {
		b += " on " + s.Executor
	}
	if s.Cached > 0 {
		b += fmt.Sprintf(" (%d cached)", s.Cached)
	}
	return b + "..."
}

// HostLine is the body of a host change: "10.0.0.5 ready (8 slots)",
// "10.0.0.7 unreachable: <detail>".
func HostLine(h apply.HostChanged) string {
	s := h.Host + " " + string(h.State)
	if h.State == apply.HostReady && h.Slots > 0 {
		s += fmt.Sprintf(" (%d slots)", h.Slots)
	}
	if h.Detail != "" {
		s += ": " + oneLine(h.Detail)
	}
	return s
}

// StoppingText is what every human view says once a stop was asked for.
const StoppingText = "Stopping: no new task starts; running tasks get SIGTERM, then SIGKILL after the grace period."

// Sanitize makes text from outside (task stderr, error messages) safe to put
// on one terminal line: control characters dropped, tabs expanded, newlines
// folded into spaces.
func Sanitize(s string) string { return oneLine(s) }
