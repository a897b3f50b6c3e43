package fakeec2

import (
	"sort"
	"strings"
)

// fields maps a filter name to the values a resource has for it. A name
// missing from the map is not a filter EC2 knows for that resource and is
// refused. Tag filters (tag:KEY, tag-key, tag-value) come from the tags.
type fields map[string][]string

// withTags adds the tag filters of tags to f.
func (f fields) withTags(tags map[string]string) fields {
	keys, values := []string{}, []string{}
	for k, v := range tags {
		keys = append(keys, k)
		values = append(values, v)
	}
	f["tag-key"] = keys
	f["tag-value"] = values
	return f
}

// checkFilters refuses filter names a resource kind does not know; example
// is the fields of any resource of that kind (a zero one will do).
func checkFilters(filters []filter, example fields) error {
	for _, f := range filters {
		if strings.HasPrefix(f.Name, "tag:") {
			continue
		}
		if _, ok := example[f.Name]; !ok {
			return errf("InvalidParameterValue", "The filter '%s' is invalid", f.Name)
		}
	}
	return nil
}

// matches reports whether a resource passes every filter: for each filter,
// one of its values matches one of the resource's values. Values may use
// EC2's wildcards: * (any run of characters) and ? (one character), with \
// escaping either.
func matches(filters []filter, f fields, tags map[string]string) bool {
	for _, flt := range filters {
		var have []string
		if key, ok := strings.CutPrefix(flt.Name, "tag:"); ok {
			if v, ok := tags[key]; ok {
				have = []string{v}
			}
		} else {
			have = f[flt.Name]
		}
		if !anyMatch(flt.Values, have) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if glob(p, v) {
				return true
			}
		}
	}
	return false
}

// glob matches s against an EC2 filter pattern.
func glob(pattern, s string) bool {
	// Classic two-pointer wildcard match with backtracking to the last *.
	// Patterns and values are compared rune by rune.
	p := []rune(pattern)
	r := []rune(s)
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(r) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == r[si]:
			pi += 2
			si++
		case pi < len(p) && p[pi] == '?':
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] != '\\' && p[pi] == r[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// sortedTags renders tags sorted by key for responses.
func sortedTags(tags map[string]string) []xmlTag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]xmlTag, 0, len(tags))
	for k, v := range tags {
		out = append(out, xmlTag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}
