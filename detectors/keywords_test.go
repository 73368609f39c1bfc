package detectors

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// naiveKeywordHits finds every occurrence of every pattern in data by
// direct search of the lower-cased data, in the order appendHits promises:
// by end, then longest first, then by pattern id.
func naiveKeywordHits(patterns [][]byte, data []byte) []keywordHit {
	fold := func(b []byte) []byte {
		out := make([]byte, len(b))
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out[i] = c
		}
		return out
	}
	low := fold(data)
	var hits []keywordHit
	for id, p := range patterns {
		p = fold(p)
		for i := 0; i+len(p) <= len(low); i++ {
			if bytes.Equal(low[i:i+len(p)], p) {
				hits = append(hits, keywordHit{id: int32(id), start: i, end: i + len(p)})
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.end != b.end {
			return a.end < b.end
		}
		if a.start != b.start {
			return a.start < b.start
		}
		return a.id < b.id
	})
	return hits
}

func catalogueKeywords(t testing.TB) [][]byte {
	t.Helper()
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	return m.patterns
}

// TestKeywordAutomaton checks the automaton against direct search: every
// occurrence of every keyword, in any ASCII case, overlapping or nested,
// in the catalogue's examples and in text stitched from keyword pieces.
func TestKeywordAutomaton(t *testing.T) {
	pats := catalogueKeywords(t)
	ac, err := newKeywordAutomaton(pats)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, r := range rules {
		inputs = append(inputs, r.Examples...)
		inputs = append(inputs, r.NegativeExamples...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var b strings.Builder
		for range 40 {
			p := pats[rng.IntN(len(pats))]
			// A piece of a keyword, or all of it, in random case.
			s, e := 0, len(p)
			if rng.IntN(3) == 0 {
				s, e = rng.IntN(len(p)), rng.IntN(len(p)+1)
				if s > e {
					s, e = e, s
				}
			}
			for _, c := range p[s:e] {
				if rng.IntN(2) == 0 && 'a' <= c && c <= 'z' {
					c -= 'a' - 'A'
				}
				b.WriteByte(c)
			}
			if rng.IntN(4) == 0 {
				b.WriteByte(" \n=\x00\xff"[rng.IntN(5)])
			}
		}
		inputs = append(inputs, b.String())
	}
	// Longer inputs, which appendHits splits in two: groups of the above
	// joined, and the longest keyword at every offset around the middle.
	short := len(inputs)
	for i := 0; i+12 <= short; i += 12 {
		inputs = append(inputs, strings.Join(inputs[i:i+12], "\n"))
	}
	longest := pats[0]
	for _, p := range pats {
		if len(p) > len(longest) {
			longest = p
		}
	}
	for _, n := range []int{twoPassMin, twoPassMin + 1, 3 * twoPassMin} {
		for d := -len(longest) - 1; d <= len(longest)+1; d++ {
			b := []byte(strings.Repeat("-", n))
			copy(b[n/2+d:], longest)
			inputs = append(inputs, string(b))
		}
	}
	total := 0
	for _, in := range inputs {
		got := ac.appendHits(nil, []byte(in))
		want := naiveKeywordHits(pats, []byte(in))
		total += len(want)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(keywordHit{})); diff != "" {
			t.Fatalf("hits in %q (-want +got):\n%s", in, diff)
		}
	}
	if total < 10000 {
		t.Fatalf("only %d keyword hits in the inputs: the test exercises too little", total)
	}
}

