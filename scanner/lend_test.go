package scanner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// chunksOf collects what a DirSource delivers, copying Data and noting
// whether it was lent (and releasing it).
type gotChunk struct {
	data string
	lent bool
	enc  string
}

func chunksOf(t *testing.T, src *DirSource) map[string][]gotChunk {
	t.Helper()
	got := map[string][]gotChunk{}
	err := src.Chunks(context.Background(), func(c Chunk) error {
		got[c.Path] = append(got[c.Path], gotChunk{string(c.Data), c.Release != nil, c.Encoding})
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

func TestSmallTextFileIsLent(t *testing.T) {
	small := "a = 1\n" + strings.Repeat("text line\n", 100)
	mid := strings.Repeat("x", 40<<10) + "\n" // past the 32 KiB probe
	dir := writeTree(t, map[string]string{"small.txt": small, "mid.txt": mid, "empty.txt": "", "bin.dat": "ab\x00cdefghij"})
	for _, max := range []int64{0, 1 << 30} { // size unknown; size from a stat
		got := chunksOf(t, &DirSource{Path: dir, MaxFileSize: max})
		for name, want := range map[string]string{"small.txt": small, "mid.txt": mid} {
			cs := got[name]
			if len(cs) != 1 || !cs[0].lent || cs[0].data != want {
				t.Errorf("max %d: %s: %d chunks, lent %v, want one lent chunk of its bytes", max, name, len(cs), len(cs) > 0 && cs[0].lent)
			}
		}
		if cs := got["empty.txt"]; len(cs) != 0 {
			t.Errorf("max %d: empty file gave %d chunks, want none", max, len(cs))
		}
		if cs := got["bin.dat"]; len(cs) != 1 || cs[0].lent || cs[0].enc != EncodingBinary {
			t.Errorf("max %d: binary file: %+v, want one binary chunk, not lent", max, cs)
		}
	}
}

func TestLargeFileIsNotLent(t *testing.T) {
	// Larger than the largest class: read by ChunkReader, whole.
	var b bytes.Buffer
	for i := 0; b.Len() < lendClasses[len(lendClasses)-1]+1000; i++ {
		fmt.Fprintf(&b, "line %d of a large file\n", i)
	}
	dir := writeTree(t, map[string]string{"large.txt": b.String()})
	for _, max := range []int64{0, 1 << 30} {
		got := chunksOf(t, &DirSource{Path: dir, MaxFileSize: max})
		cs := got["large.txt"]
		if len(cs) != 1 || cs[0].lent || cs[0].data != b.String() {
			t.Errorf("max %d: %d chunks, lent %v; want the whole file in one chunk, not lent", max, len(cs), len(cs) > 0 && cs[0].lent)
		}
	}
	// A file that fits a class but not one chunk is split as before.
	got := chunksOf(t, &DirSource{Path: dir, ChunkSize: 64 << 10})
	cs := got["large.txt"]
	if len(cs) < 2 {
		t.Fatalf("chunk size 64 KiB: %d chunks, want several", len(cs))
	}
	for _, c := range cs {
		if c.lent {
			t.Errorf("a chunk of a split file was lent")
		}
	}
}

// TestLentBuffersStayEachFilesOwn scans many small files, each with its
// own token at its own line, on several workers: a buffer given back
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
		for j := range i % 40 {
			fmt.Fprintf(&b, "# filler line %d of file %d %s\n", j, i, strings.Repeat("z", (i*j)%50))
		}
		b.WriteString("GITHUB_TOKEN=" + testToken(100+i) + "\n")
		b.WriteString(strings.Repeat("tail\n", (i*13)%200))
		files[name] = b.String()
		want[name] = loc{name, i%40 + 1, "github-pat"}
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
