package reports

import (
	"bytes"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/sprawlsec/sprawl/scanner"
)

// noFindings is what the human formats say when there is nothing to show.
const noFindings = "no secrets found"

// tableReporter writes a terminal table with the columns SEVERITY, RULE,
// FILE:LINE, SECRET and, when any finding has one, COMMIT (abbreviated).
// With no findings it writes the single line "no secrets found". Control
// characters in cells are escaped so that a hostile file name cannot drive
// the terminal.
type tableReporter struct{ opts Options }

// Report implements Reporter.
func (r *tableReporter) Report(w io.Writer, findings []scanner.Finding) error {
	if len(findings) == 0 {
		_, err := io.WriteString(w, r.opts.nothingFound()+"\n")
		return err
	}
	withCommit := anyCommit(findings)
	header := []any{"SEVERITY", "RULE", "FILE:LINE", "SECRET"}
	if withCommit {
		header = append(header, "COMMIT")
	}
	rows := make([][]string, 0, len(findings))
	for _, f := range sorted(findings) {
		row := []string{
			severityCell(&f),
			printable(ruleCell(&f)),
			printable(location(&f)),
			printable(r.opts.secret(&f)),
		}
		if withCommit {
			row = append(row, printable(shortCommit(f.Commit)))
		}
		rows = append(rows, row)
	}

	// tablewriter ignores the errors of the writer it is given, so render
	// into memory and write once, where the error can be seen.
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		// Never wrap: a wrapped path or secret cannot be copied or grepped.
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		// The headers are already upper-case; auto-formatting would turn
		// "FILE:LINE" into "FILE : LINE".
		tablewriter.WithHeaderAutoFormat(tw.Off),
		// Keep cells exactly as given; a path may end in a space.
		tablewriter.WithTrimSpace(tw.Off),
	)
	table.Header(header...)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	_, err := io.Copy(w, &buf)
	return err
}
