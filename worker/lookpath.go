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

// envBase is the worker's environment, deduplicated and indexed once.
type envBase struct {
	list []string
	idx  map[string]int
}

func newEnvBase(env []string) envBase {
	b := envBase{idx: make(map[string]int, len(env))}
	for _, kv := range env {
		k := envKey(kv)
		if i, ok := b.idx[k]; ok {
			b.list[i] = kv // the last of duplicates wins
			continue
		}
		b.idx[k] = len(b.list)
		b.list = append(b.list, kv)
	}
	return b
}

// merge returns the base with extra's KEY=VALUE pairs added; a key of extra
// replaces the same key of the base and the last of duplicates wins, so the
// command sees each variable once.
func (b envBase) merge(extra []string) []string {
	if len(extra) == 0 {
		return b.list
	}
	env := make([]string, len(b.list), len(b.list)+len(extra))
	copy(env, b.list)
outer:
	for _, kv := range extra {
		k := envKey(kv)
		if i, ok := b.idx[k]; ok {
			env[i] = kv
			continue
		}
		for i := len(b.list); i < len(env); i++ {
			if envKey(env[i]) == k {
				env[i] = kv
				continue outer
			}
		}
		env = append(env, kv)
	}
	return env
}

func envKey(kv string) string {
	if i := strings.IndexByte(kv, '='); i >= 0 {
		return kv[:i]
	}
	return kv
}

// lookupEnv returns the value of key in env (the last one wins).
func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
