package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// Reasons a candidate is suppressed by, besides the matcher's own
// (checksum failed, known example, placeholder, allowlist, …).
const (
	suppressedInline    = inventory.SilencedInline
	suppressedBaseline  = "baseline"
	suppressedIgnore    = scanner.GitleaksIgnoreFile
	suppressedInventory = "inventory status (false-positive or accepted-risk)"
)

// traceSuppressed reports whether the scan keeps the candidates it
// suppresses, to report them (--include-suppressed) or list them on
// standard error (--verbose).
func (p *pipeline) traceSuppressed(cmd *cobra.Command) bool {
	return includeSuppressed(cmd) || p.s.Verbose
}

// includeSuppressed reports whether --include-suppressed was given.
func includeSuppressed(cmd *cobra.Command) bool {
	include, _ := cmd.Flags().GetBool("include-suppressed")
	return include
}

// noteSuppressed records fs as suppressed for reason.
func (p *pipeline) noteSuppressed(reason string, fs ...scanner.Finding) {
	for _, f := range fs {
		f.Suppressed = reason
		f.Count = 0
		p.suppressed = append(p.suppressed, f)
	}
}

// noteRemoved records as suppressed for reason the findings of before
// that a filter left out of after (a filter keeps the order and the
// values of what it keeps).
func (p *pipeline) noteRemoved(reason string, before, after []scanner.Finding) {
	if len(before) == len(after) {
		return
	}
	type key struct {
		file, rule, commit, fp string
		line, col              int
	}
	left := map[key]int{}
	for _, f := range after {
		left[key{f.File, f.RuleID, f.Commit, f.Fingerprint, f.Line, f.Column}]++
	}
	for _, f := range before {
		k := key{f.File, f.RuleID, f.Commit, f.Fingerprint, f.Line, f.Column}
		if left[k] > 0 {
			left[k]--
			continue
		}
		p.noteSuppressed(reason, f)
	}
}

// noteEngineSuppressed records what the engine kept aside: matches inline
// allow comments silenced and candidates the matcher rejected.
func (p *pipeline) noteEngineSuppressed(src scanner.Source, res scanner.Result) {
	allowed, dropped := slices.Clone(res.Allowed), slices.Clone(res.Dropped)
	if fin, ok := src.(scanner.Finisher); ok {
		if len(allowed) > 0 {
			allowed = fin.Finish(allowed)
		}
		if len(dropped) > 0 {
			dropped = fin.Finish(dropped)
		}
	}
	p.noteSuppressed(suppressedInline, allowed...)
	for _, f := range dropped {
		p.noteSuppressed(f.Suppressed, f)
	}
}

// withSuppressed returns the findings to report: with
// --include-suppressed, in a format that shows them, the suppressed
// candidates too.
func (p *pipeline) withSuppressed(cmd *cobra.Command, fs []scanner.Finding) []scanner.Finding {
	if !includeSuppressed(cmd) || len(p.suppressed) == 0 {
		return fs
	}
	if !slices.Contains(reports.SuppressedFormats, p.s.Format) {
		if !p.s.Quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: --include-suppressed: the %s format lists findings to act on only; %d suppressed candidates are not in it (use --verbose, or -f json)\n", p.s.Format, len(p.suppressed))
		}
		return fs
	}
	return append(slices.Clip(fs), p.suppressed...)
}

// listSuppressed prints, with --verbose, one line per suppressed
// candidate with its reason; secrets redacted unless --show-secrets.
func (p *pipeline) listSuppressed(w io.Writer) {
	if !p.s.Verbose || p.s.Quiet {
		return
	}
	for _, f := range p.suppressed {
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

// sortSuppressed orders suppressed candidates by place.
func sortSuppressed(fs []scanner.Finding) {
	slices.SortStableFunc(fs, func(a, b scanner.Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Commit, b.Commit))
	})
}

// withSilenced returns res with the findings inline allow comments
// silenced added, marked, for the inventory to record as silenced
// locations: a live secret someone silenced stays visible to an auditor.
func withSilenced(src scanner.Source, res scanner.Result) scanner.Result {
	if len(res.Allowed) == 0 {
		return res
	}
	allowed := slices.Clone(res.Allowed)
	if fin, ok := src.(scanner.Finisher); ok {
		allowed = fin.Finish(allowed)
	}
	for i := range allowed {
		allowed[i].Suppressed = inventory.SilencedInline
		allowed[i].Count = 0
	}
	res.Findings = append(slices.Clip(res.Findings), allowed...)
	return res
}
