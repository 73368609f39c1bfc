package scanner

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// gotChunk is a delivered chunk, its buffers copied.
type gotChunk struct {
	Data, Raw string
	Line      int
	Offset    int64
	Owned     int
	Encoding  string
	lent      bool
}

func copyChunk(c Chunk) gotChunk {
	return gotChunk{string(c.Data), string(c.Raw), c.Line, c.Offset, c.Owned, c.Encoding, c.Release != nil}
}

// chunksOf collects what a DirSource delivers per file, releasing lent
// buffers once copied.
func chunksOf(t *testing.T, src *DirSource) map[string][]gotChunk {
	t.Helper()
	got := map[string][]gotChunk{}
	err := src.Chunks(context.Background(), func(c Chunk) error {
		got[c.Path] = append(got[c.Path], copyChunk(c))
		if c.Release != nil {
			c.Release()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readerChunks is what ChunkReader (which lends nothing) delivers for b.
func readerChunks(t *testing.T, b string, chunkSize int) []gotChunk {
	t.Helper()
	var out []gotChunk
	err := ChunkReader(context.Background(), strings.NewReader(b), "f", chunkSize, nil, func(c Chunk) error {
		if c.Release != nil {
			t.Fatal("ChunkReader lent a buffer")
		}
		out = append(out, copyChunk(c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func largeText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of a large file\n", i)
	}
	return b.String()
}

func TestSmallTextFileIsLent(t *testing.T) {
	small := "a = 1\n" + strings.Repeat("text line\n", 100)
	mid := strings.Repeat("x", 40<<10) + "\n" // past the 32 KiB probe
	bin := "ab\x00cdefghij"
	dir := writeTree(t, map[string]string{"small.txt": small, "mid.txt": mid, "empty.txt": "", "bin.dat": bin})
	for _, max := range []int64{0, 1 << 30} { // size unknown; size from a stat
		got := chunksOf(t, &DirSource{Path: dir, MaxFileSize: max})
		for name, want := range map[string]string{"small.txt": small, "mid.txt": mid} {
			cs := got[name]
			if len(cs) != 1 || !cs[0].lent || cs[0].Data != want || cs[0].Line != 1 || cs[0].Owned != 0 {
				t.Errorf("max %d: %s: %d chunks, lent %v, want one lent chunk of its bytes", max, name, len(cs), len(cs) > 0 && cs[0].lent)
			}
		}
		if cs := got["empty.txt"]; len(cs) != 0 {
			t.Errorf("max %d: empty file gave %d chunks, want none", max, len(cs))
		}
		// A small binary file is lent too, its printable runs beside it.
		want := readerChunks(t, bin, DefaultChunkSize)
		want[0].lent = true
		if cs := got["bin.dat"]; len(cs) != 1 || cs[0] != want[0] || cs[0].Encoding != EncodingBinary || cs[0].Raw != bin {
			t.Errorf("max %d: binary file: %+v, want %+v", max, cs, want)
		}
	}
}

// TestLargeFileIsReadWhole: a file larger than the largest class is not
// read into one; it arrives as ChunkReader delivers it (whole, in one
// chunk, up to the chunk size), each chunk in a lent buffer of its own.
// So do UTF-16 files and files split into chunks.
func TestLargeFileIsReadWhole(t *testing.T) {
	large := largeText(lendClasses[len(lendClasses)-1] + 1000)
	bigBin := strings.Repeat("\x00\x01\x02 runs of text here \xff", 20000)
	utf16 := "\xff\xfe" + strings.Join(strings.Split("key = value\n", ""), "\x00") + "\x00"
	files := map[string]string{"large.txt": large, "big.bin": bigBin, "utf16.txt": utf16, "mid.txt": largeText(100 << 10)}
	dir := writeTree(t, files)
	for _, chunkSize := range []int{DefaultChunkSize, 64 << 10, 50000} {
		for _, max := range []int64{0, 1 << 30} {
			got := chunksOf(t, &DirSource{Path: dir, MaxFileSize: max, ChunkSize: chunkSize})
			for name, b := range files {
				want := readerChunks(t, b, chunkSize)
				for i := range want {
					want[i].lent = true
				}
				if len(got[name]) != len(want) {
					t.Errorf("chunk size %d, max %d: %s: %d chunks, want %d", chunkSize, max, name, len(got[name]), len(want))
					continue
				}
				for i := range want {
					if got[name][i] != want[i] {
						t.Errorf("chunk size %d, max %d: %s: chunk %d differs from ChunkReader's (lent %v)", chunkSize, max, name, i, got[name][i].lent)
					}
				}
			}
			if chunkSize == DefaultChunkSize {
				if cs := got["large.txt"]; len(cs) != 1 || cs[0].Data != large {
					t.Errorf("max %d: large file in %d chunks, want one, whole", max, len(cs))
				}
			}
		}
	}
}

// TestLentBuffersStayEachFilesOwn scans many files (small ones, a few
// binary and a few large), each with its own token at its own line, on
// several workers: a buffer given back
// before its chunk was matched would be refilled with another file's
// bytes and give a file another's secret, or none.
func TestLentBuffersStayEachFilesOwn(t *testing.T) {
	const n = 300
	files := map[string]string{}
	want := map[string]loc{}
	secret := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("d%d/f%03d.env", i%7, i)
		var b strings.Builder
		line := i%40 + 1
		if i%11 == 5 {
			b.WriteString("\x00\n") // binary: its printable runs are matched
			line++
		}
		for j := range i % 40 {
			fmt.Fprintf(&b, "# filler line %d of file %d %s\n", j, i, strings.Repeat("z", (i*j)%50))
		}
		b.WriteString("GITHUB_TOKEN=" + testToken(100+i) + "\n")
		tail := (i * 13) % 200
		if i%50 == 0 {
			tail = 70000 // larger than every class: lent chunk by chunk
		}
		b.WriteString(strings.Repeat("tail\n", tail))
		files[name] = b.String()
		want[name] = loc{name, line, "github-pat"}
		secret[name] = testToken(100 + i)
	}
	dir := writeTree(t, files)
	e := testEngine(t)
	e.Workers = 4
	for _, max := range []int64{0, 1 << 30} {
		for round := range 3 {
			res, err := e.Run(context.Background(), &DirSource{Path: dir, MaxFileSize: max})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, f := range res.Findings {
				w, ok := want[f.File]
				if !ok || seen[f.File] || f.Line != w.Line || f.RuleID != w.Rule || f.Secret != secret[f.File] {
					t.Fatalf("max %d round %d: unexpected finding %s:%d %s (want line %d, its own token: %v)",
						max, round, f.File, f.Line, f.RuleID, w.Line, f.Secret == secret[f.File])
				}
				seen[f.File] = true
			}
			if len(seen) != n {
				t.Fatalf("max %d round %d: findings in %d files, want %d", max, round, len(seen), n)
			}
		}
	}
}
