package apply_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"lithops/plan"
)

// TestIndependentJobsFinishTogether pins a crash: independent jobs run at
// the same time and each makes its results known to the evaluator as it
// finishes ("fatal error: concurrent map writes" in an apply of 1,000
// jobs). The race detector reports it reliably: run with -race.
func TestIndependentJobsFinishTogether(t *testing.T) {
	const jobs = 40
	var config strings.Builder
	for i := range jobs {
		fmt.Fprintf(&config, "job \"j%d\" {\n  map {\n    over    = [\"a\", \"b\"]\n    command = [\"echo\", each.value]\n  }\n}\n", i)
	}
	config.WriteString("output \"first\" {\n  value = job.j0.results\n}\n")
	w := newWorld(t, config.String())
	if _, err := w.apply(plan.Options{}, 0); err != nil {
		t.Fatalf("apply: %v", err)
	}
	st := w.state()
	if len(st.Jobs) != jobs {
		t.Fatalf("wrong state: %d jobs recorded, want %d", len(st.Jobs), jobs)
	}
	for name, run := range st.Jobs {
		if !run.Complete || run.Len() != 2 {
			t.Errorf("job %s: complete %v with %d tasks, want complete with 2", name, run.Complete, run.Len())
		}
	}
}

// TestIndependentJobsOpenTheirExecutorOnce pins a thundering herd: every
// job that starts while the executor is being opened used to open it too
// (an apply of 1,000 jobs on localhost started a pool of worker processes
// per job, 2,000 processes, and jobs failed on worker handshake timeouts).
func TestIndependentJobsOpenTheirExecutorOnce(t *testing.T) {
	var config strings.Builder
	for i := range 20 {
		fmt.Fprintf(&config, "job \"j%d\" {\n  map {\n    over    = [\"a\"]\n    command = [\"echo\", each.value]\n  }\n}\n", i)
	}
	w := newWorld(t, config.String())
	w.openDelay = 20 * time.Millisecond // the jobs start while the first open is under way
	if _, err := w.apply(plan.Options{}, 0); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := w.opens.Load(); got != 1 {
		t.Errorf("the executor was opened %d times, want once", got)
	}
}
