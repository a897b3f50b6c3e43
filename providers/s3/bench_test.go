package s3

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/sync/errgroup"

	"lithops/objstore"
	"lithops/objstore/faults"
	"lithops/partition"
)

var (
	benchSize      = flag.Int64("s3bench.size", 1<<30, "size in bytes of the object BenchmarkRead reads")
	benchBandwidth = flag.Int64("s3bench.bandwidth", 0, "if positive, cap each response at this many bytes per second (through a faults.Proxy), as S3 caps a single request's throughput")
)

// benchFixture puts the object the read benchmarks share on gofakes3 (in
// memory): text lines of random length, ending with a newline. It returns
// the store, the key and the number of lines.
func benchFixture(b *testing.B) (*Store, string, int64) {
	endpoint := fakeS3(b)
	if *benchBandwidth > 0 {
		p, err := faults.New(endpoint)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(p.Close)
		p.SetBandwidth(*benchBandwidth)
		endpoint = p.URL()
	}
	s := testStore(b, endpoint, true)
	s.partSize = DefaultPartSize
	// One MiB of lines of 1 to 200 bytes, repeated: the block ends with a
	// newline, so repeating it keeps line boundaries.
	rng := rand.New(rand.NewPCG(1, 1))
	var block bytes.Buffer
	for block.Len() < 1<<20 {
		for range 1 + rng.IntN(200) {
			block.WriteByte(byte('a' + rng.IntN(26)))
		}
		block.WriteByte('\n')
	}
	reps := max(1, *benchSize/int64(block.Len()))
	key := "bench/object.txt"
	if _, err := s.Put(context.Background(), key, repeat(block.Bytes(), reps), reps*int64(block.Len())); err != nil {
		b.Fatal(err)
	}
	return s, key, reps * int64(bytes.Count(block.Bytes(), []byte{'\n'}))
}

func repeat(p []byte, n int64) io.Reader {
	rs := make([]io.Reader, n)
	for i := range rs {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

// countLines counts newlines, as wc -l does.
func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(bytes.Count(buf[:m], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// BenchmarkRead counts the lines of one object on gofakes3 (1 GiB unless
// -s3bench.size says otherwise) by a single-stream GET, and by 8
// newline-aligned chunks read in parallel through objstore.Source and
// partition.Open, as 8 map tasks would:
//
//	go test -run '^$' -bench Read -benchtime 3x ./providers/s3/ [-args -s3bench.size=N -s3bench.bandwidth=B]
//
// With the server in the same process on a small machine, both ways are
// bound by the CPU; -s3bench.bandwidth caps each response as S3 caps one
// request's throughput, which is what parallel ranged reads overcome.
// The cap applies to response bodies only, so the upload (multipart, before
// the timed part) is not slowed.
func BenchmarkRead(b *testing.B) {
	s, key, want := benchFixture(b)
	ctx := context.Background()
	b.Run("single-stream", func(b *testing.B) {
		info, err := s.Head(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(info.Size)
		for b.Loop() {
			rc, _, err := s.Get(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			n, err := countLines(rc)
			rc.Close()
			if err != nil || n != want {
				b.Fatalf("counted %d lines (%v), want %d", n, err, want)
			}
		}
	})
	for _, chunks := range []int{8} {
		b.Run(fmt.Sprintf("%d-chunks", chunks), func(b *testing.B) {
			src, err := objstore.Source(ctx, s, key)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(src.Size())
			for b.Loop() {
				ranges, err := partition.Plan(key, src.Size(), 0, chunks, true)
				if err != nil {
					b.Fatal(err)
				}
				counts := make([]int64, len(ranges))
				var g errgroup.Group
				for i, r := range ranges {
					g.Go(func() error {
						rc, err := partition.Open(ctx, src, r)
						if err != nil {
							return err
						}
						defer rc.Close()
						counts[i], err = countLines(rc)
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
				var n int64
				for _, c := range counts {
					n += c
				}
				if n != want {
					b.Fatalf("counted %d lines, want %d", n, want)
				}
			}
		})
	}
}
