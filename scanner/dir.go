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
	if !info.IsDir() {
		return r.readFile(ctx, d.Path, filepath.Base(d.Path), info.Size(), fn)
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
		if !de.Type().IsRegular() {
			return nil // symlinks, devices, sockets
		}
		if d.Exclude != nil && d.Exclude(rel) {
			return fn(Chunk{Path: rel, SkipReason: "allowlisted path"})
		}
		fi, err := de.Info()
		if err != nil {
			return fn(Chunk{Path: rel, Err: err})
		}
		return r.readFile(ctx, p, rel, fi.Size(), fn)
	})
}

// openFile is os.Open; tests replace it to simulate unreadable files,
// which root (as CI runs) cannot produce with permissions.
var openFile = func(path string) (io.ReadCloser, error) { return os.Open(path) }

// fileReader reads files into chunks, reusing one buffer.
type fileReader struct {
	chunkSize int
	maxSize   int64
	buf       []byte
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
	return ChunkReader(ctx, f, rel, r.chunkSize, &r.buf, fn)
}

// ChunkReader splits a stream into overlapping chunks of at most
// chunkSize+ChunkOverlap bytes and calls fn for each, with line numbers.
// A stream whose first bytes look binary is delivered as a skip. buf is
// reused between calls when not nil.
func ChunkReader(ctx context.Context, rd io.Reader, rel string, chunkSize int, buf *[]byte, fn func(Chunk) error) error {
	if buf == nil {
		buf = new([]byte)
	}
	want := chunkSize + ChunkOverlap
	if cap(*buf) < want {
		*buf = make([]byte, 0, want)
	}
	data := (*buf)[:0]
	line := 1
	first := true
	eof := false
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
			s := data
			if len(s) > sniffLen {
				s = s[:sniffLen]
			}
			if bytes.IndexByte(s, 0) >= 0 {
				return fn(Chunk{Path: rel, SkipReason: "binary"})
			}
		}
		owned := len(data)
		if !eof && len(data) > chunkSize {
			owned = chunkSize
		}
		c := Chunk{Data: data, Path: rel, Line: line}
		if owned < len(data) {
			c.Owned = owned
		}
		if err := fn(c); err != nil {
			return err
		}
		if eof {
			break
		}
		line += bytes.Count(data[:owned], []byte{'\n'})
		// Keep the unowned tail as the start of the next chunk.
		copy(data, data[owned:])
		data = data[:len(data)-owned]
	}
	*buf = data[:0]
	return nil
}

var binaryExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true, ".tiff": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true, ".tar": true,
	".jar": true, ".war": true, ".class": true, ".so": true, ".dll": true, ".exe": true, ".dylib": true, ".a": true, ".o": true,
	".pdf": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".flac": true, ".ogg": true, ".webm": true,
	".pyc": true, ".wasm": true, ".bin": true, ".dat": true, ".db": true, ".sqlite": true,
}

func binaryExt(rel string) bool {
	return binaryExts[strings.ToLower(filepath.Ext(rel))]
}
