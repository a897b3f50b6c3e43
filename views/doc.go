// Package views holds the two non-interactive implementations of
// apply.Observer and the approval prompt: Plain prints Terraform-style lines
// for CI logs, pipes and -no-tui ("storage.data: Creation complete after 2s",
// "job.wordcount: 812/1000 done, 3 failed, 2 retried [40s]"); JSON prints one
// event per line for machines (docs/JSON-EVENTS.md); Approve asks "Do you
// want to perform these actions?" before apply or destroy. The wording shared
// with the terminal UI (package tui) lives in text.go so every human view
// says the same thing. The engine (package apply) knows none of this; main
// picks a view and passes it to apply as its Observer. Entry points: NewPlain,
// NewJSON, Approve.
package views
