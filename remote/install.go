package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// BinDir is where EnsureBinary installs, relative to the login's home.
const BinDir = ".lithops/bin"

// binaryName is the installed name of the binary with sha256 digest: the
// first 16 hex digits (64 bits) name it; the whole digest is checked.
func binaryName(digest string) string {
	return "lithops-" + digest[:16]
}

// EnsureBinary installs the local file localPath, whose SHA-256 is digest
// (64 lowercase hex digits), as the executable ~/.lithops/bin/lithops-<first
// 16 digits of digest> on the host, and returns that absolute path. When a
// file of the right size is already there and the host's sha256sum (or
// shasum) agrees with digest, nothing is sent and uploaded is false; a
// host with neither tool gets the file again. The upload is atomic (see
// Upload) and the digest of the bytes sent is checked before the file takes
// its name, so the name always holds exactly those bytes.
func EnsureBinary(ctx context.Context, c *Conn, localPath, digest string) (remotePath string, uploaded bool, err error) {
	if len(digest) != sha256.Size*2 || strings.Trim(digest, "0123456789abcdef") != "" {
		return "", false, fmt.Errorf("install %s: digest %q is not 64 lowercase hex digits of SHA-256", localPath, digest)
	}
	home, err := c.Home(ctx)
	if err != nil {
		return "", false, fmt.Errorf("install %s: %w", localPath, err)
	}
	remotePath = path.Join(home, BinDir, binaryName(digest))

	f, err := os.Open(localPath)
	if err != nil {
		return "", false, fmt.Errorf("install: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", false, fmt.Errorf("install: %w", err)
	}

	ok, err := c.installed(ctx, remotePath, st.Size(), digest)
	if err != nil {
		return "", false, fmt.Errorf("install %s on %s: %w", localPath, c.host, err)
	}
	if ok {
		return remotePath, false, nil
	}

	h := sha256.New()
	verify := func() error {
		if got := hex.EncodeToString(h.Sum(nil)); got != digest {
			return fmt.Errorf("%s has SHA-256 %s, not %s (changed while being sent?)", localPath, got, digest)
		}
		return nil
	}
	if err := c.upload(ctx, io.TeeReader(f, h), st.Size(), remotePath, 0o755, verify); err != nil {
		return "", false, fmt.Errorf("install %s: %w", localPath, err)
	}
	return remotePath, true, nil
}

// installed reports whether p holds a file of size bytes with SHA-256 digest.
func (c *Conn) installed(ctx context.Context, p string, size int64, digest string) (bool, error) {
	fi, err := c.Stat(ctx, p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !fi.Mode().IsRegular() || fi.Size() != size || fi.Mode().Perm()&0o100 == 0:
		return false, nil
	}
	// Prints the digest, or nothing when the host has no tool for it.
	script := `if command -v sha256sum >/dev/null 2>&1; then sha256sum -- "$1"; ` +
		`elif command -v shasum >/dev/null 2>&1; then shasum -a 256 -- "$1"; fi`
	out, err := c.Output(ctx, []string{"/bin/sh", "-c", script, "sh", p})
	if err != nil {
		return false, err
	}
	sum, _, _ := bytes.Cut(out, []byte(" "))
	return string(sum) == digest, nil
}
