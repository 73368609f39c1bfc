package detectors

import "testing"

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
