package reports

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testRules are the rule metadata the fixtures refer to. The webhook rule
// of testFindings is missing on purpose: it exercises the minimal SARIF
// rule, and "synthetic-unused" must not appear in any report.
func testRules() []*detectors.Rule {
	return []*detectors.Rule{
		{
			ID:          "synthetic-cloud-key",
			Name:        "Synthetic cloud key",
			Description: "An access key for the synthetic cloud, used only in tests.",
			Severity:    detectors.SeverityCritical,
			Tags:        []string{"cloud", "key"},
			References:  []string{"https://example.invalid/docs/cloud-keys", "https://example.invalid/docs/rotate"},
		},
		{
			ID:          "synthetic-ci-token",
			Name:        "Synthetic CI token",
			Description: "A token for the synthetic CI service.",
			Severity:    detectors.SeverityHigh,
			Checksum:    "synthetic-crc",
			Tags:        []string{"ci"},
			References:  []string{"https://example.invalid/docs/ci-tokens"},
		},
		{
			ID:         "synthetic-generic-password",
			Name:       "Generic password",
			Severity:   detectors.SeverityLow,
			Generic:    true,
			Tags:       []string{"password", "security"},
			References: []string{"https://example.invalid/docs/passwords"},
		},
		{
			ID:       "synthetic-unused",
			Name:     "Unused rule",
			Severity: detectors.SeverityMedium,
		},
	}
}

// testOptions are the options the golden files were written with.
func testOptions() Options {
	return Options{
		ToolName:       "sprawl",
		ToolVersion:    "1.2.3-test",
		InformationURI: "https://example.invalid/sprawl",
		Rules:          testRules(),
		Root:           "/src/project",
	}
}

// testFindings returns four findings, deliberately out of report order:
// one per severity from critical to low, one from history with commit,
// author and date (and its secret pasted into the commit message), one
// whose rule is not in testRules and whose path holds a space and a pipe.
func testFindings() []scanner.Finding {
	return []scanner.Finding{
		{
			RuleID:      "synthetic-generic-password",
			RuleName:    "Generic password",
			Severity:    detectors.SeverityLow,
			Tags:        []string{"password"},
			Source:      "dir",
			Root:        "/src/project",
			File:        "src/db.go",
			Line:        40,
			Column:      15,
			EndLine:     40,
			EndColumn:   41,
			Secret:      "synthetic-test-secret-0004",
			Redacted:    "synt*****0004",
			Fingerprint: "fp-0004",
			Entropy:     3.14159,
		},
		{
			RuleID:      "synthetic-cloud-key",
			RuleName:    "Synthetic cloud key",
			Description: "An access key for the synthetic cloud, used only in tests.",
			Severity:    detectors.SeverityCritical,
			Tags:        []string{"cloud", "key"},
			Source:      "dir",
			Root:        "/src/project",
			File:        "config/app.env",
			Line:        12,
			Column:      8,
			EndLine:     12,
			EndColumn:   34,
			Secret:      "synthetic-test-secret-0001",
			Redacted:    "synt*****0001",
			Fingerprint: "fp-0001",
			Entropy:     4.56789,
		},
		{
			RuleID:      "synthetic-webhook-url",
			RuleName:    "Synthetic webhook URL",
			Severity:    detectors.SeverityMedium,
			Source:      "dir",
			Root:        "/src/project",
			File:        "docs/my notes|draft.md",
			Line:        7,
			Column:      0, // unknown: SARIF must omit it
			Secret:      "synthetic-test-secret-0003",
			Redacted:    "synt*****0003",
			Fingerprint: "fp-0003",
			Entropy:     4,
		},
		{
			RuleID:      "synthetic-ci-token",
			RuleName:    "Synthetic CI token",
			Description: "A token for the synthetic CI service.",
			Severity:    detectors.SeverityHigh,
			Tags:        []string{"ci"},
			Source:      "git",
			Root:        "/src/project",
			File:        "ci/pipeline.yml",
			Line:        3,
			Column:      11,
			EndLine:     3,
			EndColumn:   37,
			Secret:      "synthetic-test-secret-0002",
			Redacted:    "synt*****0002",
			Fingerprint: "fp-0002",
			Entropy:     4.2,
			Commit:      "0123456789abcdef0123456789abcdef01234567",
			Author:      "Test Author",
			Email:       "author@example.invalid",
			Date:        time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 2*60*60)),
			Message:     "add CI config\n\ntoken synthetic-test-secret-0002 for now",
		},
	}
}

