package detectors

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// memoFile builds a file of n lines around the catalogue's examples:
// source-like filler, every rule's examples (positive and negative) in
// turn, JSON strings with escaped newlines, base64 and percent-encoded
// runs, a line longer than a block, CRLF lines.
func memoFile(rules []*Rule, rng *rand.Rand, n int) []string {
	var exs []string
	for _, r := range rules {
		exs = append(exs, r.Examples...)
		exs = append(exs, r.NegativeExamples...)
	}
	filler := []string{
		"func (c *Client) Do(req *Request) error {", "\treturn nil", "}", "",
		"\tpath := filepath.Join(dir, name) // the token path", `	key := "value"`,
		`{"config": "line one\nline two \"quoted\" \u0041 end"}`,
		`"a JSON string that goes on \` + "\n" + `past its line"`,
		"Authorization: Basic dXNlcjpwYXNzd29yZA==", "url=https%3A%2F%2Fexample.invalid%2Fx%3Fa%3Db",
		"data: SGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgMTIzNDU2Nzg=",
		"password: hunter2-but-longer\r", "secret\n", "\\",
		strings.Repeat("x", 20<<10) + " token = abcdef0123456789abcdef0123456789",
	}
	lines := make([]string, 0, n)
	for len(lines) < n {
		switch rng.IntN(5) {
		case 0:
			lines = append(lines, exs[rng.IntN(len(exs))])
		case 1:
			// A JSON string going on past an escaped newline, whose
			// line's end varies (block boundaries depend on it).
			lines = append(lines, fmt.Sprintf(`{"k%d": "v \\n %x \`, rng.IntN(1000), rng.Uint64())+"\n"+
				fmt.Sprintf(`  token=%x"}`, rng.Uint64()))
		default:
			lines = append(lines, filler[rng.IntN(len(filler))])
		}
	}
	return lines
}

// edit changes a few lines of a file's version, as a commit would.
func edit(rng *rand.Rand, lines []string, extra []string) []string {
	out := append([]string(nil), lines...)
	for range 1 + rng.IntN(4) {
		i := rng.IntN(len(out) + 1)
		switch rng.IntN(3) {
		case 0: // insert
			out = append(out[:i], append([]string{extra[rng.IntN(len(extra))]}, out[i:]...)...)
		case 1: // delete
			if i < len(out) {
				out = append(out[:i], out[i+1:]...)
			}
		default: // change
			if i < len(out) {
				out[i] = extra[rng.IntN(len(extra))]
			}
		}
	}
	return out
}

// TestMatchMemoSameAsMatch runs Match and MatchMemo (one memo for all)
// over many versions of generated files and requires the same matches:
// reusing a block's or a window's work never changes a result.
func TestMatchMemoSameAsMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("slow under -race; `make test` runs it without -short")
	}
	m := testMatcher(t)
	memo := NewMemo(1 << 20) // small: generations turn over too
	rng := rand.New(rand.NewPCG(7, 11))
	total := 0
	for f := range 4 {
		lines := memoFile(m.Rules(), rng, 150+rng.IntN(250))
		extra := memoFile(m.Rules(), rng, 200)
		for v := range 12 {
			for _, sep := range []string{"\n", "\r\n"} {
				data := []byte(strings.Join(lines, sep))
				want := m.Match(data)
				got := m.MatchMemo(data, memo)
				total += len(got)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b *Rule) bool { return a == b })); diff != "" {
					t.Fatalf("file %d version %d: MatchMemo differs from Match (-Match +MatchMemo):\n%s", f, v, diff)
				}
			}
			lines = edit(rng, lines, extra)
		}
	}
	if total == 0 {
		t.Fatal("no matches at all: the test compares nothing")
	}
}

// TestBlockEndKeepsLinesWhole checks the block boundaries: after a
// newline, never after an escaped one, and content-defined (an edit
// early in a file leaves the later boundaries where they were).
func TestBlockEndKeepsLinesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < 256<<10 {
		fmt.Fprintf(&b, "line %d %s %x\n", rng.IntN(1e6), strings.Repeat("ab", rng.IntN(60)), rng.Uint64())
		if rng.IntN(5) == 0 {
			fmt.Fprintf(&b, "\"escaped %x \\\n", rng.Uint64())
		}
	}
	data := b.Bytes()
	bounds := func(data []byte) []int {
		var out []int
		for s := 0; s < len(data); {
			e := blockEnd(data, s)
			if e <= s {
				t.Fatalf("block at %d does not advance", s)
			}
			if e < len(data) && (data[e-1] != '\n' || data[e-2] == '\\') {
				t.Fatalf("block ends at %d after %q", e, data[e-2:e])
			}
			out = append(out, e)
			s = e
		}
		return out
	}
	before := bounds(data)
	if len(before) < 64 {
		t.Fatalf("%d blocks in %d bytes", len(before), len(data))
	}
	edited := append([]byte("an inserted line\n"), data...)
	after := bounds(edited)
	shifted := map[int]bool{}
	for _, e := range after {
		shifted[e-len("an inserted line\n")] = true
	}
	same := 0
	for _, e := range before {
		if shifted[e] {
			same++
		}
	}
	if same < len(before)*9/10 {
		t.Errorf("an inserted first line moved %d of %d block boundaries", len(before)-same, len(before))
	}
}

