package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// markdownReporter writes a GitHub-flavoured Markdown table for pull
// requests and wikis: a heading with the count, then Severity, Rule,
// Location, Secret and, when any finding has one, Commit. Locations and
// secrets are code spans so that Markdown in a file name stays inert; pipes
// are escaped as \| and control characters as Go escapes so that no cell
// can break the table.
type markdownReporter struct{ opts Options }

// Report implements Reporter.
func (r *markdownReporter) Report(w io.Writer, findings []scanner.Finding) error {
	bw := bufio.NewWriter(w)
	title := r.opts.toolName()
	if len(findings) == 0 {
		fmt.Fprintf(bw, "### %s: %s\n", mdText(title), r.opts.nothingFound())
		return bw.Flush()
	}
	noun := "secrets"
	if len(findings) == 1 {
		noun = "secret"
	}
	fmt.Fprintf(bw, "### %s: %d %s found\n\n", mdText(title), len(findings), noun)

	withCommit := anyCommit(findings)
	verified := anyVerified(findings)
	header := []string{"Severity", "Rule", "Location", "Secret"}
	if withCommit {
		header = append(header, "Commit")
	}
	if verified {
		header = append(header, "Verified")
	}
	fmt.Fprintf(bw, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
	for _, f := range sorted(findings) {
		cells := []string{
			f.Severity.String(),
			mdCode(f.RuleID),
			mdCode(location(&f)),
			mdCode(r.opts.secret(&f)),
		}
		if withCommit {
			cells = append(cells, mdCode(shortCommit(f.Commit)))
		}
		if verified {
			cells = append(cells, mdCell(verificationText(f.Verification)))
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cells, " | "))
	}
	// bufio.Writer keeps its first error and returns it here.
	return bw.Flush()
}

// mdCode renders s as a code span inside a table cell. The fence is one
// backtick longer than the longest backtick run in s, padded with spaces
// when s starts or ends with a backtick, as CommonMark requires.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = mdCell(s)
	longest, run := 0, 0
	for _, c := range []byte(s) {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText escapes s for Markdown text outside code spans.
func mdText(s string) string {
	return mdTextReplacer.Replace(Printable(s))
}

var mdTextReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `#`, `\#`, `~`, `\~`, `&`, `\&`, `|`, `\|`,
)

// mdCell makes s fit one table cell: non-printing characters escaped and
// pipes escaped. GFM splits cells on unescaped pipes before it parses code
// spans, so \| is needed inside code spans too and renders as |.
func mdCell(s string) string {
	return strings.ReplaceAll(Printable(s), "|", `\|`)
}
