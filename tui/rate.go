package tui

import "time"

// rate estimates a job's throughput from its progress events. It measures on
// the job's own elapsed time (JobProgress.Elapsed), not the wall clock, so
// the same events always give the same figures.
type rate struct {
	// Samples are (elapsed, done) pairs at least sampleEvery apart covering
	// about the last window; Last is the latest progress.
	Samples []sample
	Last    sample
}

type sample struct {
	At   time.Duration
	Done int
}

const (
	sampleEvery = 250 * time.Millisecond
	window      = 10 * time.Second
)

// add records the done count at elapsed time at.
func (r *rate) add(at time.Duration, done int) {
	r.Last = sample{at, done}
	n := len(r.Samples)
	if n > 0 && at-r.Samples[n-1].At < sampleEvery {
		return
	}
	r.Samples = append(r.Samples, r.Last)
	drop := 0
	for drop < len(r.Samples)-1 && at-r.Samples[drop+1].At >= window {
		drop++
	}
	if drop > 0 {
		r.Samples = append(r.Samples[:0], r.Samples[drop:]...)
	}
}

// perSecond is the throughput over about the last window in tasks per
// second, or the average since the start while less than a second was
// measured; 0 when unknown. elapsed is the job's elapsed time now: when it
// is past the last progress, the time without progress counts, so a stalled
// job's rate falls instead of freezing.
func (r *rate) perSecond(done int, elapsed time.Duration) float64 {
	if len(r.Samples) > 0 {
		first := r.Samples[0]
		end := max(r.Last.At, elapsed)
		if span := end - first.At; span >= time.Second {
			return float64(r.Last.Done-first.Done) / span.Seconds()
		}
	}
	if elapsed <= 0 {
		return 0
	}
	return float64(done) / elapsed.Seconds()
}

// eta is the time left for remaining tasks at the given rate; ok is false
// when it cannot be told.
func eta(remaining int, perSecond float64) (time.Duration, bool) {
	if remaining <= 0 || perSecond <= 0 {
		return 0, false
	}
	return time.Duration(float64(remaining) / perSecond * float64(time.Second)), true
}
