package tui

import "testing"

// BenchmarkFrame measures drawing one live frame of a busy screen (a fleet,
// a job with failures) at 80x24: the UI draws at most ten a second, so this
// bounds the CPU the UI takes from the engine.
//
//	go test -run '^$' -bench Frame ./tui
func BenchmarkFrame(b *testing.B) {
	m := newModel(Options{Width: 80, Height: 24, Color: true, Operation: "apply"})
	next, _ := m.Update(frameMsg{now: at(60), events: jobFailures()})
	m = next.(model)
	for b.Loop() {
		_ = m.View()
	}
}
