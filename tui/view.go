package tui

import (
	"fmt"
	"strings"
	"time"

	"lithops/apply"
	"lithops/views"
)

// screen is what one frame or the final report is drawn from.
type screen struct {
	st            *state
	now           time.Time
	tick          int // spinner frame
	width, height int
	sty           styles
	stopAsked     bool
	killed        bool
}

// detail says how much a frame shows; frame tries levels from the most
// detailed down until the frame fits the terminal's height.
type detail struct {
	doneResources bool // list finished resources (else one summary line)
	maxActive     int  // running resources listed; -1 all
	hostLines     int  // problem hosts listed per executor
	allHosts      int  // a fleet of at most this many hosts lists each host
	failures      int  // recent failures shown
	stderr        int  // stderr lines per failure
	messages      int
	jobStats      bool // the counters under each job's bar
	help          bool
	report        bool // the final report: wrap long text instead of cutting it
}

var levels = []detail{
	{doneResources: true, maxActive: -1, hostLines: 3, allHosts: 6, failures: 3, stderr: 3, messages: 3, jobStats: true, help: true},
	{doneResources: true, maxActive: -1, hostLines: 3, allHosts: 6, failures: 3, stderr: 1, messages: 3, jobStats: true, help: true},
	{maxActive: -1, hostLines: 3, failures: 3, stderr: 1, messages: 3, jobStats: true, help: true},
	{maxActive: -1, hostLines: 1, failures: 1, stderr: 1, messages: 1, jobStats: true, help: true},
	{maxActive: 5, hostLines: 1, failures: 1, stderr: 0, messages: 1, jobStats: true},
	{maxActive: 2, jobStats: true},
	{maxActive: 1},
	{},
}

// reportDetail is the final report's: everything, wrapped to the width.
var reportDetail = detail{doneResources: true, maxActive: -1, hostLines: 20, allHosts: 20, failures: maxFailures, stderr: 3, messages: maxMessages, jobStats: true, report: true}

// frame renders the live screen: at most height lines, none wider than
// width.
func (sc screen) frame() string {
	var lines []string
	for _, d := range levels {
		if d.doneResources && sc.height > 0 && len(sc.st.Resources) > sc.height {
			continue // cannot fit: do not draw it to find out
		}
		lines = sc.render(d)
		if sc.height <= 0 || len(lines) <= sc.height {
			break
		}
	}
	if sc.height > 0 && len(lines) > sc.height {
		more := len(lines) - sc.height + 1
		lines = append(lines[:sc.height-1], sc.sty.faint.Render(truncate(fmt.Sprintf("… %d more lines: enlarge the terminal", more), sc.width)))
	}
	return sc.fit(lines)
}

// report renders the final screen printed after the program ends: every
// resource and job, the last failures, the summary and the outputs.
func (sc screen) report() string {
	lines := sc.render(reportDetail)
	if len(lines) == 0 {
		return ""
	}
	return sc.fit(lines) + "\n"
}

// fit truncates every line to the width and joins them.
func (sc screen) fit(lines []string) string {
	for i, l := range lines {
		lines[i] = truncate(l, sc.width)
	}
	return strings.Join(lines, "\n")
}

func (sc screen) render(d detail) []string {
	var sections [][]string
	add := func(lines []string) {
		if len(lines) > 0 {
			sections = append(sections, lines)
		}
	}
	add(sc.resources(d))
	add(sc.hosts(d))
	add(sc.jobs(d))
	add(sc.failures(d))
	add(sc.messages(d))
	if len(sections) == 0 && !d.report {
		add([]string{sc.spinner() + " " + truncate("starting "+sc.operation()+"…", sc.width-2)})
	}
	if d.report {
		add(sc.summary())
	} else {
		add(sc.status(d))
	}
	var lines []string
	for i, s := range sections {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, s...)
	}
	return lines
}

func (sc screen) operation() string {
	if sc.st.Operation != "" {
		return sc.st.Operation
	}
	return "apply"
}

func (sc screen) spinner() string { return sc.sty.spinnerFrame(sc.tick) }

