package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Tasks place the same file at once, in several modes, while other
// workers sharing the cache put it too: every placement gets the content
// with the job's mode minus the write bits. (A variant renamed over
// another while a task linked it once made the link fail.)
func TestCachePlacesConcurrently(t *testing.T) {
	for round := range 20 {
		dir := t.TempDir()
		f := jobFile(t, dir, "f", fmt.Sprintf("content %d\n", round), 0o644)
		caches := make([]*cache, 2) // two workers, one directory
		for i := range caches {
			var err error
			if caches[i], err = newCache(filepath.Join(dir, "cache")); err != nil {
				t.Fatal(err)
			}
		}
		modes := []uint32{0o644, 0o755, 0o700, 0o600}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := caches[i%2]
				if err := c.putPath(f.Digest, f.Source, int64(len(fmt.Sprintf("content %d\n", round)))); err != nil {
					t.Error(err)
					return
				}
				mode := modes[i%len(modes)]
				dst := filepath.Join(dir, fmt.Sprintf("task%d", i))
				if err := c.place(f.Digest, mode, dst); err != nil {
					t.Errorf("place mode %o: %v", mode, err)
					return
				}
				st, err := os.Stat(dst)
				if err != nil {
					t.Error(err)
					return
				}
				if got, want := st.Mode().Perm(), os.FileMode(mode).Perm()&^0o222; got != want {
					t.Errorf("placed with mode %o, want %o", got, want)
				}
			}()
		}
		wg.Wait()
	}
}

func TestTemporaryCacheGoesWithItsLastUser(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var users []*tempCacheUser
	for range 3 {
		u, err := useTempCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	var got []bool
	for _, u := range users {
		removed, err := u.leave()
		if err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(dir)
		got = append(got, removed, os.IsNotExist(statErr))
	}
	want := []bool{false, false, false, false, true, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong removed, gone after each leave (-want +got)\n%s", diff)
	}
}
