package worker

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// A temporary cache is a cache directory that lives as long as whoever
// uses it: a local pool that was given no cache directory makes one, and
// it must go even when the client is killed with SIGKILL and cannot clean
// up. Every user (the pool, each worker) holds a shared flock(2) on its
// lock file; the kernel drops the locks of a process that dies. A worker
// leaving tries to take the lock exclusively: it succeeds only when no one
// else holds it any more, and then removes the directory. A worker that
// crashes while the pool lives leaves the cache alone, since the pool still
// holds its lock.
const tempCacheLock = ".lithops-temporary-cache"

// tempCacheUser is one holder of a temporary cache's shared lock.
type tempCacheUser struct {
	dir string
	fd  int
}

// useTempCache takes a shared lock on the temporary cache dir.
func useTempCache(dir string) (*tempCacheUser, error) {
	fd, err := unix.Open(filepath.Join(dir, tempCacheLock), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(fd, unix.LOCK_SH); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &tempCacheUser{dir: dir, fd: fd}, nil
}

// leave drops the lock, removing the directory when no one else holds it.
// It reports whether it removed it.
//
// Two users leaving at once would each see the other's shared lock and
// neither would remove the directory; so a user that cannot take the lock
// exclusively drops its own, waits a moment for the other leavers to drop
// theirs, and tries once more. A user that is not leaving keeps its lock
// throughout, so the directory outlives it.
func (u *tempCacheUser) leave() (bool, error) {
	defer unix.Close(u.fd)
	if flock(u.fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
		flock(u.fd, unix.LOCK_UN)
		time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond)
		if flock(u.fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
			return false, nil // someone still uses it
		}
	}
	return true, os.RemoveAll(u.dir)
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}
