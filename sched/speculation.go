package sched

import (
	"fmt"
	"time"
)

// Speculation defaults, used when a field of Job.Speculation is zero.
const (
	defaultQuantile   = 0.75
	defaultMultiplier = 2
)

func (s Speculation) withDefaults() Speculation {
	if s.Quantile == 0 {
		s.Quantile = defaultQuantile
	}
	if s.Multiplier == 0 {
		s.Multiplier = defaultMultiplier
	}
	return s
}

func (s Speculation) validate() error {
	if s.Quantile < 0 || s.Quantile > 1 {
		return fmt.Errorf("speculation quantile %v is not within [0, 1]", s.Quantile)
	}
	if s.Multiplier < 1 {
		return fmt.Errorf("speculation multiplier %v is less than 1", s.Multiplier)
	}
	return nil
}

// speculator decides when a running task is a straggler. It keeps the
// durations of finished tasks in two heaps (the lower half as a max-heap,
// the upper half as a min-heap) so the median costs O(log n) per task.
type speculator struct {
	Speculation
	floor time.Duration // no task is a straggler before it ran this long
	lower minHeap[time.Duration]
	upper minHeap[time.Duration]
}

func newSpeculator(s Speculation, floor time.Duration) *speculator {
	return &speculator{
		Speculation: s,
		floor:       floor,
		lower:       minHeap[time.Duration]{less: func(a, b time.Duration) bool { return a > b }},
		upper:       minHeap[time.Duration]{less: func(a, b time.Duration) bool { return a < b }},
	}
}

// add records the duration of a task that finished successfully.
func (s *speculator) add(d time.Duration) {
	if s.lower.len() == 0 || d <= s.lower.top() {
		s.lower.push(d)
	} else {
		s.upper.push(d)
	}
	switch {
	case s.lower.len() > s.upper.len()+1:
		s.upper.push(s.lower.pop())
	case s.upper.len() > s.lower.len():
		s.lower.push(s.upper.pop())
	}
}

// median of the recorded durations; zero when there are none.
func (s *speculator) median() time.Duration {
	switch {
	case s.lower.len() == 0:
		return 0
	case s.lower.len() > s.upper.len():
		return s.lower.top()
	default:
		return (s.lower.top() + s.upper.top()) / 2
	}
}

// active reports whether enough tasks are done to look for stragglers.
func (s *speculator) active(done, total int) bool {
	return done > 0 && float64(done) >= s.Quantile*float64(total)
}

// threshold is how long a task must have run to get a duplicate:
// Multiplier × the median, and at least the floor.
func (s *speculator) threshold() time.Duration {
	return max(time.Duration(s.Multiplier*float64(s.median())), s.floor)
}
