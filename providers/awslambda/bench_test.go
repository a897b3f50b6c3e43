package awslambda

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"lithops/internal/fakelambda"
	"lithops/sched"
)

// BenchmarkFanOut measures what an invocation costs on the fake: tasks
// that run `true`, each one Invoke through the real SDK client, the fake
// Lambda service and the RIE, with the payload, status and cleanup going
// through gofakes3. It reports tasks per second and the time per task at
// each chunk size (tasks per invocation) with 4 invocations in flight.
//
//	go test -run '^$' -bench FanOut -benchtime 200x ./providers/awslambda/
func BenchmarkFanOut(b *testing.B) {
	for _, chunk := range []int{1, 10} {
		// No "=" in the name: it ends up in the fake's paths, which env(1) would
		// take for an assignment.
		b.Run(fmt.Sprintf("chunk%d", chunk), func(b *testing.B) {
			bn := newBench(b, true, fakelambda.Options{StateDelay: -1, Logf: func(string, ...any) {}})
			e := &Executor{Bootstrap: lithopsBootstrap(b), WaitDelay: 10 * time.Millisecond, SpillDir: b.TempDir()}
			d, _ := bn.deploy(b, e, bn.executorBody(map[string]cty.Value{"max_workers": cty.NumberIntVal(4)}))
			// Warm the four execution environments.
			warm := &sched.Job{Name: "job.warm", Tasks: make([]sched.Task, 4)}
			for i := range warm.Tasks {
				warm.Tasks[i] = sched.Task{Index: i, Argv: []string{"true"}}
			}
			if _, err := sched.Run(context.Background(), d, warm, sched.Hooks{}); err != nil {
				b.Fatal(err)
			}
			job := &sched.Job{Name: "job.bench", ChunkSize: chunk, Tasks: make([]sched.Task, b.N)}
			for i := range job.Tasks {
				job.Tasks[i] = sched.Task{Index: i, Argv: []string{"true"}}
			}
			b.ResetTimer()
			start := time.Now()
			sum, err := sched.Run(context.Background(), d, job, sched.Hooks{})
			elapsed := time.Since(start)
			b.StopTimer()
			if err != nil || sum.Done != b.N {
				b.Fatalf("%d of %d done: %v", sum.Done, b.N, err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
			b.ReportMetric(float64(d.throttled.Load()), "throttled")
		})
	}
}
