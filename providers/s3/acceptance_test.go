package s3

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"lithops/objstore"
	"lithops/objstore/storetest"
)

// TestAcceptanceAWS runs the conformance and partition suites against real
// S3. It creates (and removes) buckets named lithops-acc-<time>-<n>.
//
//	LITHOPS_ACC_AWS=1 AWS_REGION=eu-west-1 go test -run Acceptance ./providers/s3/
func TestAcceptanceAWS(t *testing.T) {
	if os.Getenv("LITHOPS_ACC_AWS") != "1" {
		t.Skip("acceptance test against real AWS S3 (creates and deletes buckets): set LITHOPS_ACC_AWS=1, AWS credentials through the SDK's usual chain, and AWS_REGION")
	}
	ctx := context.Background()
	stamp := time.Now().UTC().Format("20060102-150405")
	n := 0
	store := func(t *testing.T, create bool) objstore.Store {
		n++
		s, err := New(ctx, Options{Bucket: fmt.Sprintf("lithops-acc-%s-%d", stamp, n), PartSize: 5 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if ok, _ := s.Exists(ctx); ok {
				if _, err := s.Empty(ctx); err != nil {
					t.Errorf("empty %s: %v", s, err)
				}
				if err := s.Remove(ctx); err != nil {
					t.Errorf("remove %s: %v", s, err)
				}
			}
		})
		if create {
			if err := s.Create(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	storetest.Run(t, storetest.Harness{
		New:                   func(t *testing.T) objstore.Store { return store(t, true) },
		Absent:                func(t *testing.T) objstore.Store { return store(t, false) },
		PartSize:              5 << 20,
		RemoveRefusesNonEmpty: true,
	})
	t.Run("Partition", func(t *testing.T) { storetest.Partition(t, store(t, true), 11, 3) })
}