// resources lists resource changes in the order they started.
func (sc screen) resources(d detail) []string {
	rs := sc.st.Resources
	if len(rs) == 0 {
		return nil
	}
	nameW := 0
	for _, r := range rs {
		nameW = max(nameW, width(views.Sanitize(r.Addr)))
	}
	nameW = min(nameW, max((sc.width-4)/2, 8))
	var lines []string
	var done, active int
	for _, r := range rs {
		switch {
		case !r.Done:
			active++
		case r.Err == "":
			done++
		}
	}
	shownActive := 0
	for _, r := range rs {
		name := pad(middle(views.Sanitize(r.Addr), nameW), nameW)
		switch {
		case !r.Done:
			if d.maxActive >= 0 && shownActive >= d.maxActive {
				continue
			}
			shownActive++
			status := views.ResourceActive(r.Action, sc.now.Sub(r.Started))
			lines = append(lines, sc.spinner()+" "+name+"  "+status)
		case r.Err != "":
			status := views.ResourceFinal(apply.ResourceFinished{Action: r.Action, Elapsed: r.Elapsed, Err: r.Err})
			lines = append(lines, sc.long(sc.sty.fail.Render("✗")+" "+name+"  ", status, sc.sty.fail.Render, d)...)
		case d.doneResources:
			status := views.ResourceFinal(apply.ResourceFinished{Action: r.Action, Elapsed: r.Elapsed})
			lines = append(lines, sc.sty.ok.Render("✓")+" "+name+"  "+status)
		}
	}
	if more := active - shownActive; more > 0 {
		lines = append(lines, sc.spinner()+" "+fmt.Sprintf("%d more in progress", more))
	}
	if !d.doneResources && done > 0 {
		noun := "resources"
		if done == 1 {
			noun = "resource"
		}
		lines = append([]string{sc.sty.ok.Render("✓") + " " + fmt.Sprintf("%d %s done", done, noun)}, lines...)
	}
	return lines
}

// long puts prefix and text on one line, cutting text at the width in a
// frame; in the report it wraps text under itself instead.
func (sc screen) long(prefix, text string, style func(...string) string, d detail) []string {
	pw := width(prefix)
	if !d.report || pw+width(text) <= sc.width {
		return []string{prefix + style(truncate(text, sc.width-pw))}
	}
	indent := pw
	if indent > sc.width/2 {
		indent = 4
	}
	lines := wrap(text, sc.width-indent, "")
	out := []string{prefix + style(lines[0])}
	for _, l := range lines[1:] {
		out = append(out, strings.Repeat(" ", indent)+style(l))
	}
	return out
}

// hosts shows each fleet: a line of counts and the hosts in trouble.
func (sc screen) hosts(d detail) []string {
	var lines []string
	for _, x := range sc.st.Executors {
		count := map[apply.HostState]int{}
		slots := 0
		for _, h := range x.Hosts {
			count[h.State]++
			if h.State == apply.HostReady {
				slots += h.Slots
			}
		}
		icon := sc.sty.ok.Render("✓")
		trouble := count[apply.HostLost] + count[apply.HostUnreachable]
		switch {
		case count[apply.HostConnecting] > 0:
			icon = sc.spinner()
		case trouble > 0 && count[apply.HostReady] == 0:
			icon = sc.sty.fail.Render("✗")
		case trouble > 0:
			icon = sc.sty.warn.Render("!")
		case count[apply.HostClosed] == len(x.Hosts):
			icon = sc.sty.faint.Render("-")
		}
		var chips []string
		for _, s := range []apply.HostState{apply.HostReady, apply.HostConnecting, apply.HostUnreachable, apply.HostLost, apply.HostClosed} {
			if count[s] > 0 {
				chips = append(chips, fmt.Sprintf("%d %s", count[s], s))
			}
		}
		if count[apply.HostReady] > 0 {
			chips = append(chips, fmt.Sprintf("%d slots", slots))
		}
		head := icon + " " + truncate(views.Sanitize(x.Name), sc.width-2)
		body := wrapChips(chips, "    ", sc.width)
		if width(head)+2+width(strings.TrimSpace(body[0])) <= sc.width && len(body) == 1 {
			lines = append(lines, head+"  "+strings.TrimSpace(body[0]))
		} else {
			lines = append(lines, head)
			lines = append(lines, body...)
		}
		listAll := len(x.Hosts) <= d.allHosts
		shown := 0
		for _, h := range x.Hosts {
			bad := h.State == apply.HostLost || h.State == apply.HostUnreachable
			if !listAll && !bad {
				continue
			}
			if bad && shown >= d.hostLines {
				continue
			}
			if bad {
				shown++
			}
			text := views.HostLine(apply.HostChanged{Host: h.Host, State: h.State, Slots: h.Slots, Detail: h.Detail})
			style := plain
			switch {
			case bad:
				style = sc.sty.fail.Render
			case h.State == apply.HostReady:
				style = sc.sty.ok.Render
			}
			lines = append(lines, sc.long("    ", text, style, d)...)
		}
		if trouble > shown {
			lines = append(lines, "    "+fmt.Sprintf("… and %d more", trouble-shown))
		}
	}
	return lines
}

