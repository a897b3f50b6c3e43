// Package command implements the lithops command line: one type per
// subcommand (version, validate, fmt, plan, apply, destroy, show, output,
// logs, state, storage, force-unlock, and the hidden worker), a dispatcher
// that reads Terraform-style flags (single or double dash, -chdir before the
// subcommand), and the glue between the engine and its views. Main is the
// entry point; main.go hands it the process's arguments, streams,
// environment and signals as an Env value, and nothing below reads them
// from the process itself.
package command
