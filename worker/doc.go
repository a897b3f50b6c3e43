// Package worker runs tasks in long-lived worker processes and is the
// localhost executor. A worker is the lithops binary in its hidden `worker`
// mode (Main, Serve): it speaks a small framed protocol (PROTOCOL.md) over
// any byte stream, here the pipes of a local child process, on a VM the
// stdin and stdout of one SSH session, and runs each task's command directly
// (never through a shell) in its own process group, working directory and
// time limit, with job files taken from a content-addressed cache. Client
// speaks the other end of that protocol and runs one sched.Invocation per
// worker slot; Pool keeps a warm set of local worker processes, restarts
// the ones that die and implements sched.Dispatcher. It reads partitioned
// stdin through package partition and knows nothing of HCL, state or
// rendering. The entry points are NewPool (localhost), NewClient (any
// stream) and Main (the worker process).
package worker
