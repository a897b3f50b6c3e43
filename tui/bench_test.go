package tui_test

import (
	"context"
	"io"
	"testing"
	"time"

	"lithops/apply"
	"lithops/tui"
	"lithops/views"
)

// benchEvents is a job of n tasks as the engine may report it at worst: one
// JobProgress per finished task, a failed attempt every 1,000 tasks.
func benchEvents(n int) []apply.Event {
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	ev := []apply.Event{apply.JobStarted{Time: t0, Job: "job.bench", Executor: "executor.local", Tasks: n, Phase: "map"}}
	for i := 1; i <= n; i++ {
		el := time.Duration(i) * time.Millisecond
		if i%1000 == 0 {
			ev = append(ev, apply.TaskFailed{Time: t0.Add(el), Job: "job.bench", Phase: "map", Index: i, Key: "k",
				Attempt: 1, ExitCode: 1, StderrTail: "boom\n"})
		}
		ev = append(ev, apply.JobProgress{Time: t0.Add(el), Job: "job.bench", Phase: "map", Total: n, Done: i,
			Running: min(8, n-i), Queued: max(0, n-i-8), Retried: i / 1000, Elapsed: el})
	}
	end := time.Duration(n) * time.Millisecond
	return append(ev,
		apply.JobFinished{Time: t0.Add(end), Job: "job.bench", Tasks: n, Retried: n / 1000, Elapsed: end},
		apply.Finished{Time: t0.Add(end), Operation: "apply", JobsRan: 1, Tasks: n, Retried: n / 1000, Elapsed: end},
	)
}

// BenchmarkObserve100k pushes a 100,000-task event stream through each
// observer, rendering to io.Discard: the terminal UI (including starting and
// ending its program), the JSON renderer and the plain renderer. One op is
// the whole stream.
//
//	go test -run '^$' -bench Observe100k -benchtime 20x ./tui
func BenchmarkObserve100k(b *testing.B) {
	ev := benchEvents(100_000)
	observers := []struct {
		name string
		run  func(events []apply.Event)
	}{
		{"tui", func(events []apply.Event) {
			u := tui.New(tui.Options{Out: io.Discard, Operation: "apply"})
			done := make(chan error, 1)
			go func() { done <- u.Run(context.Background()) }()
			for _, e := range events {
				u.Observe(e)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}},
		{"json", func(events []apply.Event) {
			j := views.NewJSON(views.JSONOptions{Out: io.Discard, Version: "bench"})
			for _, e := range events {
				j.Observe(e)
			}
		}},
		{"plain", func(events []apply.Event) {
			p := views.NewPlain(views.PlainOptions{Out: io.Discard})
			for _, e := range events {
				p.Observe(e)
			}
		}},
	}
	for _, o := range observers {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				o.run(ev)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ev)), "ns/event")
		})
	}
}
