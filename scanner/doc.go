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
// DefaultChunkSize with a ChunkOverlap tail, at most 2×Workers chunks
// are in flight, and the collector keeps at most DefaultAggregateAfter+1
// findings of one rule in one file (the last standing for the rest, with
// a Count) unless asked to keep them all for the inventory.
//
// Nothing that can hold text is skipped: UTF-16 is decoded, other files
// with NUL bytes are read for their printable runs (ChunkReader), and
// only compressed formats are passed over by name. Every preview comes
// from Redact, which sees the secret's own span only.
//
// Baselines and path allowlists live here too: baselines key on the
// secret's fingerprint and file, never the line.
package scanner
