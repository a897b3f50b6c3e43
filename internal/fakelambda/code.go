package fakelambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Limits of the real service for deployment packages.
const (
	// maxUnzippedSize is the limit on a function's unpacked code.
	maxUnzippedSize = 262144000
	// maxCodeRequestSize is the limit on a CreateFunction/UpdateFunctionCode
	// request body: a 50 MB zip, base64-encoded, inside JSON.
	maxCodeRequestSize = 69905067
)

// code is one deployment package: a zip (unpacked on first use, shared by
// every execution environment that runs it, as /var/task is) or a container
// image reference.
type code struct {
	zip      []byte
	imageURI string
	sha256   string // base64 of the SHA-256 of the zip, as CodeSha256
	size     int64

	once sync.Once
	dir  string
	err  error
}

// newZipCode checks that b is a zip the service could unpack, the way the
// service does at CreateFunction/UpdateFunctionCode time: it must open,
// every member must decompress with a good checksum to a path inside the
// package, and the whole must fit the unzipped size limit. Whether it holds
// a runnable bootstrap is only found out at invoke time.
func newZipCode(b []byte) (*code, *apiError) {
	unzipErr := errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, unzipErr
	}
	var total int64
	for _, f := range zr.File {
		if _, ok := memberPath(f.Name); !ok {
			return nil, unzipErr
		}
		rc, err := f.Open()
		if err != nil {
			return nil, unzipErr
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, maxUnzippedSize-total+1))
		rc.Close()
		if err != nil {
			return nil, unzipErr
		}
		total += n
		if total > maxUnzippedSize {
			return nil, errInvalidParameter("Unzipped size must be smaller than %d bytes", maxUnzippedSize)
		}
	}
	sum := sha256.Sum256(b)
	return &code{zip: b, sha256: base64.StdEncoding.EncodeToString(sum[:]), size: int64(len(b))}, nil
}

func newImageCode(uri string) *code {
	sum := sha256.Sum256([]byte(uri))
	return &code{imageURI: uri, sha256: hex.EncodeToString(sum[:])}
}

// memberPath returns the slash-separated relative path a zip member unpacks
// to, and false for names that would leave the package directory.
func memberPath(name string) (string, bool) {
	name = strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(name, "/") {
		return "", false
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	return clean, true
}

// unpack extracts the zip once into a new directory under parent and returns
// it. File modes travel with the zip: a bootstrap zipped without its
// executable bit cannot be run, as on the real service.
func (c *code) unpack(parent string) (string, error) {
	c.once.Do(func() {
		c.dir, c.err = unzipInto(c.zip, parent)
	})
	return c.dir, c.err
}

func unzipInto(b []byte, parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "task-")
	if err != nil {
		return "", fmt.Errorf("unpack code: %w", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", fmt.Errorf("unpack code: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("unpack code: %w", err)
	}
	defer root.Close()
	for _, f := range zr.File {
		if err := unzipMember(root, f); err != nil {
			return "", fmt.Errorf("unpack code member %q: %w", f.Name, err)
		}
	}
	return dir, nil
}

func unzipMember(root *os.Root, f *zip.File) error {
	name, ok := memberPath(f.Name)
	if !ok {
		return fmt.Errorf("path leaves the package")
	}
	if name == "." {
		return nil
	}
	mode := f.Mode()
	if parent := path.Dir(name); parent != "." {
		if err := root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	switch {
	case mode.IsDir():
		return root.MkdirAll(name, 0o755)
	case mode&fs.ModeSymlink != 0:
		target, err := readMember(f)
		if err != nil {
			return err
		}
		return root.Symlink(string(target), name)
	default:
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		// Keep the permission bits (the executable bit matters); the owner
		// can always read and write so the directory can be removed.
		out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm()|0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, rc); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
}

func readMember(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// entrypointError is the Runtime.InvalidEntrypoint message the service gives
// when the package has no bootstrap this function can run, or "" if
// dir/bootstrap can be executed. Paths are the ones the function sees on the
// real service. An ELF bootstrap built for another architecture than the
// function's fails as exec would.
func entrypointError(dir, arch string) string {
	p := filepath.Join(dir, "bootstrap")
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "fork/exec /var/task/bootstrap: permission denied"
	}
	if f, err := elf.Open(p); err == nil {
		defer f.Close()
		want := map[string]elf.Machine{"x86_64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
		if f.Machine != want {
			return "fork/exec /var/task/bootstrap: exec format error"
		}
	}
	return ""
}
