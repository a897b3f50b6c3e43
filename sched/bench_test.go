package sched

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkRun measures Run's own overhead per task with a dispatcher that
// does nothing but report success, so that linearity shows: ns/task and
// allocs/task should stay flat from 1k to 100k tasks.
func BenchmarkRun(b *testing.B) {
	for _, chunk := range []int{1, 100} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("chunk=%d/tasks=%d", chunk, n), func(b *testing.B) {
				job := &Job{Name: "bench", Tasks: newTasks(n), ChunkSize: chunk}
				d := &fakeDispatcher{CapacityFn: func() int { return 8 }}
				results := 0
				hooks := Hooks{Result: func(Result, bool) { results++ }, Progress: func(Progress) {}}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					sum, err := Run(b.Context(), d, job, hooks)
					if err != nil || sum.Done != n {
						b.Fatalf("done %d of %d: %v", sum.Done, n, err)
					}
				}
				runtime.ReadMemStats(&after)
				tasks := float64(b.N) * float64(n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/tasks, "ns/task")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/tasks, "allocs/task")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/tasks, "B/task")
			})
		}
	}
}
