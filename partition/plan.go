package partition

import (
	"fmt"

	"lithops/sched"
)

// Plan splits a source of size bytes at path into nominal ranges, either of
// chunkSize bytes (the last may be shorter) or into exactly count ranges of
// near-equal length (some may be empty when count exceeds size). Exactly one
// of chunkSize and count must be positive. A source of zero bytes gives one
// empty chunk when split by size, so a job over an empty file still runs.
func Plan(path string, size, chunkSize int64, count int, newline bool) ([]sched.Range, error) {
	switch {
	case size < 0:
		return nil, fmt.Errorf("partition %s: negative size %d", path, size)
	case chunkSize > 0 && count > 0:
		return nil, fmt.Errorf("partition %s: both a chunk size and a chunk count are set", path)
	case chunkSize <= 0 && count <= 0:
		return nil, fmt.Errorf("partition %s: neither a chunk size nor a chunk count is set", path)
	}
	mk := func(off, n int64) sched.Range {
		return sched.Range{Path: path, Offset: off, Length: n, Size: size, Newline: newline}
	}
	var out []sched.Range
	if chunkSize > 0 {
		if size == 0 {
			return []sched.Range{mk(0, 0)}, nil
		}
		out = make([]sched.Range, 0, (size+chunkSize-1)/chunkSize)
		for off := int64(0); off < size; off += chunkSize {
			out = append(out, mk(off, min(chunkSize, size-off)))
		}
		return out, nil
	}
	out = make([]sched.Range, 0, count)
	n := int64(count)
	for i := int64(0); i < n; i++ {
		// Boundaries at floor(i·size/n) spread the remainder evenly.
		lo, hi := boundary(i, n, size), boundary(i+1, n, size)
		out = append(out, mk(lo, hi-lo))
	}
	return out, nil
}

// boundary is floor(i·size/n) without overflowing for large sizes.
func boundary(i, n, size int64) int64 {
	q, r := size/n, size%n
	return i*q + (i*r)/n
}
