package scanner

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// Lending. Most items of a scan are small text files that fit one chunk.
// ChunkReader reads each into the source's one buffer, which the engine
// must then copy before the source reuses it. chunkItem instead reads
// such an item into a buffer from a pool of size classes and lends it to
// the engine (Chunk.Release), which matches it in place and gives the
// buffer back: no copy, and no fresh allocation per item.

// lendClasses are the buffer sizes lent, smallest first. An item larger
// than the last is read by ChunkReader as before.
var lendClasses = [...]int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10}

// lendProbe is the class first tried for an item of unknown size.
const lendProbe = 3 // 32 KiB

var lendPools [len(lendClasses)]sync.Pool

// lent is one pooled buffer of class class.
type lent struct {
	buf   []byte
	class int
}

func getLent(class int) *lent {
	if l, ok := lendPools[class].Get().(*lent); ok {
		return l
	}
	return &lent{buf: make([]byte, lendClasses[class]), class: class}
}

func (l *lent) release() { lendPools[l.class].Put(l) }

// lendClass is the smallest class whose buffer holds size bytes and one
// more (so that one read both fills it and meets the end), -1 for none;
// the probe class when size is unknown (negative).
func lendClass(size int64) int {
	if size < 0 {
		return lendProbe
	}
	for i, n := range lendClasses {
		if size < int64(n) {
			return i
		}
	}
	return -1
}

// chunkItem delivers one item (a file, a blob) as ChunkReader does, but
// lends a plain-text item that fits one chunk and the largest class: its
// one chunk's Data is a pooled buffer, and Release gives it back. size
// is the item's size when known, negative otherwise. Anything else
// (binary, UTF-16, larger) goes through ChunkReader with buf, the bytes
// read so far replayed ahead of the rest.
func chunkItem(ctx context.Context, rd io.Reader, rel string, size int64, chunkSize int, buf *[]byte, fn func(Chunk) error) error {
	class := lendClass(size)
	if class < 0 {
		return ChunkReader(ctx, rd, rel, chunkSize, buf, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l := getLent(class)
	n := 0
	for {
		m, err := io.ReadFull(rd, l.buf[n:])
		n += m
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			l.release()
			return fn(Chunk{Path: rel, Err: err})
		}
		// Full: the item may go on.
		if l.class+1 == len(lendClasses) {
			// Larger than every class: ChunkReader reads it whole.
			err := ChunkReader(ctx, io.MultiReader(bytes.NewReader(l.buf[:n]), rd), rel, chunkSize, buf, fn)
			l.release()
			return err
		}
		next := getLent(l.class + 1)
		copy(next.buf, l.buf[:n])
		l.release()
		l = next
	}
	data := l.buf[:n]
	if n == 0 {
		l.release()
		return nil
	}
	if n > chunkSize || sniffEncoding(data[:min(n, sniffLen)]) != "" {
		// More than one chunk, or decoded: ChunkReader's way.
		err := ChunkReader(ctx, bytes.NewReader(data), rel, chunkSize, buf, fn)
		l.release()
		return err
	}
	return fn(Chunk{Data: data, Path: rel, Line: 1, Release: l.release})
}
