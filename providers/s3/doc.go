// Package s3 is the `s3` storage backend: AWS S3 and every S3-compatible
// store (IBM COS, MinIO, Ceph) through `endpoint` and `force_path_style`,
// on aws-sdk-go-v2. Store (storage_store.go) implements objstore.Store and
// objstore.Bucket with multipart uploads, ranged reads that resume after a
// reset, and the SDK's standard retryer tuned for throttling; Backend
// (storage.go) is the providers.StorageBackend with the `s3_bucket` resource.
// Credentials come from the SDK's chain (profiles, environment, instance
// roles) or from the block's sensitive access key attributes.
package s3
