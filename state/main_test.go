package state

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helperEnv selects a helper role when the test binary re-executes itself
// as a second process (a lock holder, a journal writer to be killed).
const helperEnv = "LITHOPS_STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	role := os.Getenv(helperEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	if err := runHelper(role, os.Getenv("LITHOPS_STATE_TEST_PATH")); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// runHelper is the second process's body.
//
//   - hold-lock: acquire the lock of the state at path as `apply`, print
//     the LockInfo as one JSON line, hold it until stdin closes, release.
//   - write-journal: open a journal on the state at path, start job.big and
//     record tasks 0, 1, 2, ... (taskFixture) forever; print "ready" after
//     the first 50.
func runHelper(role, path string) error {
	switch role {
	case "hold-lock":
		lock, _, err := Acquire(context.Background(), path, LockOptions{Operation: "apply", Who: "helper@test"})
		if err != nil {
			return err
		}
		data, _ := json.Marshal(lock.Info())
		fmt.Println(string(data))
		io.Copy(io.Discard, os.Stdin)
		return lock.Release()
	case "write-journal":
		st, _, err := Recover(path)
		if err != nil {
			return err
		}
		j, err := OpenJournal(path, st, JournalOptions{})
		if err != nil {
			return err
		}
		if err := j.JobStarted(&JobRun{Name: "job.big", DefinitionDigest: "sha256:def", Executor: "executor.local", TaskCount: 1 << 30}); err != nil {
			return err
		}
		for i := 0; ; i++ {
			if err := j.TaskFinished("job.big", taskFixture(i)); err != nil {
				return err
			}
			if i == 49 {
				fmt.Println("ready")
			}
		}
	}
	return fmt.Errorf("unknown role %q", role)
}

// helper is a running second process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHelper re-executes the test binary in role on the state at path.
func startHelper(t *testing.T, role, path string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, "LITHOPS_STATE_TEST_PATH="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return h
}

// line waits for the helper's next line of output.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	s, err := h.out.ReadString('\n')
	if err != nil {
		t.Fatalf("helper output: %v", err)
	}
	return strings.TrimSpace(s)
}

// kill kills the helper with SIGKILL and reaps it.
func (h *helper) kill(t *testing.T) {
	t.Helper()
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
}

// finish closes the helper's stdin and waits for it to exit cleanly.
func (h *helper) finish(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exited: %v", err)
	}
}

// taskFixture is the record of task i of the killed writer's job, a function
// of i alone so that the test can check every folded record.
func taskFixture(i int) TaskRecord {
	return TaskRecord{
		Index:       i,
		Key:         fmt.Sprint(i),
		InputDigest: Digest([]byte(fmt.Sprint("input ", i))),
		Output:      InlineOutput([]byte(fmt.Sprintf("%d\n", i*i))),
		Attempts:    1,
		Duration:    time.Duration(i) * time.Millisecond,
		Worker:      fmt.Sprintf("localhost/%d", i%8),
	}
}
