package detectors

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPrechecksAgree: with the pre-checks the matcher finds exactly what
// it finds without them, on RE2 and on Go's regexp, on every example,
// example in context and file of the accuracy corpus.
func TestPrechecksAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("catalogue-wide sweeps: slow under -race")
	}
	plain := engineMatcher(t, engineRE2)
	plain.noPrecheck = true
	checked := map[string]*Matcher{"RE2": engineMatcher(t, engineRE2), "Go": engineMatcher(t, engineGo)}
	found := 0
	for _, in := range agreementInputs(t) {
		want := summary(plain.Match([]byte(in)))
		found += len(want)
		for name, m := range checked {
			if diff := cmp.Diff(want, summary(m.Match([]byte(in)))); diff != "" {
				t.Errorf("%s with pre-checks differs on %q (-without +with):\n%s", name, clip(in), diff)
			}
		}
	}
	if found < 1000 {
		t.Fatalf("only %d matches: the comparison exercises too little", found)
	}
}

// TestPrecheckNeverRejectsAMatch runs every rule's pattern itself (RE2,
// no keyword windows) on its examples, in context and mutated at random
// (bytes changed, inserted, deleted, cut off, case flipped): wherever the
// pattern matches, neither pre-check may reject the text.
func TestPrecheckNeverRejectsAMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("catalogue-wide sweep: slow under -race")
	}
	m := engineMatcher(t, engineRE2)
	rng := rand.New(rand.NewPCG(1, 17))
	matched, withCheck := 0, 0
	for ri, r := range m.Rules() {
		if r.compile() != nil {
			continue
		}
		p := m.precheck(int32(ri), r)
		if p.anchor == nil && p.relaxed == "" {
			continue
		}
		withCheck++
		for _, ex := range append(append([]string(nil), r.Examples...), r.NegativeExamples...) {
			texts := []string{ex, "é" + ex + "\xff", "a\n" + ex + "\n"}
			for range 40 {
				texts = append(texts, mutate(rng, ex))
			}
			for _, text := range texts {
				if len(r.re.FindAllSubmatchIndex([]byte(text), -1)) == 0 {
					continue
				}
				matched++
				if !m.mayMatchAnchor(int32(ri), r, []byte(text)) {
					t.Errorf("%s: the anchor check rejects %q, which the pattern matches", r.ID, clip(text))
				}
				if !m.mayMatchRelaxed(int32(ri), r, []byte(text)) {
					t.Errorf("%s: the relaxed pattern %q rejects %q, which the pattern matches", r.ID, p.relaxed, clip(text))
				}
				// The text as the middle one of three windows of a file.
				data := "word" + text + "\xff" + text + "word"
				wins := []window{{0, 2}, {4, 4 + len(text)}, {len(data) - 3, len(data)}}
				var buf []byte
				if !m.mayMatchJoined(int32(ri), r, []byte(data), wins, &buf) {
					t.Errorf("%s: the joined pattern %q rejects %q among other windows, which the pattern matches", r.ID, p.joined, clip(text))
				}
			}
		}
	}
	if withCheck < 100 || matched < 5000 {
		t.Fatalf("%d rules with pre-checks, %d matching texts: too few to show anything", withCheck, matched)
	}
}

// mutate changes s at a few random places the way text around a secret
// varies: a byte replaced (often by a neighbour class's byte), inserted
// or deleted, the text cut short, a letter's case flipped.
func mutate(rng *rand.Rand, s string) string {
	const alphabet = "aZ09_-.=:\"' \t\n\\/+=@#xX\x80\xff"
	b := []byte(s)
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			break
		}
		i := rng.IntN(len(b))
		switch rng.IntN(6) {
		case 0:
			b[i] = alphabet[rng.IntN(len(alphabet))]
		case 1:
			b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
		case 2:
			b = append(b[:i], b[i+1:]...)
		case 3:
			b = b[:i]
		case 4:
			b = b[i:]
		case 5:
			c := b[i]
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
				b[i] ^= 0x20
			}
		}
	}
	return string(b)
}

