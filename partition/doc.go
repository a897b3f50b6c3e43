// Package partition splits a file or object into chunks for a map job's
// tasks: nominal byte ranges by chunk_size or chunk_count (Plan), and, when
// the job asks for newline-aligned chunks, the exact boundaries that keep
// every line whole (Resolve). Chunks of one source, concatenated, equal the
// source byte for byte; with Newline no line is split, lost or doubled,
// whatever the line endings or line lengths. It reads through Source, which a
// local file and every object store provide.
package partition
