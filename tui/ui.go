package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"lithops/apply"
)

// Options configure a UI. Main fills them from the process: the terminal,
// its size, whether to colour (NO_COLOR), and how to stop the engine.
type Options struct {
	// Out is the terminal the UI draws on.
	Out io.Writer
	// In gives the keys (q, ctrl-c): pass os.Stdin when it is a terminal,
	// nil otherwise (a pipe would be read as keystrokes). The terminal is in
	// raw mode while the UI runs, so ctrl-c arrives as a key, not SIGINT;
	// main's own SIGINT handling still serves when In is nil. Approve
	// (package views) may read the same terminal before Run: it reads no
	// further than its line.
	In io.Reader
	// Width and Height are the terminal size until it reports one (it never
	// does when Out is not a terminal); default 80x24.
	Width, Height int
	// Color turns colours on.
	Color bool
	// Operation is "apply" or "destroy".
	Operation string
	// Stop is called on the first q or ctrl-c: it asks the engine to stop
	// gracefully (typically by cancelling apply's context). It runs on the
	// UI's goroutine and must not block.
	Stop func()
	// Kill is called on the second ctrl-c, after the UI has ended and
	// restored the terminal and printed what it knew; main exits at once.
	Kill func()
	// FrameInterval is the time between frames; default 100ms.
	FrameInterval time.Duration
	// Now is the clock for elapsed times; default time.Now.
	Now func() time.Time
}

// UI is the terminal UI: an apply.Observer that draws on a terminal.
//
// Observe never blocks on drawing: it records the event in a queue in
// which a job's progress events replace one another until the next frame
// takes them, so the cost per event is a lock and a map lookup. Run draws a
// frame every FrameInterval (at once for Stopping and Finished) until
// Finished arrives, then prints the final report, which stays in the
// terminal's scrollback.
type UI struct {
	opts Options

	mu       sync.Mutex
	pending  []apply.Event
	progress map[progressKey]int // index in pending of a job phase's latest progress
	wake     chan struct{}

	done chan struct{}
}

type progressKey struct{ job, phase string }

var _ apply.Observer = (*UI)(nil)

// New returns a UI; Run starts it. Events observed before Run are kept.
func New(o Options) *UI {
	if o.Width <= 0 {
		o.Width = 80
	}
	if o.Height <= 0 {
		o.Height = 24
	}
	if o.FrameInterval <= 0 {
		o.FrameInterval = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return &UI{
		opts:     o,
		progress: map[progressKey]int{},
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// Observe implements apply.Observer. It is safe for concurrent use and
// returns at once.
func (u *UI) Observe(e apply.Event) {
	urgent := false
	u.mu.Lock()
	switch ev := e.(type) {
	case apply.JobProgress:
		// Store e, not ev: re-boxing ev would allocate on every event.
		k := progressKey{ev.Job, ev.Phase}
		if i, ok := u.progress[k]; ok {
			u.pending[i] = e
		} else {
			u.progress[k] = len(u.pending)
			u.pending = append(u.pending, e)
		}
	case apply.TaskFailed:
		// Failures do not touch the counters, so a later progress event
		// may still replace an earlier one across them.
		u.pending = append(u.pending, e)
	default:
		// Anything else orders the progress around it: a new phase, the
		// end of a job. Later progress starts a new slot.
		u.pending = append(u.pending, e)
		clear(u.progress)
		switch e.(type) {
		case apply.Stopping, apply.Finished:
			urgent = true
		}
	}
	u.mu.Unlock()
	if urgent {
		u.poke()
	}
}

func (u *UI) poke() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// take returns the events queued since the last call.
func (u *UI) take() []apply.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	ev := u.pending
	u.pending = nil
	clear(u.progress)
	return ev
}

// nextFrame waits for the next frame time, or an urgent event, and returns
// the frame.
func (u *UI) nextFrame() tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(u.opts.FrameInterval)
		defer t.Stop()
		select {
		case <-t.C:
		case <-u.wake:
		}
		return frameMsg{now: u.opts.Now(), events: u.take()}
	}
}

// Run runs the UI on the terminal until Finished was observed and drawn,
// ctrl-c was pressed twice, or ctx ends; then it prints the final report
// (resources, jobs, failures, summary, outputs) below where the live frame
// was, calls Kill if ctrl-c was pressed twice, and returns. It returns an
// error only when the terminal could not be driven, or ctx's error when ctx
// ended the UI. Call it once.
func (u *UI) Run(ctx context.Context) error {
	defer close(u.done)
	m := newModel(u.opts)
	m.now = u.opts.Now()
	m.next = u.nextFrame
	p := tea.NewProgram(m,
		tea.WithInput(u.opts.In),
		tea.WithOutput(u.opts.Out),
		tea.WithoutSignalHandler(),
		tea.WithFPS(30),
	)

	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-ctx.Done():
			p.Send(quitMsg{})
		case <-ended:
		}
	}()

	final, err := p.Run()
	fm, ok := final.(model)
	if !ok {
		fm = m
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	if _, werr := io.WriteString(u.opts.Out, fm.screen().report()); werr != nil {
		return fmt.Errorf("terminal UI: write report: %w", werr)
	}
	if fm.killed && u.opts.Kill != nil {
		u.opts.Kill()
	}
	if fm.st.Finished == nil && !fm.killed && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// Wait blocks until Run has returned, for a caller that runs Run on another
// goroutine and the engine on its own.
func (u *UI) Wait() {
	<-u.done
}
