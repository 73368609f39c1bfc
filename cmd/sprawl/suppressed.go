package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// traceSuppressed reports whether the scan keeps the candidates it
// suppresses, to report them (--include-suppressed) or list them on
// standard error (--verbose).
func (p *scanRun) traceSuppressed(cmd *cobra.Command) bool {
	return includeSuppressed(cmd) || p.s.Verbose
}

// includeSuppressed reports whether --include-suppressed was given.
func includeSuppressed(cmd *cobra.Command) bool {
	include, _ := cmd.Flags().GetBool("include-suppressed")
	return include
}

// withSuppressed returns the findings to report: with
// --include-suppressed, in a format that shows them, the suppressed
// candidates too.
func (p *scanRun) withSuppressed(cmd *cobra.Command, fs []scanner.Finding) []scanner.Finding {
	if !includeSuppressed(cmd) || len(p.Suppressed) == 0 {
		return fs
	}
	if !slices.Contains(reports.SuppressedFormats, p.s.Format) {
		if !p.s.Quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: --include-suppressed: the %s format lists findings to act on only; %d suppressed candidates are not in it (use --verbose, or -f json)\n", p.s.Format, len(p.Suppressed))
		}
		return fs
	}
	return append(slices.Clip(fs), p.Suppressed...)
}

// listSuppressed prints, with --verbose, one line per suppressed
// candidate with its reason; secrets redacted unless --show-secrets.
func (p *scanRun) listSuppressed(w io.Writer) {
	if !p.s.Verbose || p.s.Quiet {
		return
	}
	for _, f := range p.Suppressed {
		secret := f.Redacted
		if p.s.ShowSecrets {
			secret = f.Secret
		}
		loc := fmt.Sprintf("%s:%d", f.File, f.Line)
		if f.Commit != "" {
			loc += "@" + f.Commit[:min(len(f.Commit), 12)]
		}
		fmt.Fprintf(w, "sprawl: suppressed %s %s %s: %s\n", reports.Printable(loc), f.RuleID, reports.Printable(secret), reports.Printable(f.Suppressed))
	}
}
