package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"lithops/objstore"
)

// tempPrefix names the temporary files of writes in progress; listings skip
// them and keys may not use it.
const tempPrefix = ".lithops-tmp-"

// Store is a directory of objects. Key "a/b/c" is the file <root>/a/b/c.
// Because a file system cannot hold both a file "a" and a directory "a/",
// keys "a" and "a/b" cannot both exist; the second Put fails.
type Store struct {
	root string
}

var (
	_ objstore.Store           = (*Store)(nil)
	_ objstore.Bucket          = (*Store)(nil)
	_ objstore.VersionedReader = (*Store)(nil)
)

// New returns the store rooted at dir (made absolute). It does not create
// the directory: Put creates what it needs, Create makes the root.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("directory store: empty path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("directory store %q: %w", dir, err)
	}
	return &Store{root: abs}, nil
}

// Root is the absolute directory.
func (s *Store) Root() string { return s.root }

// String implements objstore.Store.
func (s *Store) String() string { return "file://" + filepath.ToSlash(s.root) }

func (s *Store) url(key string) string { return s.String() + "/" + key }

// path maps a key to its file, refusing keys that could escape the root.
func (s *Store) path(key string) (string, error) {
	if err := objstore.CheckKey(key); err != nil {
		return "", err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, tempPrefix) {
			return "", fmt.Errorf("object key %q uses the reserved prefix %q", key, tempPrefix)
		}
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put implements objstore.Store: the object appears whole or not at all (the
// file is fsynced before the rename; the directory is not, so after a crash
// a recent object may be missing, never partial).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (objstore.ObjectInfo, error) {
	info, err := s.put(ctx, key, r)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("put %s: %w", s.url(key), err)
	}
	return info, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader) (objstore.ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return objstore.ObjectInfo{}, err
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := io.Copy(f, ctxReader{ctx, r}); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := f.Sync(); err != nil {
		return objstore.ObjectInfo{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := f.Close(); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := os.Rename(tmp, p); err != nil {
		return objstore.ObjectInfo{}, err
	}
	done = true
	return objectInfo(key, st), nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// objectInfo describes a file. Its ETag names the file's inode, size and
// modification time: every Put renames a new file into place, so a replaced
// object gets a new ETag.
func objectInfo(key string, st fs.FileInfo) objstore.ObjectInfo {
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return objstore.ObjectInfo{
		Key:      key,
		Size:     st.Size(),
		ETag:     fmt.Sprintf("%x-%x-%x", ino, st.Size(), st.ModTime().UnixNano()),
		Modified: st.ModTime(),
	}
}

// open opens the object's file; a missing file or a directory is ErrNotExist.
func (s *Store) open(key string) (*os.File, objstore.ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, objstore.ObjectInfo{}, notExist(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, objstore.ObjectInfo{}, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, objstore.ObjectInfo{}, objstore.ErrNotExist
	}
	return f, objectInfo(key, st), nil
}

func notExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (%w)", objstore.ErrNotExist, err)
	}
	return err
}

// Get implements objstore.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, objstore.ObjectInfo, error) {
	f, info, err := s.open(key)
	if err != nil {
		return nil, objstore.ObjectInfo{}, fmt.Errorf("get %s: %w", s.url(key), err)
	}
	return f, info, nil
}

// GetRange implements objstore.Store.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	return s.GetRangeVersion(ctx, key, "", offset, length)
}

// GetRangeVersion implements objstore.VersionedReader. The open file is the
// version read, whatever is renamed over it meanwhile.
func (s *Store) GetRangeVersion(ctx context.Context, key, etag string, offset, length int64) (io.ReadCloser, error) {
	f, info, err := s.open(key)
	if err != nil {
		return nil, fmt.Errorf("get range %s: %w", s.url(key), err)
	}
	if etag != "" && info.ETag != etag {
		f.Close()
		return nil, fmt.Errorf("get range %s: %w (ETag %s, want %s)", s.url(key), objstore.ErrChanged, info.ETag, etag)
	}
	length = max(0, min(length, info.Size-offset))
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, offset, length), f}, nil
}

// Head implements objstore.Store.
func (s *Store) Head(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	f, info, err := s.open(key)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("head %s: %w", s.url(key), err)
	}
	f.Close()
	return info, nil
}

// Delete implements objstore.Store; directories left empty are removed up
// to the root.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", s.url(key), err)
	}
	st, err := os.Lstat(p)
	if err != nil || st.IsDir() {
		return nil // no such object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", s.url(key), err)
	}
	for dir := filepath.Dir(p); dir != s.root && strings.HasPrefix(dir, s.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty, or gone
		}
	}
	return nil
}

// List implements objstore.Store. It walks only the directories that can
// hold keys with the prefix, visiting each directory's entries in the order
// of their keys (a directory "a" sorts as "a/"), so keys come out in byte
// order as from a bucket.
func (s *Store) List(ctx context.Context, prefix string, fn func(objstore.ObjectInfo) error) error {
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i+1]
		if err := objstore.CheckPrefix(dir); err != nil {
			return fmt.Errorf("list %s: %w", s.url(prefix), err)
		}
	}
	if err := s.walk(ctx, dir, prefix, fn); err != nil {
		return fmt.Errorf("list %s: %w", s.url(prefix), err)
	}
	return nil
}

func (s *Store) walk(ctx context.Context, dir, prefix string, fn func(objstore.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(dir)))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	type entry struct {
		sortKey string
		key     string
		dir     bool
	}
	var list []entry
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tempPrefix) {
			continue
		}
		key := dir + name
		if e.IsDir() {
			if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
				list = append(list, entry{key + "/", key, true})
			}
			continue
		}
		if strings.HasPrefix(key, prefix) {
			list = append(list, entry{key, key, false})
		}
	}
	slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.sortKey, b.sortKey) })
	for _, e := range list {
		if e.dir {
			if err := s.walk(ctx, e.key+"/", prefix, fn); err != nil {
				return err
			}
			continue
		}
		st, err := os.Stat(filepath.Join(s.root, filepath.FromSlash(e.key)))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			return err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		if err := fn(objectInfo(e.key, st)); err != nil {
			return err
		}
	}
	return nil
}

// Exists implements objstore.Bucket: the root is a directory.
func (s *Store) Exists(ctx context.Context) (bool, error) {
	st, err := os.Stat(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", s, err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s is not a directory", s.root)
	}
	return true, nil
}

// Create implements objstore.Bucket.
func (s *Store) Create(ctx context.Context) error {
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s, err)
	}
	return nil
}

// Remove implements objstore.Bucket: it removes the root once it holds no
// object (empty subdirectories are removed with it).
func (s *Store) Remove(ctx context.Context) error {
	if _, err := os.Stat(s.root); err != nil {
		return fmt.Errorf("remove %s: %w", s, notExist(err))
	}
	var dirs []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, _ := filepath.Rel(s.root, p)
		return fmt.Errorf("directory is not empty: it holds %s", filepath.ToSlash(rel))
	})
	if err != nil {
		return fmt.Errorf("remove %s: %w", s, err)
	}
	slices.Reverse(dirs) // children first
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove %s: %w", s, err)
		}
	}
	return nil
}
