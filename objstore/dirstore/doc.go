// Package dirstore is an objstore.Store over a local directory, the storage
// of the localhost backend: keys map to paths under the root (keys that
// would escape it are refused), writes are atomic (a temporary file, fsync,
// rename), and listings come back in key order as a bucket's would. Entry
// point: New.
package dirstore
