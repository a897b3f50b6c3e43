package views

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/apply"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {-time.Second, "0s"}, {999 * time.Millisecond, "0s"}, {14*time.Second + 900*time.Millisecond, "14s"},
		{62 * time.Second, "1m2s"}, {time.Hour + 5*time.Second, "1h0m5s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResourceWording(t *testing.T) {
	type words struct{ Starting, Still, Done, Active, Final, Failed string }
	tests := []struct {
		action apply.Action
		want   words
	}{
		{apply.ActionCreate, words{"Creating...", "Still creating... [10s elapsed]", "Creation complete after 2s", "creating… 10s", "created in 2s", "creation failed after 2s: boom"}},
		{apply.ActionUpdate, words{"Modifying...", "Still modifying... [10s elapsed]", "Modifications complete after 2s", "modifying… 10s", "updated in 2s", "modifications failed after 2s: boom"}},
		{apply.ActionReplace, words{"Replacing...", "Still replacing... [10s elapsed]", "Replacement complete after 2s", "replacing… 10s", "replaced in 2s", "replacement failed after 2s: boom"}},
		{apply.ActionDelete, words{"Destroying...", "Still destroying... [10s elapsed]", "Destruction complete after 2s", "destroying… 10s", "destroyed in 2s", "destruction failed after 2s: boom"}},
		{apply.ActionRead, words{"Reading...", "Still reading... [10s elapsed]", "Read complete after 2s", "reading… 10s", "read in 2s", "read failed after 2s: boom"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			ok := apply.ResourceFinished{Action: tt.action, Elapsed: 2 * time.Second}
			bad := ok
			bad.Err = "boom\n"
			got := words{
				ResourceStarting(tt.action), ResourceStill(tt.action, 10*time.Second), ResourceDone(ok),
				ResourceActive(tt.action, 10*time.Second), ResourceFinal(ok), ResourceFinal(bad),
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong wording (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailureWording(t *testing.T) {
	tests := []struct {
		name string
		in   apply.TaskFailed
		want string
	}{
		{"exit status", apply.TaskFailed{ExitCode: 2}, "exit status 2"},
		{"signal", apply.TaskFailed{Signal: "SIGKILL", ExitCode: -1}, "killed by SIGKILL"},
		{"timeout wins", apply.TaskFailed{TimedOut: true, Signal: "SIGKILL"}, "timed out"},
		{"error only", apply.TaskFailed{Err: "worker lost:\nEOF"}, "worker lost: EOF"},
		{"error adds to status", apply.TaskFailed{ExitCode: 1, Err: "output too large"}, "exit status 1: output too large"},
		{"error repeating the status", apply.TaskFailed{ExitCode: 1, Err: "command failed: exit status 1"}, "exit status 1"},
		{"nothing known", apply.TaskFailed{}, "failed"},
	}
	for _, tt := range tests {
		if got := FailureReason(tt.in); got != tt.want {
			t.Errorf("%s: FailureReason = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got, want := TaskName(apply.TaskFailed{Index: 3, Key: "3"}), "#3"; got != want {
		t.Errorf("TaskName of an index key = %q, want %q", got, want)
	}
	if got, want := TaskName(apply.TaskFailed{Index: 3, Key: "a\tb"}), `#3 "a\tb"`; got != want {
		t.Errorf("TaskName of a string key = %q, want %q", got, want)
	}
}

func TestStderrLines(t *testing.T) {
	got := StderrLines("a\n\x1b[31mred\x1b[0m\r\n\n\tb\x07\nlast", 3)
	if diff := cmp.Diff([]string{"red", "    b", "last"}, got); diff != "" {
		t.Errorf("wrong lines (-want +got):\n%s", diff)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		in   apply.Finished
		want string
	}{
		{"apply", apply.Finished{Operation: "apply", Added: 1, JobsRan: 1, Tasks: 1000, Retried: 3},
			"Apply complete! Resources: 1 added, 0 changed, 0 destroyed. Jobs: 1 ran, 1000 tasks, 3 retried, 0 failed."},
		{"apply without jobs", apply.Finished{Operation: "apply", Changed: 2},
			"Apply complete! Resources: 0 added, 2 changed, 0 destroyed."},
		{"destroy", apply.Finished{Operation: "destroy", Destroyed: 2}, "Destroy complete! Resources: 2 destroyed."},
		{"failed", apply.Finished{Operation: "apply", JobsRan: 1, Tasks: 10, Failed: 2, Err: "x"},
			"Apply failed! Resources: 0 added, 0 changed, 0 destroyed. Jobs: 1 ran, 10 tasks, 0 retried, 2 failed."},
		{"stopped", apply.Finished{Operation: "destroy", Destroyed: 1, Stopped: true}, "Destroy stopped. Resources: 1 destroyed."},
	}
	for _, tt := range tests {
		if got := Summary(tt.in); got != tt.want {
			t.Errorf("%s: Summary = %q, want %q", tt.name, got, tt.want)
		}
	}
	outs := OutputLines([]apply.OutputValue{{Name: "a", Value: `"x"`}, {Name: "key", Value: "hunter2", Sensitive: true}})
	if diff := cmp.Diff([]string{`a = "x"`, "key = (sensitive value)"}, outs); diff != "" {
		t.Errorf("wrong outputs (-want +got):\n%s", diff)
	}
}
