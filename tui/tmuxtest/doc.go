// Package tmuxtest runs a command on a real terminal in tests: a detached
// tmux session of a fixed size on a private socket, whose screen a test
// reads with tmux capture-pane while the command runs and after it exits.
// It is how the terminal UI (package tui) is checked end to end, and how
// main's tests can check `lithops apply` the same way: Start with the
// command, WaitForText, SendKeys, Wait, Scrollback. Tests skip with a clear
// message when tmux is not installed.
package tmuxtest
