//go:build race

package worker

// raceEnabled: the race detector makes sync.Pool drop buffers on purpose,
// so allocation bounds do not hold.
const raceEnabled = true
