package scanner

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// streamPackMax bounds the packs (in bytes, all together) of a
// repository whose full history streamed scans. Its blobs are read in the
// order the log pass meets them, oldest commit first, not in pack order:
// the packs are mapped whole then (cat-file's resident memory grows to
// their size), so that no order makes git map and unmap windows over and
// over (see packOrder).
var streamPackMax int64 = 64 << 20 // a variable for tests

// streamable reports whether a small repository's full history can be
// read with one tree walk (streamed) and returns the memory settings of
// the cat-file that would read it, or nil. The log pass meets every blob
// the history holds, as rev-list would list it, where the history's refs
// all lead to commits and no object is only promised: a ref to a tree or
// a blob (which rev-list follows and a log does not) or a partial clone
// (whose cat-file would stop at the first absent blob it was asked for)
// take the listing path.
func (g *GitSource) streamable(ctx context.Context, revs []string) []string {
	total, ok := g.packBytes()
	if !ok || total > streamPackMax || !g.logMeetsAll(ctx, revs) {
		return nil
	}
	const window = 8 << 20
	limit := max(16<<20, (total/window+2)*window)
	return []string{
		"-c", "core.packedGitWindowSize=" + strconv.Itoa(window),
		"-c", "core.packedGitLimit=" + strconv.FormatInt(limit, 10),
		"-c", "core.deltaBaseCacheLimit=8m",
	}
}

// packBytes is the size of the repository's packs, all together; false
// where streamed reading is off or the packs cannot be listed.
func (g *GitSource) packBytes() (int64, bool) {
	if !streamLog || g.packDir == "" {
		return 0, false
	}
	packs, err := filepath.Glob(filepath.Join(g.packDir, "*.pack"))
	if err != nil {
		return 0, false
	}
	var total int64
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			return 0, false
		}
		total += fi.Size()
	}
	return total, true
}

// logMeetsAll reports whether the log pass over revs meets every blob a
// rev-list listing would: the refs all lead to commits (a ref to a tree
// or a blob, which rev-list follows and a log does not, fails it) and the
// repository is not a partial clone (whose cat-file would stop at the
// first absent blob it was asked for, where rev-list can list the absent
// ones). False where streamLog is off (tests of the listing paths).
func (g *GitSource) logMeetsAll(ctx context.Context, revs []string) bool {
	if !streamLog {
		return false
	}
	partial := make(chan bool, 1)
	go func() { partial <- g.partialClone(ctx) }()
	refsOK := !slices.Contains(revs, "--all") || g.refsLeadToCommits(ctx)
	return !<-partial && refsOK
}

// refsLeadToCommits reports whether every ref names a commit or an
// annotated tag of one. Tags are peeled only where there are some:
// peeling costs git a read of every ref's object (on 1,600 refs, 30 ms
// against 10).
func (g *GitSource) refsLeadToCommits(ctx context.Context) bool {
	lines := func(format string) ([]string, bool) {
		out, err := g.command(ctx, "for-each-ref", "--format="+format).Output()
		return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), err == nil
	}
	types, ok := lines("%(objecttype)")
	tags := false
	for _, t := range types {
		switch t {
		case "", "commit":
		case "tag":
			tags = true
		default:
			return false
		}
	}
	if !ok || !tags {
		return ok
	}
	peeled, ok := lines("%(objecttype) %(*objecttype)")
	for _, t := range peeled {
		if t != "" && t != "commit " && t != "tag commit" {
			return false
		}
	}
	return ok
}

// streamLog turns streamed reading off (tests run the listing path).
var streamLog = true

// blobStream is one cat-file asked for blobs while the log pass finds
// them: ask (from the log pass's goroutine), close once the pass is
// done, and read (from another goroutine) for the blobs. Requests wait in
// memory (41 bytes each) for a writer goroutine to hand them on, so the
// log pass never waits on cat-file: it finishes at its own pace and the
// commit messages, which need it done, are scanned beside the blobs
// rather than after them. Requests made before start wait for it; after
// drop, none are kept.
type blobStream struct {
	g *GitSource
	b *batch

	mu      sync.Mutex
	blobs   map[oid]streamedBlob
	pending []byte        // requests not yet handed to the writer
	closed  bool          // no more requests
	dropped bool          // no stream: requests are not kept
	wake    chan struct{} // the writer has something to do
}

