package main

import (
	"slices"
	"time"
)

// Summary is the median, min and max of one figure over several runs.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// summarize summarizes values; the median of an even count is the mean of
// the middle two.
func summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return Summary{Median: med, Min: v[0], Max: v[n-1], N: n}
}

// seconds maps samples to one duration figure in seconds.
func seconds(samples []Sample, f func(Sample) time.Duration) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = f(s).Seconds()
	}
	return out
}

// bytesOf maps samples to one size figure.
func bytesOf(samples []Sample, f func(Sample) int64) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = float64(f(s))
	}
	return out
}
