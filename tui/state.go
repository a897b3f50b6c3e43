package tui

import (
	"time"

	"lithops/apply"
)

// state is everything the screen shows, derived from events alone (no clock,
// no terminal): update is a pure function of the event sequence, which is
// what the table tests check.
type state struct {
	Operation string
	Resources []resource
	Executors []executor
	Jobs      []job
	// Failures are the last maxFailures failed attempts, oldest first;
	// FailuresSeen counts them all.
	Failures     []failure
	FailuresSeen int
	// Messages are the last maxMessages messages, oldest first.
	Messages []apply.Message
	// Stopping is set when the engine reported a stop.
	Stopping bool
	// Finished is set by the last event.
	Finished *apply.Finished
}

// maxFailures and maxMessages bound what state keeps.
const (
	maxFailures = 5
	maxMessages = 5
)

// resource is one resource change.
type resource struct {
	Addr    string
	Action  apply.Action
	Started time.Time
	Done    bool
	Elapsed time.Duration // set when Done
	Err     string
}

// executor groups the hosts of a fleet, in the order they were first seen.
type executor struct {
	Name  string
	Hosts []host
}

type host struct {
	Host   string
	State  apply.HostState
	Slots  int
	Detail string
}

// job is one phase ("map" or "reduce") of a job.
type job struct {
	Name     string
	Phase    string
	Executor string
	Started  time.Time
	Cached   int
	Total    int
	Done     int
	Running  int
	Failed   int
	Queued   int
	Retried  int
	// Elapsed is the job's elapsed time at the last progress, or its final
	// elapsed time once Ended.
	Elapsed time.Duration
	Rate    rate
	// Ended is set when a later phase started (the phase is complete) or the
	// job finished; Finished, Err and Skipped come from JobFinished.
	Ended    bool
	Finished bool
	Err      string
	Skipped  bool
}

// failure is one failed task attempt.
type failure struct {
	Job    string
	Phase  string
	Event  apply.TaskFailed
	Stderr []string
}

// update applies one event.
func (s *state) update(e apply.Event) {
	switch e := e.(type) {
	case apply.ResourceStarted:
		r := s.resource(e.Addr)
		*r = resource{Addr: e.Addr, Action: e.Action, Started: e.Time}
	case apply.ResourceFinished:
		r := s.resource(e.Addr)
		r.Action, r.Done, r.Elapsed, r.Err = e.Action, true, e.Elapsed, e.Err
		if r.Started.IsZero() {
			r.Started = e.Time.Add(-e.Elapsed)
		}
	case apply.JobStarted:
		for i := range s.Jobs {
			if s.Jobs[i].Name == e.Job && s.Jobs[i].Phase != e.Phase {
				s.Jobs[i].end(false)
			}
		}
		j := s.job(e.Job, e.Phase)
		*j = job{Name: e.Job, Phase: e.Phase, Executor: e.Executor, Started: e.Time,
			Cached: e.Cached, Total: e.Tasks, Queued: e.Tasks}
	case apply.JobProgress:
		j := s.job(e.Job, e.Phase)
		if j.Started.IsZero() {
			j.Started = e.Time.Add(-e.Elapsed)
		}
		j.Total, j.Done, j.Running, j.Failed, j.Queued, j.Retried = e.Total, e.Done, e.Running, e.Failed, e.Queued, e.Retried
		j.Elapsed = e.Elapsed
		j.Rate.add(e.Elapsed, e.Done)
	case apply.TaskFailed:
		s.FailuresSeen++
		s.Failures = append(s.Failures, failure{Job: e.Job, Phase: e.Phase, Event: e, Stderr: stderrLines(e.StderrTail)})
		if len(s.Failures) > maxFailures {
			s.Failures = append(s.Failures[:0:0], s.Failures[len(s.Failures)-maxFailures:]...)
		}
	case apply.JobFinished:
		found := false
		for i := range s.Jobs {
			j := &s.Jobs[i]
			if j.Name != e.Job {
				continue
			}
			found = true
			j.end(true)
		}
		if !found {
			s.Jobs = append(s.Jobs, job{Name: e.Job, Started: e.Time.Add(-e.Elapsed), Ended: true, Finished: true})
		}
		// The last phase carries the job's result; the counters of a job
		// of one phase are the job's.
		phases := 0
		for _, j := range s.Jobs {
			if j.Name == e.Job {
				phases++
			}
		}
		last := s.lastPhase(e.Job)
		last.Err, last.Skipped = e.Err, e.Skipped
		if phases == 1 {
			last.Elapsed, last.Failed, last.Retried = e.Elapsed, e.Failed, e.Retried
			if e.Cached > 0 {
				last.Cached = e.Cached
			}
			if !e.Skipped && last.Total == 0 {
				last.Total = e.Tasks
			}
			// Tasks that JobFinished counts as run and not failed are done,
			// should the last progress event have been missed; a stopped
			// job's tasks that never ran are not.
			if !e.Skipped && e.Err == "" {
				last.Done = min(last.Total, max(last.Done, e.Tasks-e.Failed))
			}
		}
	case apply.HostChanged:
		h := s.host(e.Executor, e.Host)
		h.State, h.Slots, h.Detail = e.State, e.Slots, e.Detail
	case apply.Stopping:
		s.Stopping = true
	case apply.Message:
		s.Messages = append(s.Messages, e)
		if len(s.Messages) > maxMessages {
			s.Messages = append(s.Messages[:0:0], s.Messages[len(s.Messages)-maxMessages:]...)
		}
	case apply.Finished:
		f := e
		s.Finished = &f
		if s.Operation == "" {
			s.Operation = e.Operation
		}
		for i := range s.Jobs {
			s.Jobs[i].end(false)
		}
	}
}

// end marks a phase over: nothing runs or waits any more.
func (j *job) end(finished bool) {
	if j.Ended && (j.Finished || !finished) {
		return
	}
	j.Ended = true
	j.Finished = j.Finished || finished
	j.Running, j.Queued = 0, 0
}

func (s *state) resource(addr string) *resource {
	for i := len(s.Resources) - 1; i >= 0; i-- {
		if s.Resources[i].Addr == addr {
			return &s.Resources[i]
		}
	}
	s.Resources = append(s.Resources, resource{Addr: addr})
	return &s.Resources[len(s.Resources)-1]
}

func (s *state) job(name, phase string) *job {
	for i := len(s.Jobs) - 1; i >= 0; i-- {
		if s.Jobs[i].Name == name && s.Jobs[i].Phase == phase {
			return &s.Jobs[i]
		}
	}
	s.Jobs = append(s.Jobs, job{Name: name, Phase: phase})
	return &s.Jobs[len(s.Jobs)-1]
}

func (s *state) lastPhase(name string) *job {
	for i := len(s.Jobs) - 1; i >= 0; i-- {
		if s.Jobs[i].Name == name {
			return &s.Jobs[i]
		}
	}
	return s.job(name, "")
}

func (s *state) host(exec, name string) *host {
	var x *executor
	for i := range s.Executors {
		if s.Executors[i].Name == exec {
			x = &s.Executors[i]
			break
		}
	}
	if x == nil {
		s.Executors = append(s.Executors, executor{Name: exec})
		x = &s.Executors[len(s.Executors)-1]
	}
	for i := range x.Hosts {
		if x.Hosts[i].Host == name {
			return &x.Hosts[i]
		}
	}
	x.Hosts = append(x.Hosts, host{Host: name})
	return &x.Hosts[len(x.Hosts)-1]
}
