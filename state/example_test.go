//go:build unix

package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lithops/state"
)

// The life of one apply, as the engine drives it: lock, recover what an
// interrupted run left, plan against the state, record progress in the
// journal, commit once.
func Example() {
	dir, _ := os.MkdirTemp("", "lithops-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "lithops.state")
	ctx := context.Background()

	lock, recovered, err := state.Acquire(ctx, path, state.LockOptions{Operation: "apply"})
	if err != nil {
		fmt.Println(err) // errors.Is(err, state.ErrLocked): another run holds it
		return
	}
	defer lock.Release()
	if recovered != nil {
		fmt.Printf("recovered a lock left by `%s` pid %d\n", recovered.Operation, recovered.PID)
	}

	st, info, err := state.Recover(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	if info.Journal {
		fmt.Printf("folded %d records of an interrupted apply\n", info.Records)
	}

	// Plan: which tasks can reuse a stored output?
	const def = "sha256:0d5f" // digest of the job's definition
	input := state.Digest([]byte(`"a.txt"`))
	if _, ok := st.Cached("job.wordcount", def, input); !ok {
		fmt.Println("job.wordcount: 1 task to run")
	}

	// Apply: record each step as it completes.
	st.LithopsVersion = "0.1.0"
	j, err := state.OpenJournal(path, st, state.JournalOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	attrs, _ := state.ScrubAttributes(json.RawMessage(`{"path":"/data","token":"secret"}`), []string{"token"})
	j.SetResource(state.Resource{Addr: "storage.data", Type: "localhost_directory", Block: "storage.data", Attributes: attrs})
	run := &state.JobRun{Name: "job.wordcount", DefinitionDigest: def, Executor: "executor.local", Started: time.Now(), TaskCount: 1}
	j.JobStarted(run) // with the reused tasks recorded in run, if any
	j.TaskFinished("job.wordcount", state.TaskRecord{Index: 0, Key: "a.txt", InputDigest: input, Output: state.InlineOutput([]byte("7\n")), Attempts: 1})
	j.JobFinished("job.wordcount", time.Now(), true)
	j.SetOutputs(map[string]state.Output{"words": {Value: json.RawMessage(`7`), Type: json.RawMessage(`"number"`)}})
	st, err = j.Commit()
	if err != nil {
		fmt.Println(err)
		return
	}

	rec, ok := st.Cached("job.wordcount", def, input)
	out, _ := rec.Output.Inline()
	fmt.Printf("serial %d, cached %v, output %q, resource attributes %s\n", st.Serial, ok, out, st.Resources["storage.data"].Attributes)
	// Output:
	// job.wordcount: 1 task to run
	// serial 1, cached true, output "7\n", resource attributes {"path":"/data","token":null}
}
