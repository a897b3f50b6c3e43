package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lithops/objstore/faults"
)

// The scan benchmark's object and the cap on each response's throughput
// of its second variant.
const (
	scanBucket = "bench"
	scanKey    = "scan/lines.txt"
	scanChunks = 8
	// scanCap is what one S3 GET typically sustains (about 100 MiB/s); the
	// capped variant holds every response to it.
	scanCap = 100 << 20
)

// s3Server is an S3 endpoint for the scan benchmark: gofakes3 in this
// process, holding one object of text lines in memory once Load has put it
// there. Until then the bucket is empty, so that the harness's own memory
// stays small: a child's ru_maxrss counts its parent's resident memory
// until the child execs, which would show a 1 GiB object in every other
// benchmark's memory figures.
type s3Server struct {
	// URL is the server's; CappedURL serves the same store with each
	// response held to CapRate bytes a second.
	URL, CappedURL string
	CapRate        int64
	// Size and Lines describe the object.
	Size, Lines int64

	srv     *httptest.Server
	capped  *faults.Proxy
	backend *s3mem.Backend
	block   []byte
	loaded  bool
}

func (s *s3Server) Close() {
	s.capped.Close()
	s.srv.Close()
}

// Load puts the object into the bucket, once.
func (s *s3Server) Load() error {
	if s.loaded || s.backend == nil {
		return nil
	}
	reps := s.Size / int64(len(s.block))
	parts := make([]io.Reader, reps)
	for i := range parts {
		parts[i] = bytes.NewReader(s.block)
	}
	if _, err := s.backend.PutObject(scanBucket, scanKey, map[string]string{}, io.MultiReader(parts...), s.Size, nil); err != nil {
		return fmt.Errorf("put the scan object: %w", err)
	}
	s.loaded = true
	return nil
}

// startS3 serves an empty bucket where Load puts an object of about size
// bytes of text lines (1 to 200 random letters, each ending with a
// newline).
func startS3(size, capRate int64) (*s3Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(scanBucket); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var block bytes.Buffer
	for block.Len() < 1<<20 {
		for range 1 + rng.IntN(200) {
			block.WriteByte(byte('a' + rng.IntN(26)))
		}
		block.WriteByte('\n')
	}
	reps := max(1, size/int64(block.Len()))
	srv := httptest.NewUnstartedServer(gofakes3.New(backend).Server())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	p, err := faults.New(srv.URL)
	if err != nil {
		srv.Close()
		return nil, err
	}
	p.SetBandwidth(capRate)
	return &s3Server{URL: srv.URL, CappedURL: p.URL(), srv: srv, capped: p, CapRate: capRate,
		Size: reps * int64(block.Len()), Lines: reps * int64(bytes.Count(block.Bytes(), []byte{'\n'})),
		backend: backend, block: block.Bytes()}, nil
}

// scanBenchmarks count the object's lines with lithops (a partitioned scan,
// one task per chunk) and with one `curl | wc -l` stream, straight from the
// server and with each response capped.
func scanBenchmarks(t tools) []*Benchmark {
	ids := []string{"scan/s3", "scan/s3/capped"}
	if t.S3 == nil {
		why := t.S3Skip
		if why == "" {
			why = "no S3 server"
		}
		var out []*Benchmark
		for _, id := range ids {
			out = append(out, &Benchmark{ID: id, Section: Scan, Workload: "s3scan", Skip: why})
		}
		return out
	}
	hcl, err := scenario("scan-s3.hcl")
	if err != nil {
		return []*Benchmark{{ID: ids[0], Section: Scan, Workload: "s3scan", Skip: err.Error()}}
	}
	hcl = strings.NewReplacer("CHUNKS", strconv.Itoa(scanChunks), "KEY", scanKey).Replace(hcl)
	_, curlErr := exec.LookPath("curl")
	var out []*Benchmark
	for i, endpoint := range []string{t.S3.URL, t.S3.CappedURL} {
		b := &Benchmark{ID: ids[i], Section: Scan, Workload: "s3scan", Size: int(t.S3.Size), Capped: i == 1, Before: t.S3.Load}
		want := strconv.FormatInt(t.S3.Lines, 10)
		lithops := &Tool{
			Name:  "lithops",
			Label: fmt.Sprintf("lithops, %d chunks", scanChunks),
			Files: map[string]string{"main.hcl": hcl},
			Steps: []Step{{
				Name: "run",
				Argv: []string{t.Lithops, "apply", "-auto-approve", "-no-tui", "-json", "-var", "endpoint=" + endpoint},
				Env: []string{"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_EC2_METADATA_DISABLED=true",
					"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"},
				Check: checkScan(want),
			}},
		}
		stream := &Tool{
			Name:  "stream",
			Label: "one stream: curl, wc -l",
			Steps: []Step{{
				Name:  "run",
				Argv:  []string{"/bin/sh", "-c", `curl -sSf "$0" | wc -l`, endpoint + "/" + scanBucket + "/" + scanKey},
				Check: checkStdout(want),
			}},
		}
		if curlErr != nil {
			stream.Skip = "curl is not installed: " + curlErr.Error()
		}
		b.Tools = []*Tool{lithops, stream}
		out = append(out, b)
	}
	return out
}

// checkScan verifies the scan job finished without failures and its output
// is the object's line count.
func checkScan(lines string) func(*Outcome) error {
	return func(o *Outcome) error {
		ev, err := readEventsFile(o.Stdout)
		if err != nil {
			return err
		}
		if !ev.Finished || ev.Error != "" || ev.Failed != 0 {
			return fmt.Errorf("apply did not finish cleanly: %d failed, %q", ev.Failed, ev.Error)
		}
		if got := ev.Outputs["lines"]; got != strconv.Quote(lines) {
			return fmt.Errorf("counted %s lines, want %s", got, lines)
		}
		o.JobPhase = ev.JobPhase
		return nil
	}
}

// checkStdout verifies standard output, spaces trimmed, is want.
func checkStdout(want string) func(*Outcome) error {
	return func(o *Outcome) error {
		b, err := os.ReadFile(o.Stdout)
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(b)); got != want {
			return fmt.Errorf("printed %q, want %q", got, want)
		}
		return nil
	}
}
