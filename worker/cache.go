package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// cache is a worker's content-addressed file store: the file of digest
// "sha256:<hex>" lives at <dir>/<hex> with mode 0444, and a copy for each
// other mode a job asks for at <dir>/<hex>.<mode>. Files are written to a
// temporary name and renamed, so several workers may share one directory.
// Job files are hard-linked from here into task directories, read-only:
// a task that wants to change one copies it first.
type cache struct {
	dir   string
	mu    sync.Mutex
	known map[string]bool // digests seen present
}

func newCache(dir string) (*cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	return &cache{dir: dir, known: map[string]bool{}}, nil
}

// hexOf validates a digest and returns its hex part.
func hexOf(digest string) (string, error) {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 {
		return "", fmt.Errorf("digest %q is not sha256:<64 hex digits>", digest)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("digest %q is not sha256:<64 hex digits>", digest)
	}
	return h, nil
}

func (c *cache) has(digest string) bool {
	h, err := hexOf(digest)
	if err != nil {
		return false
	}
	c.mu.Lock()
	ok := c.known[h]
	c.mu.Unlock()
	if ok {
		return true
	}
	if _, err := os.Stat(filepath.Join(c.dir, h)); err != nil {
		return false
	}
	c.mu.Lock()
	c.known[h] = true
	c.mu.Unlock()
	return true
}

// put is one file on its way into the cache.
type put struct {
	c      *cache
	hex    string
	f      *os.File
	h      hash.Hash
	size   int64
	wrote  int64
	failed error
}

func (c *cache) begin(digest string, size int64) (*put, error) {
	h, err := hexOf(digest)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(c.dir, ".put-*")
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", digest, err)
	}
	return &put{c: c, hex: h, f: f, h: sha256.New(), size: size}, nil
}

func (p *put) Write(b []byte) (int, error) {
	if p.failed != nil {
		return 0, p.failed
	}
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	p.wrote += int64(n)
	if err != nil {
		p.failed = err
	}
	return n, err
}

// commit checks size and digest and renames the file into place.
func (p *put) commit() error {
	name := p.f.Name()
	err := p.failed
	if err == nil && p.wrote != p.size {
		err = fmt.Errorf("got %d bytes, want %d", p.wrote, p.size)
	}
	if got := hex.EncodeToString(p.h.Sum(nil)); err == nil && got != p.hex {
		err = fmt.Errorf("content has digest sha256:%s (the file changed since it was hashed?)", got)
	}
	if err == nil {
		err = p.f.Chmod(0o444)
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, filepath.Join(p.c.dir, p.hex))
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("cache sha256:%s: %w", p.hex, err)
	}
	p.c.mu.Lock()
	p.c.known[p.hex] = true
	p.c.mu.Unlock()
	return nil
}

func (p *put) abort() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// putPath copies a local file into the cache.
func (c *cache) putPath(digest, path string, size int64) error {
	p, err := c.begin(digest, size)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		p.abort()
		return err
	}
	defer f.Close()
	if _, err := io.Copy(p, f); err != nil {
		p.abort()
		return fmt.Errorf("copy %s: %w", path, err)
	}
	return p.commit()
}

// variant returns the cached file of digest with the given permission bits
// (write bits removed), making it from the canonical copy when needed.
func (c *cache) variant(h string, mode os.FileMode) (string, error) {
	mode = mode.Perm() &^ 0o222
	base := filepath.Join(c.dir, h)
	if mode == 0o444 {
		return base, nil
	}
	path := fmt.Sprintf("%s.%o", base, mode)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	src, err := os.Open(base)
	if err != nil {
		return "", err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(c.dir, ".mode-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, src)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return path, nil
}

// place puts the file of digest, with mode, at dst: a hard link to the
// cached copy, or a copy when the link is impossible (another file system).
func (c *cache) place(digest string, mode uint32, dst string) error {
	h, err := hexOf(digest)
	if err != nil {
		return err
	}
	src, err := c.variant(h, os.FileMode(mode))
	if err != nil {
		return fmt.Errorf("%s is not in the cache: %w", digest, err)
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(mode).Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(os.FileMode(mode).Perm()) // whatever the umask
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
