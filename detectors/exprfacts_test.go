package detectors

import (
	"strings"
	"testing"
)

// TestCatalogueFacts: the recorded facts are those derived from each
// expression, every expression of the catalogue has them, and an
// expression not recorded is derived on the spot.
func TestCatalogueFacts(t *testing.T) {
	for _, f := range catalogueFacts {
		if b := latin1Blind(f.expr); b != f.blind {
			t.Errorf("%q: recorded blind %t, derived %t", f.expr, f.blind, b)
		}
		if n := parseLineMinLen(f.expr); n != f.lineMin {
			t.Errorf("%q: recorded lineMin %d, derived %d", f.expr, f.lineMin, n)
		}
		if w := parseWholeSecret(f.expr); w != f.whole {
			t.Errorf("%q: recorded whole %t, derived %t", f.expr, f.whole, w)
		}
	}
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range CatalogueExpressions(rules) {
		if _, ok := facts(e); !ok {
			t.Errorf("%q: no recorded facts", e)
		}
	}
	const custom = `token=(?P<secret>[a-z]{8})`
	if _, ok := facts(custom); ok {
		t.Fatal("a custom expression has recorded facts")
	}
	if !blindExpr(custom) || lineMinLen(custom) != 14 {
		t.Errorf("custom expression: blind %t, lineMin %d; want true, 14", blindExpr(custom), lineMinLen(custom))
	}
}

func TestWholeSecret(t *testing.T) {
	for expr, want := range map[string]bool{
		`(?P<secret>ghp_[A-Za-z0-9]{36})`:                true,
		`\b(?P<secret>AKCp[A-Za-z0-9]{68,70})\b`:         true,
		`(?m)^(?P<secret>[a-z]{8})$`:                     true,
		`(?:^|[^A-Za-z0-9])(?P<secret>[A-Z]{8})`:         false,
		`key=(?P<secret>[a-z]{8})`:                       false,
		`(?P<secret>[a-z]{8})(?P<other>[0-9])`:           false,
		`(?P<other>[a-z]{8})`:                            false,
		`(?P<secret>a)|(?P<secret2>b)`:                   false,
		`(?P<secret>-----BEGIN[\s\S]{0,400}?-----END)\b`: true,
	} {
		if got := parseWholeSecret(expr); got != want {
			t.Errorf("%q: whole %t, want %t", expr, got, want)
		}
	}
}

// TestWholeSecretBounds: for every catalogue pattern whose secret is the
// whole match, RE2's match bounds without submatches are the secret
// group's, on every example and negative example of the catalogue (each
// example alone, and all of them joined, so that matches follow each
// other).
func TestWholeSecretBounds(t *testing.T) {
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range rules {
		all = append(all, r.Examples...)
		all = append(all, r.NegativeExamples...)
	}
	joined := strings.Join(all, "\n")
	n := 0
	for _, r := range rules {
		if r.compile() != nil || !r.whole {
			continue
		}
		n++
		for _, text := range append([]string{joined}, all...) {
			subs := r.re.FindAllSubmatchIndex([]byte(text), -1)
			idx := r.re.FindAllIndex([]byte(text), -1)
			if len(subs) != len(idx) {
				t.Fatalf("%s: %d matches with submatches, %d without", r.ID, len(subs), len(idx))
			}
			for i := range subs {
				if s, e := subs[i][2*r.secretIx], subs[i][2*r.secretIx+1]; s != idx[i][0] || e != idx[i][1] {
					t.Fatalf("%s: secret at %d-%d, match at %d-%d", r.ID, s, e, idx[i][0], idx[i][1])
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("%d whole-secret patterns, want the catalogue's (over 50)", n)
	}
}
