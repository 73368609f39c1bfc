package detectors

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sprawlsec/sprawl/internal/corpus"
)

// engineMatcher is a matcher over the whole catalogue, examples included,
// that runs rule patterns on the given engine only.
func engineMatcher(t testing.TB, e engine) *Matcher {
	t.Helper()
	m := testMatcher(t)
	m.engine = e
	return m
}

// summary is what a finding is made of, for comparing engines.
func summary(ms []Match) []string {
	var out []string
	for _, mt := range ms {
		out = append(out, fmt.Sprintf("%s %d-%d %d-%d %q %s %d:%d", mt.Rule.ID, mt.Start, mt.End, mt.MatchStart, mt.MatchEnd, mt.Secret, mt.Encoding, mt.Line, mt.Column))
	}
	return out
}

// TestEnginesAgree: Go's regexp, where the matcher lets it run, finds
// exactly what RE2 finds, on every rule example, negative example and
// example in context, and on every file of the labelled accuracy corpus.
func TestEnginesAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("two catalogue-wide sweeps: slow under -race")
	}
	re2, goRe := engineMatcher(t, engineRE2), engineMatcher(t, engineGo)
	var inputs []string
	pad := strings.Repeat("filler text without credentials ", 40)
	for _, r := range re2.Rules() {
		for _, ex := range append(append([]string(nil), r.Examples...), r.NegativeExamples...) {
			inputs = append(inputs, ex, "x\n"+ex+"\n"+pad+"\n", strings.Repeat("line\n", 50)+ex)
		}
	}
	dir := t.TempDir()
	if _, err := corpus.Generate(dir, 1); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil {
			inputs = append(inputs, string(data))
			files++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d corpus files", files)
	}
	found := 0
	for _, in := range inputs {
		want := summary(re2.Match([]byte(in)))
		found += len(want)
		if diff := cmp.Diff(want, summary(goRe.Match([]byte(in)))); diff != "" {
			t.Errorf("engines disagree on %q (-RE2 +Go):\n%s", clip(in), diff)
		}
	}
	if found < 1000 {
		t.Fatalf("only %d matches: the comparison exercises too little", found)
	}
}

// TestGoRegexOnlyOnASCII: where a window holds other bytes, RE2 (Latin-1:
// one byte, one character) runs it, not Go's regexp (UTF-8: "é" is one
// character of two bytes), so a counted pattern takes the same bytes.
func TestGoRegexOnlyOnASCII(t *testing.T) {
	r := &Rule{ID: "t", Name: "t", Keywords: []string{"tok="}, Pattern: `tok=(?P<secret>.{24})`, Severity: SeverityHigh}
	for _, e := range []engine{engineRE2, engineGo, engineAuto} {
		m, err := NewMatcher([]*Rule{r}, Allowlist{})
		if err != nil {
			t.Fatal(err)
		}
		m.engine = e
		secret := "é9xQ2mZ7vK4pL8wR3tY6nB1cF5"
		got := m.Match([]byte("tok=" + secret + "\n"))
		if len(got) != 1 || got[0].Secret != secret[:24] {
			t.Errorf("engine %d: got %v, want the secret's first 24 bytes", e, summary(got))
		}
	}
}

// TestGoRegexBudget: a rule runs on Go's regexp until it has matched
// goRegexBudget bytes that way, then on RE2.
func TestGoRegexBudget(t *testing.T) {
	r := &Rule{ID: "t", Name: "t", Keywords: []string{"tok="}, Pattern: `tok=(?P<secret>[a-z0-9]{20})`, Severity: SeverityHigh}
	m, err := NewMatcher([]*Rule{r}, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("tok=" + strings.Repeat("x", 100) + "\n")
	m.Match(line)
	if m.small[0].re == nil || r.re != nil {
		t.Fatalf("after one small input: Go regexp compiled %v, RE2 compiled %v; want Go only", m.small[0].re != nil, r.re != nil)
	}
	big := []byte(strings.Repeat(string(line), 2*goRegexBudget/len(line)))
	m.Match(big)
	if r.re == nil {
		t.Fatal("after twice the budget: RE2 not compiled")
	}
}

// TestGoRegexExtras: a rule's allow and context expressions run on Go's
// regexp for ASCII text, never compiling RE2, and still decide.
func TestGoRegexExtras(t *testing.T) {
	r := &Rule{ID: "t", Name: "t", Keywords: []string{"tok="}, Pattern: `tok=(?P<secret>[a-z0-9]{20})`, Severity: SeverityHigh,
		Allow: []string{`^0+$`, `^test`}, Context: `(?i)service`}
	m, err := NewMatcher([]*Rule{r}, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"service\ntok=k3j5h7g9f2d4s6a8q1w3\n", 1},
		{"tok=k3j5h7g9f2d4s6a8q1w3\n", 0},          // no context
		{"service\ntok=testk3j5h7g9f2d4s6a8\n", 0}, // allowed
	} {
		if got := m.Match([]byte(tc.in)); len(got) != tc.want {
			t.Errorf("%q: %d matches, want %d", tc.in, len(got), tc.want)
		}
	}
	if r.ctxRe != nil || r.allowRes != nil {
		t.Error("RE2 compiled the rule's context or allow expressions for ASCII text")
	}
}
