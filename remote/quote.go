package remote

import (
	"fmt"
	"strings"
)

// Quote makes s one word for a POSIX shell, byte for byte: words made only of
// characters no shell treats specially are left as they are, everything else
// is wrapped in single quotes, inside which a POSIX shell takes every byte
// literally (newlines, '$', '\', '"', '`', ';' included); a single quote
// itself becomes close-quote, backslash-quote, open-quote. It is the one
// quoting function of this package: every command sent to a host goes
// through it.
//
// The remote login shell must be a POSIX shell (sh, dash, bash, ksh, zsh);
// csh and fish parse quotes differently.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, func(r rune) bool { return !isPlainShellRune(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isPlainShellRune reports the characters that mean nothing to any POSIX
// shell in any position of a word ('=' and '~' are left out: they can
// start an assignment or a tilde expansion).
func isPlainShellRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("-_./,:@%+", r)
}

// QuoteCommand joins argv into one command line for the remote shell, each
// element quoted with Quote. It refuses an empty argv and NUL bytes, which
// no command line can carry.
func QuoteCommand(argv []string) (string, error) {
	if len(argv) == 0 {
		return "", fmt.Errorf("empty command")
	}
	var b strings.Builder
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return "", fmt.Errorf("argument %d of %q contains a NUL byte", i, argv[0])
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String(), nil
}
