// Package state records what lithops created and what its jobs produced: the
// resources (buckets, runtimes, VM fleets, worker bootstraps) with their
// attributes, each job's last run with one record per task (input digest,
// output reference, log, exit code), and the root outputs. Package plan reads
// it to decide what to create, replace or delete and which tasks can reuse a
// stored output; package apply writes it.
//
// The state lives in one versioned JSON file (see FORMAT.md) written
// atomically with one backup (Read, Write), guarded by a lock file that a
// second run reports as ErrLocked (Acquire). While apply runs, progress goes
// to an append-only journal next to the state (OpenJournal), one line per
// finished resource or task, so a killed run loses nothing and no task
// rewrites the whole file; Recover folds a journal left behind into the state.
// The usual sequence is Acquire, Recover, plan, OpenJournal, record,
// Journal.Commit, Lock.Release. The package holds no cty values: resource
// attributes and output values are JSON that the engine converts with the
// provider's schema.
package state
