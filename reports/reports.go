package reports

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/termsafe"
	"github.com/sprawlsec/sprawl/scanner"
)

// ErrUnknownFormat is returned, wrapped, by New for a format name it does
// not know. The error's text lists the valid names.
var ErrUnknownFormat = errors.New("unknown report format")

// Options configure every reporter. The zero value is usable: secrets are
// redacted and the tool is called "sprawl".
type Options struct {
	// ShowSecrets prints Finding.Secret instead of Finding.Redacted.
	ShowSecrets bool
	// ToolName and ToolVersion name the program in SARIF and JUnit output.
	// An empty ToolName means "sprawl".
	ToolName, ToolVersion string
	// InformationURI is the tool's home page, written to SARIF.
	InformationURI string
	// Rules supply metadata for SARIF rules (descriptions, help, references,
	// tags, severity). A finding whose rule is missing from Rules still gets
	// a minimal SARIF rule built from the finding itself.
	Rules []*detectors.Rule
	// Root is the scanned root, informational. When it is an absolute
	// path, SARIF output maps %SRCROOT% to it.
	Root string
	// Width is the terminal's width in columns: the table format fits
	// within it (paths cut in the middle, rules at the end, previews
	// kept). Zero means no limit, as when the output is piped.
	Width int
	// Unreadable counts the items the scan could not read. With no
	// findings the human formats then say the scan is incomplete instead
	// of "no secrets found": a failure must never read as a clean scan.
	Unreadable int
	// IncludeSuppressed says the findings may include suppressed
	// candidates (Finding.Suppressed set): the csv format then adds a
	// "suppressed" column. The json formats write the field whenever it
	// is set, the table marks such rows.
	IncludeSuppressed bool
}

// nothingFound is what the human formats say when there are no findings.
func (o Options) nothingFound() string {
	if o.Unreadable > 0 {
		item := "items"
		if o.Unreadable == 1 {
			item = "item"
		}
		return fmt.Sprintf("SCAN INCOMPLETE: %d %s could not be read; no secrets found in the rest", o.Unreadable, item)
	}
	return noFindings
}

// Reporter writes findings in one format.
type Reporter interface {
	// Report writes one complete document for findings to w and returns
	// the first error from w, if any. It does not modify findings.
	Report(w io.Writer, findings []scanner.Finding) error
}

// formats lists the format names in the order Formats reports them, with
// the constructor for each.
var formats = []struct {
	name  string
	build func(Options) Reporter
}{
	{"table", func(o Options) Reporter { return &tableReporter{opts: o} }},
	{"json", func(o Options) Reporter { return &jsonReporter{opts: o} }},
	{"jsonl", func(o Options) Reporter { return &jsonlReporter{opts: o} }},
	{"sarif", func(o Options) Reporter { return &sarifReporter{opts: o} }},
	{"csv", func(o Options) Reporter { return &csvReporter{opts: o} }},
	{"junit", func(o Options) Reporter { return &junitReporter{opts: o} }},
	{"markdown", func(o Options) Reporter { return &markdownReporter{opts: o} }},
}

// Formats returns the names New accepts, in a fixed order with the default
// ("table") first. The caller may modify the returned slice.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// New returns the Reporter for format, which is matched case-insensitively
// against Formats. An unknown format yields an error wrapping
// ErrUnknownFormat that lists the valid names.
func New(format string, opts Options) (Reporter, error) {
	name := strings.ToLower(strings.TrimSpace(format))
	for _, f := range formats {
		if f.name == name {
			return f.build(opts), nil
		}
	}
	return nil, fmt.Errorf("%w %q (valid formats: %s)", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
}

// toolName is the tool's name, defaulting to "sprawl".
func (o Options) toolName() string {
	if o.ToolName == "" {
		return "sprawl"
	}
	return o.ToolName
}

// redactedPlaceholder stands in for a secret whose finding carries no
// usable redacted form.
const redactedPlaceholder = "REDACTED"

// secret is the text to print for f's secret: the raw value with
// ShowSecrets, its redacted form otherwise. A redacted form that is empty
// or equal to the secret itself (a redactor bug) is replaced by a
// placeholder rather than trusted.
func (o Options) secret(f *scanner.Finding) string {
	if o.ShowSecrets {
		return f.Secret
	}
	if f.Redacted == "" || (f.Secret != "" && strings.Contains(f.Redacted, f.Secret)) {
		return redactedPlaceholder
	}
	return f.Redacted
}

// minScrubLen is the shortest secret scrubbed from free text; replacing
// every occurrence of a one- or two-byte "secret" would mangle the text
// and protect nothing.
const minScrubLen = 4

// scrub removes f's raw secret from free text such as a commit message,
// unless ShowSecrets is set.
func (o Options) scrub(f *scanner.Finding, s string) string {
	if o.ShowSecrets || len(f.Secret) < minScrubLen || !strings.Contains(s, f.Secret) {
		return s
	}
	return strings.ReplaceAll(s, f.Secret, o.secret(f))
}

// sorted returns a copy of findings in report order: file, line, column,
// rule, commit, fingerprint.
func sorted(findings []scanner.Finding) []scanner.Finding {
	out := slices.Clone(findings)
	slices.SortStableFunc(out, func(a, b scanner.Finding) int { return compareFindings(&a, &b) })
	return out
}

// sortedRefs is sorted without copying the findings: pointers into
// findings, in report order, for the writers that stream.
func sortedRefs(findings []scanner.Finding) []*scanner.Finding {
	out := make([]*scanner.Finding, len(findings))
	for i := range findings {
		out[i] = &findings[i]
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

func compareFindings(a, b *scanner.Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Commit, b.Commit),
		cmp.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// location is f's place for people: "file:line", or the file alone when the
// line is unknown, or "<source>" for input without a file name (stdin);
// an aggregate finding adds how many more of its rule the file holds.
func location(f *scanner.Finding) string {
	file := f.File
	if file == "" {
		file = "<" + cmp.Or(f.Source, "input") + ">"
	}
	if f.Line > 0 {
		file = fmt.Sprintf("%s:%d", file, f.Line)
	}
	if f.Count > 1 {
		// An aggregate: this finding and the rule's later ones here.
		file += fmt.Sprintf(" (and %d more)", f.Count-1)
	}
	return file
}

// shortCommitLen is how much of a commit id the human formats show, as
// git's default abbreviation does.
const shortCommitLen = 7

// shortCommit abbreviates a commit id for people.
func shortCommit(c string) string {
	if len(c) > shortCommitLen {
		return c[:shortCommitLen]
	}
	return c
}

// anyCommit reports whether any finding carries a commit, so that the human
// formats show a commit column only for history scans.
func anyCommit(findings []scanner.Finding) bool {
	return slices.ContainsFunc(findings, func(f scanner.Finding) bool { return f.Commit != "" })
}

// round2 rounds x to two decimals, for entropy.
func round2(x float64) float64 {
	return math.Round(x*100) / 100
}

// formatDate writes t as RFC 3339, or "" for the zero time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// Printable makes s safe to show on a terminal or in a one-line table
// cell: control and other non-printing characters (a hostile file name's
// ANSI escapes, a commit message's newlines) are written as Go escapes
// such as \x1b or \n (termsafe.String). Messages that carry scanned names
// (skipped and unreadable items) pass through it before reaching stderr.
func Printable(s string) string { return termsafe.String(s) }
