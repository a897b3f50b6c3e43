package worker

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// taskAttr puts a task in its own process group, so that one kill reaches
// everything it started, and has the kernel SIGKILL it if the worker dies.
// (Pdeathsig follows the thread that forked; Go keeps its threads alive.)
// The child's pidfd goes to *pidfd (-1 when the kernel has none).
func taskAttr(pidfd *int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, PidFD: pidfd}
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

// cloexecPipe makes a pipe whose ends are closed on exec.
func cloexecPipe(p *[2]int) error { return unix.Pipe2(p[:], unix.O_CLOEXEC) }

// emptyDir reports whether dir is a directory with mode 0700 and no
// entries, with five system calls and no allocation.
func emptyDir(dir string) bool {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Mode&0o7777 != 0o700 {
		return false
	}
	var buf [512]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		if _, count, _ := unix.ParseDirent(buf[:n], -1, nil); count > 0 {
			return false // ParseDirent skips "." and ".."
		}
	}
}
