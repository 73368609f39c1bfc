package reports

import "github.com/sprawlsec/sprawl/scanner"

// SuppressedFormats are the formats that show suppressed candidates (see
// Options.IncludeSuppressed); the others report findings to act on only.
var SuppressedFormats = []string{"table", "json", "jsonl", "csv"}

// severityCell is the table's SEVERITY cell: "suppressed" for a
// suppressed candidate, so it never reads as a finding.
func severityCell(f *scanner.Finding) string {
	if f.Suppressed != "" {
		return "suppressed"
	}
	return f.Severity.String()
}

// ruleCell is the table's RULE cell: a suppressed candidate's rule is
// followed by the reason in brackets.
func ruleCell(f *scanner.Finding) string {
	if f.Suppressed != "" {
		return f.RuleID + " [" + f.Suppressed + "]"
	}
	return f.RuleID
}
