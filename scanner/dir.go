package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Defaults for reading files.
const (
	// DefaultChunkSize is how much of a large file one chunk holds.
	DefaultChunkSize = 4 << 20
	// ChunkOverlap is how far consecutive chunks of one file overlap, so
	// that a multi-line secret across a chunk boundary is still whole in
	// one of them.
	ChunkOverlap = 64 << 10
	sniffLen     = 8000
)

// ErrNotFound marks a scan target that does not exist.
var ErrNotFound = errors.New("no such file or directory")

// ErrNotRegular marks a scan target that is neither a directory nor a
// regular file (a FIFO, whose open would wait for a writer; a device).
// Inside a tree such files are passed over without being opened.
var ErrNotRegular = errors.New("not a directory or regular file")

// DirSource walks a directory tree (or reads one file). It does not follow
// symbolic links and skips .git directories.
type DirSource struct {
	Path string
	// MaxFileSize skips larger files; 0 means no limit. Files of any size
	// are read in chunks, so memory stays bounded either way.
	MaxFileSize int64
	// Exclude reports whether a slash-separated path relative to Path is
	// allowlisted; excluded directories are not descended into.
	Exclude func(rel string) bool
	// ChunkSize overrides DefaultChunkSize (tests use small values).
	ChunkSize int
}

// Kind implements Source.
func (d *DirSource) Kind() string { return "dir" }

// Root implements Source.
func (d *DirSource) Root() string { return d.Path }

// Chunks implements Source.
func (d *DirSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	info, err := os.Stat(d.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("scan %s: %w", d.Path, ErrNotFound)
		}
		return fmt.Errorf("scan %s: %w", d.Path, err)
	}
	r := &fileReader{chunkSize: d.ChunkSize, maxSize: d.MaxFileSize}
	if r.chunkSize <= 0 {
		r.chunkSize = DefaultChunkSize
	}
	if !info.IsDir() && !info.Mode().IsRegular() {
		return fmt.Errorf("scan %s: %w", d.Path, ErrNotRegular)
	}
	if !info.IsDir() {
		// A file the user names may be a link to it; a walk's are not
		// followed (openRegular).
		target, err := filepath.EvalSymlinks(d.Path)
		if err != nil {
			return fmt.Errorf("scan %s: %w", d.Path, err)
		}
		return r.readFile(ctx, target, filepath.Base(d.Path), info.Size(), fn)
	}
	return filepath.WalkDir(d.Path, func(p string, de fs.DirEntry, werr error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.Path, p)
		rel = filepath.ToSlash(rel)
		if werr != nil {
			if p == d.Path {
				return fmt.Errorf("scan %s: %w", d.Path, werr)
			}
			if err := fn(Chunk{Path: rel, Err: werr}); err != nil {
				return err
			}
			if de != nil && de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if de.IsDir() {
			if p == d.Path {
				return nil
			}
			if de.Name() == ".git" {
				return filepath.SkipDir
			}
			if d.Exclude != nil && d.Exclude(rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if de.Type()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice) != 0 {
			// Never opened: a FIFO's open waits for a writer.
			return fn(Chunk{Path: rel, SkipReason: "not a regular file"})
		}
		if !de.Type().IsRegular() {
			return nil // symbolic links are not followed
		}
		if d.Exclude != nil && d.Exclude(rel) {
			return fn(Chunk{Path: rel, SkipReason: "allowlisted path"})
		}
		// The size matters only against a limit: without one, no stat
		// (and -1, unknown).
		size := int64(-1)
		if d.MaxFileSize > 0 {
			fi, err := de.Info()
			if err != nil {
				return fn(Chunk{Path: rel, Err: err})
			}
			size = fi.Size()
		}
		return r.readFile(ctx, p, rel, size, fn)
	})
}

// openFile is openRegular; tests replace it to simulate unreadable
// files, which root (as CI runs) cannot produce with permissions.
var openFile = openRegular

// fileReader reads files into chunks, in lent buffers (see chunkItem).
type fileReader struct {
	chunkSize int
	maxSize   int64
}

