//go:build unix

package state

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// holdLock starts a second process that holds the lock of the state at path
// and returns it with the LockInfo it holds.
func holdLock(t *testing.T, path string) (*helper, LockInfo) {
	t.Helper()
	h := startHelper(t, "hold-lock", path)
	var info LockInfo
	if err := json.Unmarshal([]byte(h.line(t)), &info); err != nil {
		t.Fatal(err)
	}
	return h, info
}

func TestLockFailsFastWhileAnotherProcessHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	h, held := holdLock(t, path)
	if held.PID != h.cmd.Process.Pid || held.Operation != "apply" || held.Who != "helper@test" || held.ID == "" {
		t.Fatalf("helper holds %+v, want pid %d, apply, helper@test, an ID", held, h.cmd.Process.Pid)
	}

	_, _, err := Acquire(context.Background(), path, LockOptions{Operation: "plan"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Acquire while held: error = %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Acquire while held: error %T is not a *LockedError", err)
	}
	if diff := cmp.Diff(&LockedError{Path: path, Info: held}, le); diff != "" {
		t.Errorf("wrong LockedError (-want +got):\n%s", diff)
	}
	for _, part := range []string{"`apply`", "helper@test", "pid ", held.ID} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}

	// Once the holder releases, the lock is free, and nothing is recovered.
	h.finish(t)
	lock, recovered, err := Acquire(context.Background(), path, LockOptions{Operation: "plan"})
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	if recovered != nil {
		t.Errorf("Acquire after a clean release recovered %+v", recovered)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestLockOfKilledHolderIsRecoveredAndReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	h, held := holdLock(t, path)
	h.kill(t)
	if _, err := os.Stat(lockPath(path)); err != nil {
		t.Fatalf("the killed holder's lock file: %v", err)
	}

	lock, recovered, err := Acquire(context.Background(), path, LockOptions{Operation: "apply", Who: "me@here"})
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer lock.Release()
	if diff := cmp.Diff(&held, recovered); diff != "" {
		t.Errorf("wrong recovered lock (-want +got):\n%s", diff)
	}
	// The lock file is now ours.
	data, err := os.ReadFile(lockPath(path))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk LockInfo
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lock.Info(), onDisk); diff != "" {
		t.Errorf("wrong lock file after recovery (-want +got):\n%s", diff)
	}
	if onDisk.PID != os.Getpid() || onDisk.Who != "me@here" {
		t.Errorf("lock file records %+v, want this process", onDisk)
	}
	// And it is live: a third acquirer fails.
	if _, _, err := Acquire(context.Background(), path, LockOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("Acquire of the recovered lock: error = %v, want ErrLocked", err)
	}
}

func TestLockWaitsForReleaseWithinTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	h, _ := holdLock(t, path)
	type result struct {
		lock      *Lock
		recovered *LockInfo
		err       error
	}
	done := make(chan result)
	go func() {
		l, r, err := Acquire(context.Background(), path, LockOptions{Timeout: 10 * time.Minute, PollInterval: 5 * time.Millisecond})
		done <- result{l, r, err}
	}()
	// Release once Acquire is waiting: its temporary lock file exists.
	for {
		if m, _ := filepath.Glob(lockPath(path) + ".tmp-*"); len(m) > 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("Acquire returned while the lock was held: %v, %v", res.recovered, res.err)
		case <-time.After(time.Millisecond):
		}
	}
	h.finish(t)
	res := <-done
	if res.err != nil {
		t.Fatalf("Acquire with a timeout: %v", res.err)
	}
	if res.recovered != nil {
		t.Errorf("Acquire after a clean release recovered %+v", res.recovered)
	}
	res.lock.Release()
}

func TestLockTimeoutAndCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	// flock(2) locks belong to an open file, so a second Acquire in this
	// process conflicts exactly as another process would.
	held, _, err := Acquire(context.Background(), path, LockOptions{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()

	_, _, err = Acquire(context.Background(), path, LockOptions{Timeout: 20 * time.Millisecond, PollInterval: time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.Info.ID != held.Info().ID {
		t.Errorf("Acquire after its timeout: error = %v, want a LockedError naming %s", err, held.Info().ID)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Acquire(ctx, path, LockOptions{Timeout: time.Hour}); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context: error = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, _, err := Acquire(ctx, path, LockOptions{Timeout: time.Hour, PollInterval: time.Millisecond}); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire cancelled while waiting: error = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != "lithops.state.lock" {
		t.Errorf("failed Acquires left files: %v", entries)
	}
}

func TestLockFileAndRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	lock, recovered, err := Acquire(context.Background(), path, LockOptions{Operation: "destroy"})
	if err != nil || recovered != nil {
		t.Fatalf("Acquire = %v, %v", recovered, err)
	}
	fi, err := os.Stat(lockPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode %v, want 0600", fi.Mode().Perm())
	}
	if info := lock.Info(); info.Operation != "destroy" || info.PID != os.Getpid() || !strings.Contains(info.Who, "@") || info.Since.IsZero() {
		t.Errorf("lock info %+v", info)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if err := lock.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("Release left files: %v", entries)
	}
}

func TestForceUnlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lithops.state")
	if _, err := ForceUnlock(path, "x"); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("ForceUnlock of an unlocked state: error = %v, want not locked", err)
	}
	lock, _, err := Acquire(context.Background(), path, LockOptions{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	id := lock.Info().ID

	if _, err := ForceUnlock(path, "not-"+id); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("ForceUnlock with a wrong ID: error = %v, want does not match", err)
	}
	if _, err := os.Stat(lockPath(path)); err != nil {
		t.Fatalf("ForceUnlock with a wrong ID removed the lock: %v", err)
	}

	info, err := ForceUnlock(path, id)
	if err != nil {
		t.Fatalf("ForceUnlock: %v", err)
	}
	if diff := cmp.Diff(lock.Info(), info); diff != "" {
		t.Errorf("wrong info of the forced lock (-want +got):\n%s", diff)
	}
	next, recovered, err := Acquire(context.Background(), path, LockOptions{})
	if err != nil || recovered != nil {
		t.Fatalf("Acquire after ForceUnlock = %v, %v", recovered, err)
	}
	// The forced holder's Release must not remove the new holder's lock.
	if err := lock.Release(); err == nil {
		t.Errorf("Release of a forced lock succeeded")
	}
	if _, err := os.Stat(lockPath(path)); err != nil {
		t.Errorf("the forced holder's Release removed the new lock: %v", err)
	}
	next.Release()
}