// report runs format over findings and returns the output.
func report(t *testing.T, format string, opts Options, findings []scanner.Finding) string {
	t.Helper()
	r, err := New(format, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", format, err)
	}
	var buf bytes.Buffer
	if err := r.Report(&buf, findings); err != nil {
		t.Fatalf("%s: Report: %v", format, err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		suffix   string
		findings []scanner.Finding
	}{
		{"", testFindings()},
		{"_empty", nil},
	}
	for _, format := range Formats() {
		for _, c := range cases {
			name := format + c.suffix
			t.Run(name, func(t *testing.T) {
				got := report(t, format, testOptions(), c.findings)
				golden := filepath.Join("testdata", name+".golden")
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

func TestReportDoesNotReorderInput(t *testing.T) {
	in := testFindings()
	want := testFindings()
	for _, format := range Formats() {
		report(t, format, testOptions(), in)
		if diff := cmp.Diff(want, in); diff != "" {
			t.Fatalf("%s modified its input (-want +got):\n%s", format, diff)
		}
	}
}

func TestSecrets(t *testing.T) {
	findings := testFindings()
	// A redactor that failed (redacted form equal to the secret, or empty)
	// must not leak the secret either.
	findings = append(findings,
		scanner.Finding{
			RuleID: "synthetic-cloud-key", Severity: detectors.SeverityCritical, Source: "dir",
			File: "leak.txt", Line: 1, Fingerprint: "fp-0005",
			Secret: "synthetic-test-secret-0005", Redacted: "synthetic-test-secret-0005",
		},
		scanner.Finding{
			RuleID: "synthetic-cloud-key", Severity: detectors.SeverityCritical, Source: "stdin",
			Line: 2, Fingerprint: "fp-0006",
			Secret: "synthetic-test-secret-0006",
		},
		// Long enough that a wrapping table would split it.
		scanner.Finding{
			RuleID: "synthetic-cloud-key", Severity: detectors.SeverityCritical, Source: "dir",
			File: strings.Repeat("deep/", 40) + "file.txt", Line: 3, Fingerprint: "fp-0007",
			Secret: "synthetic-test-secret-0007-" + strings.Repeat("x", 200), Redacted: "synt*****xxxx",
		},
	)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			opts := testOptions()
			hidden := report(t, format, opts, findings)
			opts.ShowSecrets = true
			shown := report(t, format, opts, findings)
			for _, f := range findings {
				if strings.Contains(hidden, f.Secret) {
					t.Errorf("without ShowSecrets, output contains %q:\n%s", f.Secret, hidden)
				}
				if !strings.Contains(shown, f.Secret) {
					t.Errorf("with ShowSecrets, output lacks %q:\n%s", f.Secret, shown)
				}
			}
		})
	}
}

var errWrite = errors.New("synthetic write failure")

// failingWriter accepts n bytes, then fails every write.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, errWrite
}

func TestWriteErrors(t *testing.T) {
	for _, format := range Formats() {
		full := report(t, format, testOptions(), testFindings())
		for _, n := range []int{0, len(full) / 2, len(full) - 1} {
			r, err := New(format, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			err = r.Report(&failingWriter{n: n}, testFindings())
			if !errors.Is(err, errWrite) {
				t.Errorf("%s failing after %d of %d bytes: got error %v, want %v", format, n, len(full), err, errWrite)
			}
		}
		// the "no findings" paths write too
		r, err := New(format, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if empty := report(t, format, testOptions(), nil); empty != "" {
			if err := r.Report(&failingWriter{}, nil); !errors.Is(err, errWrite) {
				t.Errorf("%s with no findings: got error %v, want %v", format, err, errWrite)
			}
		}
	}
}

func TestNew(t *testing.T) {
	for _, format := range append(Formats(), "JSON", " sarif ") {
		if r, err := New(format, Options{}); err != nil || r == nil {
			t.Errorf("New(%q) = %v, %v; want a reporter", format, r, err)
		}
	}

	_, err := New("xml", Options{})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("New(xml): got error %v, want %v", err, ErrUnknownFormat)
	}
	for _, format := range Formats() {
		if !strings.Contains(err.Error(), format) {
			t.Errorf("error %q does not list format %q", err, format)
		}
	}
}

func TestFormats(t *testing.T) {
	want := []string{"table", "json", "jsonl", "sarif", "csv", "junit", "markdown"}
	if diff := cmp.Diff(want, Formats()); diff != "" {
		t.Errorf("Formats() mismatch (-want +got):\n%s", diff)
	}
	Formats()[0] = "changed"
	if Formats()[0] != "table" {
		t.Error("Formats returned shared state")
	}
}

func TestHostileFileNames(t *testing.T) {
	findings := []scanner.Finding{{
		RuleID: "synthetic-cloud-key", Severity: detectors.SeverityCritical, Source: "dir",
		File: "evil\x1b]0;owned\x07\nname|`x`.txt", Line: 1, Fingerprint: "fp-0001",
		Secret: "synthetic-test-secret-0001", Redacted: "synt*****0001",
	}}
	for _, format := range []string{"table", "markdown"} {
		out := report(t, format, testOptions(), findings)
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s passes control characters through:\n%q", format, out)
		}
		if n := strings.Count(out, "\n"); n != strings.Count(report(t, format, testOptions(), testFindings()[:1]), "\n") {
			t.Errorf("%s: a newline in a file name changed the line count:\n%s", format, out)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain/path with space.txt", "plain/path with space.txt"},
		{"naïve/日本.txt", "naïve/日本.txt"},
		{"evil\x1b[31m.txt", `evil\x1b[31m.txt`},
		{"two\nlines\r\tand tab", `two\nlines\r\tand tab`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"zero\u200bwidth", `zero\u200bwidth`},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"code plain", mdCode, "a b.md", "`a b.md`"},
		{"code pipe", mdCode, "a|b", "`a\\|b`"},
		{"code backtick", mdCode, "a`b", "``a`b``"},
		{"code edge backtick", mdCode, "`x", "`` `x ``"},
		{"code empty", mdCode, "", ""},
		{"code newline", mdCode, "a\nb", "`a\\nb`"},
		{"text", mdText, "*bold* | <b>_x_", `\*bold\* \| \<b\>\_x\_`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCSVText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+1", "'+1"},
		{"-----BEGIN", "'-----BEGIN"},
		{"@sum", "'@sum"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
