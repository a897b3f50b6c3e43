package azblob

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"lithops/objstore"
	"lithops/objstore/storetest"
)

// TestAcceptanceAzure runs the conformance and partition suites against a
// real storage account, LITHOPS_ACC_AZURE_ACCOUNT, with
// DefaultAzureCredential (or AZURE_STORAGE_KEY, the account key, when set).
// It creates (and removes) containers named lithops-acc-<time>-<n>.
//
//	LITHOPS_ACC_AZURE=1 LITHOPS_ACC_AZURE_ACCOUNT=myaccount go test -run Acceptance ./providers/azblob/
func TestAcceptanceAzure(t *testing.T) {
	account := os.Getenv("LITHOPS_ACC_AZURE_ACCOUNT")
	if os.Getenv("LITHOPS_ACC_AZURE") != "1" || account == "" {
		t.Skip("acceptance test against real Azure Blob Storage (creates and deletes containers): set LITHOPS_ACC_AZURE=1, LITHOPS_ACC_AZURE_ACCOUNT, and credentials for DefaultAzureCredential or AZURE_STORAGE_KEY")
	}
	ctx := context.Background()
	stamp := time.Now().UTC().Format("20060102-150405")
	n := 0
	store := func(t *testing.T, create bool) objstore.Store {
		n++
		s, err := New(ctx, Options{Account: account, AccountKey: os.Getenv("AZURE_STORAGE_KEY"),
			Container: fmt.Sprintf("lithops-acc-%s-%d", stamp, n), BlockSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if ok, _ := s.Exists(ctx); ok {
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
		New:      func(t *testing.T) objstore.Store { return store(t, true) },
		Absent:   func(t *testing.T) objstore.Store { return store(t, false) },
		PartSize: 1 << 20,
	})
	t.Run("Partition", func(t *testing.T) { storetest.Partition(t, store(t, true), 11, 3) })
}
