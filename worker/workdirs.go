package worker

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// workDirs hands out task working directories, each one empty with mode
// 0700. Making and removing a directory for every task costs two journaled
// metadata writes, which on ext4 take as much CPU as starting a small
// command; so a directory that a task is done with is emptied and handed
// out again, exactly as fresh for the next task. Only the worker's own
// directory (base) is removed at the end.
type workDirs struct {
	base string
	mu   sync.Mutex
	free []string
	n    int
}

func (d *workDirs) get() (string, error) {
	d.mu.Lock()
	if k := len(d.free); k > 0 {
		p := d.free[k-1]
		d.free = d.free[:k-1]
		d.mu.Unlock()
		return p, nil
	}
	d.n++
	p := filepath.Join(d.base, strconv.Itoa(d.n))
	d.mu.Unlock()
	if err := os.Mkdir(p, 0o700); err != nil {
		return "", err
	}
	return p, nil
}

// put takes back a directory: emptied, it is reused; one that cannot be
// emptied or whose mode the task changed is removed.
func (d *workDirs) put(p string) error {
	if err := empty(p); err != nil {
		return os.RemoveAll(p)
	}
	d.mu.Lock()
	d.free = append(d.free, p)
	d.mu.Unlock()
	return nil
}

// errChanged says that a task directory is not as it was handed out.
var errChanged = os.ErrInvalid

// empty removes what dir holds, keeping dir, if dir is still a 0700
// directory.
func empty(dir string) error {
	if emptyDir(dir) {
		return nil // the usual case, made cheap where the system allows
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.IsDir() || st.Mode().Perm() != 0o700 {
		return errChanged
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// sweepWorkDirs removes the working directories of workers that died
// without cleaning up (killed with SIGKILL): each is named after its
// worker's PID, and one whose PID no longer runs is removed. A PID reused
// since only keeps a directory a little longer.
func sweepWorkDirs(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "lithops-worker-*-*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), "lithops-worker-")
		pid, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, '-'))])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || err == syscall.EPERM {
			continue // alive (perhaps another user's)
		}
		os.RemoveAll(m)
	}
}
