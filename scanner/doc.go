// Package scanner owns sources, the engine and findings.
//
// A Source produces Chunks (bytes plus provenance: path, line, commit,
// author); it knows nothing about rules. The Engine runs one producer
// goroutine that drives the source, Workers goroutines that each run the
// detectors.Matcher over a chunk, and one collector that gathers findings,
// counts skipped and unreadable items and deduplicates. Only this package
// starts goroutines; every send selects on the context, so cancelling it
// stops a scan promptly. Per-item errors (an unreadable file) are counted
// and reported, never fatal; an error from the source itself is.
//
// Memory is bounded by construction: files are read in chunks of
// DefaultChunkSize with a ChunkOverlap tail, and at most 2×Workers chunks
// are in flight.
//
// Baselines and path allowlists live here too: baselines key on the
// secret's fingerprint and file, never the line.
package scanner
