// Package objstore is the object storage contract that job payloads, outputs,
// logs and partitioned inputs go through, whatever the backend: a local
// directory, S3 and S3-compatible stores, Google Cloud Storage or Azure Blob.
// Backends live under providers/; this package holds the interface, the key
// layout (layout.go) and the helpers every backend shares.
package objstore
