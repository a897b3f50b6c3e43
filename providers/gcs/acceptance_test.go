package gcs

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"lithops/objstore"
	"lithops/objstore/storetest"
)

// TestAcceptanceGCP runs the conformance and partition suites against real
// Cloud Storage with Application Default Credentials. It creates (and
// removes) buckets named lithops-acc-<time>-<n> in LITHOPS_ACC_GCP_PROJECT.
//
//	LITHOPS_ACC_GCP=1 LITHOPS_ACC_GCP_PROJECT=my-project go test -run Acceptance ./providers/gcs/
func TestAcceptanceGCP(t *testing.T) {
	project := os.Getenv("LITHOPS_ACC_GCP_PROJECT")
	if os.Getenv("LITHOPS_ACC_GCP") != "1" || project == "" {
		t.Skip("acceptance test against real Google Cloud Storage (creates and deletes buckets): set LITHOPS_ACC_GCP=1, LITHOPS_ACC_GCP_PROJECT and Application Default Credentials")
	}
	ctx := context.Background()
	stamp := time.Now().UTC().Format("20060102-150405")
	n := 0
	store := func(t *testing.T, create bool) objstore.Store {
		n++
		s, err := New(ctx, Options{Bucket: fmt.Sprintf("lithops-acc-%s-%d", stamp, n), Project: project, Location: "US", ChunkSize: 256 << 10})
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
		PartSize:              256 << 10,
		RemoveRefusesNonEmpty: true,
	})
	t.Run("Partition", func(t *testing.T) { storetest.Partition(t, store(t, true), 11, 3) })
}
