// Package azblob is the `azure_blob` storage backend: a container of an
// Azure Storage account, on the azblob SDK. Store (storage_store.go)
// implements objstore.Store and objstore.Bucket with block uploads for large
// objects, ETag-pinned ranged reads that resume after a reset, and the SDK's
// retry policy tuned for throttling; Backend (storage.go) is the
// providers.StorageBackend with the `azure_blob_container` resource.
// Credentials: a connection string or account key from sensitive attributes,
// otherwise DefaultAzureCredential (environment, workload and managed
// identity, Azure CLI).
package azblob
