package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
)

// flaky serves data, cutting each of the first bodies short after cut bytes
// with a connection reset.
type flaky struct {
	data  []byte
	cuts  int
	cut   int64
	opens []string
}

func (f *flaky) open(_ context.Context, off, n int64) (io.ReadCloser, error) {
	f.opens = append(f.opens, fmt.Sprintf("%d+%d", off, n))
	body := f.data[off : off+n]
	if f.cuts > 0 {
		f.cuts--
		return io.NopCloser(io.MultiReader(bytes.NewReader(body[:min(f.cut, n)]), errReader{syscall.ECONNRESET})), nil
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var fast = Retry{MaxAttempts: 3, BaseDelay: 0, MaxDelay: 0}

func TestResumeReadsOnAfterResets(t *testing.T) {
	f := &flaky{data: []byte(strings.Repeat("0123456789", 10)), cuts: 3, cut: 7}
	body, _ := f.open(context.Background(), 10, 80)
	r := Resume(context.Background(), body, f.open, 10, 80, fast, TransientNetError)
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.data[10:90]; !bytes.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if want := "[10+80 17+73 24+66 31+59]"; fmt.Sprint(f.opens) != want {
		t.Errorf("opened %v, want %s", f.opens, want)
	}
}

func TestResumeGivesUp(t *testing.T) {
	f := &flaky{data: []byte(strings.Repeat("x", 100)), cuts: 100, cut: 0}
	body, _ := f.open(context.Background(), 0, 100)
	_, err := io.ReadAll(Resume(context.Background(), body, f.open, 0, 100, fast, TransientNetError))
	var ex *RetriesExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 3 || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v, want giving up after 3 attempts wrapping the reset", err)
	}
}

func TestResumeTreatsShortBodyAsTransient(t *testing.T) {
	data := []byte("abcdefghij")
	opens := 0
	open := func(_ context.Context, off, n int64) (io.ReadCloser, error) {
		opens++
		if opens == 1 {
			return io.NopCloser(bytes.NewReader(data[off : off+2])), nil // ends early, no error
		}
		return io.NopCloser(bytes.NewReader(data[off : off+n])), nil
	}
	body, _ := open(context.Background(), 0, 10)
	got, err := io.ReadAll(Resume(context.Background(), body, open, 0, 10, fast, TransientNetError))
	if err != nil || string(got) != "abcdefghij" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestResumeStopsOnPermanentError(t *testing.T) {
	open := func(context.Context, int64, int64) (io.ReadCloser, error) { return nil, ErrChanged }
	body := io.NopCloser(io.MultiReader(strings.NewReader("ab"), errReader{syscall.ECONNRESET}))
	_, err := io.ReadAll(Resume(context.Background(), body, open, 0, 10, fast, TransientNetError))
	if !errors.Is(err, ErrChanged) {
		t.Errorf("got %v, want ErrChanged", err)
	}
}

func TestRetryBackoff(t *testing.T) {
	r := Retry{MaxAttempts: 8, BaseDelay: 100, MaxDelay: 1000}
	var got []int64
	for n := 1; n <= 6; n++ {
		got = append(got, int64(r.Backoff(n)))
	}
	if want := "[100 200 400 800 1000 1000]"; fmt.Sprint(got) != want {
		t.Errorf("backoffs %v, want %s", got, want)
	}
	for n := 1; n <= 6; n++ {
		if d := r.Delay(n); d < 0 || d >= r.Backoff(n) {
			t.Errorf("delay %d for retry %d outside [0, %d)", d, n, r.Backoff(n))
		}
	}
}

func TestRetryDo(t *testing.T) {
	calls := 0
	err := fast.Do(context.Background(), TransientNetError, func(context.Context) error {
		calls++
		if calls < 3 {
			return syscall.ECONNRESET
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("Do = %v after %d calls, want success after 3", err, calls)
	}
	calls = 0
	err = fast.Do(context.Background(), TransientNetError, func(context.Context) error { calls++; return syscall.ECONNRESET })
	if !strings.Contains(fmt.Sprint(err), "giving up after 3 attempts") || calls != 3 {
		t.Errorf("Do = %v after %d calls, want giving up after 3", err, calls)
	}
	calls = 0
	err = fast.Do(context.Background(), TransientNetError, func(context.Context) error { calls++; return ErrNotExist })
	if !errors.Is(err, ErrNotExist) || calls != 1 {
		t.Errorf("Do = %v after %d calls, want ErrNotExist at once", err, calls)
	}
}
