package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/go-cmp/cmp"

	"lithops/apply"
)

func TestObserveCoalesces(t *testing.T) {
	prog := func(job, phase string, done int) apply.JobProgress {
		return apply.JobProgress{Job: job, Phase: phase, Total: 100, Done: done}
	}
	fail := apply.TaskFailed{Job: "a", Index: 3}
	tests := []struct {
		name string
		in   []apply.Event
		want []apply.Event
	}{
		{
			name: "a job's progress events collapse into the latest",
			in:   []apply.Event{prog("a", "map", 1), prog("a", "map", 2), prog("a", "map", 3)},
			want: []apply.Event{prog("a", "map", 3)},
		},
		{
			name: "interleaved jobs and phases keep a slot each",
			in:   []apply.Event{prog("a", "map", 1), prog("b", "map", 1), prog("a", "map", 2), prog("a", "reduce", 1), prog("b", "map", 5)},
			want: []apply.Event{prog("a", "map", 2), prog("b", "map", 5), prog("a", "reduce", 1)},
		},
		{
			name: "a failure does not stop the collapse",
			in:   []apply.Event{prog("a", "map", 1), fail, prog("a", "map", 2)},
			want: []apply.Event{prog("a", "map", 2), fail},
		},
		{
			name: "any other event orders progress around it",
			in: []apply.Event{prog("a", "map", 1), prog("a", "map", 2), apply.JobStarted{Job: "a", Phase: "reduce"},
				prog("a", "map", 3), apply.JobFinished{Job: "a"}, apply.Finished{}},
			want: []apply.Event{prog("a", "map", 2), apply.JobStarted{Job: "a", Phase: "reduce"},
				prog("a", "map", 3), apply.JobFinished{Job: "a"}, apply.Finished{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := New(Options{})
			for _, e := range tt.in {
				u.Observe(e)
			}
			if diff := cmp.Diff(tt.want, u.take()); diff != "" {
				t.Errorf("wrong events for the next frame (-want +got):\n%s", diff)
			}
			if got := u.take(); len(got) != 0 {
				t.Errorf("events left after the frame took them: %v", got)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	ctrlC := tea.KeyMsg{Type: tea.KeyCtrlC}
	q := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}
	x := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}
	type outcome struct {
		Stops  int
		Asked  bool
		Killed bool
		Quit   bool
	}
	tests := []struct {
		name string
		keys []tea.KeyMsg
		want outcome
	}{
		{name: "q asks to stop", keys: []tea.KeyMsg{q}, want: outcome{Stops: 1, Asked: true}},
		{name: "ctrl-c asks to stop", keys: []tea.KeyMsg{ctrlC}, want: outcome{Stops: 1, Asked: true}},
		{name: "q twice asks once", keys: []tea.KeyMsg{q, q}, want: outcome{Stops: 1, Asked: true}},
		{name: "ctrl-c twice exits at once", keys: []tea.KeyMsg{ctrlC, ctrlC}, want: outcome{Stops: 1, Asked: true, Killed: true, Quit: true}},
		{name: "q then ctrl-c exits at once", keys: []tea.KeyMsg{q, ctrlC}, want: outcome{Stops: 1, Asked: true, Killed: true, Quit: true}},
		{name: "other keys do nothing", keys: []tea.KeyMsg{x}, want: outcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got outcome
			m := newModel(Options{Stop: func() { got.Stops++ }})
			var cmd tea.Cmd
			for _, k := range tt.keys {
				var next tea.Model
				next, cmd = m.Update(k)
				m = next.(model)
			}
			got.Asked, got.Killed = m.stopAsked, m.killed
			if cmd != nil {
				_, got.Quit = cmd().(tea.QuitMsg)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateFollowsTheWindowAndQuitsOnFinished(t *testing.T) {
	m := newModel(Options{Width: 80, Height: 24})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	m = next.(model)
	if m.width != 40 || m.height != 10 {
		t.Fatalf("size after resize = %dx%d, want 40x10", m.width, m.height)
	}
	for _, l := range strings.Split(m.View(), "\n") {
		if n := width(l); n > 40 {
			t.Errorf("line %q is %d columns on a 40-column terminal", l, n)
		}
	}
	next, cmd := m.Update(frameMsg{now: at(1), events: []apply.Event{apply.Finished{Operation: "apply"}}})
	m = next.(model)
	if cmd == nil {
		t.Fatal("no command after Finished, want tea.Quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Errorf("command after Finished is not tea.Quit")
	}
	if v := m.View(); v != "" {
		t.Errorf("view after Finished = %q, want empty so the live area is erased", v)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the UI while the test
// reads it after Run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunPrintsTheReportLast(t *testing.T) {
	var out syncBuffer
	u := New(Options{Out: &out, Width: 80, Height: 24, Operation: "apply", Now: func() time.Time { return at(73) }})
	errc := make(chan error, 1)
	go func() { errc <- u.Run(context.Background()) }()
	for _, e := range applyComplete() {
		u.Observe(e)
	}
	u.Wait()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := screenOf(scenario{op: "apply", now: at(73), events: applyComplete()}, 80, 24, false)
	if got := out.String(); !strings.HasSuffix(got, want) {
		t.Errorf("output does not end with the report:\n%s\nwant the end:\n%s", got, want)
	}
}

func TestRunStopAndKill(t *testing.T) {
	tests := []struct {
		name       string
		keys       string
		events     []apply.Event
		wantStops  int
		wantKills  int
		wantReport string
	}{
		{
			name: "q stops, the engine finishes stopped",
			keys: "q",
			events: []apply.Event{apply.Stopping{Time: at(1)},
				apply.Finished{Time: at(2), Operation: "apply", Stopped: true}},
			wantStops:  1,
			wantReport: "Apply stopped. Resources: 0 added, 0 changed, 0 destroyed.\n",
		},
		{
			name:       "ctrl-c twice exits without the engine",
			keys:       "\x03\x03",
			wantStops:  1,
			wantKills:  1,
			wantReport: "Exited at once on the second ctrl-c, without waiting for the run to end.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			var mu sync.Mutex
			stops, kills := 0, 0
			var u *UI
			u = New(Options{Out: &out, In: strings.NewReader(tt.keys), Operation: "apply",
				Stop: func() {
					mu.Lock()
					stops++
					mu.Unlock()
					go func() {
						for _, e := range tt.events {
							u.Observe(e)
						}
					}()
				},
				Kill: func() {
					mu.Lock()
					kills++
					mu.Unlock()
				},
			})
			if err := u.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if stops != tt.wantStops || kills != tt.wantKills {
				t.Errorf("Stop called %d times, Kill %d; want %d and %d", stops, kills, tt.wantStops, tt.wantKills)
			}
			if got := out.String(); !strings.HasSuffix(got, tt.wantReport) {
				t.Errorf("output ends %q, want it to end %q", tail(got, 200), tt.wantReport)
			}
		})
	}
}

func TestRunEndsWithItsContext(t *testing.T) {
	var out syncBuffer
	u := New(Options{Out: &out})
	ctx, cancel := context.WithCancel(context.Background())
	u.Observe(apply.JobStarted{Time: at(0), Job: "job.wc", Tasks: 10})
	go func() {
		// Cancel once the UI has drawn its first frame with the job.
		for !strings.Contains(out.String(), "job.wc") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	err := u.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if got := out.String(); !strings.HasSuffix(got, "The run was interrupted before it ended.\n") {
		t.Errorf("output ends %q, want the interrupted report", tail(got, 200))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var _ io.Writer = (*syncBuffer)(nil)
