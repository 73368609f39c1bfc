package scanner

import (
	"context"
	"time"
)

// Chunk is a piece of content with its provenance. Data belongs to the
// source until the callback returns (unless Release is set); the engine
// does not keep it.
type Chunk struct {
	Data []byte
	// Release, when set, means Data (and Raw) are lent: they stay the
	// receiver's, unchanged, until it calls Release once it is done with
	// them (after which nothing may keep a reference into them). The
	// engine then matches Data in place rather than copying it. A
	// receiver that never calls Release only leaves the buffers to the
	// garbage collector.
	Release func()
	// Path is slash-separated and relative to the source's root.
	Path string
	// Line is the 1-based line number of Data[0] within the file.
	Line int
	// Offset is the byte offset of Data[0] within the item (after
	// decoding); zero for an item's first chunk.
	Offset int64
	// Encoding says how Data was obtained from the item's bytes:
	// EncodingUTF16LE or EncodingUTF16BE (decoded to UTF-8),
	// EncodingBinary (printable runs only), or "" (as stored).
	Encoding string
	// Raw holds the item's original bytes behind a binary chunk's Data
	// (same length, same offsets), so that findings can be located by the
	// file's own lines. Nil otherwise.
	Raw []byte
	// Owned is how many leading bytes of Data this chunk answers for; a
	// match starting at or after Owned is left to the next chunk of the
	// same file, whose Data overlaps this one's tail. Zero means all.
	Owned int

	// Blob is the git object id of the content, for history sources.
	Blob string

	Commit, Author, Email, Message string
	Date                           time.Time

	// SkipReason is set, with no Data, for an item the source passed over
	// on purpose (binary, too large, allowlisted path).
	SkipReason string
	// Err is set, with no Data, for an item the source could not read.
	// The scan goes on; the engine counts and reports it.
	Err error
}

// Source produces chunks. Chunks calls fn for each chunk in turn, from a
// single goroutine, and stops at the first error fn returns or when ctx is
// done. Per-item problems are delivered as chunks with Err or SkipReason
// set; an error returned from Chunks is fatal to the scan.
type Source interface {
	// Kind names the source in findings: "dir", "stdin", "git", …
	Kind() string
	// Root is what was scanned, for reports.
	Root() string
	Chunks(ctx context.Context, fn func(Chunk) error) error
}

// Finisher is implemented by sources that adjust findings once the scan
// is over, such as attributing a git blob to every path it appeared at.
type Finisher interface {
	Finish([]Finding) []Finding
}

// TipReporter is implemented by sources that can tell whether a finding's
// secret is still present in the current state of what they scanned (an
// image's final filesystem, where history sources cannot), for the
// inventory's present-at-tip mark.
type TipReporter interface {
	AtTip(Finding) (present, known bool)
}
