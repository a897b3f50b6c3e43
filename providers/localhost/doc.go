// Package localhost is the localhost backend: the executor that runs tasks
// in a warm pool of worker processes on this machine (the default when a job
// names no executor), and the storage that keeps objects in a local
// directory. Both are what a new user gets with nothing configured.
package localhost
