package detectors

import (
	"strings"
	"testing"
)

// TestRules runs every example and negative example of the embedded
// catalogue through the whole matcher (see Check).
func TestRules(t *testing.T) {
	if testing.Short() {
		t.Skip("single-threaded and slow under -race; `make test` runs it without -short")
	}
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatal("no built-in rules")
	}
	// Each file alone first, so a broken file names itself, then the whole
	// catalogue, where generic rules give way to provider rules.
	files, _ := builtinFS.ReadDir("rules")
	if testing.Short() {
		files = nil // the catalogue check below covers every rule
	}
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			data, err := builtinFS.ReadFile("rules/" + f.Name())
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ParseRules(data, f.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range Check(rs) {
				t.Errorf("%s", p)
			}
		})
	}
	t.Run("catalogue", func(t *testing.T) {
		for _, p := range Check(rules) {
			t.Errorf("%s", p)
		}
	})
}

func TestCheckReportsBrokenRules(t *testing.T) {
	rules, err := ParseRules([]byte(`
provider: test
rules:
  - id: bad-example
    name: Bad example
    keywords: [tok_]
    pattern: '(?P<secret>tok_[a-z0-9]{12})'
    severity: low
    references: [https://example.invalid/doc]
    examples: ['tok_a1b2c3d4e5f6', 'nothing here tok_']
    negative_examples: ['tok_q1w2e3r4t5y6']
  - id: no-group
    name: No group
    keywords: [zz]
    pattern: 'zz[0-9]+'
    severity: low
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Check(rules) {
		got = append(got, p.String())
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"bad-example: example 2 is not matched",
		"bad-example: negative example 1 is matched",
		"no-group: rule no-group: pattern has no (?P<secret>…) group",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("Check problems lack %q; got:\n%s", want, joined)
		}
	}
}

func TestParseRulesRejectsUnknownField(t *testing.T) {
	_, err := ParseRules([]byte("provider: x\nrules:\n  - id: a\n    patern: x\n"), "typo.yaml")
	if err == nil || !strings.Contains(err.Error(), "patern") {
		t.Fatalf("want error naming the unknown field, got %v", err)
	}
}
