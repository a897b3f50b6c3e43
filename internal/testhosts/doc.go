// Package testhosts starts real OpenSSH hosts for tests: a fleet of hosts,
// each in its own network and UTS namespace with its own sshd on port 22 and
// its own Linux user and home (Start), or a single sshd on 127.0.0.1 (Local),
// with generated host keys, a client key and a known_hosts file. Fleets can
// lose a host (KillSSHD) or its link (CutLink) to test failure detection.
//
// The work is done by hosts.sh (embedded; also usable by hand and by bench
// scripts), which needs root, OpenSSH's sshd and ssh-keygen, iproute2 and
// util-linux. When those are missing, tests skip with the reason, unless
// LITHOPS_REQUIRE_SSH_HOSTS=1 (set in CI) makes it a failure. Everything a
// fleet makes is removed when its test ends, and hosts.sh removes fleets
// whose test process died before it could clean up. remote/ tests are its
// main users.
package testhosts
