package fakelambda

import (
	"archive/zip"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func zipOf(t testing.TB, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(n))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNewZipCodeRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "/etc/evil", `..\evil`, "a/../../evil"} {
		if _, aerr := newZipCode(zipOf(t, "bootstrap", name)); aerr == nil || aerr.code != "InvalidParameterValueException" {
			t.Errorf("package with member %q: %v, want InvalidParameterValueException", name, aerr)
		}
	}
	if _, aerr := newZipCode(zipOf(t, "bootstrap", "lib/a/../b.so")); aerr != nil {
		t.Errorf("package with a member that stays inside: %v", aerr)
	}
}

// FuzzUnzip: whatever bytes arrive, the check never panics, and a package
// it accepts unpacks entirely inside its directory.
func FuzzUnzip(f *testing.F) {
	f.Add(zipOf(f, "bootstrap", "lib/x.so", "dir/"))
	f.Add(zipOf(f, "../escape"))
	f.Add([]byte("PK\x03\x04 not a zip"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, aerr := newZipCode(b); aerr != nil {
			return
		}
		parent := t.TempDir()
		dir, err := unzipInto(b, parent)
		if err != nil {
			// Accepted packages can still fail to unpack on this machine
			// (a member both a file and a directory); never outside.
			return
		}
		filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
			if err == nil && p != parent && !strings.HasPrefix(p, dir) {
				t.Errorf("unpacked %s outside %s", p, dir)
			}
			return nil
		})
	})
}

func TestListensOn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if !listensOn(os.Getpid(), addr) {
		t.Errorf("listensOn(self, %s) = false for our own listener", addr)
	}
	ln.Close()
	if listensOn(os.Getpid(), addr) {
		t.Errorf("listensOn(self, %s) = true after closing it", addr)
	}
}
