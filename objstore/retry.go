package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

// Retry is how a store retries transient failures (throttling, server
// errors, connection resets): up to MaxAttempts attempts in all, waiting
// between them a random delay in [0, min(MaxDelay, BaseDelay·2^n)) ("full
// jitter", so that many clients throttled at once spread out). Backends map
// it onto their SDK's own retryer where the SDK has one.
type Retry struct {
	// MaxAttempts counts the first attempt; 1 means no retry.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// DefaultRetry suits a job's storage traffic: 8 attempts spread over up to
// about a minute, enough to ride out a burst of S3 SlowDown or GCS 429
// without failing the job, short enough that an outage is reported.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: 8, BaseDelay: 250 * time.Millisecond, MaxDelay: 20 * time.Second}
}

// Attempts is MaxAttempts, at least 1.
func (r Retry) Attempts() int { return max(1, r.MaxAttempts) }

// Backoff is the upper bound of the wait before retry number n (1 for the
// first retry): min(MaxDelay, BaseDelay·2^(n-1)).
func (r Retry) Backoff(n int) time.Duration {
	d := r.BaseDelay
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	if r.MaxDelay > 0 && d > r.MaxDelay {
		d = r.MaxDelay
	}
	return max(d, 0)
}

// Delay draws the wait before retry number n: uniform in [0, Backoff(n)).
func (r Retry) Delay(n int) time.Duration {
	b := r.Backoff(n)
	if b <= 0 {
		return 0
	}
	return rand.N(b)
}

// Do runs op until it succeeds, fails with an error that transient does not
// accept, the attempts run out, or ctx is done. The error after the last
// attempt says how many were made and wraps op's last error.
func (r Retry) Do(ctx context.Context, transient func(error) bool, op func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if !transient(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= r.Attempts() {
			return &RetriesExhaustedError{Attempts: attempt, Err: err}
		}
		if serr := Sleep(ctx, r.Delay(attempt)); serr != nil {
			return fmt.Errorf("%w while retrying after attempt %d: %w", serr, attempt, err)
		}
	}
}

// RetriesExhaustedError is returned when every attempt failed transiently.
type RetriesExhaustedError struct {
	Attempts int
	Err      error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("giving up after %d attempts: %v", e.Attempts, e.Err)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.Err }

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TransientNetError reports whether err is a network failure worth retrying:
// a connection reset, refused or aborted, a broken pipe, a timeout, or a
// response body cut short. Context cancellation is not transient.
func TransientNetError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// TransientStatus reports whether an HTTP status is worth retrying: request
// timeout, throttling (429) and server errors.
func TransientStatus(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}