// BenchmarkMatchVersions matches twenty versions of a real source file
// (net/http's server.go from GOROOT, a few lines changed from one to
// the next, as through a history) whole and through a memo.
func BenchmarkMatchVersions(b *testing.B) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("go env GOROOT:", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "server.go"))
	if err != nil {
		b.Skip("GOROOT sources not found:", err)
	}
	m := testMatcher(b)
	rng := rand.New(rand.NewPCG(3, 4))
	lines := strings.Split(string(src), "\n")
	extra := append([]string(nil), lines...)
	var versions [][]byte
	size := 0
	for range 20 {
		versions = append(versions, []byte(strings.Join(lines, "\n")))
		size += len(versions[len(versions)-1])
		lines = edit(rng, lines, extra)
	}
	for _, mode := range []string{"whole", "memo"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				memo := NewMemo(0)
				for _, v := range versions {
					if mode == "memo" {
						m.MatchMemo(v, memo)
					} else {
						m.Match(v)
					}
				}
			}
		})
	}
}

// BenchmarkMatchHistory matches five versions of each Go file of
// net/http and crypto (GOROOT, a few lines changed from one version to the
// next) through one memo, as a history scan does: a memo of megabytes,
// whose lookups leave the processor's caches, where
// BenchmarkMatchVersions' memo of one file stays in them.
func BenchmarkMatchHistory(b *testing.B) {
	srcs := goSources(b, "net/http", "crypto")
	if len(srcs) < 100 {
		b.Skip("GOROOT sources not found")
	}
	m := testMatcher(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var versions [][]byte
	size := 0
	for _, src := range srcs {
		lines := strings.Split(string(src), "\n")
		for range 5 {
			versions = append(versions, []byte(strings.Join(lines, "\n")))
			size += len(versions[len(versions)-1])
			lines = edit(rng, lines, lines)
		}
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		memo := NewMemo(0)
		memo.Bulk = true
		for _, v := range versions {
			m.MatchMemo(v, memo)
		}
	}
}

// TestLineLocal checks which patterns are matched line by line: none
// that can match a newline or anchors at the text's ends, or can match
// nothing at all.
func TestLineLocal(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		minLen  int
	}{
		{`\b(?P<secret>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b`, 82},
		{`(?i)key[ \t]*=[ \t]*(?P<secret>[a-z0-9]{8,})`, 12},
		{`(?m)^(?P<secret>x+)$`, 1},
		{`key\s*=(?P<secret>\w+)`, 0}, // \s holds a newline
		{`key=(?P<secret>[^"]+)`, 0},  // so does a negated class
		{`(?s)key=(?P<secret>.+)`, 0}, // and (?s).
		{`^key=(?P<secret>\w+)`, 0},   // the text's start
		{`key=(?P<secret>\w+)\z`, 0},  // the text's end
		{`(?P<secret>\w*)`, 0},        // may match nothing
		{`a\nb(?P<secret>c)`, 0},      // a literal newline
		{`(?P<secret>ab|c)`, 1},
	} {
		m, err := NewMatcher([]*Rule{{ID: "t", Keywords: []string{"key"}, Pattern: tc.pattern}}, Allowlist{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.lineLocal(0, m.rules[0]); got != tc.minLen {
			t.Errorf("lineLocal(%q) = %d, want %d", tc.pattern, got, tc.minLen)
		}
	}
}

// TestMemoGenerations: a full generation is kept as the older one and
// dropped at the next rotation, unless an entry of it is read meanwhile.
func TestMemoGenerations(t *testing.T) {
	mm := NewMemo(memoShards * 2 * 10 * 64) // ten 64-byte entries a generation a shard
	key := func(i int) memoKey { return mm.key('t', uint32(i), nil) }
	kept := -1
	for i := range 2000 {
		mm.put(key(i), i)
		if i == 100 {
			kept = i
		}
		if kept >= 0 && i%50 == 0 {
			if _, ok := mm.get(key(kept)); !ok {
				t.Fatalf("entry %d, read every 50 puts, was dropped by put %d", kept, i)
			}
		}
	}
	if _, ok := mm.get(key(1999)); !ok {
		t.Error("the newest entry is gone")
	}
	if _, ok := mm.get(key(0)); ok {
		t.Error("the oldest entry, never read, survived 2,000 puts into 320 entries' room")
	}
}
