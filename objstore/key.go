package objstore

import (
	"fmt"
	"strings"
)

// CheckKey reports whether key is a well-formed object key for every backend,
// including a local directory: non-empty, slash-separated, not starting with
// a slash, with no empty, "." or ".." segment, no backslash and no NUL.
// Cloud stores accept more; keys that lithops itself makes always pass.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty object key")
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("object key %q is absolute", key)
	}
	if strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("object key %q contains a backslash or NUL", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("object key %q has an empty segment", key)
		case ".", "..":
			return fmt.Errorf("object key %q has a %q segment", key, seg)
		}
	}
	return nil
}

// CheckPrefix reports whether prefix is a well-formed key prefix: empty, or
// a CheckKey-valid key optionally ending in a slash.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := CheckKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("prefix: %w", err)
	}
	return nil
}
