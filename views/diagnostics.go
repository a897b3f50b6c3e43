package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
)

// DiagnosticsOptions controls how diagnostics are rendered.
type DiagnosticsOptions struct {
	// Files holds the parsed sources, for showing the offending line.
	Files map[string]*hcl2.File
	// BaseDir shortens file names to paths relative to it.
	BaseDir string
	Color   bool
	// Width wraps detail text; 0 means 78.
	Width int
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
)

// WriteDiagnostics renders diagnostics for a person: severity and summary,
// file:line:col, the source line with the range underlined, and the detail.
func WriteDiagnostics(w io.Writer, diags hcl2.Diagnostics, opts DiagnosticsOptions) error {
	var b bytes.Buffer
	for i, d := range sortDiagnostics(diags) {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeDiagnostic(&b, d, opts)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sortDiagnostics(diags hcl2.Diagnostics) hcl2.Diagnostics {
	out := append(hcl2.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	return out
}

func writeDiagnostic(b *bytes.Buffer, d *hcl2.Diagnostic, opts DiagnosticsOptions) {
	color := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	sev, code := "Error", ansiRed
	if d.Severity == hcl2.DiagWarning {
		sev, code = "Warning", ansiYellow
	}
	fmt.Fprintf(b, "%s %s\n", color(ansiBold+code, sev+":"), color(ansiBold, d.Summary))
	if s := d.Subject; s != nil && s.Filename != "" {
		name := s.Filename
		if opts.BaseDir != "" {
			if rel, err := filepath.Rel(opts.BaseDir, name); err == nil && !strings.HasPrefix(rel, "..") {
				name = rel
			}
		}
		fmt.Fprintf(b, "\n  %s:%d:%d\n", name, s.Start.Line, s.Start.Column)
		if line, ok := sourceLine(opts.Files[s.Filename], s.Start.Line); ok {
			num := fmt.Sprintf("%d", s.Start.Line)
			pad := strings.Repeat(" ", len(num))
			line = strings.ReplaceAll(line, "\t", " ")
			fmt.Fprintf(b, "  %s | %s\n", num, line)
			startCol := s.Start.Column
			endCol := s.End.Column
			if s.End.Line != s.Start.Line {
				endCol = len([]rune(line)) + 1
			}
			if endCol <= startCol {
				endCol = startCol + 1
			}
			fmt.Fprintf(b, "  %s | %s%s\n", pad, strings.Repeat(" ", max(0, startCol-1)), color(code, strings.Repeat("^", endCol-startCol)))
		}
	}
	if d.Detail != "" {
		b.WriteByte('\n')
		width := opts.Width
		if width <= 0 {
			width = 78
		}
		for _, para := range strings.Split(d.Detail, "\n") {
			if strings.HasPrefix(para, " ") {
				fmt.Fprintf(b, "  %s\n", para) // preformatted (an example)
				continue
			}
			for _, l := range wrap(para, width-2) {
				fmt.Fprintf(b, "  %s\n", l)
			}
		}
	}
}

func sourceLine(f *hcl2.File, line int) (string, bool) {
	if f == nil || line < 1 {
		return "", false
	}
	lines := bytes.Split(f.Bytes, []byte("\n"))
	if line > len(lines) {
		return "", false
	}
	return strings.TrimRight(string(lines[line-1]), "\r"), true
}

func wrap(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	cur := words[0]
	for _, w := range words[1:] {
		if len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}

// JSONDiagnostics is the -json form of a validation result.
type JSONDiagnostics struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// JSONDiagnostic is one diagnostic in JSON.
type JSONDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *JSONRange `json:"range,omitempty"`
}

// JSONRange is a source range; lines and columns count from 1, bytes from 0.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a source file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// DiagnosticsJSON converts diagnostics to their JSON form.
func DiagnosticsJSON(diags hcl2.Diagnostics, baseDir string) JSONDiagnostics {
	out := JSONDiagnostics{FormatVersion: "1.0", Diagnostics: []JSONDiagnostic{}}
	for _, d := range sortDiagnostics(diags) {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl2.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if s := d.Subject; s != nil {
			name := s.Filename
			if baseDir != "" {
				if rel, err := filepath.Rel(baseDir, name); err == nil && !strings.HasPrefix(rel, "..") {
					name = rel
				}
			}
			jd.Range = &JSONRange{
				Filename: name,
				Start:    JSONPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:      JSONPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	return out
}

// WriteDiagnosticsJSON writes the JSON form, indented, with a final newline.
func WriteDiagnosticsJSON(w io.Writer, diags hcl2.Diagnostics, baseDir string) error {
	b, err := json.MarshalIndent(DiagnosticsJSON(diags, baseDir), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
