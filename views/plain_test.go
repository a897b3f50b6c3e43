package views

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"lithops/apply"
	"lithops/internal/golden"
)

// playPlain runs steps through a Plain renderer on a fake clock.
func playPlain(steps []step, color bool) string {
	var out bytes.Buffer
	now := t0
	p := NewPlain(PlainOptions{Out: &out, Color: color, Interval: 5 * time.Second,
		Now: func() time.Time { return now }, MaxFailureLines: 3, StderrLines: 2})
	for _, s := range steps {
		now = at(s.At)
		if s.Event == nil {
			p.Tick()
		} else {
			p.Observe(s.Event)
		}
	}
	return out.String()
}

func TestPlainGolden(t *testing.T) {
	runs := []struct {
		name  string
		steps []step
	}{
		{"apply", applyRun()},
		{"apply-failed", failedRun()},
		{"destroy", destroyRun()},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			got := playPlain(r.steps, false)
			golden.Check(t, filepath.Join("plain", r.name+".golden"), got)
			if strings.ContainsAny(got, "\r\x1b") {
				t.Errorf("uncoloured output has a carriage return or an escape sequence:\n%q", got)
			}
			colored := playPlain(r.steps, true)
			if !strings.Contains(colored, "\x1b[") {
				t.Errorf("coloured output has no colour")
			}
			if strings.Contains(colored, "\r") {
				t.Errorf("coloured output has a carriage return")
			}
			if diff := cmp.Diff(got, ansi.Strip(colored)); diff != "" {
				t.Errorf("colour changed the text (-plain +stripped):\n%s", diff)
			}
			for _, seq := range []string{"\x1b[A", "\x1b[K", "\x1b[2K", "\x1b[?25l"} {
				if strings.Contains(colored, seq) {
					t.Errorf("coloured output moves the cursor or erases (%q)", seq)
				}
			}
		})
	}
}

func TestPlainRunStopsAtFinished(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(PlainOptions{Out: &out, Interval: time.Hour})
	done := make(chan struct{})
	go func() {
		p.Run(context.Background())
		close(done)
	}()
	p.Observe(apply.Finished{Operation: "destroy"})
	<-done
	if diff := cmp.Diff("\nDestroy complete! Resources: 0 destroyed.\n", out.String()); diff != "" {
		t.Errorf("wrong output (-want +got):\n%s", diff)
	}
}

func TestPlainProgressCadence(t *testing.T) {
	// Progress every second for 12 seconds with a 5s interval prints at 5s
	// and 10s (the start resets the clock), plus the line after a failure.
	var steps []step
	steps = append(steps, ev(apply.JobStarted{Time: at(0), Job: "job.x", Tasks: 100}))
	for i := 1; i <= 12; i++ {
		failed := 0
		if i >= 7 {
			failed = 1
		}
		steps = append(steps, ev(apply.JobProgress{Time: at(float64(i)), Job: "job.x", Total: 100, Done: i, Failed: failed, Elapsed: secs(float64(i))}))
	}
	got := playPlain(steps, false)
	want := strings.Join([]string{
		"job.x: Running 100 tasks...",
		"job.x: 5/100 done, 0 failed, 0 retried [5s]",
		"job.x: 7/100 done, 1 failed, 0 retried [7s]",
		"job.x: 12/100 done, 1 failed, 0 retried [12s]",
		"",
	}, "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong lines (-want +got):\n%s", diff)
	}
}
