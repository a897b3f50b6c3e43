// Package bucketres is the bucket resource the storage backends share
// (s3_bucket, gcs_bucket, azure_blob_container, localhost_directory): Read
// reports a bucket deleted outside lithops as Gone, Create refuses to adopt
// a bucket that already exists, Delete removes only an empty bucket unless
// force_destroy, which deletes the objects first. `lifecycle {
// prevent_destroy = true }` is the core's to honour, before it calls Delete;
// this package never sees it. A backend supplies a Kind: the type name, its
// attributes, and how to open the bucket a value names.
package bucketres
