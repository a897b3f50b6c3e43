package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"lithops/objstore"
)

// Harness makes the stores the suite tests.
type Harness struct {
	// New returns a store over an existing, empty bucket. Its listings
	// should come in small pages (a few keys) to exercise pagination.
	New func(t *testing.T) objstore.Store
	// Absent returns a store whose bucket does not exist yet; nil skips
	// the bucket lifecycle test.
	Absent func(t *testing.T) objstore.Store
	// PartSize is the size above which the store uploads in parts.
	PartSize int64
	// RemoveRefusesNonEmpty is set when the backend's own bucket delete
	// refuses a bucket that still holds objects (S3, GCS, a directory).
	RemoveRefusesNonEmpty bool
}

// Run runs the whole conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("PutGetHead", func(t *testing.T) { testPutGetHead(t, h) })
	t.Run("GetRange", func(t *testing.T) { testGetRange(t, h) })
	t.Run("List", func(t *testing.T) { testList(t, h) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, h) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, h) })
	t.Run("Large", func(t *testing.T) { testLarge(t, h) })
	t.Run("Versioned", func(t *testing.T) { testVersioned(t, h) })
	t.Run("Expand", func(t *testing.T) { testExpand(t, h) })
	if h.Absent != nil {
		t.Run("Bucket", func(t *testing.T) { testBucket(t, h) })
	}
}

// Put writes data under key, failing the test on error.
func Put(t testing.TB, s objstore.Store, key string, data []byte) objstore.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

