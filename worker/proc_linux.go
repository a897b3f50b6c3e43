package worker

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// taskAttr puts a task in its own process group, so that one kill reaches
// everything it started, and has the kernel SIGKILL it if the worker dies.
// (Pdeathsig follows the thread that forked; Go keeps its threads alive.)
func taskAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// workerAttr is the same for a worker process started by a Pool, with
// SIGTERM so that the worker can kill its tasks before it goes.
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// waitExit blocks until process pid has exited without reaping it: while
// it is a zombie its PID, and so its process group ID, cannot be reused, so
// killing the group afterwards cannot hit an unrelated process.
func waitExit(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// exitBeforeReap tells whether waitExit holds the zombie (see waitExit).
const exitBeforeReap = true
