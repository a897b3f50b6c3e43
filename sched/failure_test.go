package sched

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTaskError(t *testing.T) {
	tests := []struct {
		name     string
		task     Task
		result   Result
		attempts int
		want     string
	}{
		{
			name:   "exit status",
			task:   Task{Index: 4, Key: "a.txt"},
			result: Result{ExitCode: 2},
			want:   `task 4 (key "a.txt"): exit status 2`,
		},
		{
			name:     "signal, attempts and stderr",
			task:     Task{Index: 0},
			result:   Result{ExitCode: -1, Signal: "SIGKILL", Stderr: []byte("line 1\nline 2\n\n")},
			attempts: 3,
			want:     "task 0: killed by SIGKILL after 3 attempts; stderr:\nline 1\nline 2",
		},
		{
			name:   "timeout wins over the signal that enforced it",
			task:   Task{Index: 1},
			result: Result{ExitCode: -1, Signal: "SIGKILL", TimedOut: true},
			want:   "task 1: timed out",
		},
		{
			name:   "could not start",
			task:   Task{Index: 2},
			result: Result{ExitCode: -1, Err: `exec: "nope": executable file not found in $PATH`},
			want:   `task 2: exec: "nope": executable file not found in $PATH`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := taskError(&tt.task, &tt.result, tt.attempts).Error()
			if got != tt.want {
				t.Errorf("wrong error:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStderrTail(t *testing.T) {
	long := strings.Repeat("x", 600)
	tests := []struct {
		name   string
		stderr string
		want   string
	}{
		{name: "empty", stderr: "", want: ""},
		{name: "blank", stderr: "\n \n", want: ""},
		{name: "short", stderr: "warning\nerror: boom\n", want: "warning\nerror: boom"},
		{name: "last five lines", stderr: "1\n2\n3\n4\n5\n6\n7\n", want: "3\n4\n5\n6\n7"},
		{name: "long last line is cut to its end", stderr: "first\n" + long + "\n", want: long[len(long)-tailBytes:]},
		{name: "partial line dropped when a whole one follows", stderr: long + "\nlast\n", want: "last"},
		{name: "partial rune dropped", stderr: strings.Repeat("é", 300) + "x", want: strings.Repeat("é", 255) + "x"},
		{name: "invalid UTF-8 replaced", stderr: "bad \xff byte", want: "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, stderrTail([]byte(tt.stderr))); diff != "" {
				t.Errorf("wrong tail (-want +got):\n%s", diff)
			}
		})
	}
}
