package fakeec2

import "strings"

// wellFormed reports whether id has EC2's shape for prefix: the prefix, a
// dash, and 8 or 17 lowercase hex digits.
func wellFormed(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	for _, c := range rest {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
