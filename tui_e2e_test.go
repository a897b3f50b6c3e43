package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lithops/tui/tmuxtest"
)

// lithopsBinary returns a path to this test binary named lithops, which
// TestMain turns into the real command.
func lithopsBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lithops")
	if err := os.Link(self, bin); err != nil {
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestApplyInTerminal runs lithops apply in a real terminal (tmux) and
// checks the live view mid-job and what it leaves behind at the end.
func TestApplyInTerminal(t *testing.T) {
	bin := lithopsBinary(t)
	dir := t.TempDir()
	config := `
job "sleepy" {
  map {
    over    = range(40)
    command = ["sh", "-c", "sleep 0.25; echo $1", "task", each.value]
  }
}

output "n" {
  value = length(job.sleepy.results)
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	s := tmuxtest.Start(t, tmuxtest.Options{
		Command: []string{bin, "apply", "-auto-approve"},
		Dir:     dir,
		Env:     []string{"NO_COLOR=1"},
		Width:   80, Height: 24,
	})
	// The live view: a progress bar of the job, counting up to 40, while
	// tasks still run.
	midJob := regexp.MustCompile(`job\.sleepy map .*█.* ([1-9]|[1-3][0-9])/40 `)
	mid := s.WaitFor(time.Minute, "a part-filled progress bar", midJob.MatchString)
	if !strings.Contains(mid, "running") || strings.Contains(mid, "Apply complete!") {
		t.Errorf("the screen mid-job shows no running job:\n%s", mid)
	}
	if status := s.Wait(2 * time.Minute); status != 0 {
		t.Fatalf("lithops apply exited %d:\n%s", status, s.Scrollback())
	}
	final := strings.Join(strings.Fields(s.Scrollback()), " ")
	for _, want := range []string{"Apply complete!", "Jobs: 1 ran, 40 tasks, 0 retried, 0 failed.", "n = 40"} {
		if !strings.Contains(final, want) {
			t.Errorf("the final screen lacks %q:\n%s", want, final)
		}
	}
}

// TestApproveInTerminal answers apply's question in a real terminal: "no"
// cancels and changes nothing, "yes" applies.
func TestApproveInTerminal(t *testing.T) {
	bin := lithopsBinary(t)
	dir := t.TempDir()
	config := "job \"hi\" {\n  map {\n    over    = [\"a\"]\n    command = [\"echo\", each.value]\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answer, want string
		status       int
	}{
		{"no", "Apply cancelled.", 1},
		{"yes", "Apply complete!", 0},
	} {
		s := tmuxtest.Start(t, tmuxtest.Options{
			Command: []string{bin, "apply"},
			Dir:     dir,
			Env:     []string{"NO_COLOR=1"},
			Width:   80, Height: 24,
		})
		s.WaitForText(time.Minute, "Enter a value:")
		s.SendKeys(tc.answer, "Enter")
		if status := s.Wait(time.Minute); status != tc.status {
			t.Fatalf("answer %q: exit %d, want %d:\n%s", tc.answer, status, tc.status, s.Scrollback())
		}
		if got := strings.Join(strings.Fields(s.Scrollback()), " "); !strings.Contains(got, tc.want) {
			t.Errorf("answer %q: the screen lacks %q:\n%s", tc.answer, tc.want, s.Scrollback())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "lithops.state")); err != nil {
		t.Errorf("no state after the approved apply: %v", err)
	}
}
