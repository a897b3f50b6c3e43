package remote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"lithops/internal/testhosts"
)

// Benchmarks against a real sshd on 127.0.0.1:
//
//	go test -run XXX -bench . -benchtime 20x ./remote

func BenchmarkDial(b *testing.B) {
	f := testhosts.Local(b)
	h := host(b, f.Hosts[0])
	for b.Loop() {
		c, err := Dial(context.Background(), h, keyConfig(f))
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkRunTrue is the cost of one remote command on a live connection.
func BenchmarkRunTrue(b *testing.B) {
	f := testhosts.Local(b)
	c := dialT(b, f.Hosts[0], keyConfig(f))
	for b.Loop() {
		run(b, c, "true")
	}
}

func BenchmarkUpload16MiB(b *testing.B) {
	f := testhosts.Local(b)
	c := dialT(b, f.Hosts[0], keyConfig(f))
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := c.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "blob", 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnsureBinaryPresent is what a re-run pays per host when the
// worker binary (16 MiB here) is already installed: stat plus remote sha256.
func BenchmarkEnsureBinaryPresent(b *testing.B) {
	f := testhosts.Local(b)
	c := dialT(b, f.Hosts[0], keyConfig(f))
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	bin := filepath.Join(b.TempDir(), "lithops")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		b.Fatal(err)
	}
	digest := sha256hex(data)
	if _, _, err := EnsureBinary(context.Background(), c, bin, digest); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, uploaded, err := EnsureBinary(context.Background(), c, bin, digest); err != nil || uploaded {
			b.Fatal(uploaded, err)
		}
	}
}