// Get reads the whole object.
func Get(t testing.TB, s objstore.Store, key string) []byte {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

func readRange(t testing.TB, s objstore.Store, key string, off, n int64) []byte {
	t.Helper()
	rc, err := s.GetRange(context.Background(), key, off, n)
	if err != nil {
		t.Fatalf("get range %d+%d of %q: %v", off, n, key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read range %d+%d of %q: %v", off, n, key, err)
	}
	return b
}

// Keys lists the keys under prefix.
func Keys(t testing.TB, s objstore.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, func(o objstore.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return keys
}

func testPutGetHead(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	tests := []struct {
		name string
		key  string
		data []byte
		size int64 // as passed to Put
	}{
		{"small", "a/small.txt", []byte("hello\n"), 6},
		{"unknown size", "a/unknown", []byte("size not given"), -1},
		{"empty", "a/empty", nil, 0},
		{"odd key", "a/ü nicode +%?&=#.txt", []byte("odd"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put, err := s.Put(ctx, tt.key, iotest.HalfReader(bytes.NewReader(tt.data)), tt.size)
			if err != nil {
				t.Fatalf("put: %v", err)
			}
			if put.Key != tt.key || put.Size != int64(len(tt.data)) || put.ETag == "" {
				t.Errorf("put returned %+v, want key %q, size %d and an ETag", put, tt.key, len(tt.data))
			}
			rc, info, err := s.Get(ctx, tt.key)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("got %q, want %q", got, tt.data)
			}
			head, err := s.Head(ctx, tt.key)
			if err != nil {
				t.Fatalf("head: %v", err)
			}
			for what, o := range map[string]objstore.ObjectInfo{"get": info, "head": head} {
				if o.Key != tt.key || o.Size != int64(len(tt.data)) || o.ETag != put.ETag || o.Modified.IsZero() {
					t.Errorf("%s returned %+v, want key %q, size %d, ETag %q and a time", what, o, tt.key, len(tt.data), put.ETag)
				}
			}
		})
	}
	t.Run("overwrite", func(t *testing.T) {
		first := Put(t, s, "a/over", []byte("one"))
		second := Put(t, s, "a/over", []byte("two, longer"))
		if got := string(Get(t, s, "a/over")); got != "two, longer" {
			t.Errorf("got %q after overwrite", got)
		}
		if first.ETag == second.ETag {
			t.Errorf("overwrite kept ETag %q", first.ETag)
		}
	})
}

func testGetRange(t *testing.T, h Harness) {
	s := h.New(t)
	data := []byte("0123456789")
	Put(t, s, "r", data)
	Put(t, s, "empty", nil)
	tests := []struct {
		key    string
		off, n int64
		want   string
	}{
		{"r", 0, 10, "0123456789"},
		{"r", 2, 3, "234"},
		{"r", 9, 1, "9"},
		{"r", 8, 100, "89"},
		{"r", 10, 5, ""},
		{"r", 50, 5, ""},
		{"r", 3, 0, ""},
		{"empty", 0, 10, ""},
	}
	for _, tt := range tests {
		got := string(readRange(t, s, tt.key, tt.off, tt.n))
		if got != tt.want {
			t.Errorf("range %d+%d of %q: got %q, want %q", tt.off, tt.n, tt.key, got, tt.want)
		}
	}
}

func testList(t *testing.T, h Harness) {
	s := h.New(t)
	// Byte order: '-' < '.' < '/' < letters, so a directory-backed store
	// must not simply walk directories in name order.
	keys := []string{"x/b", "x/a/c/d", "x/a-b", "y/z", "x/a/b", "x/a.c", "x/ab"}
	for _, k := range keys {
		Put(t, s, k, []byte(k))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"x/a-b", "x/a.c", "x/a/b", "x/a/c/d", "x/ab", "x/b", "y/z"}},
		{"x/", []string{"x/a-b", "x/a.c", "x/a/b", "x/a/c/d", "x/ab", "x/b"}},
		{"x/a", []string{"x/a-b", "x/a.c", "x/a/b", "x/a/c/d", "x/ab"}},
		{"x/a/", []string{"x/a/b", "x/a/c/d"}},
		{"x/a/c/d", []string{"x/a/c/d"}},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Keys(t, s, tt.prefix)); diff != "" {
			t.Errorf("wrong keys under %q (-want +got):\n%s", tt.prefix, diff)
		}
	}
	t.Run("sizes", func(t *testing.T) {
		err := s.List(context.Background(), "x/a/", func(o objstore.ObjectInfo) error {
			if o.Size != int64(len(o.Key)) || o.ETag == "" || o.Modified.IsZero() {
				t.Errorf("listed %+v, want size %d, an ETag and a time", o, len(o.Key))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := s.List(context.Background(), "", func(objstore.ObjectInfo) error {
			n++
			if n == 4 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 4 {
			t.Errorf("listing stopped with %v after %d objects, want the callback's error after 4", err, n)
		}
	})
}

func testDelete(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	Put(t, s, "d/one", []byte("1"))
	Put(t, s, "d/two", []byte("2"))
	if err := s.Delete(ctx, "d/one"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := s.Delete(ctx, "d/one"); err != nil {
		t.Errorf("deleting a deleted object: %v", err)
	}
	if err := s.Delete(ctx, "d/never"); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
	if diff := cmp.Diff([]string{"d/two"}, Keys(t, s, "d/")); diff != "" {
		t.Errorf("wrong keys after delete (-want +got):\n%s", diff)
	}
}

func testMissing(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	if _, err := s.Head(ctx, "no/such"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("head of a missing object: %v, want ErrNotExist", err)
	} else if !strings.Contains(err.Error(), "no/such") {
		t.Errorf("error %q does not name the key", err)
	}
	if _, _, err := s.Get(ctx, "no/such"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("get of a missing object: %v, want ErrNotExist", err)
	}
	if _, err := s.GetRange(ctx, "no/such", 0, 10); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("ranged get of a missing object: %v, want ErrNotExist", err)
	}
}

// testLarge puts objects over the part size, with the size given and not.
func testLarge(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	data := make([]byte, 2*h.PartSize+h.PartSize/2+1)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	want := sha256.Sum256(data)
	for _, size := range []int64{int64(len(data)), -1} {
		key := fmt.Sprintf("large/%d", size)
		info, err := s.Put(ctx, key, iotest.HalfReader(bytes.NewReader(data)), size)
		if err != nil {
			t.Fatalf("put %d bytes (size %d): %v", len(data), size, err)
		}
		if info.Size != int64(len(data)) {
			t.Errorf("put reported size %d, want %d", info.Size, len(data))
		}
		if got := sha256.Sum256(Get(t, s, key)); got != want {
			t.Errorf("object put with size %d reads back different", size)
		}
		mid := h.PartSize - 3
		if got := readRange(t, s, key, mid, 10); !bytes.Equal(got, data[mid:mid+10]) {
			t.Errorf("range across a part boundary: got %x, want %x", got, data[mid:mid+10])
		}
	}
}

// testVersioned checks that a ranged read of a replaced object fails with
// ErrChanged.
func testVersioned(t *testing.T, h Harness) {
	s := h.New(t)
	vr, ok := s.(objstore.VersionedReader)
	if !ok {
		t.Skipf("%T does not implement VersionedReader", s)
	}
	ctx := context.Background()
	first := Put(t, s, "v", []byte("first version"))
	src, err := objstore.Source(ctx, s, "v")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := vr.GetRangeVersion(ctx, "v", first.ETag, 0, 5)
	if err != nil {
		t.Fatalf("read of the current version: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "first" {
		t.Errorf("got %q, want %q", got, "first")
	}
	Put(t, s, "v", []byte("second version"))
	rc, err = vr.GetRangeVersion(ctx, "v", first.ETag, 0, 5)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if !errors.Is(err, objstore.ErrChanged) {
		t.Errorf("read of a replaced version: %v, want ErrChanged", err)
	}
	// A partitioned read planned on the first version fails rather than
	// mixing versions.
	if _, err := src.ReadRange(ctx, 0, 5); !errors.Is(err, objstore.ErrChanged) {
		t.Errorf("source read after the object changed: %v, want ErrChanged", err)
	}
}

func testExpand(t *testing.T, h Harness) {
	s := h.New(t)
	for _, k := range []string{"in/2026-01/a.log", "in/2026-01/b.txt", "in/2026-02/c.log", "in/2026-02/deep/d.log", "in/top.log", "other/e.log"} {
		Put(t, s, k, []byte(k))
	}
	ctx := context.Background()
	tests := []struct {
		name string
		in   objstore.Input
		want []string
	}{
		{"prefix", objstore.Input{Prefix: "in/2026-02/"}, []string{"in/2026-02/c.log", "in/2026-02/deep/d.log"}},
		{"glob one level", objstore.Input{Glob: "in/*/*.log"}, []string{"in/2026-01/a.log", "in/2026-02/c.log"}},
		{"glob class", objstore.Input{Glob: "in/2026-0[2-9]/*"}, []string{"in/2026-02/c.log"}},
		{"keys deduplicated", objstore.Input{Keys: []string{"other/e.log", "in/top.log", "other/e.log"}}, []string{"in/top.log", "other/e.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := objstore.Expand(ctx, s, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
				if o.Size != int64(len(o.Key)) {
					t.Errorf("%s: size %d, want %d", o.Key, o.Size, len(o.Key))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong objects (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := objstore.Expand(ctx, s, objstore.Input{Glob: "in/*.gz"}); !errors.Is(err, objstore.ErrNoMatch) {
		t.Errorf("glob matching nothing: %v, want ErrNoMatch", err)
	}
	if _, err := objstore.Expand(ctx, s, objstore.Input{Keys: []string{"in/top.log", "in/nope"}}); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("missing key: %v, want ErrNotExist", err)
	}
}

func testBucket(t *testing.T, h Harness) {
	s := h.Absent(t)
	b, ok := s.(objstore.Bucket)
	if !ok {
		t.Fatalf("%T does not implement objstore.Bucket", s)
	}
	ctx := context.Background()
	exists := func(want bool) {
		t.Helper()
		got, err := b.Exists(ctx)
		if err != nil {
			t.Fatalf("exists: %v", err)
		}
		if got != want {
			t.Fatalf("exists = %v, want %v", got, want)
		}
	}
	exists(false)
	if err := b.Create(ctx); err != nil {
		t.Fatalf("create: %v", err)
	}
	exists(true)
	Put(t, s, "k/one", []byte("1"))
	if h.RemoveRefusesNonEmpty {
		if err := b.Remove(ctx); err == nil {
			t.Fatalf("removing a bucket that holds an object succeeded")
		}
		exists(true)
	}
	if err := s.Delete(ctx, "k/one"); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx); err != nil {
		t.Fatalf("remove: %v", err)
	}
	exists(false)
	if err := b.Remove(ctx); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("removing a removed bucket: %v, want ErrNotExist", err)
	}
}