// FuzzPrecheck: for any text and any rule of the catalogue, a pattern
// match means the pre-checks let the text through.
func FuzzPrecheck(f *testing.F) {
	m := engineMatcher(f, engineRE2)
	rules := m.Rules()
	for ri, r := range rules {
		for _, ex := range r.Examples {
			f.Add(uint16(ri), ex)
		}
	}
	f.Fuzz(func(t *testing.T, ri uint16, text string) {
		i := int32(int(ri) % len(rules))
		r := rules[i]
		if r.compile() != nil || len(r.re.FindAllSubmatchIndex([]byte(text), -1)) == 0 {
			return
		}
		if !m.mayMatchAnchor(i, r, []byte(text)) || !m.mayMatchRelaxed(i, r, []byte(text)) {
			t.Errorf("%s: a pre-check rejects %q, which the pattern matches", r.ID, text)
		}
	})
}

// TestPrecheckRejects: the pre-checks turn windows away without running
// the pattern, and a rule none of whose windows passes never compiles its
// pattern in RE2.
func TestPrecheckRejects(t *testing.T) {
	token := &Rule{ID: "t", Name: "t", Keywords: []string{"pat"}, Severity: SeverityHigh,
		Pattern: `\b(?P<secret>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b`}
	generic := &Rule{ID: "g", Name: "g", Keywords: []string{"password"}, Severity: SeverityHigh,
		Pattern: `(?i)(?:^|[^a-z0-9_])[a-z0-9_.-]{0,60}?password[ \t]*(?:=|:=)[ \t]*["']?(?P<secret>[a-z0-9!#$%*.-]{6,100})`}
	m, err := NewMatcher([]*Rule{token, generic}, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	m.engine = engineRE2
	for _, tc := range []struct {
		ri    int32
		in    string
		check func(ri int32, r *Rule, seg []byte) bool
		want  bool
	}{
		{0, "the path to the pattern file, patterns.txt", m.mayMatchAnchor, false},
		{0, "pat" + strings.Repeat("x", 14) + "." + strings.Repeat("0", 64), m.mayMatchAnchor, true},
		{0, "pat" + strings.Repeat("x", 14) + "." + strings.Repeat("0", 16), m.mayMatchAnchor, false}, // too short
		{0, "PAT" + strings.Repeat("x", 14) + "." + strings.Repeat("0", 64), m.mayMatchAnchor, false}, // case matters
		{1, "// Password returns the user's password, if set.\nfunc (u *User) Password() (string, bool) {", m.mayMatchRelaxed, false},
		{1, "db_pass" + "word := \"hun" + "ter2x\"", m.mayMatchRelaxed, true}, // split: no finding in this file
	} {
		r := m.Rules()[tc.ri]
		if got := tc.check(tc.ri, r, []byte(tc.in)); got != tc.want {
			t.Errorf("%s on %q: %v, want %v", r.ID, tc.in, got, tc.want)
		}
	}
	p := m.precheck(1, generic)
	if p.relaxed == "" || strings.Contains(p.relaxed, "60") {
		t.Errorf("relaxed pattern %q: want one without the {0,60} prefix", p.relaxed)
	}
	m.Match([]byte("the path to the pattern file\n// Password returns the user's password, if set.\n"))
	if token.re != nil || generic.re != nil {
		t.Error("RE2 compiled a pattern no window could match")
	}
}

// TestLatin1String: characters from 0x80 up are written as escapes RE2
// reads as one byte each, and a class is cut to Latin-1.
func TestLatin1String(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`[^a]{2,9}x`, `[\x00-` + "`" + `b-\x7f\x80-\xff]{2}[\x00-` + "`" + `b-\x7f\x80-\xff]*x`},
		{`\xe9{3,}b`, `\xe9{3}\xe9*b`},
	} {
		_, got, _ := derivePrechecks(tc.expr)
		if got != tc.want {
			t.Errorf("derivePrechecks(%q) relaxed = %q, want %q", tc.expr, got, tc.want)
		}
		if _, err := compileRegex(got); err != nil {
			t.Errorf("%q: %v", got, err)
		}
	}
}
