package dirstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lithops/objstore"
	"lithops/objstore/storetest"
)

func newStore(t *testing.T) objstore.Store {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: newStore,
		Absent: func(t *testing.T) objstore.Store {
			s, err := New(filepath.Join(t.TempDir(), "absent"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		PartSize:              1 << 16,
		RemoveRefusesNonEmpty: true,
	})
}

func TestPartition(t *testing.T) {
	storetest.Partition(t, newStore(t), 1, 20)
}

func TestKeysStayInsideTheRoot(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, key := range []string{"../escape", "a/../../escape", "/etc/passwd", "a//b", "./a", "a/.", "", `a\b`, ".lithops-tmp-x", "a/.lithops-tmp-1/b"} {
		if _, err := s.Put(ctx, key, strings.NewReader("x"), 1); err == nil {
			t.Errorf("put %q succeeded", key)
		}
		if _, err := s.Head(ctx, key); err == nil || errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("head %q: %v, want a key error", key, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.(*Store).Root()), "escape")); err == nil {
		t.Errorf("a file escaped the root")
	}
}

func TestDeletePrunesEmptyDirectories(t *testing.T) {
	s := newStore(t).(*Store)
	storetest.Put(t, s, "a/b/c/obj", []byte("x"))
	storetest.Put(t, s, "a/keep", []byte("y"))
	if err := s.Delete(context.Background(), "a/b/c/obj"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "a", "b")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty directory a/b left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "a", "keep")); err != nil {
		t.Errorf("sibling object lost: %v", err)
	}
}

func TestListSkipsWritesInProgress(t *testing.T) {
	s := newStore(t).(*Store)
	storetest.Put(t, s, "d/done", []byte("x"))
	if err := os.WriteFile(filepath.Join(s.Root(), "d", tempPrefix+"123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := storetest.Keys(t, s, ""); len(got) != 1 || got[0] != "d/done" {
		t.Errorf("listed %q, want only d/done", got)
	}
}
