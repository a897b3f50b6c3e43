package gcs

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"lithops/objstore"
	"lithops/objstore/faults"
	"lithops/objstore/storetest"
)

// testChunkSize is the smallest chunk the resumable protocol allows.
const testChunkSize = 256 << 10

var testRetry = objstore.Retry{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// fakeGCS starts fake-gcs-server on 127.0.0.1.
func fakeGCS(t testing.TB) string {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv.URL()
}

var buckets atomic.Int64

func testStore(t testing.TB, endpoint string, create bool) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{
		Bucket:       fmt.Sprintf("lithops-test-%d", buckets.Add(1)),
		Project:      "test-project",
		Endpoint:     endpoint,
		Anonymous:    true,
		ChunkSize:    testChunkSize,
		ListPageSize: 3,
		Retry:        testRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	if create {
		if err := s.Create(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestConformance(t *testing.T) {
	endpoint := fakeGCS(t)
	storetest.Run(t, storetest.Harness{
		New:                   func(t *testing.T) objstore.Store { return testStore(t, endpoint, true) },
		Absent:                func(t *testing.T) objstore.Store { return testStore(t, endpoint, false) },
		PartSize:              testChunkSize,
		RemoveRefusesNonEmpty: true,
	})
}

func TestPartition(t *testing.T) {
	storetest.Partition(t, testStore(t, fakeGCS(t), true), 5, 20)
}

func TestFaults(t *testing.T) {
	p, err := faults.New(fakeGCS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	jsonErr := func(code int, reason, msg string) string {
		return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"errors":[{"reason":%q,"message":%q}]}}`, code, msg, reason, msg)
	}
	js := map[string][]string{"Content-Type": {"application/json"}}
	storetest.Faults(t, storetest.FaultHarness{
		Proxy:    p,
		Store:    testStore(t, p.URL(), true),
		Attempts: testRetry.MaxAttempts,
		PartSize: testChunkSize,
		Transient: []faults.Rule{
			{Name: "429 rateLimitExceeded", Status: 429, Header: js, Body: jsonErr(429, "rateLimitExceeded", "The rate of change requests to the object is too high.")},
			{Name: "503 backendError", Status: 503, Header: js, Body: jsonErr(503, "backendError", "Backend Error")},
			{Name: "500", Status: 500},
			{Name: "reset", Reset: true},
		},
		Extra: []storetest.Fault{
			// GCS names the session in an upload_id parameter, fake-gcs-server
			// in the path.
			{Op: "put large", Rule: faults.Rule{Name: "resumable chunk 503", Status: 503, Times: 2,
				Match: faults.All(faults.Method("POST", "PUT"), faults.Any(faults.HasQuery("upload_id"), faults.PathContains("/upload/resumable/")))}},
			{Op: "put large", Rule: faults.Rule{Name: "resumable chunk reset", Reset: true, Times: 2,
				Match: faults.All(faults.Method("POST", "PUT"), faults.Any(faults.HasQuery("upload_id"), faults.PathContains("/upload/resumable/")))}},
		},
	})
}
