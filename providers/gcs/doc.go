// Package gcs is the `gcs` storage backend: Google Cloud Storage through its
// JSON API (google.golang.org/api/storage/v1, about 27 MB lighter in the
// binary than the gRPC-based cloud.google.com/go/storage). Store
// (storage_store.go) implements objstore.Store and objstore.Bucket with
// resumable uploads for large objects, generation-pinned ranged reads that
// resume after a reset, and retries with backoff and jitter on 408, 429, 5xx
// and network errors; Backend (storage.go) is the providers.StorageBackend
// with the `gcs_bucket` resource. Credentials come from Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).
package gcs
