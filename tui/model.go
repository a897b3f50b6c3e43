package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"lithops/apply"
)

// frameMsg carries the events gathered since the last frame and the time to
// draw at. The UI sends one per FrameInterval (sooner when an event asks to
// be seen at once), so Update and View run at most that often whatever the
// engine's event rate.
type frameMsg struct {
	now    time.Time
	events []apply.Event
}

// model is the bubbletea model. Everything it draws comes from st (the
// events), now and tick (the frame), and the terminal size.
type model struct {
	st            state
	now           time.Time
	tick          int
	width, height int
	sty           styles

	stopAsked bool // q or ctrl-c was pressed once
	killed    bool // ctrl-c was pressed a second time
	done      bool // the program is quitting: the frame is empty

	// stop is called on the first q or ctrl-c; next returns the command
	// that waits for the next frame (nil in tests, which send frames
	// themselves).
	stop func()
	next func() tea.Cmd
}

func newModel(o Options) model {
	return model{
		st:     state{Operation: o.Operation},
		width:  o.Width,
		height: o.Height,
		sty:    newStyles(o.Color),
		stop:   o.Stop,
	}
}

// Init implements tea.Model.
func (m model) Init() tea.Cmd { return m.wait() }

func (m model) wait() tea.Cmd {
	if m.next == nil {
		return nil
	}
	return m.next()
}

// Update implements tea.Model.
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case frameMsg:
		for _, e := range msg.events {
			m.st.update(e)
		}
		m.now = msg.now
		m.tick++
		if m.st.Finished != nil {
			m.done = true
			return m, tea.Quit
		}
		return m, m.wait()
	case tea.WindowSizeMsg:
		if msg.Width > 0 {
			m.width = msg.Width
		}
		if msg.Height > 0 {
			m.height = msg.Height
		}
		return m, nil
	case tea.KeyMsg:
		switch msg.String() {
		case "ctrl+c":
			if m.stopAsked {
				m.killed, m.done = true, true
				return m, tea.Quit
			}
			m.askStop()
		case "q":
			m.askStop()
		}
		return m, nil
	case quitMsg:
		m.done = true
		return m, tea.Quit
	}
	return m, nil
}

// quitMsg ends the program without a Finished event (Run's context ended).
type quitMsg struct{}

func (m *model) askStop() {
	if m.stopAsked {
		return
	}
	m.stopAsked = true
	if m.stop != nil {
		m.stop()
	}
}

// View implements tea.Model. Once quitting it is empty, so the live area is
// erased and the report printed after the program takes its place.
func (m model) View() string {
	if m.done {
		return ""
	}
	return m.screen().frame()
}

func (m model) screen() screen {
	return screen{st: &m.st, now: m.now, tick: m.tick, width: m.width, height: m.height,
		sty: m.sty, stopAsked: m.stopAsked, killed: m.killed}
}
