package worker

import (
	"encoding/json"

	"lithops/sched"
)

// LambdaVersion is the version of the messages between a client and a
// worker in Lambda mode (LambdaEvent and what it points at). A worker
// refuses an event of another version, naming both.
const LambdaVersion = 1

// LambdaEvent is the Invoke payload a client sends a worker in Lambda
// mode: where the invocation's payload is. Everything else travels through
// storage, so the event stays far below Invoke's request limit.
type LambdaEvent struct {
	Version int `json:"v"`
	// Storage is the store that holds the payload and receives statuses
	// and outputs (the executor's storage).
	Storage StorageRef `json:"storage"`
	// Job and Run name the keys: Layout.Job(Job).Run(Run). Each invocation
	// is its own run, so every key it touches is known to both ends.
	Job string `json:"job"`
	Run string `json:"run"`
}

// StorageRef names a storage block and how to open it: its backend and its
// body as JSON (the cty JSON encoding of the backend's body type, with
// sensitive attributes null). The worker opens it with its own credentials
// (the function's execution role).
type StorageRef struct {
	Name    string          `json:"name"`
	Backend string          `json:"backend"`
	Body    json.RawMessage `json:"body"`
}

// LambdaPayload is the object at RunKeys.Payload(0): what to run.
type LambdaPayload struct {
	// Invocation holds the tasks, run one after another. Files name job
	// files kept at Layout.File(digest) of the event's storage (Source is
	// unused); a task's stdin is inline Data or an Object range (the
	// client uploads local file chunks and large inputs to
	// RunKeys.Stdin(index)).
	Invocation sched.Invocation `json:"invocation"`
	// Storages describes every storage an Object stdin names.
	Storages map[string]StorageRef `json:"storages,omitempty"`
}

// LambdaStatus is one finished task, written to RunKeys.Status(index) as
// soon as the task ends and repeated in the response. Result.StdoutFile is
// never set: an output larger than the invocation's InlineLimit is at
// StdoutKey (RunKeys.Output(index)), of StdoutSize bytes.
type LambdaStatus struct {
	sched.Result
	StdoutKey string `json:"stdout_key,omitempty"`
}

// LambdaResponse is what a worker answers an invocation with.
type LambdaResponse struct {
	// Reported lists the indexes of the tasks that have a status, in the
	// order they ran. Tasks of the invocation not listed did not run (the
	// function's time ran out first).
	Reported []int `json:"reported"`
	// Statuses repeats their statuses when they fit the response (Invoke's
	// is limited to 6 MB); otherwise it is empty and the client reads the
	// status objects, whose keys it knows.
	Statuses []LambdaStatus `json:"statuses,omitempty"`
	// Stopped says why tasks did not run, when some did not.
	Stopped string `json:"stopped,omitempty"`
}
