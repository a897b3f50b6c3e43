// Package localhost is the localhost backend: the executor that runs tasks
// in a warm pool of worker processes of this binary on this machine (the
// default when a job names no executor, executor.go), and the storage that
// keeps objects in a directory of this machine through objstore/dirstore,
// with the localhost_directory resource when create = true (storage*.go).
// Both are what a new user gets with nothing configured.
package localhost
