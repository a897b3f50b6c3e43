package tui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lithops/tui/tmuxtest"
)

// The real-terminal checks: the test binary re-executes itself as a small
// program (driver_test.go) that feeds a timed synthetic apply into the real
// UI on a real terminal (tmux), and reads the screen mid-run and at the end.
// The driver holds at 500 of 1000 tasks until the test opens a gate (a file
// in a directory it names), so the mid-run screen is read without racing.

// TestMain runs the driver instead of the tests when asked to.
func TestMain(m *testing.M) {
	if os.Getenv(driverEnv) != "" {
		os.Exit(drive())
	}
	os.Exit(m.Run())
}

// timeout bounds each wait on the terminal; it is generous because CI
// machines are slow and the race detector slower. Nothing is timed.
const timeout = 60 * time.Second

type terminal struct {
	*tmuxtest.Session
	gate string
}

func startDriver(t *testing.T, width, height int) terminal {
	t.Helper()
	return startMode(t, "apply", width, height)
}

func startMode(t *testing.T, mode string, width, height int) terminal {
	t.Helper()
	gate := t.TempDir()
	s := tmuxtest.Start(t, tmuxtest.Options{
		Command: []string{os.Args[0]},
		Env:     []string{driverEnv + "=" + mode, gateEnv + "=" + gate},
		Width:   width, Height: height,
	})
	return terminal{s, gate}
}

func (tm terminal) open(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(tm.gate, name), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// words normalises whitespace, so a wrapped sentence can be looked for.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// once fails unless text appears exactly once: a garbled screen repeats a
// frame's lines instead of redrawing them in place.
func once(t *testing.T, screen, text string) {
	t.Helper()
	if n := strings.Count(screen, text); n != 1 {
		t.Errorf("%q appears %d times, want once; the screen:\n%s", text, n, screen)
	}
}

func widthOK(t *testing.T, screen string, width int) {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		if n := len([]rune(l)); n > width {
			t.Errorf("line wider than %d columns: %q", width, l)
		}
	}
}

const summary = "Apply complete! Resources: 2 added, 0 changed, 0 destroyed. Jobs: 1 ran, 1000 tasks, 2 retried, 0 failed."

func TestTerminalApply(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {40, 20}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			tm := startDriver(t, size.w, size.h)
			mid := tm.WaitForText(timeout, "500/1000")
			for _, want := range []string{"█", "░", "job.wordcount map", "storage.data", "created in", "tasks/s", "ETA", "q or ctrl-c"} {
				if !strings.Contains(mid, want) {
					t.Errorf("mid-run screen lacks %q:\n%s", want, mid)
				}
			}
			t.Logf("MID\n%s", mid)
			once(t, mid, "job.wordcount map")
			once(t, mid, "storage.data")
			widthOK(t, mid, size.w)

			tm.open(t, "finish")
			if status := tm.Wait(timeout); status != 0 {
				t.Errorf("driver exited %d, want 0", status)
			}
			final := tm.Scrollback()
			t.Logf("FINAL\n%s", final)
			if !strings.Contains(words(final), summary) {
				t.Errorf("final screen lacks the summary %q:\n%s", summary, final)
			}
			for _, want := range []string{"1000/1000", "Outputs:", "words = 1234567", "token = (sensitive value)"} {
				if !strings.Contains(final, want) {
					t.Errorf("final screen lacks %q:\n%s", want, final)
				}
			}
			once(t, final, "Apply complete!")
			once(t, final, "job.wordcount map")
			for _, gone := range []string{"q or ctrl-c", "ETA", "s3cr3t"} {
				if strings.Contains(final, gone) {
					t.Errorf("final screen still shows %q (the live frame was not erased):\n%s", gone, final)
				}
			}
			widthOK(t, final, size.w)
		})
	}
}

