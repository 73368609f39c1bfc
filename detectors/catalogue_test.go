package detectors_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/detectors/internal/catsrc"
)

// TestCatalogueFresh fails when catalogue_gen.go lags behind rules/*.yaml
// (or behind the generator), and checks that Builtin hands out exactly
// the rules the YAML files describe, examples aside.
func TestCatalogueFresh(t *testing.T) {
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	want, err := catsrc.Source(rules)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(catsrc.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("detectors/%s is stale: run go generate ./detectors", catsrc.Name)
	}
	builtin, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreUnexported(detectors.Rule{}, detectors.Imported{}, detectors.Nearby{})
	if diff := cmp.Diff(detectors.CatalogueEntries(rules), builtin, ignore, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Builtin() differs from rules/*.yaml (-yaml +Builtin):\n%s", diff)
	}
}
