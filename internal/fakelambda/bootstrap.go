package fakelambda

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
)

// BuildBootstrap compiles the Go main package pkg (an import path or a
// directory, as for go build) into dir/bootstrap the way a provided.al2023
// function is built: static (CGO_ENABLED=0), for Linux on this machine's
// architecture, with -tags lambda.norpc (aws-lambda-go then speaks only
// the Runtime API). It returns the binary's path.
func BuildBootstrap(ctx context.Context, pkg, dir string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build bootstrap %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// ZipBootstrap returns a deployment package holding the file at path as an
// executable "bootstrap" and the extra files (name → content, mode 0644),
// members in name order.
func ZipBootstrap(path string, extra map[string][]byte) ([]byte, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	files := []ZipFile{{Name: "bootstrap", Mode: 0o755, Data: bin}}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		files = append(files, ZipFile{Name: name, Mode: 0o644, Data: extra[name]})
	}
	return Zip(files...)
}

// ZipFile is one member of a deployment package made by Zip.
type ZipFile struct {
	Name string
	Mode os.FileMode // permission bits, recorded as Unix attributes
	Data []byte
	// Store keeps the member uncompressed: a bigger package, but quicker to
	// make and to check (deflating a Go binary under the race detector
	// takes seconds).
	Store bool
}

// Zip returns a zip archive of the files, in the given order, with their
// Unix permission bits.
func Zip(files ...ZipFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		if f.Store {
			h.Method = zip.Store
		}
		h.SetMode(f.Mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}
