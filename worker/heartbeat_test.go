package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"lithops/sched"
)

// TestHeartbeatKeepsWorker: a task that runs several times the worker's
// ClientTimeout finishes, because the client pings meanwhile.
func TestHeartbeatKeepsWorker(t *testing.T) {
	w := startWorker(t, ServeOptions{Slots: 1, ClientTimeout: time.Second}, ClientOptions{Heartbeat: 50 * time.Millisecond})
	res := w.runOne(t, sched.Task{Argv: []string{"sh", "-c", "sleep 3; echo ok"}})
	if res.ExitCode != 0 || res.Err != "" || string(res.Stdout) != "ok\n" {
		t.Fatalf("task did not finish: %+v", res)
	}
}

// TestClientTimeoutEndsSilentClient: a worker whose client stays silent
// (its stream open, nothing arriving, as over a cut link) gives up: Serve
// returns why, the running task is killed and the client sees the
// connection end.
func TestClientTimeoutEndsSilentClient(t *testing.T) {
	w := startWorker(t, ServeOptions{Slots: 1, ClientTimeout: 300 * time.Millisecond}, ClientOptions{})
	client := w.client
	w.client = nil // the worker ends on its own; stop must not expect a clean end
	defer client.Close()
	ran := make(chan error, 1)
	go func() {
		ran <- client.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{{Argv: []string{"sleep", "60"}}}}, func(sched.Result) {})
	}()
	var err error
	select {
	case err = <-w.served:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker still serves a silent client after 30s")
	}
	if err == nil || !strings.Contains(err.Error(), "nothing from the client") {
		t.Errorf("Serve returned %v, want the client's silence", err)
	}
	if err := <-ran; err == nil {
		t.Error("Run returned no error although the worker gave up on the connection")
	}
}
