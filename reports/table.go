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
	withVerified := anyVerified(findings)
	header := []string{"SEVERITY", "RULE", "FILE:LINE", "SECRET"}
	fits := []Fit{{Cut: CutNone}, {Cut: CutEnd, Min: 24}, {Cut: CutMiddle, Min: 16}, {Cut: CutEnd, Min: 20, Last: true}}
	if withVerified {
		// The verdict is why --verify was asked for: it stays whole.
		header = append(header, "VERIFIED")
		fits = append(fits, Fit{Cut: CutNone})
	}
	if withCommit {
		header = append(header, "COMMIT")
		fits = append(fits, Fit{Cut: CutNone, Drop: 1})
	}
	rows := make([][]string, 0, len(findings))
	for _, f := range sorted(findings) {
		row := []string{
			severityCell(&f),
			Printable(ruleCell(&f)),
			Printable(location(&f)),
			Printable(r.opts.secret(&f)),
		}
		if withVerified {
			v := ""
			if f.Verification != nil {
				v = Printable(f.Verification.Status)
			}
			row = append(row, v)
		}
		if withCommit {
			row = append(row, Printable(shortCommit(f.Commit)))
		}
		rows = append(rows, row)
	}

	// On a narrow terminal the path gives way in its middle; the rule,
	// the severity and the preview stay whole while they can, and the
	// commit (in every other format) is left out before they give.
	header, rows, _ = FitRows(r.opts.Width, header, rows, fits)
	hdr := make([]any, len(header))
	for i, x := range header {
		hdr[i] = x
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
	table.Header(hdr...)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	_, err := io.Copy(w, &buf)
	return err
}
