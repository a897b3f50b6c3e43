package azblob

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"lithops/objstore"
	"lithops/objstore/faults"
	"lithops/objstore/storetest"
)

// testBlockSize is the smallest block UploadStream accepts.
const testBlockSize = 1 << 20

var testRetry = objstore.Retry{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

var containers atomic.Int64

// testStore returns a store over a new container of the Azurite at base.
func testStore(t testing.TB, base string, create bool) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{
		Account:      devAccount,
		AccountKey:   devKey,
		Endpoint:     base + "/" + devAccount,
		Container:    fmt.Sprintf("lithops-test-%d-%d", time.Now().UnixNano()%1e6, containers.Add(1)),
		BlockSize:    testBlockSize,
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
	base := azurite(t)
	storetest.Run(t, storetest.Harness{
		New:      func(t *testing.T) objstore.Store { return testStore(t, base, true) },
		Absent:   func(t *testing.T) objstore.Store { return testStore(t, base, false) },
		PartSize: testBlockSize,
		// Azure deletes a container with its blobs.
		RemoveRefusesNonEmpty: false,
	})
}

func TestPartition(t *testing.T) {
	storetest.Partition(t, testStore(t, azurite(t), true), 7, 20)
}

func TestFaults(t *testing.T) {
	p, err := faults.New(azurite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	xmlErr := func(code, msg string) string {
		return `<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
	}
	hdr := func(code string) map[string][]string {
		return map[string][]string{"Content-Type": {"application/xml"}, "X-Ms-Error-Code": {code}}
	}
	storetest.Faults(t, storetest.FaultHarness{
		Proxy:    p,
		Store:    testStore(t, p.URL(), true),
		Attempts: testRetry.MaxAttempts,
		PartSize: testBlockSize,
		Transient: []faults.Rule{
			{Name: "503 ServerBusy", Status: 503, Header: hdr("ServerBusy"), Body: xmlErr("ServerBusy", "Ingress is over the account limit.")},
			{Name: "500 InternalError", Status: 500, Header: hdr("InternalError"), Body: xmlErr("InternalError", "The server encountered an internal error.")},
			{Name: "429", Status: 429},
			{Name: "reset", Reset: true},
		},
		Extra: []storetest.Fault{
			{Op: "put large", Rule: faults.Rule{Name: "Put Block 503", Status: 503, Header: hdr("ServerBusy"), Body: xmlErr("ServerBusy", "busy"), Times: 3,
				Match: faults.All(faults.Method("PUT"), faults.HasQuery("blockid"))}},
			{Op: "put large", Rule: faults.Rule{Name: "Put Block List reset", Reset: true, Times: 1,
				Match: faults.All(faults.Method("PUT"), faults.HasQuery("comp"), faults.Not(faults.HasQuery("blockid")))}},
		},
	})
}
