package worker

import "strings"

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
