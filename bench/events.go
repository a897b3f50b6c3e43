package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// applyEvents is what an `apply -json` event stream says about the run
// (docs/JSON-EVENTS.md).
type applyEvents struct {
	// Finished is set when the stream ended with a finished event.
	Finished bool
	Added    int
	JobsRan  int
	Tasks    int
	Failed   int
	Error    string
	// JobPhase is the time from the first job_started event to the last
	// job_finished event; 0 when no job ran.
	JobPhase time.Duration
	// Outputs are the root outputs' values, in HCL syntax, by name.
	Outputs map[string]string
}

// event is the part of an event this program reads.
type event struct {
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Added   int       `json:"added"`
	JobsRan int       `json:"jobs_ran"`
	Tasks   int       `json:"tasks"`
	Failed  int       `json:"failed"`
	Error   string    `json:"error"`
	Outputs []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"outputs"`
}

// readEvents reads an event stream, one JSON object per line.
func readEvents(r io.Reader) (applyEvents, error) {
	var (
		out         applyEvents
		first, last time.Time
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("event line %d: %w", line, err)
		}
		switch e.Type {
		case "job_started":
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
		case "job_finished":
			if e.Time.After(last) {
				last = e.Time
			}
		case "finished":
			out.Finished = true
			out.Added, out.JobsRan, out.Tasks, out.Failed, out.Error = e.Added, e.JobsRan, e.Tasks, e.Failed, e.Error
			for _, o := range e.Outputs {
				if out.Outputs == nil {
					out.Outputs = map[string]string{}
				}
				out.Outputs[o.Name] = o.Value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read events: %w", err)
	}
	if !first.IsZero() && !last.IsZero() {
		out.JobPhase = last.Sub(first)
	}
	return out, nil
}
