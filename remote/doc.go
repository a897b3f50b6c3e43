// Package remote reaches worker hosts over SSH: it parses host entries
// ("ops@10.0.0.6:2222"), dials them with keys from files or an SSH agent,
// verifies every host key (a known_hosts file, or a host key the client
// generated and injected at creation; no code path skips the check), keeps
// each connection alive with keepalives so a dead host is noticed within
// seconds, and on a connection probes the host, uploads files atomically over
// SFTP, installs the worker binary content-addressed, and starts processes
// whose argv is quoted for the remote POSIX shell.
//
// The vm executor backend and the cloud fleet backends (aws_ec2, ...) use it
// to run `lithops worker` on each host; the worker protocol rides on a
// Process's stdin and stdout (Process.Stream). It reads no environment and
// prints nothing: the agent socket, key paths and known_hosts files arrive in
// Config. The entry points are ParseHost and Dial.
package remote
