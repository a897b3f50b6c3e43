package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/pkg/sftp"
)

// Remote paths: absolute, or relative to the login's home directory; "~" and
// a leading "~/" stand for that home too.

// sftpClient is the connection's SFTP session, opened on first use.
func (c *Conn) sftpClient() (*sftp.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil, c.lost(ErrClosed)
	}
	if c.sftp != nil {
		return c.sftp, nil
	}
	s, err := sftp.NewClient(c.client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return nil, c.lost(fmt.Errorf("start sftp: %w", err))
	}
	home, err := s.Getwd()
	if err != nil {
		s.Close()
		return nil, c.lost(fmt.Errorf("sftp: home directory: %w", err))
	}
	c.sftp, c.home = s, home
	return s, nil
}

// Home is the login's home directory on the host.
func (c *Conn) Home(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if _, err := c.sftpClient(); err != nil {
		return "", fmt.Errorf("ssh %s: %w", c.host, err)
	}
	return c.home, nil
}

// resolve makes p absolute.
func (c *Conn) resolve(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty remote path")
	}
	switch {
	case p == "~":
		p = c.home
	case strings.HasPrefix(p, "~/"):
		p = path.Join(c.home, p[2:])
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("remote path %q: only the login's own home (~/) can be named", p)
	case !path.IsAbs(p):
		p = path.Join(c.home, p)
	}
	return path.Clean(p), nil
}

// fileOp runs op with the SFTP client and p resolved, stopping early when
// ctx is done and naming the host and path in any error.
func (c *Conn) fileOp(ctx context.Context, verb, p string, op func(s *sftp.Client, abs string) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s on %s: %w", verb, p, c.host, err)
	}
	s, err := c.sftpClient()
	if err != nil {
		return fmt.Errorf("%s %s on %s: %w", verb, p, c.host, err)
	}
	abs, err := c.resolve(p)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", verb, c.host, err)
	}
	if err := op(s, abs); err != nil {
		return fmt.Errorf("%s %s on %s: %w", verb, abs, c.host, c.lost(err))
	}
	return nil
}

// Stat describes the remote file at p, following symlinks. A missing file
// gives an error that matches os.ErrNotExist.
func (c *Conn) Stat(ctx context.Context, p string) (os.FileInfo, error) {
	var fi os.FileInfo
	err := c.fileOp(ctx, "stat", p, func(s *sftp.Client, abs string) (err error) {
		fi, err = s.Stat(abs)
		return err
	})
	return fi, err
}

// Remove deletes the remote file or empty directory at p.
func (c *Conn) Remove(ctx context.Context, p string) error {
	return c.fileOp(ctx, "remove", p, func(s *sftp.Client, abs string) error {
		return s.Remove(abs)
	})
}

// RemoveAll deletes dir and everything under it, without following
// symlinks; a missing dir is not an error. It refuses "/" and the home
// directory itself.
func (c *Conn) RemoveAll(ctx context.Context, dir string) error {
	return c.fileOp(ctx, "remove", dir, func(s *sftp.Client, abs string) error {
		if abs == "/" || abs == path.Clean(c.home) {
			return fmt.Errorf("refusing to remove %s recursively", abs)
		}
		err := s.RemoveAll(abs)
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := s.Lstat(abs); errors.Is(serr, os.ErrNotExist) {
				return nil
			}
		}
		return err
	})
}

// Upload writes size bytes from r to the remote file p with mode, creating
// missing parent directories. The bytes go to a temporary name in the same
// directory, are synced, and are renamed over p only when all size bytes
// arrived: readers of p see the old file or the whole new one, never a part.
func (c *Conn) Upload(ctx context.Context, r io.Reader, size int64, p string, mode os.FileMode) error {
	return c.upload(ctx, r, size, p, mode, nil)
}

// upload is Upload with a last check before the rename.
func (c *Conn) upload(ctx context.Context, r io.Reader, size int64, p string, mode os.FileMode, verify func() error) error {
	return c.fileOp(ctx, "upload", p, func(s *sftp.Client, abs string) error {
		dir := path.Dir(abs)
		if err := s.MkdirAll(dir); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		tmp := path.Join(dir, "."+path.Base(abs)+".tmp-"+randomSuffix())
		f, err := s.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return err
		}
		committed := false
		defer func() {
			if !committed {
				f.Close()
				s.Remove(tmp)
			}
		}()
		n, err := f.ReadFromWithConcurrency(ctxReader{ctx, io.LimitReader(r, size)}, 0)
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("source ended after %d of %d bytes", n, size)
		}
		if verify != nil {
			if err := verify(); err != nil {
				return err
			}
		}
		if err := f.Chmod(mode.Perm()); err != nil {
			return err
		}
		if err := f.Sync(); err != nil && !errors.Is(err, sftp.ErrSSHFxOpUnsupported) {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := s.PosixRename(tmp, abs); err != nil {
			return err
		}
		committed = true
		return nil
	})
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ctxReader stops a copy at its next read once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
