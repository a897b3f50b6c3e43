package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// pathCache resolves command names against PATH and remembers the answers:
// a worker runs the same few commands thousands of times, and each lookup
// costs a stat per PATH entry.
type pathCache struct {
	mu sync.Mutex
	m  map[[2]string]string // {PATH, name} → path
}

// errNotFound is what a command that is nowhere in PATH gets.
var errNotFound = errors.New("executable file not found in $PATH")

// look returns the file to execute for name. A name with a slash is used
// as is (a relative one is relative to the task's working directory).
func (c *pathCache) look(name, path string) (string, error) {
	if name == "" {
		return "", errors.New("empty command")
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	key := [2]string{path, name}
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue // a relative PATH entry would depend on the task's directory
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			c.mu.Lock()
			if c.m == nil {
				c.m = map[[2]string]string{}
			}
			c.m[key] = p
			c.mu.Unlock()
			return p, nil
		}
	}
	return "", fmt.Errorf("%q: %w", name, errNotFound)
}

// forget drops name's cached answer, after the file went away.
func (c *pathCache) forget(name, path string) {
	c.mu.Lock()
	delete(c.m, [2]string{path, name})
	c.mu.Unlock()
}