func TestTerminalFollowsResize(t *testing.T) {
	tm := startDriver(t, 80, 24)
	wide := tm.WaitForText(timeout, "500/1000")
	if !strings.Contains(wide, "job.wordcount map  █") {
		t.Errorf("at 80 columns the bar is not beside the job's name:\n%s", wide)
	}
	tm.Resize(40, 20)
	narrow := tm.WaitFor(timeout, "the 40-column layout", func(s string) bool {
		return strings.Contains(s, "\n  █") && strings.Contains(s, "500/1000")
	})
	once(t, narrow, "job.wordcount map")
	widthOK(t, narrow, 40)
	tm.open(t, "finish")
	if status := tm.Wait(timeout); status != 0 {
		t.Errorf("driver exited %d, want 0", status)
	}
	if final := tm.Scrollback(); !strings.Contains(words(final), summary) {
		t.Errorf("final screen lacks the summary:\n%s", final)
	}
}

func TestTerminalStop(t *testing.T) {
	tm := startDriver(t, 80, 24)
	tm.WaitForText(timeout, "500/1000")
	tm.SendKeys("q")
	stopping := tm.WaitForText(timeout, "stopping…")
	if !strings.Contains(stopping, "ctrl-c again: exit at once") {
		t.Errorf("stopping screen lacks the ctrl-c hint:\n%s", stopping)
	}
	once(t, stopping, "job.wordcount map")
	tm.open(t, "stopped")
	if status := tm.Wait(timeout); status != 0 {
		t.Errorf("driver exited %d, want 0", status)
	}
	final := tm.Scrollback()
	if !strings.Contains(words(final), "Apply stopped. Resources: 2 added, 0 changed, 0 destroyed.") {
		t.Errorf("final screen lacks the stopped summary:\n%s", final)
	}
	if strings.Contains(final, "stopping…") {
		t.Errorf("final screen still shows the live frame:\n%s", final)
	}
}

func TestTerminalKill(t *testing.T) {
	tm := startDriver(t, 80, 24)
	tm.WaitForText(timeout, "500/1000")
	tm.SendKeys("C-c")
	tm.WaitForText(timeout, "stopping…")
	tm.SendKeys("C-c")
	if status := tm.Wait(timeout); status != killedStatus {
		t.Errorf("driver exited %d after the second ctrl-c, want %d (from Kill)", status, killedStatus)
	}
	final := tm.Scrollback()
	if !strings.Contains(words(final), "Exited at once on the second ctrl-c") {
		t.Errorf("final screen lacks the exit note:\n%s", final)
	}
}

// TestTerminalApproveThenUI asks for approval on the terminal, then runs the
// UI on it: the answer is read without swallowing the keys the UI needs
// (q stops), and the question stays above the UI in the scrollback.
func TestTerminalApproveThenUI(t *testing.T) {
	tm := startMode(t, "approve", 80, 24)
	tm.WaitForText(timeout, "Enter a value:")
	tm.SendKeys("yes", "Enter")
	tm.WaitForText(timeout, "500/1000")
	tm.SendKeys("q")
	tm.WaitForText(timeout, "stopping…")
	tm.open(t, "stopped")
	if status := tm.Wait(timeout); status != 0 {
		t.Errorf("driver exited %d, want 0", status)
	}
	final := tm.Scrollback()
	once(t, final, "Do you want to perform these actions?")
	once(t, final, "Enter a value: yes")
	if !strings.Contains(words(final), "Apply stopped.") {
		t.Errorf("final screen lacks the stopped summary:\n%s", final)
	}
	if q, s := strings.Index(final, "Enter a value: yes"), strings.Index(final, "job.wordcount map"); q < 0 || s < q {
		t.Errorf("the question is not above the UI's report:\n%s", final)
	}
}

func TestTerminalApprovalRefused(t *testing.T) {
	tm := startMode(t, "approve", 80, 24)
	tm.WaitForText(timeout, "Enter a value:")
	tm.SendKeys("no", "Enter")
	if status := tm.Wait(timeout); status != 1 {
		t.Errorf("driver exited %d after a refusal, want 1", status)
	}
	if final := tm.Scrollback(); !strings.Contains(final, "Apply cancelled.") || strings.Contains(final, "job.wordcount") {
		t.Errorf("refusal screen wrong (want \"Apply cancelled.\" and no UI):\n%s", final)
	}
}
