package scanner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// encodeUTF16 encodes s as UTF-16 in the given byte order, with a byte
// order mark when bom is set, the way Windows editors and PowerShell
// save files.
func encodeUTF16(s string, bigEndian, bom bool) string {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// TestContentThatHoldsTextIsScanned: a NUL byte or UTF-16 encoding no
// longer turns a file with a token into an unscanned "binary" one; the
// finding keeps the file's own line and column and names how it was read.
func TestContentThatHoldsTextIsScanned(t *testing.T) {
	tok := testToken(21)
	ps := "# deploy.ps1\r\nWrite-Host 'deploying'\r\n$env:GITHUB_TOKEN = \"" + tok + "\"\r\n"
	type got struct {
		File     string
		Line     int
		Column   int
		Encoding string
	}
	for _, tc := range []struct {
		name, body string
		want       got
	}{
		{"secrets.dat", "x\x00y\ntoken = " + tok + "\n", got{"secrets.dat", 2, 9, "binary"}},
		{"creds.bin", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x03\x00>\x00GITHUB_TOKEN=" + tok + "\x00\x00\x00", got{"creds.bin", 1, 30, "binary"}},
		{"utf16le-bom.ps1", encodeUTF16(ps, false, true), got{"utf16le-bom.ps1", 3, 22, "utf-16le"}},
		{"utf16le.ps1", encodeUTF16(ps, false, false), got{"utf16le.ps1", 3, 22, "utf-16le"}},
		{"utf16be-bom.ps1", encodeUTF16(ps, true, true), got{"utf16be-bom.ps1", 3, 22, "utf-16be"}},
		{"utf16be.ps1", encodeUTF16(ps, true, false), got{"utf16be.ps1", 3, 22, "utf-16be"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{tc.name: tc.body})
			res, err := testEngine(t).Run(context.Background(), &DirSource{Path: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings = %v, skipped %v; want one", locs(res.Findings), res.Stats.FirstSkipped)
			}
			f := res.Findings[0]
			if d := cmp.Diff(tc.want, got{f.File, f.Line, f.Column, f.Encoding}); d != "" {
				t.Errorf("finding (-want +got):\n%s", d)
			}
			if f.Secret != tok || res.Stats.Items != 1 || len(res.Stats.Skipped) != 0 {
				t.Errorf("secret %q items %d skipped %v", f.Secret, res.Stats.Items, res.Stats.Skipped)
			}
		})
	}
}

// TestBinaryAcrossChunks: a token in a binary stream is found once
// wherever the chunk boundaries fall, at its line in the original bytes.
func TestBinaryAcrossChunks(t *testing.T) {
	var b strings.Builder
	var want []loc
	line := 1
	for b.Len() < 300<<10 {
		if line%101 == 0 {
			b.WriteString("\x00\x01\x02GITHUB_TOKEN=" + testToken(line) + "\x00")
			want = append(want, loc{"blob", line, "github-pat"})
		} else {
			b.WriteString("\x00\x90\xff" + strings.Repeat("abc", line%7) + "\x03")
		}
		b.WriteString("\n")
		line++
	}
	for _, size := range []int{64 << 10, 64<<10 + 17, 100<<10 + 1} {
		e := testEngine(t)
		e.AggregateAfter = -1 // every finding, one by one
		res, err := e.Run(context.Background(), &ReaderSource{R: strings.NewReader(b.String()), Name: "blob", ChunkSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, locs(res.Findings)); d != "" {
			t.Errorf("chunk size %d: findings (-want +got):\n%s", size, d)
		}
	}
}

func TestPrintableRuns(t *testing.T) {
	for _, tc := range []struct {
		in, want       string
		atStart, atEnd bool
	}{
		{"\x00abc\x01abcdef\x02", "\n\n\n\n\nabcdef\n", true, true},
		{"abc\x00xy", "abc\n\n\n", false, true},        // may continue from the previous chunk
		{"\x00xyz\x01ab", "\n\n\n\n\nab", true, false}, // may continue in the next chunk
		{"a\tb c d\r\n", "a\tb c d\n\n", true, true},
	} {
		out := make([]byte, len(tc.in))
		printableRuns(out, []byte(tc.in), tc.atStart, tc.atEnd)
		if string(out) != tc.want {
			t.Errorf("printableRuns(%q) = %q, want %q", tc.in, out, tc.want)
		}
	}
}

func TestSniffEncoding(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\n", ""},
		{encodeUTF16("hello, world\n", false, false), "utf-16le"},
		{encodeUTF16("hello, world\n", true, false), "utf-16be"},
		{encodeUTF16("héllo wörld, ça va\n", false, false), "utf-16le"},
		{"\xff\xfe", "utf-16le"},
		{"\x00\x00\x00\x00\x00\x00", "binary"},
		{"GIF89a\x01\x00\x01\x00\x80\x00\x00", "binary"},
	} {
		if got := sniffEncoding([]byte(tc.in)); got != tc.want {
			t.Errorf("sniffEncoding(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLongLineIsOneFile: the chunks of a file that is one long line are
// one item in the summary, not one per chunk.
func TestLongLineIsOneFile(t *testing.T) {
	body := strings.Repeat("lorem ipsum ", 60<<10) + "GITHUB_TOKEN=" + testToken(7)
	res, err := testEngine(t).Run(context.Background(), &ReaderSource{R: strings.NewReader(body), Name: "min.js", ChunkSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Chunks < 5 || res.Stats.Items != 1 || len(res.Findings) != 1 {
		t.Errorf("chunks %d items %d findings %d; want several chunks, 1 item, 1 finding", res.Stats.Chunks, res.Stats.Items, len(res.Findings))
	}
}

// TestAggregation: beyond DefaultAggregateAfter findings of one rule in
// one file, the rest become one finding with their count, the same one
// whatever order chunks finish in; KeepAggregated keeps every folded
// finding for the inventory.
func TestAggregation(t *testing.T) {
	var b strings.Builder
	var all []string
	for i := 1; i <= 250; i++ {
		tok := testToken(1000 + i)
		all = append(all, Fingerprint(nil, tok))
		fmt.Fprintf(&b, "GITHUB_TOKEN=%s\n%s\n", tok, strings.Repeat("x", 700))
	}
	// Small chunks: a few findings each, folded in the collector; one
	// chunk: folded in the chunk already (unless all are kept).
	for _, tc := range []struct {
		keep  bool
		chunk int
	}{{false, 4 << 10}, {true, 4 << 10}, {false, DefaultChunkSize}, {true, DefaultChunkSize}} {
		keep := tc.keep
		e := testEngine(t)
		e.KeepAggregated = keep
		res, err := e.Run(context.Background(), &ReaderSource{R: strings.NewReader(b.String()), Name: "dump.sql", ChunkSize: tc.chunk})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != DefaultAggregateAfter+1 || res.Stats.Aggregated != 149 || res.Stats.Findings != DefaultAggregateAfter+1 {
			t.Fatalf("keep=%v: %d findings, %d aggregated (stats %d); want %d and 149", keep, len(res.Findings), res.Stats.Aggregated, res.Stats.Findings, DefaultAggregateAfter+1)
		}
		for i, f := range res.Findings {
			wantCount := 0
			if i == DefaultAggregateAfter {
				wantCount = 150
			}
			if f.Line != 2*i+1 || f.Count != wantCount {
				t.Errorf("keep=%v: finding %d at line %d count %d, want line %d count %d", keep, i, f.Line, f.Count, 2*i+1, wantCount)
			}
		}
		var got []string
		for _, f := range append(res.Findings, res.Aggregated...) {
			got = append(got, f.Fingerprint)
		}
		if keep {
			sort.Strings(got)
			want := append([]string(nil), all...)
			sort.Strings(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("kept fingerprints (-want +got):\n%s", d)
			}
		} else if len(res.Aggregated) != 0 {
			t.Errorf("%d aggregated findings held without KeepAggregated", len(res.Aggregated))
		}
	}
}
