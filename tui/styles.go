package tui

import (
	"io"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// styles are the colours of one UI. They come from a lipgloss renderer of
// their own with a fixed profile, so nothing depends on what the process's
// stdout happens to be: with colour off every style renders plain text,
// which is how the golden frames are made.
type styles struct {
	ok, fail, warn, faint, bold, active lipgloss.Style
	// bar and failBar draw job progress (bubbles/progress), green while all
	// is well, red once a task failed for good.
	bar, failBar progress.Model
	spin         spinner.Spinner
}

func newStyles(color bool) styles {
	profile := termenv.Ascii
	if color {
		profile = termenv.ANSI256
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true) // never query the terminal
	newBar := func(fill string) progress.Model {
		b := progress.New(
			progress.WithColorProfile(profile),
			progress.WithoutPercentage(),
			progress.WithSolidFill(fill),
			progress.WithFillCharacters('█', '░'),
		)
		b.EmptyColor = "8"
		return b
	}
	return styles{
		ok:      r.NewStyle().Foreground(lipgloss.Color("2")),
		fail:    r.NewStyle().Foreground(lipgloss.Color("1")),
		warn:    r.NewStyle().Foreground(lipgloss.Color("3")),
		faint:   r.NewStyle().Faint(true),
		bold:    r.NewStyle().Bold(true),
		active:  r.NewStyle().Foreground(lipgloss.Color("6")),
		bar:     newBar("2"),
		failBar: newBar("1"),
		spin:    spinner.MiniDot,
	}
}

// barView draws a progress bar of the given width at fraction f.
func (s styles) barView(f float64, width int, failed bool) string {
	b := s.bar
	if failed {
		b = s.failBar
	}
	b.Width = width
	return b.ViewAs(f)
}

// spinnerFrame is the spinner's frame for tick n.
func (s styles) spinnerFrame(n int) string {
	f := s.spin.Frames
	return s.active.Render(f[n%len(f)])
}
