package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/scanner"
)

// TestAggregateFindingShowsCount: an aggregate finding says in every
// format how many findings it stands for.
func TestAggregateFindingShowsCount(t *testing.T) {
	f := scanner.Finding{
		RuleID: "synthetic-generic-password", RuleName: "Generic password", Source: "dir",
		File: "dump.sql", Line: 301, Column: 5, Secret: "synthetic-password-0101",
		Redacted: "synt********", Fingerprint: "fp-0101", Count: 4242,
	}
	want := map[string]string{
		"table":    "dump.sql:301 (and 4241 more)",
		"markdown": "dump.sql:301 (and 4241 more)",
		"junit":    "dump.sql:301 (and 4241 more)",
		"sarif":    "dump.sql:301 (and 4241 more)",
		"json":     `"count": 4242`,
		"jsonl":    `"count":4242`,
		"csv":      ",4242\n",
	}
	for _, format := range Formats() {
		rep, err := New(format, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := rep.Report(&b, []scanner.Finding{f}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want[format]) {
			t.Errorf("%s output lacks %q:\n%s", format, want[format], b.String())
		}
	}
}