// jobs shows one progress bar per job phase.
func (sc screen) jobs(d detail) []string {
	js := sc.st.Jobs
	if len(js) == 0 {
		return nil
	}
	labelW, countW := 0, 0
	for _, j := range js {
		labelW = max(labelW, width(jobLabel(j)))
		countW = max(countW, width(jobCount(j)))
	}
	labelW = min(labelW, max(sc.width/3, 8))
	var lines []string
	for _, j := range js {
		lines = append(lines, sc.job(j, labelW, countW, d)...)
	}
	return lines
}

func jobLabel(j job) string {
	l := views.Sanitize(j.Name)
	if j.Phase != "" {
		l += " " + j.Phase
	}
	return l
}

func jobCount(j job) string { return fmt.Sprintf("%d/%d", j.Done, j.Total) }

func (sc screen) job(j job, labelW, countW int, d detail) []string {
	label := jobLabel(j)
	if j.Skipped {
		why := "skipped"
		if j.Err != "" {
			why += ": " + views.Sanitize(j.Err)
		}
		return sc.long(sc.sty.warn.Render("-")+" "+middle(label, labelW)+"  ", why, sc.sty.warn.Render, d)
	}
	stopped := j.Ended && j.Err == "" && j.Done+j.Failed < j.Total
	var icon string
	switch {
	case j.Err != "" || (j.Ended && j.Failed > 0):
		icon = sc.sty.fail.Render("✗")
	case stopped:
		icon = sc.sty.warn.Render("-")
	case j.Ended:
		icon = sc.sty.ok.Render("✓")
	default:
		icon = sc.spinner()
	}
	frac := 0.0
	if j.Total > 0 {
		frac = float64(j.Done+j.Failed) / float64(j.Total)
	}
	if j.Ended && j.Total == 0 {
		frac = 1
	}
	count := fmt.Sprintf("%*s", countW, jobCount(j))
	pct := fmt.Sprintf("%3.0f%%", frac*100)
	failedBar := j.Failed > 0 || j.Err != ""

	var lines []string
	wideBar := sc.width - 2 - labelW - 2 - 2 - countW - 1 - len(pct)
	indent := "    "
	if wideBar >= 10 {
		bar := sc.sty.barView(frac, wideBar, failedBar)
		lines = append(lines, icon+" "+pad(middle(label, labelW), labelW)+"  "+bar+"  "+count+" "+pct)
	} else {
		indent = "  "
		lines = append(lines, icon+" "+middle(label, sc.width-2))
		bw := sc.width - 2 - 1 - countW
		if bw >= 4 {
			lines = append(lines, "  "+sc.sty.barView(frac, bw, failedBar)+" "+count)
		} else {
			lines = append(lines, "  "+count)
		}
	}
	if !d.jobStats {
		return lines
	}

	elapsed := j.Elapsed
	if !j.Ended && !j.Started.IsZero() && !sc.now.IsZero() {
		elapsed = sc.now.Sub(j.Started)
	}
	perSec := j.Rate.perSecond(j.Done, elapsed)
	if j.Ended {
		perSec = 0
		if j.Elapsed > 0 {
			perSec = float64(j.Done) / j.Elapsed.Seconds()
		}
	}
	var chips []string
	if j.Ended {
		chips = append(chips, fmt.Sprintf("%d done in %s", j.Done, views.Duration(elapsed)))
		if stopped {
			chips = append(chips, sc.sty.warn.Render(fmt.Sprintf("%d not run", j.Total-j.Done-j.Failed)))
		}
	} else {
		chips = append(chips, fmt.Sprintf("%d running", j.Running), fmt.Sprintf("%d queued", j.Queued))
	}
	if j.Failed > 0 {
		chips = append(chips, sc.sty.fail.Render(fmt.Sprintf("%d failed", j.Failed)))
	} else if !j.Ended {
		chips = append(chips, "0 failed")
	}
	if j.Retried > 0 {
		chips = append(chips, fmt.Sprintf("%d retried", j.Retried))
	}
	if j.Cached > 0 {
		chips = append(chips, fmt.Sprintf("%d cached", j.Cached))
	}
	if perSec > 0 && j.Total > 1 {
		chips = append(chips, formatRate(perSec))
	}
	if !j.Ended {
		chips = append(chips, views.Duration(elapsed))
		if left, ok := eta(j.Total-j.Done-j.Failed, perSec); ok {
			chips = append(chips, "ETA "+views.Duration(left+time.Second-1))
		}
	}
	lines = append(lines, wrapChips(chips, indent, sc.width)...)
	if j.Err != "" {
		lines = append(lines, sc.long(indent, "error: "+views.Sanitize(j.Err), sc.sty.fail.Render, d)...)
	}
	return lines
}

