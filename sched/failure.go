package sched

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of the stderr tail quoted in a task's error.
const (
	tailLines = 5
	tailBytes = 512
)

// describe says how an attempt ended, for errors: "exit status 2",
// "killed by SIGKILL", "timed out", or why it could not run.
func describe(r *Result) string {
	switch {
	case r.TimedOut:
		return "timed out"
	case r.Signal != "":
		return "killed by " + r.Signal
	case r.Err != "":
		return r.Err
	default:
		return fmt.Sprintf("exit status %d", r.ExitCode)
	}
}

// taskError is the error for a task that failed for good: its index and
// key, how its last attempt ended, how many attempts it had, and the end of
// its stderr.
func taskError(t *Task, r *Result, attempts int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "task %d", t.Index)
	if t.Key != "" {
		fmt.Fprintf(&b, " (key %q)", t.Key)
	}
	fmt.Fprintf(&b, ": %s", describe(r))
	if attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", attempts)
	}
	if tail := stderrTail(r.Stderr); tail != "" {
		fmt.Fprintf(&b, "; stderr:\n%s", tail)
	}
	return errors.New(b.String())
}

// stderrTail returns the last few lines of a task's stderr, at most
// tailBytes, as valid UTF-8 without surrounding blank space.
func stderrTail(stderr []byte) string {
	s := bytes.TrimRight(stderr, " \t\r\n")
	if len(s) > tailBytes {
		s = s[len(s)-tailBytes:]
		// Drop a partial rune, then a partial line when there is a whole one.
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
		if i := bytes.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
	}
	for n, i := 0, len(s)-1; i >= 0; i-- {
		if s[i] == '\n' {
			n++
			if n == tailLines {
				s = s[i+1:]
				break
			}
		}
	}
	return strings.ToValidUTF8(strings.TrimLeft(string(s), "\r\n"), "\uFFFD")
}
