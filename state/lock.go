//go:build unix

package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is matched (errors.Is) by the error Acquire returns when another
// live process holds the lock; errors.As with a *LockedError gives the
// holder.
var ErrLocked = errors.New("state is locked")

// LockedError reports the live holder of a state lock.
type LockedError struct {
	Path string // the state file
	Info LockInfo
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state %q is locked by %s; lock ID %s", e.Path, e.Info.describe(), e.Info.ID)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockInfo says who holds (or held) a state lock. It is the content of the
// lock file <path>.lock, as JSON.
type LockInfo struct {
	// ID identifies this holding of the lock; ForceUnlock asks for it.
	ID string `json:"id"`
	// Operation is what the holder runs: "plan", "apply", "destroy".
	Operation string `json:"operation"`
	// Who is "user@host".
	Who   string    `json:"who"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// describe renders the holder for messages: "`apply` (alice@lab, pid 123)
// since 2026-03-01T10:00:00Z".
func (i LockInfo) describe() string {
	return fmt.Sprintf("`%s` (%s, pid %d) since %s", i.Operation, i.Who, i.PID, i.Since.Format(time.RFC3339))
}

// LockOptions describe the lock Acquire takes.
type LockOptions struct {
	// Operation is recorded in the lock: "plan", "apply", "destroy".
	Operation string
	// Who is recorded in the lock; empty means the current user and host.
	Who string
	// Timeout is how long Acquire waits for a live holder to release the
	// lock; zero fails at once.
	Timeout time.Duration
	// PollInterval spaces the attempts while waiting; zero means 200ms.
	PollInterval time.Duration
}

// Lock is a held state lock. The holder keeps an exclusive flock(2) on the
// lock file for as long as it lives, so that another process can tell a live
// holder (flock busy) from a dead one (flock free) without trusting PIDs.
// Lock files are not fsynced: after a power loss every holder is dead, and a
// lock file that survived is recovered like any other dead holder's.
type Lock struct {
	path string // the lock file
	info LockInfo

	mu sync.Mutex
	f  *os.File // holds the flock; nil once released
}

// Acquire locks the state file at path by creating <path>.lock.
//
// When a live process holds the lock, Acquire waits up to opts.Timeout
// (polling, and giving up when ctx ends) and then fails with a *LockedError
// (errors.Is ErrLocked) naming the holder. When the lock file was left by a
// process that died (killed, crashed: its flock is gone), Acquire takes the
// lock over and returns the dead holder's LockInfo as recovered, so that the
// caller can warn ("recovered a lock left by `apply` pid 123 since ...");
// recovered is nil otherwise. A lock is never taken from a live holder.
func Acquire(ctx context.Context, path string, opts LockOptions) (lock *Lock, recovered *LockInfo, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("lock state %q: %w", path, err)
	}
	who := opts.Who
	if who == "" {
		who = currentWho()
	}
	info := LockInfo{ID: newLineage(), Operation: opts.Operation, Who: who, PID: os.Getpid(), Since: time.Now().UTC().Truncate(time.Second)}
	lp := lockPath(path)
	f, err := newLockFile(lp, info)
	if err != nil {
		return nil, nil, fmt.Errorf("lock state %q: %w", path, err)
	}
	poll := opts.PollInterval
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	deadline := time.Now().Add(opts.Timeout)
	for {
		dead, holder, err := tryLock(lp, f)
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, nil, fmt.Errorf("lock state %q: %w", path, err)
		}
		if holder == nil {
			return &Lock{path: lp, info: info, f: f}, dead, nil
		}
		if !time.Now().Before(deadline) {
			f.Close()
			os.Remove(f.Name())
			return nil, nil, &LockedError{Path: path, Info: *holder}
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			os.Remove(f.Name())
			return nil, nil, fmt.Errorf("wait for lock on state %q held by %s: %w", path, holder.describe(), ctx.Err())
		case <-t.C:
		}
	}
}

// newLockFile writes info to a new temporary file next to the lock file and
// takes its flock. Acquire publishes it by linking or renaming it to the lock
// file's name, so that a reader never sees a lock file without its content.
func newLockFile(lp string, info LockInfo) (*os.File, error) {
	data, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(lp), filepath.Base(lp)+".tmp-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		return fail(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(fmt.Errorf("flock %q: %w", f.Name(), err))
	}
	return f, nil
}

// tryLock makes f (flocked, holding our LockInfo) the lock file lp. It
// returns holder when a live process holds the lock, dead when it replaced a
// lock file whose holder had died, and neither when lp was free.
func tryLock(lp string, f *os.File) (dead, holder *LockInfo, err error) {
	for {
		err := os.Link(f.Name(), lp)
		if err == nil {
			os.Remove(f.Name()) // a second name left behind would be harmless
			return nil, nil, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, nil, err
		}
		old, err := os.Open(lp)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, nil, err
		}
		if err := unix.Flock(int(old.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			if !errors.Is(err, unix.EWOULDBLOCK) {
				old.Close()
				return nil, nil, fmt.Errorf("flock %q: %w", lp, err)
			}
			info := readLockInfo(old)
			old.Close()
			return nil, &info, nil
		}
		// We hold the flock of the file we opened. Either its holder died, or
		// it released the lock (removed the file) after we opened it: only
		// the first case leaves it at lp.
		if !sameFile(old, lp) {
			old.Close()
			continue
		}
		info := readLockInfo(old)
		// Replace the dead lock while holding its flock, so no other process
		// can take it over at the same time.
		err = os.Rename(f.Name(), lp)
		old.Close()
		if err != nil {
			return nil, nil, err
		}
		return &info, nil, nil
	}
}

// sameFile reports whether f is still the file at path.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	cur, err := os.Stat(path)
	return err == nil && os.SameFile(fi, cur)
}

// readLockInfo reads a lock file's content; an unreadable one gives an
// empty LockInfo.
func readLockInfo(f *os.File) LockInfo {
	var info LockInfo
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
	if err == nil {
		json.Unmarshal(data, &info)
	}
	return info
}

// currentWho returns "user@host" for this process.
func currentWho() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}

// Info returns what the lock file records about this holder.
func (l *Lock) Info() LockInfo { return l.info }

// Release removes the lock file and drops the flock. Releasing twice is a
// no-op. It fails if the lock file was replaced while held (someone forced
// it): the file is then left to its new holder.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	defer f.Close()
	if !sameFile(f, l.path) {
		return fmt.Errorf("release lock %q: the lock file was removed or replaced while held", l.path)
	}
	if err := os.Remove(l.path); err != nil {
		return fmt.Errorf("release lock %q: %w", l.path, err)
	}
	return nil
}

// ForceUnlock removes the lock of the state file at path if its ID is id,
// and returns what it recorded. A lock left by a dead process needs no
// forcing (Acquire recovers it); this is for a holder that is alive but
// stuck, whose own Release will then fail.
func ForceUnlock(path, id string) (LockInfo, error) {
	lp := lockPath(path)
	f, err := os.Open(lp)
	if errors.Is(err, fs.ErrNotExist) {
		return LockInfo{}, fmt.Errorf("force-unlock state %q: not locked", path)
	}
	if err != nil {
		return LockInfo{}, fmt.Errorf("force-unlock state %q: %w", path, err)
	}
	defer f.Close()
	info := readLockInfo(f)
	if info.ID != id {
		return info, fmt.Errorf("force-unlock state %q: lock ID %q does not match the lock's (%q, held by %s)", path, id, info.ID, info.describe())
	}
	if !sameFile(f, lp) {
		return info, fmt.Errorf("force-unlock state %q: the lock changed meanwhile", path)
	}
	if err := os.Remove(lp); err != nil {
		return info, fmt.Errorf("force-unlock state %q: %w", path, err)
	}
	return info, nil
}
