package sched

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRunPropertyExactlyOnce runs many random jobs against a dispatcher
// that misbehaves at random (failures, lost hosts, hangs, duplicate and
// unknown reports, capacity that comes and goes, stops at random times)
// and checks the invariants that must hold whatever happens. A failing seed
// is reproduced with -run 'TestRunPropertyExactlyOnce/seed=N'; goroutine
// interleavings vary, the choices of the job and dispatcher do not.
func TestRunPropertyExactlyOnce(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 60
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { checkRandomRun(t, seed) })
		})
	}
}

func checkRandomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	n := 1 + rng.IntN(40)
	job := &Job{
		Name:       "random",
		Tasks:      newTasks(n),
		ChunkSize:  rng.IntN(4),
		Retries:    rng.IntN(3),
		MaxWorkers: rng.IntN(5),
		Backoff:    Backoff{Base: 100 * time.Millisecond, Max: time.Second},
	}
	if rng.IntN(2) == 0 {
		job.Speculation = &Speculation{Quantile: 0.3 + 0.6*rng.Float64(), Multiplier: 1.5 + 1.5*rng.Float64()}
	}
	if rng.IntN(2) == 0 {
		for i := range job.Tasks {
			job.Tasks[i].Timeout = 30 * time.Second
		}
	}
	// Capacity cycles through up to six 5s periods; the first has a slot,
	// so it is never 0 for the minute that fails a job.
	caps := make([]int, 1+rng.IntN(6))
	for i := range caps {
		caps[i] = rng.IntN(6)
	}
	caps[0] = max(caps[0], 1)
	start := time.Now()
	capacity := func() int { return caps[int(time.Since(start)/(5*time.Second))%len(caps)] }

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stopAt := time.Duration(math.MaxInt64)
	if rng.IntN(4) == 0 {
		stopAt = time.Duration(rng.Int64N(int64(30 * time.Second)))
		time.AfterFunc(stopAt, cancel)
	}

	var mu sync.Mutex
	inFlight := 0
	d := &fakeDispatcher{
		CapacityFn: capacity,
		RunFn: func(ctx context.Context, inv *Invocation, report func(Result)) error {
			mu.Lock()
			if c := capacity(); inFlight >= c {
				t.Errorf("invocation started with %d in flight, capacity %d", inFlight, c)
			}
			if m := job.MaxWorkers; m > 0 && inFlight >= m {
				t.Errorf("invocation started with %d in flight, max workers %d", inFlight, m)
			}
			inFlight++
			mu.Unlock()
			defer func() {
				mu.Lock()
				inFlight--
				mu.Unlock()
			}()
			// Each invocation's choices depend only on the seed and what it runs.
			r := rand.New(rand.NewPCG(seed, uint64(inv.Tasks[0].Index)<<32|uint64(inv.Tasks[0].Attempt)))
			lostAfter := -1 // report this many tasks, then fail
			if r.IntN(10) == 0 {
				lostAfter = r.IntN(len(inv.Tasks) + 1)
			}
			for k, task := range inv.Tasks {
				if k == lostAfter {
					if r.IntN(4) == 0 {
						return nil // returns without reporting the rest
					}
					return errHostLost
				}
				took := time.Duration(r.Int64N(int64(3 * time.Second)))
				if r.IntN(20) == 0 {
					took = 1000 * time.Second // hangs: speculation, overdue or stop end it
				}
				if !sleep(ctx, took) {
					switch r.IntN(4) {
					case 0:
						report(Result{Index: task.Index})
					case 1:
						// reports nothing
					default:
						report(Result{Index: task.Index, ExitCode: -1, Signal: "SIGTERM"})
					}
					return ctx.Err()
				}
				res := Result{Index: task.Index}
				if r.IntN(5) == 0 {
					res.ExitCode = 1 + r.IntN(3)
					res.Stderr = []byte("failed\n")
				}
				if r.IntN(20) == 0 {
					report(Result{Index: 1000 + task.Index}) // not in the invocation
				}
				report(res)
				if r.IntN(20) == 0 {
					report(res) // twice
				}
			}
			return nil
		},
	}

	rec := newRecorder()
	sum, err := run(ctx, d, job, rec.hooks(), testOptions())

	// The summary accounts for every task and nothing runs afterwards.
	if s := sum.Done + sum.Running + sum.Failed + sum.Queued; s != n || sum.Running != 0 {
		t.Errorf("summary %+v: sum %d, want %d with nothing running", sum, s, n)
	}
	if err != nil && (strings.Contains(err.Error(), "dispatch failed") || strings.Contains(err.Error(), "no worker capacity")) {
		t.Errorf("unexpected give-up: %v", err)
	}

	// At most one final per task, exactly one unless stopped, and none
	// followed by other results of the task.
	finals := map[int]Result{}
	final := map[int]bool{}
	attempts := map[int]map[int]bool{}
	failedCalls := map[int]int{}
	done, failed := 0, 0
	for _, c := range rec.calls {
		if final[c.Index] {
			t.Errorf("task %d: result %+v after its final one", c.Index, c)
		}
		if attempts[c.Index] == nil {
			attempts[c.Index] = map[int]bool{}
		}
		if attempts[c.Index][c.Attempt] {
			t.Errorf("task %d: attempt %d reported twice", c.Index, c.Attempt)
		}
		attempts[c.Index][c.Attempt] = true
		if c.Index < 0 || c.Index >= n {
			t.Errorf("result for unknown task %d", c.Index)
		}
		if !c.OK {
			failedCalls[c.Index]++
		}
		if c.Final {
			final[c.Index] = true
			finals[c.Index] = Result{}
			if c.OK {
				done++
			} else {
				failed++
				if c.At >= stopAt {
					t.Errorf("task %d: final failure %+v after the stop at %v", c.Index, c, stopAt)
				}
				if failedCalls[c.Index] < job.Retries+1 {
					t.Errorf("task %d failed for good after %d failed attempts, retries %d", c.Index, failedCalls[c.Index], job.Retries)
				}
			}
		}
	}
	if done != sum.Done || failed != sum.Failed {
		t.Errorf("finals: %d done, %d failed; summary %+v", done, failed, sum)
	}
	if !sum.Stopped && len(finals) != n {
		t.Errorf("%d of %d tasks got a final result without a stop", len(finals), n)
	}

	// The error says what happened.
	if sum.Stopped != errors.Is(err, context.Canceled) {
		t.Errorf("stopped %v but error %v", sum.Stopped, err)
	}
	if sum.Failed > 0 {
		lowest := n
		for i := range final {
			if c := lastCall(rec.calls, i); !c.OK && i < lowest {
				lowest = i
			}
		}
		if want := fmt.Sprintf("first: task %d ", lowest); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
	if sum.Failed == 0 && !sum.Stopped && err != nil {
		t.Errorf("unexpected error: %v", err)
	}

	// Every progress call accounts for every task; the last is the summary.
	for i, p := range rec.progress {
		if s := p.Done + p.Running + p.Failed + p.Queued; s != n {
			t.Errorf("progress %d: %+v sums to %d, want %d", i, p, s, n)
		}
	}
	if len(rec.progress) > 0 && rec.progress[len(rec.progress)-1] != sum.Progress {
		t.Errorf("last progress %+v, summary %+v", rec.progress[len(rec.progress)-1], sum.Progress)
	}
	if t.Failed() {
		t.Logf("job: %d tasks, chunk %d, retries %d, max workers %d, speculation %v, capacity %v; summary %+v",
			n, job.ChunkSize, job.Retries, job.MaxWorkers, job.Speculation, caps, sum)
	}
}

// lastCall is the last result reported for task index.
func lastCall(calls []call, index int) call {
	var last call
	for _, c := range calls {
		if c.Index == index {
			last = c
		}
	}
	return last
}
