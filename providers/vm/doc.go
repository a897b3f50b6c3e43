// Package vm is the `vm` executor backend: jobs run on a fleet of existing
// machines reached over SSH (package remote), each host verified against
// known_hosts. Per host it plans one vm_bootstrap resource (bootstrap.go):
// the lithops worker binary installed content-addressed under the login's
// home, read back for drift, replaced by a new lithops build, removed by
// destroy. Open (fleet.go) keeps one SSH connection per host running
// `lithops worker` and speaks the worker protocol (package worker) over it,
// so job files travel once per host and task argv never meets a shell; the
// fleet is the sched.Dispatcher, spreading invocations over free slots,
// giving up lost hosts' invocations to be retried elsewhere and connecting
// lost hosts again. Backend (backend.go) is the entry point; main fills its
// fields (binary, local user, home, agent socket) from the environment.
package vm