type streamedBlob struct {
	path string
	read bool
}

func newBlobStream(g *GitSource) *blobStream {
	return &blobStream{g: g, blobs: map[oid]streamedBlob{}, wake: make(chan struct{}, 1)}
}

// start starts the stream's cat-file, with mem its memory settings, and
// the goroutine writing its requests, those made so far first.
func (q *blobStream) start(ctx context.Context, mem []string) error {
	b, stdin, err := startBatchInput(q.g.commandMem(ctx, mem, "cat-file", "--batch", "--buffer"))
	if err != nil {
		return err
	}
	q.b = b
	go q.write(stdin)
	q.signal()
	return nil
}

// drop gives the stream up before it started: what was asked is let go,
// and later requests are not kept.
func (q *blobStream) drop() {
	q.mu.Lock()
	q.dropped, q.blobs, q.pending = true, nil, nil
	q.mu.Unlock()
}

// signal wakes the writer, unless it is woken already.
func (q *blobStream) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// write hands the requests to cat-file as they come, until close, then
// ends its input. After a failed write it only drains the requests:
// cat-file has stopped, and its own error is what read returns.
func (q *blobStream) write(stdin io.WriteCloser) {
	var err error
	var batch []byte
	for range q.wake {
		q.mu.Lock()
		batch, q.pending = q.pending, batch[:0]
		closed := q.closed
		q.mu.Unlock()
		if err == nil && len(batch) > 0 {
			_, err = stdin.Write(batch)
		}
		if closed {
			break
		}
	}
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	q.b.writeErr <- err
}

// ask asks for blob id, met at path, unless it was asked for before.
func (q *blobStream) ask(id oid, path string) {
	q.mu.Lock()
	if _, seen := q.blobs[id]; seen || q.dropped {
		q.mu.Unlock()
		return
	}
	q.blobs[id] = streamedBlob{path: path}
	q.pending = append(hex.AppendEncode(q.pending, id[:]), '\n')
	q.mu.Unlock()
	q.signal()
}

// close ends the requests: cat-file's input is closed once the writer
// has handed on what is waiting.
func (q *blobStream) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// read hands fn each blob asked for, as chunks, until cat-file has
// answered every request, and returns the blobs the repository lacks.
func (q *blobStream) read(ctx context.Context, fn func(Chunk) error) ([]oid, error) {
	g := q.g
	size := chunkSize(g.ChunkSize)
	emit := func(obj batchObject, body io.Reader) error {
		if obj.missing || obj.typ != "blob" {
			return nil
		}
		q.mu.Lock()
		sb, ok := q.blobs[obj.id]
		if ok && !sb.read {
			q.blobs[obj.id] = streamedBlob{path: sb.path, read: true}
		}
		q.mu.Unlock()
		if !ok || sb.read {
			return nil
		}
		return g.emitBlob(ctx, obj.id, sb.path, obj.size, body, size, fn)
	}
	if err := q.b.finish(ctx, readBatch(q.b.out, -1, emit)); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	g.BlobsSeen = len(q.blobs)
	var missing []oid
	for id, sb := range q.blobs {
		if !sb.read {
			missing = append(missing, id)
		}
	}
	sortOIDs(missing)
	return missing, nil
}

// askTip asks q for the blobs of the tree of the first tip revs name
// (HEAD for --all), at their paths there, before the log pass meets them.
// It is only a head start: on any failure (an unborn HEAD) the log pass
// asks for them all the same.
func (g *GitSource) askTip(ctx context.Context, revs []string, q *blobStream) {
	tip := "HEAD"
	if len(revs) > 0 && revs[0] != "--all" {
		tip = revs[0]
	}
	if strings.HasPrefix(tip, "-") {
		return
	}
	cmd := g.command(ctx, "ls-tree", "-r", "-z", "--full-tree", tip+"^{tree}", "--")
	_ = runTokens(cmd, 0, func(tok []byte) error {
		// "<mode> blob <id>\t<path>"
		meta, path, ok := bytes.Cut(tok, []byte{'\t'})
		f := bytes.Fields(meta)
		if !ok || len(f) != 3 || string(f[1]) != "blob" {
			return nil // a submodule's commit
		}
		if id, ok := parseOID(f[2]); ok {
			q.ask(id, string(path))
		}
		return nil
	})
}
