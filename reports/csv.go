package reports

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// csvHeader names the csv columns; they are the json format's keys, in the
// same order.
var csvHeader = []string{
	"rule_id", "rule_name", "description", "severity", "tags", "source", "root",
	"file", "line", "column", "end_line", "end_column", "secret", "fingerprint",
	"entropy", "commit", "author", "email", "date", "message", "count",
}

// csvCount is an aggregate finding's count, empty for the others.
func csvCount(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// csvTagSep joins a finding's tags into one cell.
const csvTagSep = ";"

// csvReporter writes RFC 4180 CSV: a header row, then one row per finding
// with the json format's fields. Tags are joined with ";". Text cells that
// a spreadsheet would run as a formula (starting with =, +, -, @, tab or
// carriage return) are prefixed with a single quote: file names and commit
// messages come from the scanned repositories, which may be hostile.
type csvReporter struct{ opts Options }

// Report implements Reporter.
func (r *csvReporter) Report(w io.Writer, findings []scanner.Finding) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	verified := anyVerified(findings)
	header := csvHeader
	if verified {
		header = append(append([]string{}, csvHeader...), csvVerifyHeader...)
	}
	if r.opts.IncludeSuppressed {
		header = append(header[:len(header):len(header)], "suppressed")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, f := range sorted(findings) {
		rec := r.opts.newRecord(&f)
		row := []string{
			csvText(rec.RuleID),
			csvText(rec.RuleName),
			csvText(rec.Description),
			rec.Severity,
			csvText(strings.Join(rec.Tags, csvTagSep)),
			csvText(rec.Source),
			csvText(rec.Root),
			csvText(rec.File),
			strconv.Itoa(rec.Line),
			strconv.Itoa(rec.Column),
			strconv.Itoa(rec.EndLine),
			strconv.Itoa(rec.EndColumn),
			csvText(rec.Secret),
			csvText(rec.Fingerprint),
			strconv.FormatFloat(rec.Entropy, 'f', 2, 64),
			csvText(rec.Commit),
			csvText(rec.Author),
			csvText(rec.Email),
			rec.Date,
			csvText(rec.Message),
			csvCount(rec.Count),
		}
		if verified {
			row = append(row, verificationCells(rec.Verification)...)
		}
		if r.opts.IncludeSuppressed {
			row = append(row, csvText(rec.Suppressed))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// CSVText returns s ready for a CSV cell a spreadsheet may open: text
// that would run as a formula (starting with =, +, -, @, tab or carriage
// return) gets a leading single quote; any other text is returned as it is.
func CSVText(s string) string { return csvText(s) }

// csvText defuses spreadsheet formula injection (OWASP "CSV Injection").
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