// readFile delivers one file as one or more chunks.
func (r *fileReader) readFile(ctx context.Context, path, rel string, size int64, fn func(Chunk) error) error {
	if r.maxSize > 0 && size > r.maxSize {
		return fn(Chunk{Path: rel, SkipReason: fmt.Sprintf("larger than max file size (%d bytes)", r.maxSize)})
	}
	if binaryExt(rel) {
		return fn(Chunk{Path: rel, SkipReason: "binary"})
	}
	f, err := openFile(path)
	if err != nil {
		return fn(Chunk{Path: rel, Err: err})
	}
	defer f.Close()
	return chunkItem(ctx, f, rel, size, r.chunkSize, fn)
}

// ChunkReader splits a stream into overlapping chunks of at most
// chunkSize+ChunkOverlap bytes and calls fn for each, with line numbers
// and byte offsets. buf is reused between calls when not nil.
//
// Nothing that can hold text is passed over. The first bytes decide how
// the stream is read (see sniffEncoding): UTF-16 text (with a byte order
// mark, or ASCII text whose every other byte is NUL) is decoded to UTF-8
// and scanned as text, with Encoding "utf-16le" or "utf-16be"; any other
// stream with a NUL byte is binary, and its chunks carry only its runs of
// at least MinPrintableRun printable ASCII characters, as strings(1)
// extracts them (every other byte becomes a newline, so that no pattern
// spans binary noise), with Encoding "binary" and the original bytes in
// Raw for locating findings.
func ChunkReader(ctx context.Context, rd io.Reader, rel string, chunkSize int, buf *[]byte, fn func(Chunk) error) error {
	if buf == nil {
		buf = new([]byte)
	}
	return chunkReader(ctx, rd, rel, chunkSize, buf, false, fn)
}

// chunkReader is ChunkReader; with lend, buf is not used: each chunk's
// Data (and Raw) is a pooled buffer of its own, lent to fn (see
// Chunk.Release), and the next chunk starts in a new one.
func chunkReader(ctx context.Context, rd io.Reader, rel string, chunkSize int, buf *[]byte, lend bool, fn func(Chunk) error) error {
	want := chunkSize + ChunkOverlap
	var data []byte
	var l *lent // with lend: the buffer data is in, not yet lent
	if lend {
		l = getBuf(want)
		defer func() {
			if l != nil {
				l.release()
			}
		}()
		data = l.buf[:0]
	} else {
		if cap(*buf) < want {
			*buf = make([]byte, 0, want)
		}
		data = (*buf)[:0]
	}
	var printable []byte // binary streams: the extracted runs
	line := 1
	var offset int64
	first := true
	eof := false
	encoding := ""
	for !eof {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(rd, data[len(data):want])
		data = data[:len(data)+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return fn(Chunk{Path: rel, Err: err})
		}
		if first {
			first = false
			if len(data) == 0 {
				return nil
			}
			encoding = sniffEncoding(data[:min(len(data), sniffLen)])
			if order, ok := utf16Orders[encoding]; ok {
				// Decode from the start again; what was read is replayed
				// ahead of the rest of the stream.
				head := bytes.Clone(data)
				if bytes.HasPrefix(head, utf16BOM[encoding]) {
					head = head[2:]
				}
				rd = transform.NewReader(io.MultiReader(bytes.NewReader(head), rd),
					unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder())
				data = data[:0]
				eof = false
				continue
			}
		}
		owned := len(data)
		if !eof && len(data) > chunkSize {
			owned = chunkSize
		}
		c := Chunk{Data: data, Path: rel, Line: line, Offset: offset, Encoding: encoding}
		if owned < len(data) {
			c.Owned = owned
		}
		var pl *lent // with lend: the buffer printable is in
		if encoding == EncodingBinary {
			if lend {
				pl = getBuf(len(data))
				printable = pl.buf
			}
			if cap(printable) < len(data) {
				// As large as this stream needs: a small binary file must not
				// cost a whole chunk's allocation.
				printable = make([]byte, len(data))
			}
			printable = printable[:len(data)]
			printableRuns(printable, data, offset == 0, eof)
			c.Data, c.Raw = printable, data
		}
		if !eof {
			line += bytes.Count(data[:owned], []byte{'\n'})
			offset += int64(owned)
		}
		if lend {
			// The chunk takes its buffers along; the next chunk starts
			// in one of its own, with the unowned tail.
			c.Release = releaseBoth(l, pl)
			l = nil
			if !eof {
				l = getBuf(want)
				data = append(l.buf[:0], data[owned:]...)
			}
		}
		if err := fn(c); err != nil {
			return err
		}
		if eof {
			break
		}
		if lend {
			continue
		}
		// Keep the unowned tail as the start of the next chunk.
		copy(data, data[owned:])
		data = data[:len(data)-owned]
	}
	if !lend {
		*buf = data[:0]
	}
	return nil
}

