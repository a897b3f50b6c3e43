package views

import (
	"time"

	"lithops/apply"
)

// The wire shapes of the -json stream, one struct per event type. Field names
// are snake_case and stable: a field once published keeps its name and
// meaning; new fields may be added (FormatVersion's minor number then
// grows). Every field is always present. docs/JSON-EVENTS.md documents each
// type with an example, and a test keeps the two in step.

// FormatVersion is the version of the -json event stream, sent in the first
// ("version") event.
const FormatVersion = "1.0"

type jsonHeader struct {
	Type string `json:"type"`
	Time string `json:"time"`
}

type jsonVersion struct {
	jsonHeader
	FormatVersion string `json:"format_version"`
	Lithops       string `json:"lithops"`
}

type jsonResourceStarted struct {
	jsonHeader
	Address string `json:"address"`
	Action  string `json:"action"`
}

type jsonResourceFinished struct {
	jsonHeader
	Address        string  `json:"address"`
	Action         string  `json:"action"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Error          string  `json:"error"`
}

type jsonJobStarted struct {
	jsonHeader
	Job      string `json:"job"`
	Executor string `json:"executor"`
	Phase    string `json:"phase"`
	Tasks    int    `json:"tasks"`
	Cached   int    `json:"cached"`
}

type jsonJobProgress struct {
	jsonHeader
	Job            string  `json:"job"`
	Phase          string  `json:"phase"`
	Total          int     `json:"total"`
	Done           int     `json:"done"`
	Running        int     `json:"running"`
	Failed         int     `json:"failed"`
	Queued         int     `json:"queued"`
	Retried        int     `json:"retried"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
}

type jsonTaskFailed struct {
	jsonHeader
	Job        string `json:"job"`
	Phase      string `json:"phase"`
	Index      int    `json:"index"`
	Key        string `json:"key"`
	Attempt    int    `json:"attempt"`
	ExitCode   int    `json:"exit_code"`
	Signal     string `json:"signal"`
	TimedOut   bool   `json:"timed_out"`
	Error      string `json:"error"`
	StderrTail string `json:"stderr_tail"`
	Worker     string `json:"worker"`
	Final      bool   `json:"final"`
}

type jsonJobFinished struct {
	jsonHeader
	Job            string  `json:"job"`
	Tasks          int     `json:"tasks"`
	Cached         int     `json:"cached"`
	Retried        int     `json:"retried"`
	Failed         int     `json:"failed"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Error          string  `json:"error"`
	Skipped        bool    `json:"skipped"`
	Stopped        bool    `json:"stopped"`
}

type jsonHostChanged struct {
	jsonHeader
	Executor string `json:"executor"`
	Host     string `json:"host"`
	State    string `json:"state"`
	Slots    int    `json:"slots"`
	Detail   string `json:"detail"`
}

type jsonStopping struct {
	jsonHeader
}

type jsonMessage struct {
	jsonHeader
	Level string `json:"level"`
	Text  string `json:"text"`
}

type jsonOutput struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Sensitive bool   `json:"sensitive"`
}

type jsonFinished struct {
	jsonHeader
	Operation      string       `json:"operation"`
	Added          int          `json:"added"`
	Changed        int          `json:"changed"`
	Destroyed      int          `json:"destroyed"`
	JobsRan        int          `json:"jobs_ran"`
	Tasks          int          `json:"tasks"`
	Retried        int          `json:"retried"`
	Failed         int          `json:"failed"`
	Outputs        []jsonOutput `json:"outputs"`
	ElapsedSeconds float64      `json:"elapsed_seconds"`
	Error          string       `json:"error"`
	Stopped        bool         `json:"stopped"`
}

// jsonTime is the time format of every event: RFC 3339 in UTC with
// microseconds.
const jsonTime = "2006-01-02T15:04:05.000000Z07:00"

func header(typ string, t time.Time) jsonHeader {
	return jsonHeader{Type: typ, Time: t.UTC().Format(jsonTime)}
}

// seconds renders a duration as seconds with millisecond precision.
func seconds(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}

// wire converts an event to its wire shape.
func wire(e apply.Event) any {
	switch e := e.(type) {
	case apply.ResourceStarted:
		return jsonResourceStarted{header("resource_started", e.Time), e.Addr, string(e.Action)}
	case apply.ResourceFinished:
		return jsonResourceFinished{header("resource_finished", e.Time), e.Addr, string(e.Action), seconds(e.Elapsed), e.Err}
	case apply.JobStarted:
		return jsonJobStarted{header("job_started", e.Time), e.Job, e.Executor, e.Phase, e.Tasks, e.Cached}
	case apply.JobProgress:
		return jsonJobProgress{header("job_progress", e.Time), e.Job, e.Phase, e.Total, e.Done, e.Running, e.Failed, e.Queued, e.Retried, seconds(e.Elapsed)}
	case apply.TaskFailed:
		return jsonTaskFailed{header("task_failed", e.Time), e.Job, e.Phase, e.Index, e.Key, e.Attempt, e.ExitCode, e.Signal, e.TimedOut, e.Err, e.StderrTail, e.Worker, e.Final}
	case apply.JobFinished:
		return jsonJobFinished{header("job_finished", e.Time), e.Job, e.Tasks, e.Cached, e.Retried, e.Failed, seconds(e.Elapsed), e.Err, e.Skipped, e.Stopped}
	case apply.HostChanged:
		return jsonHostChanged{header("host_changed", e.Time), e.Executor, e.Host, string(e.State), e.Slots, e.Detail}
	case apply.Stopping:
		return jsonStopping{header("stopping", e.Time)}
	case apply.Message:
		return jsonMessage{header("message", e.Time), e.Level, e.Text}
	case apply.Finished:
		outs := make([]jsonOutput, 0, len(e.Outputs))
		for _, o := range e.Outputs {
			v := o.Value
			if o.Sensitive {
				v = "(sensitive value)"
			}
			outs = append(outs, jsonOutput{o.Name, v, o.Sensitive})
		}
		return jsonFinished{header("finished", e.Time), e.Operation, e.Added, e.Changed, e.Destroyed, e.JobsRan, e.Tasks, e.Retried, e.Failed, outs, seconds(e.Elapsed), e.Err, e.Stopped}
	}
	return nil
}
