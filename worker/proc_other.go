//go:build unix && !linux

package worker

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// taskAttr puts a task in its own process group. Without Pdeathsig, a
// task outlives a worker that is killed with SIGKILL.
// There are no pidfds: *pidfd stays -1.
func taskAttr(pidfd *int) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

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

// cloexecPipe makes a pipe whose ends are closed on exec; ForkLock keeps a
// concurrent fork from inheriting them in between.
func cloexecPipe(p *[2]int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(p[:]); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}

// emptyDir has no fast path here: empty reads the directory.
func emptyDir(dir string) bool { return false }
