// Package objstore is the object storage contract that job payloads, outputs,
// logs and partitioned inputs go through, whatever the backend: a local
// directory (objstore/dirstore), S3 and S3-compatible stores, Google Cloud
// Storage or Azure Blob (providers/s3, gcs, azblob). Besides the interface
// (store.go) it holds what every backend and caller shares: the key layout
// (layout.go: where lithops keeps its objects, see docs/STORAGE.md), the
// retry policy (retry.go) and resuming reads (resume.go), version-pinned
// ranged reads (version.go), objects as partition sources (source.go) and
// the expansion of prefix, key list or glob inputs (expand.go). Its
// subpackages test backends: storetest (the conformance, partition and fault
// suites) and faults (a fault-injecting HTTP proxy).
package objstore
