package fakeec2

import (
	"regexp"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"ubuntu/images/*", "ubuntu/images/hvm-ssd/ubuntu-noble", true},
		{"*noble*", "ubuntu-noble-24.04", true},
		{"ubuntu-?", "ubuntu-1", true},
		{"ubuntu-?", "ubuntu-12", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "a?", true},
		{"", "", true},
		{"*", "", true},
		{"lab", "lab2", false},
		{"ü?", "üb", true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// globRegexp is an independent implementation of EC2's wildcards.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case c == '*':
			b.WriteString(`(?s:.*)`)
		case c == '?':
			b.WriteString(`(?s:.)`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlob(f *testing.F) {
	f.Add("ubuntu/*-server-*", "ubuntu/images/ubuntu-noble-24.04-amd64-server-20251001")
	f.Add(`a\*?b`, "a*xb")
	f.Add("*?*", "ab")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8Valid(pattern) || !utf8Valid(s) || strings.HasSuffix(pattern, `\`) {
			t.Skip()
		}
		if got, want := glob(pattern, s), globRegexp(pattern).MatchString(s); got != want {
			t.Errorf("glob(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
