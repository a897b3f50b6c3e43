package objstore

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
)

// ErrNoMatch is returned (wrapped) when an input names no object at all.
var ErrNoMatch = errors.New("no object matches")

// Input selects the objects a partitioned job reads: every object under
// Prefix, the listed Keys, or every key matching Glob. Exactly one is set.
type Input struct {
	Prefix string
	Keys   []string
	// Glob has path.Match semantics over whole keys: "*" and "?" stop at a
	// slash, so "logs/2026-*/*.gz" matches one level per star.
	Glob string
}

// Expand lists the objects an input selects, sorted by key and without
// duplicates. Keys are each checked with Head (a missing one is ErrNotExist);
// a prefix or glob is one listing of the longest literal prefix. Keys ending
// in "/" (folder markers that consoles create) are skipped. An input that
// selects nothing is an error wrapping ErrNoMatch.
func Expand(ctx context.Context, s Store, in Input) ([]ObjectInfo, error) {
	set := 0
	for _, b := range []bool{in.Prefix != "", len(in.Keys) > 0, in.Glob != ""} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, fmt.Errorf("input sets more than one of prefix, keys and glob")
	}
	var (
		out  []ObjectInfo
		err  error
		what string
	)
	switch {
	case len(in.Keys) > 0:
		out, err = headAll(ctx, s, in.Keys)
		what = fmt.Sprintf("keys %q", in.Keys)
	case in.Glob != "":
		if _, err := path.Match(in.Glob, ""); err != nil {
			return nil, fmt.Errorf("glob %q: %w", in.Glob, err)
		}
		out, err = list(ctx, s, literalPrefix(in.Glob), func(key string) bool {
			ok, _ := path.Match(in.Glob, key)
			return ok
		})
		what = fmt.Sprintf("glob %q", in.Glob)
	default:
		out, err = list(ctx, s, in.Prefix, func(string) bool { return true })
		what = fmt.Sprintf("prefix %q", in.Prefix)
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s in %s: %w", what, s, ErrNoMatch)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	out = slices.CompactFunc(out, func(a, b ObjectInfo) bool { return a.Key == b.Key })
	return out, nil
}

// literalPrefix is the part of a glob before its first metacharacter.
func literalPrefix(glob string) string {
	if i := strings.IndexAny(glob, `*?[\`); i >= 0 {
		return glob[:i]
	}
	return glob
}

func list(ctx context.Context, s Store, prefix string, keep func(string) bool) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := s.List(ctx, prefix, func(o ObjectInfo) error {
		if !strings.HasSuffix(o.Key, "/") && keep(o.Key) {
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err // the store names itself and the prefix
	}
	return out, nil
}

// headConcurrency bounds the Heads in flight when expanding a list of keys.
const headConcurrency = 16

func headAll(ctx context.Context, s Store, keys []string) ([]ObjectInfo, error) {
	out := make([]ObjectInfo, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, headConcurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = s.Head(ctx, k)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
