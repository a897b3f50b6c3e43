package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"lithops/internal/golden"
)

// screenOf drives a model through a scenario at a fixed size: the live frame
// while it runs, the final report once Finished.
func screenOf(sc scenario, w, h int, color bool) string {
	m := newModel(Options{Width: w, Height: h, Operation: sc.op, Color: color})
	if sc.stopAsked {
		m.askStop()
	}
	next, _ := m.Update(frameMsg{now: sc.now, events: sc.events})
	m = next.(model)
	if m.done {
		return m.screen().report()
	}
	return m.View() + "\n"
}

var sizes = []struct{ w, h int }{{80, 24}, {40, 20}}

func TestGoldenFrames(t *testing.T) {
	for _, sc := range scenarios() {
		for _, size := range sizes {
			name := fmt.Sprintf("%s-%dx%d", sc.name, size.w, size.h)
			t.Run(name, func(t *testing.T) {
				got := screenOf(sc, size.w, size.h, false)
				golden.Check(t, filepath.Join("frames", name+".golden"), got)
			})
		}
	}
}

// TestFramesFit checks every scenario at many sizes: no line wider than the
// terminal, no live frame taller, and colour changing nothing but colour.
func TestFramesFit(t *testing.T) {
	for _, sc := range scenarios() {
		for _, w := range []int{20, 30, 40, 52, 60, 80, 120} {
			for _, h := range []int{6, 10, 20, 24, 50} {
				plainText := screenOf(sc, w, h, false)
				colored := screenOf(sc, w, h, true)
				if got := ansi.Strip(colored); got != plainText {
					t.Errorf("%s at %dx%d: colour changed the text:\n%s", sc.name, w, h, cmp.Diff(plainText, got))
				}
				if strings.ContainsAny(plainText, "\x1b\r\t") {
					t.Errorf("%s at %dx%d: control characters in the uncoloured screen: %q", sc.name, w, h, plainText)
				}
				lines := strings.Split(strings.TrimSuffix(plainText, "\n"), "\n")
				final := strings.Contains(sc.name, "complete") || strings.Contains(sc.name, "failed")
				if !final && len(lines) > h {
					t.Errorf("%s at %dx%d: %d lines, taller than the terminal", sc.name, w, h, len(lines))
				}
				for i, l := range lines {
					if n := ansi.StringWidth(l); n > w {
						t.Errorf("%s at %dx%d: line %d is %d columns wide: %q", sc.name, w, h, i+1, n, l)
					}
				}
			}
		}
	}
}