// binaryExts are the formats skipped by name: compressed archives,
// images, audio, video and fonts, whose bytes are compressed and hold no
// readable text. Other binary files (executables, object files, data
// files, databases) are read for their printable runs.
var binaryExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true, ".tiff": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true,
	".jar": true, ".war": true,
	".pdf": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".flac": true, ".ogg": true, ".webm": true,
}

// SkippedByName reports whether a file of this name is passed over as
// binary without being read (a compressed format, see binaryExts), as a
// directory scan passes it over; sources of files use it too.
func SkippedByName(rel string) bool { return binaryExt(rel) }

func binaryExt(rel string) bool {
	return binaryExts[strings.ToLower(filepath.Ext(rel))]
}

// Encodings a Chunk (and so a Finding) can name.
const (
	EncodingUTF16LE = "utf-16le"
	EncodingUTF16BE = "utf-16be"
	EncodingBinary  = "binary"
)

// MinPrintableRun is the shortest run of printable characters ChunkReader
// keeps from a binary stream. Shorter runs are mostly noise in machine
// code and compressed data; every credential shape is longer.
const MinPrintableRun = 6

var (
	utf16Orders = map[string]unicode.Endianness{EncodingUTF16LE: unicode.LittleEndian, EncodingUTF16BE: unicode.BigEndian}
	utf16BOM    = map[string][]byte{EncodingUTF16LE: {0xff, 0xfe}, EncodingUTF16BE: {0xfe, 0xff}}
)

// sniffEncoding tells from the first bytes of a stream how to read it:
// "" for text, EncodingUTF16LE or EncodingUTF16BE for UTF-16 (a byte order
// mark, or NUL bytes at nearly all odd or even offsets and nowhere else,
// as ASCII text encoded in UTF-16 has them), EncodingBinary for anything
// else holding a NUL byte.
func sniffEncoding(s []byte) string {
	switch {
	case bytes.HasPrefix(s, utf16BOM[EncodingUTF16LE]):
		return EncodingUTF16LE
	case bytes.HasPrefix(s, utf16BOM[EncodingUTF16BE]):
		return EncodingUTF16BE
	}
	if bytes.IndexByte(s, 0) < 0 {
		return ""
	}
	pairs := len(s) / 2
	if pairs >= 2 {
		var evenNUL, oddNUL int
		for i := 0; i+1 < len(s); i += 2 {
			if s[i] == 0 {
				evenNUL++
			}
			if s[i+1] == 0 {
				oddNUL++
			}
		}
		// Allow a few non-ASCII characters (whose high byte is not 0).
		mostly, rarely := pairs*9/10, pairs/20
		switch {
		case oddNUL >= mostly && evenNUL <= rarely:
			return EncodingUTF16LE
		case evenNUL >= mostly && oddNUL <= rarely:
			return EncodingUTF16BE
		}
	}
	return EncodingBinary
}

// printableRuns writes src to dst (of the same length) keeping only runs
// of at least MinPrintableRun printable ASCII characters (space to tilde,
// and tab); every other byte becomes a newline. A run touching the start
// of src (unless atStart) or its end (unless atEnd) is kept whatever its
// length, as it may continue in the neighbouring chunk.
func printableRuns(dst, src []byte, atStart, atEnd bool) {
	i := 0
	for i < len(src) {
		if !isPrintable(src[i]) {
			dst[i] = '\n'
			i++
			continue
		}
		j := i
		for j < len(src) && isPrintable(src[j]) {
			j++
		}
		keep := j-i >= MinPrintableRun || (i == 0 && !atStart) || (j == len(src) && !atEnd)
		for k := i; k < j; k++ {
			if keep {
				dst[k] = src[k]
			} else {
				dst[k] = '\n'
			}
		}
		i = j
	}
}

func isPrintable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }
