package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/rogpeppe/go-internal/diff"

	"lithops/hcl"
	"lithops/internal/atomicfile"
	"lithops/views"
)

const fmtHelp = `fmt [options] [DIR|FILE ...]

Rewrite *.hcl files (and *.vars.hcl files) in the canonical style: aligned
equals signs, two-space indentation, normalised spacing. With no argument it
formats the configuration directory; "-" reads standard input and writes the
result to standard output. JSON files are left alone.

Options:
  -check      Write nothing; exit 3 if any file is not formatted, else 0.
  -diff       Print the changes as unified diffs.
  -list=false Do not print the names of files that changed.
  -write=false
              Do not rewrite files (implied by -check and by "-").
  -recursive  Also format files in subdirectories.
  -no-color   Do not colour diagnostics.
`

func runFmt(_ context.Context, env *Env, args []string) int {
	fs := newFlags("fmt")
	check := fs.Bool("check", false, "")
	showDiff := fs.Bool("diff", false, "")
	list := fs.Bool("list", true, "")
	write := fs.Bool("write", true, "")
	recursive := fs.Bool("recursive", false, "")
	noColor := fs.Bool("no-color", false, "")
	if code, ok := parse(env, fs, fmtHelp, args); !ok {
		return code
	}
	if *check {
		*write = false
	}
	targets := fs.Args()
	if len(targets) == 0 {
		targets = []string{env.Dir}
	}
	color := colorOK(env, *noColor)
	status := 0
	for _, t := range targets {
		if t == "-" {
			src, err := io.ReadAll(env.Stdin)
			if err != nil {
				fmt.Fprintf(env.Stderr, "Error: read standard input: %s\n", err)
				return 1
			}
			out, diags := hcl.Format(src, "<stdin>")
			if printDiags(env, nil, diags, color) {
				return 1
			}
			if *check && !bytes.Equal(src, out) {
				status = 3
			}
			if *showDiff {
				env.Stdout.Write(diff.Diff("<stdin>", src, "<stdin> (formatted)", out))
			} else if !*check {
				env.Stdout.Write(out)
			}
			continue
		}
		files, err := fmtFiles(env.path(t), *recursive)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		for _, f := range files {
			changed, code := fmtFile(env, f, *write, *showDiff, color)
			if code != 0 {
				status = 1
				continue
			}
			if changed {
				if *list {
					fmt.Fprintln(env.Stdout, relPath(env.Cwd, f))
				}
				if *check && status == 0 {
					status = 3
				}
			}
		}
	}
	return status
}

// fmtFiles lists the files fmt handles under path, or path itself.
func fmtFiles(path string, recursive bool) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("fmt: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || d.Name()[0] == '.') {
				return filepath.SkipDir
			}
			return nil
		}
		if hcl.IsFormattable(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// fmtFile formats one file and reports whether it changed.
func fmtFile(env *Env, path string, write, showDiff, color bool) (bool, int) {
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		return false, 1
	}
	out, diags := hcl.Format(src, path)
	if diags.HasErrors() {
		views.WriteDiagnostics(env.Stderr, diags, views.DiagnosticsOptions{BaseDir: env.Cwd, Color: color})
		return false, 1
	}
	if bytes.Equal(src, out) {
		return false, 0
	}
	if showDiff {
		name := relPath(env.Cwd, path)
		env.Stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
	}
	if write {
		st, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return false, 1
		}
		if err := atomicfile.Write(path, out, st.Mode().Perm()); err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return false, 1
		}
	}
	return true, 0
}

func relPath(base, p string) string {
	if rel, err := filepath.Rel(base, p); err == nil && len(rel) > 0 && rel[0] != '.' {
		return rel
	}
	return p
}
