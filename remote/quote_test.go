package remote

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// trickyArgs are argv elements that break naive quoting.
var trickyArgs = []string{
	"plain",
	"",
	"two words",
	"it's",
	`"double"`,
	"$HOME",
	"${PATH}",
	"$(echo pwned)",
	"`echo pwned`",
	`back\slash`,
	`\`,
	"trailing\\",
	"line1\nline2",
	"\n",
	"semi;colon",
	"a && b || c",
	"pipe|amp&",
	"glob*?[a]",
	"~",
	"~root",
	"x=y",
	"#comment",
	"'",
	"''",
	"'\"'\"'",
	"tab\there",
	"!bang",
	"{a,b}",
	"<in >out",
	"(sub)",
	"unicode é ∂ 😀",
	"\x01\x7f\xff",
	"-n",
	"%s",
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", "''"},
		{"-v", "-v"},
		{"/usr/bin/x,y:z@h%+", "/usr/bin/x,y:z@h%+"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"~", "'~'"},
		{"x=y", "'x=y'"},
		{"a\nb", "'a\nb'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestQuoteCommandRefuses(t *testing.T) {
	if _, err := QuoteCommand(nil); err == nil || err.Error() != "empty command" {
		t.Errorf("QuoteCommand(nil): wrong error %v", err)
	}
	_, err := QuoteCommand([]string{"printf", "a\x00b"})
	if want := `argument 1 of "printf" contains a NUL byte`; err == nil || err.Error() != want {
		t.Errorf("QuoteCommand with NUL: wrong error %v, want %s", err, want)
	}
}

// shells are the local POSIX shells the quoting is checked against.
func shells(t testing.TB) []string {
	var found []string
	for _, sh := range []string{"sh", "dash", "bash"} {
		if p, err := exec.LookPath(sh); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		t.Skip("no POSIX shell found on PATH")
	}
	return found
}

// runQuoted has shell parse the quoted command `printf '%s\0' args...` and
// returns the arguments printf received.
func runQuoted(t testing.TB, shell string, args []string) []string {
	t.Helper()
	cmd, err := QuoteCommand(append([]string{"printf", `%s\0`}, args...))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(shell, "-c", cmd).Output()
	if err != nil {
		t.Fatalf("%s -c %q: %v", shell, cmd, err)
	}
	return splitNUL(out)
}

func splitNUL(out []byte) []string {
	got := []string{}
	for len(out) > 0 {
		i := bytes.IndexByte(out, 0)
		if i < 0 {
			return append(got, string(out)+"<no trailing NUL>")
		}
		got = append(got, string(out[:i]))
		out = out[i+1:]
	}
	return got
}

func TestQuoteCommandLocalShells(t *testing.T) {
	for _, sh := range shells(t) {
		got := runQuoted(t, sh, trickyArgs)
		if diff := cmp.Diff(trickyArgs, got); diff != "" {
			t.Errorf("%s: wrong arguments after quoting (-want +got)\n%s", sh, diff)
		}
	}
}

// FuzzQuote checks with the local shells that any argument without NUL
// arrives byte-exact.
func FuzzQuote(f *testing.F) {
	for _, a := range trickyArgs {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if strings.IndexByte(arg, 0) >= 0 {
			return
		}
		for _, sh := range shells(t) {
			got := runQuoted(t, sh, []string{arg, "end"})
			if diff := cmp.Diff([]string{arg, "end"}, got); diff != "" {
				t.Fatalf("%s: wrong arguments after quoting %q (-want +got)\n%s", sh, arg, diff)
			}
		}
	})
}
