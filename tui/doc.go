// Package tui is the terminal UI of apply and destroy: a bubbletea program
// that shows resource changes with a spinner and their elapsed time, one
// progress bar per job (done, running, failed, queued, retries, tasks per
// second, ETA), the hosts of a fleet, the last failures with their stderr,
// and at the end Terraform's summary and the outputs, which stay in the
// terminal's scrollback. It implements apply.Observer: the engine pushes
// events into UI.Observe from any goroutine, the UI coalesces them and draws
// at most one frame per FrameInterval, so a job of 100,000 tasks runs as fast
// with it as with -json. Main builds it with New when stdout is a terminal
// and runs it with Run next to the engine; without a terminal main uses
// views.Plain instead, and package views holds the wording both share.
// Subpackage tmuxtest drives a real terminal (tmux) in tests.
package tui
