// Package storetest is the conformance suite every objstore.Store passes:
// the directory store and the S3, GCS and Azure Blob backends each run it
// against their test server (Run), with property tests of the partitioner
// over objects (Partition) and fault injection through a faults.Proxy
// (Faults). A backend's test supplies a Harness that makes fresh stores.
package storetest
