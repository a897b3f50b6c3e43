package objstore

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Layout says where lithops keeps its own objects in a store: everything
// lives under "<prefix>lithops/", so one bucket can hold the data a job reads
// and what lithops writes, and several projects can share a bucket with
// different prefixes. Build keys only through Layout: nobody formats them by
// hand. docs/STORAGE.md shows the tree.
//
//	<prefix>lithops/files/<digest>                       job files, by content
//	<prefix>lithops/jobs/<job>/outputs/<digest>           a task's stdout, by task digest
//	<prefix>lithops/jobs/<job>/logs/<digest>              its stderr
//	<prefix>lithops/jobs/<job>/runs/<run>/payload/<n>.json      invocation n's payload
//	<prefix>lithops/jobs/<job>/runs/<run>/status/<index>.json   task index's status
//	<prefix>lithops/jobs/<job>/runs/<run>/stdin/<index>         task index's input, for remote workers
//	<prefix>lithops/jobs/<job>/runs/<run>/output/<index>        task index's stdout, from remote workers
//
// Outputs and logs are keyed by the task's digest (of the job definition and
// the task's input), not by run, so a later run finds the outputs of tasks
// that did not change. Runs hold what is only meaningful while a run lasts.
// Numbers are zero-padded to six digits so a listing comes back in order.
// Names and digests are escaped segment by segment: any byte outside
// [A-Za-z0-9._:-] becomes %XX, so no input can add or climb a level.
type Layout struct {
	root string
}

// NewLayout returns the layout under prefix ("" or e.g. "team-a/", with or
// without the final slash).
func NewLayout(prefix string) (Layout, error) {
	if err := CheckPrefix(prefix); err != nil {
		return Layout{}, err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return Layout{root: prefix + "lithops/"}, nil
}

// Root is the prefix of every key lithops writes: "<prefix>lithops/".
func (l Layout) Root() string {
	if l.root == "" {
		return "lithops/"
	}
	return l.root
}

// File is where a job file with content digest ("sha256:<hex>") is kept.
func (l Layout) File(digest string) string { return l.Root() + "files/" + Segment(digest) }

// Job returns the keys of one job.
func (l Layout) Job(name string) JobKeys {
	return JobKeys{prefix: l.Root() + "jobs/" + Segment(name) + "/"}
}

// JobKeys builds the keys of one job.
type JobKeys struct {
	prefix string
}

// Prefix is "<root>jobs/<job>/": everything the job wrote.
func (j JobKeys) Prefix() string { return j.prefix }

// Output is where the stdout of the task with this digest is kept.
func (j JobKeys) Output(digest string) string { return j.prefix + "outputs/" + Segment(digest) }

// Log is where the stderr of the task with this digest is kept.
func (j JobKeys) Log(digest string) string { return j.prefix + "logs/" + Segment(digest) }

// OutputsPrefix lists every stored output of the job.
func (j JobKeys) OutputsPrefix() string { return j.prefix + "outputs/" }

// LogsPrefix lists every stored log of the job.
func (j JobKeys) LogsPrefix() string { return j.prefix + "logs/" }

// Run returns the keys of one run of the job.
func (j JobKeys) Run(id string) RunKeys {
	return RunKeys{prefix: j.prefix + "runs/" + Segment(id) + "/"}
}

// RunsPrefix lists every run of the job.
func (j JobKeys) RunsPrefix() string { return j.prefix + "runs/" }

// RunKeys builds the keys of one run.
type RunKeys struct {
	prefix string
}

// Prefix is "<job>/runs/<run>/".
func (r RunKeys) Prefix() string { return r.prefix }

// Payload is where invocation n's payload is kept.
func (r RunKeys) Payload(n int) string { return r.PayloadPrefix() + number(n) + ".json" }

// PayloadPrefix lists the run's payloads.
func (r RunKeys) PayloadPrefix() string { return r.prefix + "payload/" }

// Status is where the status of task index is kept.
func (r RunKeys) Status(index int) string { return r.StatusPrefix() + number(index) + ".json" }

// StatusPrefix lists the run's task statuses.
func (r RunKeys) StatusPrefix() string { return r.prefix + "status/" }

// Stdin is where a client leaves the standard input of task index for a
// remote worker that cannot read it where it is (a local file's chunk, a
// large inline input).
func (r RunKeys) Stdin(index int) string { return r.prefix + "stdin/" + number(index) }

// Output is where a remote worker leaves the stdout of task index when it
// is too large to travel in its status.
func (r RunKeys) Output(index int) string { return r.prefix + "output/" + number(index) }

// ParseStatus returns the task index of a key under StatusPrefix.
func (r RunKeys) ParseStatus(key string) (int, bool) {
	return parseNumber(key, r.StatusPrefix())
}

// ParsePayload returns the invocation number of a key under PayloadPrefix.
func (r RunKeys) ParsePayload(key string) (int, bool) {
	return parseNumber(key, r.PayloadPrefix())
}

func number(n int) string {
	if n < 0 {
		panic(fmt.Sprintf("objstore: negative index %d in a key", n))
	}
	return fmt.Sprintf("%06d", n)
}

func parseNumber(key, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".json")
	if !ok || len(digits) < 6 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// Segment escapes s into one key segment: bytes outside [A-Za-z0-9._:-]
// become %XX, and "", "." and ".." are escaped whole, so the result never
// contains a slash and never climbs a level. Unsegment reverses it.
func Segment(s string) string {
	switch s {
	case "":
		return "%"
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:-", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Unsegment reverses Segment.
func Unsegment(seg string) (string, error) {
	if seg == "%" {
		return "", nil
	}
	s, err := url.PathUnescape(seg)
	if err != nil {
		return "", fmt.Errorf("key segment %q: %w", seg, err)
	}
	return s, nil
}
