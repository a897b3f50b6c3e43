package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// digester builds "sha256:<hex>" digests from a canonical sequence of
// labelled fields, so that two different inputs never share a digest by
// concatenation accident.
type digester struct{ h hash.Hash }

func newDigester(kind string) *digester {
	d := &digester{h: sha256.New()}
	d.str("lithops/" + kind + "/v1")
	return d
}

func (d *digester) str(s string) *digester {
	fmt.Fprintf(d.h, "%d:%s;", len(s), s)
	return d
}

func (d *digester) strs(ss []string) *digester {
	fmt.Fprintf(d.h, "[%d]", len(ss))
	for _, s := range ss {
		d.str(s)
	}
	return d
}

func (d *digester) kv(m map[string]string) *digester {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(d.h, "{%d}", len(keys))
	for _, k := range keys {
		d.str(k).str(m[k])
	}
	return d
}

func (d *digester) sum() string { return "sha256:" + hex.EncodeToString(d.h.Sum(nil)) }

// fileKey identifies a file's content without reading it: when none of
// these change, the content is taken as unchanged (as make and Bazel's
// local cache do).
type fileKey struct {
	path        string
	size, mtime int64
	ino         uint64
}

// Hasher digests local files, once per content version per process.
type Hasher struct {
	mu    sync.Mutex
	cache map[fileKey]string
	// misses remembers paths that are not regular files.
	misses map[string]bool
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher {
	return &Hasher{cache: map[fileKey]string{}, misses: map[string]bool{}}
}

// File returns the digest of a regular file's content, and false when the
// path is not a regular file.
func (h *Hasher) File(path string) (string, bool, error) {
	h.mu.Lock()
	miss := h.misses[path]
	h.mu.Unlock()
	if miss {
		return "", false, nil
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		h.mu.Lock()
		h.misses[path] = true
		h.mu.Unlock()
		return "", false, nil
	}
	key := fileKey{path: path, size: st.Size(), mtime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		key.ino = sys.Ino
	}
	h.mu.Lock()
	d, ok := h.cache[key]
	h.mu.Unlock()
	if ok {
		return d, true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("digest %s: %w", path, err)
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return "", false, fmt.Errorf("digest %s: %w", path, err)
	}
	d = "sha256:" + hex.EncodeToString(s.Sum(nil))
	h.mu.Lock()
	h.cache[key] = d
	h.mu.Unlock()
	return d, true, nil
}

// Reader digests a stream.
func digestReader(r io.Reader) (string, error) {
	s := sha256.New()
	if _, err := io.Copy(s, r); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(s.Sum(nil)), nil
}

// argFiles returns the digests of the command-line arguments that name
// existing regular files, absolute or relative to dir: a task that reads a
// file named on its command line re-runs when that file changes. The
// program itself counts only when it lives under dir (a script of the
// project's, not /usr/bin/wc).
func (h *Hasher) argFiles(dir string, argv []string) ([]string, error) {
	var out []string
	for i, a := range argv {
		if a == "" || len(a) > 4096 || a[0] == '-' {
			continue
		}
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if i == 0 {
			if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
				continue
			}
		}
		d, ok, err := h.File(p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a+"="+d)
		}
	}
	return out, nil
}

// canonicalJSON renders v as compact JSON with sorted keys.
func canonicalJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
