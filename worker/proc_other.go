//go:build unix && !linux

package worker

import (
	"errors"
	"syscall"
)

// taskAttr puts a task in its own process group. Without Pdeathsig, a
// task outlives a worker that is killed with SIGKILL.
func taskAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// workerAttr puts a worker in its own process group; it notices its
// client's death when its stdin ends.
func workerAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// waitExit is not available: the group is killed after the leader is
// reaped instead (see exitBeforeReap).
func waitExit(pid int) error { return errors.ErrUnsupported }

// exitBeforeReap tells whether waitExit holds the zombie: not here, so the
// leftovers of a task's group are killed right after it is reaped, which a
// PID reused in between could in theory misdirect.
const exitBeforeReap = false
