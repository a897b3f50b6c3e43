package sched

import (
	"math/rand/v2"
	"time"
)

// Backoff defaults, used when a field of Job.Backoff is zero.
const (
	defaultBackoffBase = 200 * time.Millisecond
	defaultBackoffMax  = 30 * time.Second
)

// withDefaults fills the zero fields of b.
func (b Backoff) withDefaults() Backoff {
	if b.Base == 0 {
		b.Base = defaultBackoffBase
	}
	if b.Max == 0 {
		b.Max = defaultBackoffMax
	}
	return b
}

// ceiling is the largest delay before the n-th retry (n ≥ 1):
// Base·2^(n-1), capped at Max.
func (b Backoff) ceiling(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		if d > b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// delay draws the wait before the n-th retry with full jitter: uniformly
// from [0, ceiling(n)]. int64n(k) returns a uniform integer in [0, k).
func (b Backoff) delay(n int, int64n func(int64) int64) time.Duration {
	c := b.ceiling(n)
	if c <= 0 {
		return 0
	}
	return time.Duration(int64n(int64(c) + 1))
}

// defaultInt64n is the jitter source Run uses: the runtime's randomly seeded
// generator, safe for concurrent use.
func defaultInt64n(n int64) int64 { return rand.Int64N(n) }
