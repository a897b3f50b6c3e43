package s3

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lithops/objstore"
	"lithops/objstore/faults"
	"lithops/objstore/storetest"
)

// testPartSize is small so that multipart uploads are cheap to test;
// gofakes3, unlike AWS, accepts parts under 5 MiB.
const testPartSize = 256 << 10

var testRetry = objstore.Retry{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// fakeS3 starts gofakes3 over memory on 127.0.0.1.
func fakeS3(t testing.TB) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(gofakes3.New(s3mem.New()).Server())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // gofakes3 writes a header twice on some errors
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

var buckets atomic.Int64

// testStore returns a store over a new bucket at endpoint; create says
// whether to create the bucket.
func testStore(t testing.TB, endpoint string, create bool) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{
		Bucket:          fmt.Sprintf("lithops-test-%d", buckets.Add(1)),
		Region:          "us-east-1",
		Endpoint:        endpoint,
		ForcePathStyle:  true,
		AccessKeyID:     "test-key",
		SecretAccessKey: "test-secret",
		PartSize:        testPartSize,
		ListPageSize:    3,
		Retry:           testRetry,
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
	endpoint := fakeS3(t)
	storetest.Run(t, storetest.Harness{
		New:                   func(t *testing.T) objstore.Store { return testStore(t, endpoint, true) },
		Absent:                func(t *testing.T) objstore.Store { return testStore(t, endpoint, false) },
		PartSize:              testPartSize,
		RemoveRefusesNonEmpty: true,
	})
}

func TestPartition(t *testing.T) {
	storetest.Partition(t, testStore(t, fakeS3(t), true), 3, 20)
}

func TestFaults(t *testing.T) {
	p, err := faults.New(fakeS3(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	xmlErr := func(code, msg string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message><RequestId>fault</RequestId></Error>`
	}
	xml := map[string][]string{"Content-Type": {"application/xml"}}
	storetest.Faults(t, storetest.FaultHarness{
		Proxy:    p,
		Store:    testStore(t, p.URL(), true),
		Attempts: testRetry.MaxAttempts,
		PartSize: testPartSize,
		Transient: []faults.Rule{
			{Name: "503 SlowDown", Status: 503, Header: xml, Body: xmlErr("SlowDown", "Please reduce your request rate.")},
			{Name: "429", Status: 429},
			{Name: "500 InternalError", Status: 500, Header: xml, Body: xmlErr("InternalError", "We encountered an internal error.")},
			{Name: "reset", Reset: true},
		},
		Extra: []storetest.Fault{
			{Op: "put large", Rule: faults.Rule{Name: "UploadPart 503", Status: 503, Header: xml, Body: xmlErr("SlowDown", "Slow down."), Times: 3,
				Match: faults.All(faults.Method("PUT"), faults.HasQuery("partNumber"))}},
			{Op: "put large", Rule: faults.Rule{Name: "CompleteMultipartUpload reset", Reset: true, Times: 1,
				Match: faults.All(faults.Method("POST"), faults.HasQuery("uploadId"))}},
		},
	})
}

func TestEmptyDeletesEverything(t *testing.T) {
	s := testStore(t, fakeS3(t), true)
	for i := range 7 {
		storetest.Put(t, s, fmt.Sprintf("k/%d", i), []byte("x"))
	}
	storetest.Put(t, s, "k/0", []byte("second version"))
	ctx := context.Background()
	if _, err := s.Empty(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := storetest.Keys(t, s, ""); len(keys) != 0 {
		t.Errorf("left %q", keys)
	}
	if err := s.Remove(ctx); err != nil {
		t.Errorf("remove after empty: %v", err)
	}
}
