// Package tmuxtest runs a command on a real terminal in tests: a detached
// tmux session of a fixed size on a private socket, whose screen a test
// reads with tmux capture-pane while the command runs and after it exits.
// It is how the terminal UI (package tui) is checked end to end, and how
// main's tests can check `lithops apply` the same way. Tests skip with a
// clear message when tmux is not installed.
//
//	s := tmuxtest.Start(t, tmuxtest.Options{
//		Command: []string{lithopsBinary, "apply", "-auto-approve"},
//		Dir:     workDir,
//		Width:   80, Height: 24,
//	})
//	mid := s.WaitForText(time.Minute, "tasks/s")   // the live frame
//	s.SendKeys("q")                                  // keys in tmux notation
//	status := s.Wait(time.Minute)                    // exit status
//	final := s.Scrollback()                          // all it left behind
package tmuxtest
