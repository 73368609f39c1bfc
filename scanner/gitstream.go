package scanner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
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
	if !streamLog || g.partialClone(ctx) {
		return nil
	}
	if slicesContain(revs, "--all") {
		out, err := g.command(ctx, "for-each-ref", "--format=%(objecttype) %(*objecttype)").Output()
		if err != nil {
			return nil
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if line != "" && line != "commit " && line != "tag commit" {
				return nil
			}
		}
	}
	if g.packDir == "" {
		return nil
	}
	packs, err := filepath.Glob(filepath.Join(g.packDir, "*.pack"))
	if err != nil {
		return nil
	}
	var total int64
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			return nil
		}
		total += fi.Size()
	}
	if total > streamPackMax {
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

// streamLog turns streamed reading off (tests run the listing path).
var streamLog = true

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// blobStream is one cat-file asked for blobs while the log pass finds
// them: ask (from the log pass's goroutine), close once the pass is
// done, and read (from another goroutine) for the blobs.
type blobStream struct {
	g     *GitSource
	b     *batch
	stdin io.WriteCloser
	w     *bufio.Writer
	werr  error
	line  []byte

	mu    sync.Mutex
	blobs map[oid]streamedBlob
}

type streamedBlob struct {
	path string
	read bool
}

// startBlobStream starts the cat-file of a streamed scan, with mem its
// memory settings.
func (g *GitSource) startBlobStream(ctx context.Context, mem []string) (*blobStream, error) {
	b, stdin, err := startBatchInput(g.commandMem(ctx, mem, "cat-file", "--batch", "--buffer"))
	if err != nil {
		return nil, err
	}
	// Requests go out whenever a buffer's worth (about a hundred) is
	// waiting, and all at close.
	return &blobStream{g: g, b: b, stdin: stdin, w: bufio.NewWriterSize(stdin, 4096), blobs: map[oid]streamedBlob{}}, nil
}

// ask asks for blob id, met at path, unless it was asked for before. A
// failed write leaves the rest unasked: cat-file has stopped, and its
// own error is what read returns.
func (q *blobStream) ask(id oid, path string) {
	q.mu.Lock()
	_, seen := q.blobs[id]
	if !seen {
		q.blobs[id] = streamedBlob{path: path}
	}
	q.mu.Unlock()
	if seen || q.werr != nil {
		return
	}
	q.line = append(hex.AppendEncode(q.line[:0], id[:]), '\n')
	_, q.werr = q.w.Write(q.line)
}

// close sends what is still buffered and ends cat-file's input.
func (q *blobStream) close() {
	if q.werr == nil {
		q.werr = q.w.Flush()
	}
	if err := q.stdin.Close(); q.werr == nil {
		q.werr = err
	}
	q.b.writeErr <- q.werr
}

// read hands fn each blob asked for, as chunks, until cat-file has
// answered every request, and returns the blobs the repository lacks.
func (q *blobStream) read(ctx context.Context, fn func(Chunk) error) ([]oid, error) {
	g := q.g
	size := g.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
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
	sort.Slice(missing, func(i, j int) bool { return bytes.Compare(missing[i][:], missing[j][:]) < 0 })
	return missing, nil
}
