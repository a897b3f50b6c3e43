package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"lithops/objstore"
	"lithops/partition"
)

// Partition is the partitioner's property test over objects of s: for
// hand-picked and random objects (CRLF endings, no final newline, lines
// longer than a chunk, the empty object), the chunks of every plan, read
// through objstore.Source and partition.Open, concatenate to the object;
// with newline alignment every chunk starts at a line start and ends just
// after a newline or at the end, so no line is lost, split or doubled.
func Partition(t *testing.T, s objstore.Store, seed uint64, randomObjects int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	objects := map[string][]byte{
		"crlf":            []byte("one\r\ntwo\r\n\r\nfour\r\n"),
		"no-final-nl":     []byte("alpha\nbeta\ngamma"),
		"long-lines":      []byte(strings.Repeat("x", 300) + "\n" + "y\n" + strings.Repeat("z", 250)),
		"empty":           nil,
		"only-newlines":   []byte("\n\n\n\n"),
		"one-line-no-nl":  []byte("just one line"),
		"window-crossing": bytes.Repeat([]byte(strings.Repeat("w", 70000)+"\n"), 3),
	}
	for i := range randomObjects {
		objects[fmt.Sprintf("random-%02d", i)] = randomText(rng)
	}
	ctx := context.Background()
	for name, data := range objects {
		key := "partition/" + name
		Put(t, s, key, data)
		src, err := objstore.Source(ctx, s, key)
		if err != nil {
			t.Fatalf("source %q: %v", key, err)
		}
		if src.Size() != int64(len(data)) {
			t.Fatalf("source %q has size %d, want %d", key, src.Size(), len(data))
		}
		for _, plan := range plans(rng, int64(len(data))) {
			ranges, err := partition.Plan(key, src.Size(), plan.size, plan.count, plan.newline)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var chunks [][]byte
			for _, r := range ranges {
				rc, err := partition.Open(ctx, src, r)
				if err != nil {
					t.Fatalf("%s %+v: open chunk %+v: %v", name, plan, r, err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("%s %+v: read chunk %+v: %v", name, plan, r, err)
				}
				chunks = append(chunks, b)
			}
			checkChunks(t, fmt.Sprintf("%s %+v", name, plan), data, chunks, plan.newline)
		}
	}
}

type plan struct {
	size    int64
	count   int
	newline bool
}

// plans picks chunkings of an object of size bytes: tiny chunks (at most
// about 40 of them, so big objects stay quick), counts, and random sizes.
func plans(rng *rand.Rand, size int64) []plan {
	least := max(1, size/40)
	ps := []plan{{size: least, newline: true}, {count: 8, newline: true}, {count: 3, newline: false}}
	for range 3 {
		ps = append(ps, plan{size: least + rng.Int64N(size+3), newline: rng.IntN(4) != 0})
	}
	return ps
}

func checkChunks(t *testing.T, what string, data []byte, chunks [][]byte, newline bool) {
	t.Helper()
	if joined := bytes.Join(chunks, nil); !bytes.Equal(joined, data) {
		t.Fatalf("%s: chunks concatenated (%d bytes) differ from the object (%d bytes)", what, len(joined), len(data))
	}
	if !newline {
		return
	}
	pos := 0
	for i, c := range chunks {
		if len(c) == 0 {
			continue
		}
		if pos > 0 && data[pos-1] != '\n' {
			t.Errorf("%s: chunk %d starts mid-line at %d", what, i, pos)
		}
		pos += len(c)
		if c[len(c)-1] != '\n' && pos != len(data) {
			t.Errorf("%s: chunk %d ends mid-line at %d", what, i, pos)
		}
	}
}

// randomText makes lines of varied length, LF or CRLF endings, some longer
// than small chunks, and sometimes no final newline.
func randomText(rng *rand.Rand) []byte {
	var b bytes.Buffer
	for range rng.IntN(60) {
		n := rng.IntN(40)
		if rng.IntN(8) == 0 {
			n = rng.IntN(2000)
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