// formatRate renders tasks per second with three significant digits at
// most: "0.25 tasks/s", "20.3 tasks/s", "1250 tasks/s".
func formatRate(r float64) string {
	switch {
	case r < 1:
		return fmt.Sprintf("%.2f tasks/s", r)
	case r < 100:
		return fmt.Sprintf("%.1f tasks/s", r)
	}
	return fmt.Sprintf("%.0f tasks/s", r)
}

// failures shows the last failed attempts with their stderr tails.
func (sc screen) failures(d detail) []string {
	fs := sc.st.Failures
	if len(fs) == 0 {
		return nil
	}
	n := min(d.failures, len(fs))
	title := "Recent failures"
	if sc.st.FailuresSeen > n {
		title += fmt.Sprintf(" (last %d of %d)", n, sc.st.FailuresSeen)
	}
	if n == 0 {
		return []string{sc.sty.fail.Render(truncate(fmt.Sprintf("%d failed attempts (enlarge the terminal to see them)", sc.st.FailuresSeen), sc.width))}
	}
	lines := []string{sc.sty.bold.Render(truncate(title, sc.width))}
	for _, f := range fs[len(fs)-n:] {
		e := f.Event
		text := fmt.Sprintf("%s %s: %s (%s", views.Sanitize(f.Job), views.TaskName(e), views.FailureReason(e), views.Attempt(e))
		if e.Worker != "" {
			text += ", on " + views.Sanitize(e.Worker)
		}
		text += ")"
		lines = append(lines, sc.long(sc.sty.fail.Render("✗")+" ", text, sc.sty.fail.Render, d)...)
		stderr := f.Stderr
		if len(stderr) > d.stderr {
			stderr = stderr[len(stderr)-d.stderr:]
		}
		for _, l := range stderr {
			lines = append(lines, "    "+sc.sty.faint.Render(truncate(l, sc.width-4)))
		}
	}
	return lines
}

// stderrLines keeps the last lines of a stderr tail, made safe to draw.
func stderrLines(tail string) []string { return views.StderrLines(tail, 3) }

func (sc screen) messages(d detail) []string {
	ms := sc.st.Messages
	n := min(d.messages, len(ms))
	var lines []string
	for _, m := range ms[len(ms)-n:] {
		if m.Level == "warn" {
			lines = append(lines, sc.long(sc.sty.warn.Render("Warning: "), views.Sanitize(m.Text), sc.sty.warn.Render, d)...)
		} else {
			lines = append(lines, sc.long("", views.Sanitize(m.Text), plain, d)...)
		}
	}
	return lines
}

// status is the line at the bottom: the stop in progress, or how to stop.
func (sc screen) status(d detail) []string {
	if sc.st.Stopping || sc.stopAsked {
		text := "stopping… waiting for running tasks to end"
		if sc.st.Stopping {
			text = "stopping… no new task starts; running tasks get SIGTERM, then SIGKILL after the grace period"
		}
		lines := []string{}
		for i, l := range wrap(text, sc.width, "  ") {
			if i == 0 {
				l = sc.sty.warn.Render(sc.sty.bold.Render(l))
			} else {
				l = sc.sty.warn.Render(l)
			}
			lines = append(lines, l)
		}
		return append(lines, sc.sty.faint.Render(truncate("ctrl-c again: exit at once", sc.width)))
	}
	if !d.help {
		return nil
	}
	return []string{sc.sty.faint.Render(truncate("q or ctrl-c: stop gracefully", sc.width))}
}

// summary ends the report: Terraform's summary line, the error, the outputs.
func (sc screen) summary() []string {
	f := sc.st.Finished
	if f == nil {
		why := "The run was interrupted before it ended."
		if sc.killed {
			why = "Exited at once on the second ctrl-c, without waiting for the run to end."
		}
		return wrap(sc.sty.warn.Render(why), sc.width, "")
	}
	title := sc.sty.ok
	switch {
	case f.Err != "":
		title = sc.sty.fail
	case f.Stopped:
		title = sc.sty.warn
	}
	var lines []string
	for i, l := range wrap(views.Summary(*f), sc.width, "") {
		if i == 0 {
			t := views.SummaryTitle(*f)
			l = title.Inherit(sc.sty.bold).Render(t) + strings.TrimPrefix(l, t)
		}
		lines = append(lines, l)
	}
	if f.Err != "" {
		lines = append(lines, "")
		lines = append(lines, wrap(sc.sty.fail.Inherit(sc.sty.bold).Render("Error:")+" "+views.Sanitize(f.Err), sc.width, "")...)
	}
	if outs := views.OutputLines(f.Outputs); len(outs) > 0 {
		lines = append(lines, "", sc.sty.ok.Render("Outputs:"), "")
		for _, o := range outs {
			for _, l := range strings.Split(o, "\n") {
				lines = append(lines, wrap(l, sc.width, "  ")...)
			}
		}
	}
	return lines
}
