package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Layout helpers: every line the UI draws goes through them, so no line is
// ever wider than the terminal (a wrapped line would break the renderer's
// cursor arithmetic and garble the screen).

// width is the display width of s, escape sequences excluded.
func width(s string) int { return ansi.StringWidth(s) }

// truncate cuts s to w columns, ending with "…" when it cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// middle cuts s to w columns by removing its middle, which keeps both the
// kind of an address and its key: `executor.lab.boot…["10.0.0.5"]`.
func middle(s string, w int) string {
	n := width(s)
	if n <= w {
		return s
	}
	if w <= 1 {
		return truncate(s, w)
	}
	keep := w - 1
	head := (keep + 1) / 2
	tail := keep - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, n-tail, "")
}

// pad right-pads s with spaces to w columns.
func pad(s string, w int) string {
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// wrapChips joins short phrases with ", " into lines of at most w columns,
// each line starting with indent; a phrase never splits across lines (one
// too long for a line on its own is truncated).
func wrapChips(chips []string, indent string, w int) []string {
	var lines []string
	cur := ""
	avail := w - width(indent)
	for _, c := range chips {
		if c == "" {
			continue
		}
		switch {
		case cur == "":
			cur = truncate(c, avail)
		case width(cur)+2+width(c) <= avail:
			cur += ", " + c
		default:
			lines = append(lines, indent+cur)
			cur = truncate(c, avail)
		}
	}
	if cur != "" {
		lines = append(lines, indent+cur)
	}
	return lines
}

// wrap word-wraps s to w columns (hard-wrapping words longer than a line)
// and indents every line after the first with indent.
func wrap(s string, w int, indent string) []string {
	if w <= 0 {
		return nil
	}
	first := ansi.Wrap(s, w, "")
	lines := strings.Split(first, "\n")
	if indent == "" || len(lines) == 1 {
		return lines
	}
	rest := strings.Join(lines[1:], " ")
	out := []string{lines[0]}
	for _, l := range strings.Split(ansi.Wrap(rest, w-width(indent), ""), "\n") {
		out = append(out, indent+l)
	}
	return out
}

// plain is the identity style.
func plain(s ...string) string { return strings.Join(s, " ") }
