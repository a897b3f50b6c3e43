package partition

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"lithops/sched"
)

// memSource is a Source over bytes whose readers return a few bytes at a
// time, to exercise short reads.
type memSource struct {
	data  []byte
	reads int64 // bytes handed out
}

func (m *memSource) Size() int64 { return int64(len(m.data)) }

func (m *memSource) ReadRange(_ context.Context, off, n int64) (io.ReadCloser, error) {
	end := min(off+n, int64(len(m.data)))
	if off > end {
		off = end
	}
	m.reads += end - off
	return io.NopCloser(iotest.HalfReader(bytes.NewReader(m.data[off:end]))), nil
}

func chunks(t testing.TB, data []byte, chunkSize int64, count int, newline bool) [][]byte {
	t.Helper()
	src := &memSource{data: data}
	ranges, err := Plan("mem", src.Size(), chunkSize, count, newline)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range ranges {
		rc, err := Open(context.Background(), src, r)
		if err != nil {
			t.Fatalf("open %+v: %v", r, err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read %+v: %v", r, err)
		}
		rc.Close()
		out = append(out, b)
	}
	return out
}

func TestPlan(t *testing.T) {
	r := func(off, n, size int64) sched.Range {
		return sched.Range{Path: "f", Offset: off, Length: n, Size: size}
	}
	tests := []struct {
		name      string
		size      int64
		chunkSize int64
		count     int
		want      []sched.Range
	}{
		{"by size, exact", 8, 4, 0, []sched.Range{r(0, 4, 8), r(4, 4, 8)}},
		{"by size, remainder", 10, 4, 0, []sched.Range{r(0, 4, 10), r(4, 4, 10), r(8, 2, 10)}},
		{"by size, bigger than source", 3, 64, 0, []sched.Range{r(0, 3, 3)}},
		{"by size, empty source", 0, 64, 0, []sched.Range{r(0, 0, 0)}},
		{"by count, even", 9, 0, 3, []sched.Range{r(0, 3, 9), r(3, 3, 9), r(6, 3, 9)}},
		{"by count, spread", 10, 0, 3, []sched.Range{r(0, 3, 10), r(3, 3, 10), r(6, 4, 10)}},
		{"by count, more than bytes", 2, 0, 4, []sched.Range{r(0, 0, 2), r(0, 1, 2), r(1, 0, 2), r(1, 1, 2)}},
		{"by count, empty source", 0, 0, 2, []sched.Range{r(0, 0, 0), r(0, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan("f", tt.size, tt.chunkSize, tt.count, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong ranges (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		size, chunk int64
		count       int
	}{{10, 0, 0}, {10, 4, 2}, {-1, 4, 0}} {
		if _, err := Plan("f", tc.size, tc.chunk, tc.count, false); err == nil {
			t.Errorf("Plan(size %d, chunk %d, count %d): no error", tc.size, tc.chunk, tc.count)
		}
	}
}

func TestOpenNewline(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		chunkSize int64
		want      []string
	}{
		{"lines shorter than chunks", "ab\ncd\nef\n", 4, []string{"ab\ncd\n", "ef\n", ""}},
		{"boundary right after newline", "abc\ndef\n", 4, []string{"abc\n", "def\n"}},
		{"CRLF stays whole", "a\r\nb\r\nc\r\n", 2, []string{"a\r\n", "b\r\n", "", "c\r\n", ""}},
		{"last line without newline", "ab\ncd", 3, []string{"ab\n", "cd"}},
		{"line longer than a chunk", "abcdefghij\nk\n", 3, []string{"abcdefghij\n", "", "", "k\n", ""}},
		{"no newline at all", "abcdefgh", 3, []string{"abcdefgh", "", ""}},
		{"only newlines", "\n\n\n", 1, []string{"\n", "\n", "\n"}},
		{"empty", "", 4, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range chunks(t, []byte(tt.data), tt.chunkSize, 0, true) {
				got = append(got, string(c))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong chunks (-want +got):\n%s", diff)
			}
		})
	}
}

// randomText makes text with lines of varied length, LF or CRLF endings, and
// sometimes no final newline.
func randomText(rng *rand.Rand) []byte {
	var b bytes.Buffer
	lines := rng.IntN(40)
	for range lines {
		n := rng.IntN(30)
		if rng.IntN(10) == 0 {
			n = rng.IntN(300) // a long line, often longer than a chunk
		}
		for range n {
			b.WriteByte("abc xyz\r"[rng.IntN(8)])
		}
		if rng.IntN(4) == 0 {
			b.WriteString("\r\n")
		} else {
			b.WriteByte('\n')
		}
	}
	if rng.IntN(3) == 0 {
		b.WriteString("tail without newline")
	}
	return b.Bytes()
}

// checkChunks asserts the partitioner's invariants.
func checkChunks(t *testing.T, data []byte, got [][]byte, newline bool) {
	t.Helper()
	if joined := bytes.Join(got, nil); !bytes.Equal(joined, data) {
		t.Fatalf("chunks concatenated differ from the source:\nsource %q\nchunks %q", data, got)
	}
	if !newline {
		return
	}
	off := 0
	for i, c := range got {
		// Every chunk starts at a line beginning and, but for the last
		// non-empty one, ends with a newline: so no line is split.
		if len(c) > 0 && off > 0 && data[off-1] != '\n' {
			t.Fatalf("chunk %d starts mid-line at %d: %q", i, off, got)
		}
		if len(c) > 0 && c[len(c)-1] != '\n' && off+len(c) != len(data) {
			t.Fatalf("chunk %d ends mid-line: %q", i, got)
		}
		off += len(c)
	}
}

func TestOpenProperties(t *testing.T) {
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := randomText(rng)
		for _, newline := range []bool{false, true} {
			chunkSize := int64(1 + rng.IntN(64))
			checkChunks(t, data, chunks(t, data, chunkSize, 0, newline), newline)
			count := 1 + rng.IntN(12)
			checkChunks(t, data, chunks(t, data, 0, count, newline), newline)
		}
	}
}

func TestOpenFile(t *testing.T) {
	data := randomText(rand.New(rand.NewPCG(1, 2)))
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ranges, err := Plan(path, f.Size(), 0, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, r := range ranges {
		rc, err := Open(context.Background(), f, r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	checkChunks(t, data, got, true)
}

// A chunk's reads stay near its own bytes: it does not read the source to
// its end to find a boundary.
func TestOpenReadsBounded(t *testing.T) {
	line := bytes.Repeat([]byte("x"), 99)
	data := bytes.Repeat(append(line, '\n'), 100_000) // 10 MB of 100-byte lines
	src := &memSource{data: data}
	ranges, _ := Plan("mem", src.Size(), 1<<20, 0, true)
	for _, r := range ranges {
		src.reads = 0
		rc, err := Open(context.Background(), src, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		if limit := r.Length + 3*window; src.reads > limit {
			t.Errorf("chunk at %d read %d bytes, want at most %d", r.Offset, src.reads, limit)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte("ab\ncd\r\nef"), int64(3), true)
	f.Add([]byte("\n\n"), int64(1), false)
	f.Add([]byte(""), int64(5), true)
	f.Fuzz(func(t *testing.T, data []byte, chunkSize int64, newline bool) {
		if chunkSize <= 0 || chunkSize > 1<<20 {
			chunkSize = 1 + chunkSize&15
			if chunkSize <= 0 {
				chunkSize = 1
			}
		}
		checkChunks(t, data, chunks(t, data, chunkSize, 0, newline), newline)
	})
}
