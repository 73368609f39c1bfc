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

// lendClasses are the buffer sizes lent for whole items, smallest first.
// An item larger than the last is read chunk by chunk, each chunk in a
// pooled buffer of the chunk size (see chunkReader).
var lendClasses = [...]int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10}

// lendProbe is the class first tried for an item of unknown size.
const lendProbe = 3 // 32 KiB

// bigClass is the pool of buffers larger than every class (a chunk's).
const bigClass = len(lendClasses)

var lendPools [bigClass]sync.Pool

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

// getBuf returns a pooled buffer of at least n bytes (its len is its
// cap).
func getBuf(n int) *lent {
	for i, c := range lendClasses {
		if n <= c {
			return getLent(i)
		}
	}
	select {
	case l := <-bigFree:
		if cap(l.buf) >= n {
			return l
		}
	default:
	}
	return &lent{buf: make([]byte, n), class: bigClass}
}

// bigFree holds chunk-sized buffers for reuse. Not a sync.Pool, which
// every garbage collection empties: a few megabytes each, they would be
// allocated (and zeroed) again and again. As many as a scan has in
// flight (see Engine.Run) are kept.
var bigFree = make(chan *lent, 8)

func (l *lent) release() {
	l.buf = l.buf[:cap(l.buf)]
	if l.class == bigClass {
		select {
		case bigFree <- l:
		default:
		}
		return
	}
	lendPools[l.class].Put(l)
}

// releaseBoth gives back a chunk's buffers (b may be nil).
func releaseBoth(a, b *lent) func() {
	if b == nil {
		return a.release
	}
	return func() { a.release(); b.release() }
}

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
// in lent buffers (see Chunk.Release). An item that fits one chunk and
// the largest class is read whole into a pooled buffer of its class
// (text: one chunk of it; binary: its printable runs beside it); size is
// the item's size when known, negative otherwise. Anything else (larger,
// or UTF-16) goes through chunkReader, lending each chunk's buffers, the
// bytes read so far replayed ahead of the rest.
func chunkItem(ctx context.Context, rd io.Reader, rel string, size int64, chunkSize int, fn func(Chunk) error) error {
	class := lendClass(size)
	if class < 0 {
		return chunkReader(ctx, rd, rel, chunkSize, nil, true, fn)
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
		if l.class+1 == bigClass {
			// Larger than every class: read chunk by chunk.
			err := chunkReader(ctx, io.MultiReader(bytes.NewReader(l.buf[:n]), rd), rel, chunkSize, nil, true, fn)
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
	if n > chunkSize {
		err := chunkReader(ctx, bytes.NewReader(data), rel, chunkSize, nil, true, fn)
		l.release()
		return err
	}
	switch sniffEncoding(data[:min(n, sniffLen)]) {
	case "":
		return fn(Chunk{Data: data, Path: rel, Line: 1, Release: l.release})
	case EncodingBinary:
		// As ChunkReader delivers a binary stream that fits one chunk.
		p := getBuf(n)
		printableRuns(p.buf[:n], data, true, true)
		return fn(Chunk{Data: p.buf[:n], Raw: data, Path: rel, Line: 1, Encoding: EncodingBinary, Release: releaseBoth(l, p)})
	}
	// UTF-16: decoded by chunkReader.
	err := chunkReader(ctx, bytes.NewReader(data), rel, chunkSize, nil, true, fn)
	l.release()
	return err
}