// TestKeywordAutomatonEdges: duplicates, a keyword inside another, bytes
// outside ASCII, upper case in keywords, and the error cases.
func TestKeywordAutomatonEdges(t *testing.T) {
	pats := [][]byte{[]byte("he"), []byte("she"), []byte("his"), []byte("hers"), []byte("he"), []byte("\xffX"), []byte("Ab")}
	ac, err := newKeywordAutomaton(pats)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"ushers", "USHERS", "ahishers", "\xffx\xffX\xfex", "aB ab AB", ""} {
		got := ac.appendHits(nil, []byte(in))
		if diff := cmp.Diff(naiveKeywordHits(pats, []byte(in)), got, cmp.AllowUnexported(keywordHit{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
	if _, err := newKeywordAutomaton(nil); err == nil {
		t.Error("no keywords: want an error")
	}
	if _, err := newKeywordAutomaton([][]byte{[]byte("ok"), nil}); err == nil {
		t.Error("an empty keyword: want an error")
	}
}

func FuzzKeywords(f *testing.F) {
	pats := catalogueKeywords(f)
	ac, err := newKeywordAutomaton(pats)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("aws_secret_access_key = AKIA"))
	f.Add([]byte("GITHUB_TOKEN=ghp_ PASSWORD: xoxb-"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := ac.appendHits(nil, data)
		want := naiveKeywordHits(pats, data)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(keywordHit{})); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}

// BenchmarkKeywordAutomatonBuild measures what every scan pays once at
// start for the catalogue's keyword automaton: reading it from
// keywords.bin, against building it.
func BenchmarkKeywordAutomatonBuild(b *testing.B) {
	pats := catalogueKeywords(b)
	b.Run("embedded", func(b *testing.B) {
		for b.Loop() {
			if embeddedAutomaton(pats) == nil {
				b.Fatal("not embedded")
			}
		}
	})
	b.Run("built", func(b *testing.B) {
		for b.Loop() {
			if _, err := buildKeywordAutomaton(pats); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestKeywordsFresh fails when keywords.bin lags behind the catalogue,
// and checks that the automaton read from it is the one built at run
// time, and that any other keyword list is built, not read.
func TestKeywordsFresh(t *testing.T) {
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	want, err := EncodeKeywords(rules)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, keywordTables) {
		t.Fatal("detectors/keywords.bin is stale: run go generate ./detectors")
	}
	patterns := catalogueKeywords(t)
	got := embeddedAutomaton(patterns)
	if got == nil {
		t.Fatal("the catalogue's keywords are not read from keywords.bin")
	}
	built, err := buildKeywordAutomaton(patterns)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(built, got, cmp.AllowUnexported(keywordAutomaton{})); diff != "" {
		t.Fatalf("embedded automaton differs from the built one (-built +embedded):\n%s", diff)
	}
	for name, other := range map[string][][]byte{
		"one fewer": patterns[1:],
		"one more":  append(append([][]byte(nil), patterns...), []byte("zzkeyword")),
		"reordered": append([][]byte{patterns[1], patterns[0]}, patterns[2:]...),
	} {
		if embeddedAutomaton(other) != nil {
			t.Errorf("%s: keywords.bin used for another keyword list", name)
		}
	}
}

// BenchmarkKeywordHits runs the catalogue's automaton over Go's net/http
// sources, file by file, in one pass and as appendHits does (two
// interleaved passes over longer files).
func BenchmarkKeywordHits(b *testing.B) {
	ac, err := newKeywordAutomaton(catalogueKeywords(b))
	if err != nil {
		b.Fatal(err)
	}
	files := goSources(b, "net/http")
	total := 0
	for _, f := range files {
		total += len(f)
	}
	var hits []keywordHit
	for _, tc := range []struct {
		name string
		run  func([]keywordHit, []byte) []keywordHit
	}{
		{"one-pass", func(h []keywordHit, d []byte) []keywordHit { return ac.appendPass(h, d, 0) }},
		{"two-pass", ac.appendHits},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, f := range files {
					hits = tc.run(hits[:0], f)
				}
			}
		})
	}
}

// goSources returns the Go files under GOROOT/src/dir for each dir,
// skipping the benchmark when there are none.
func goSources(b *testing.B, dirs ...string) [][]byte {
	b.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("go env GOROOT:", err)
	}
	var files [][]byte
	for _, dir := range dirs {
		root := filepath.Join(strings.TrimSpace(string(out)), "src", dir)
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				if data, err := os.ReadFile(p); err == nil {
					files = append(files, data)
				}
			}
			return nil
		})
	}
	if len(files) == 0 {
		b.Skip("no Go source found under GOROOT")
	}
	return files
}
