package orgscan

import "github.com/sprawlsec/sprawl/scanner"

// Summary counts what a run (or a batch of jobs) did, from its outcomes
// alone, so it can be written by whoever sees the last outcome.
type Summary struct {
	// Repositories counts the outcomes; Full, Incremental and Skipped
	// split them by mode.
	Repositories int `json:"repositories"`
	Full         int `json:"full"`
	Incremental  int `json:"incremental"`
	Skipped      int `json:"skipped"`
	// Blobs and Bytes are what the repositories' scans read.
	Blobs int64 `json:"blobs"`
	Bytes int64 `json:"bytes"`
	// Unreadable counts items that could not be read.
	Unreadable int `json:"unreadable"`
	// CIStores counts the CI listings scanned, CIVariables their
	// variables.
	CIStores    int `json:"ci_stores"`
	CIVariables int `json:"ci_variables"`
	// Findings counts the findings before any baseline or inventory
	// status is applied.
	Findings int `json:"findings"`
}

// Summarize counts outcomes and ci.
func Summarize(outcomes []Outcome, ci []CIOutcome) Summary {
	var s Summary
	for _, oc := range outcomes {
		s.Repositories++
		switch oc.Mode {
		case ModeFull:
			s.Full++
		case ModeIncremental:
			s.Incremental++
		case ModeSkipped:
			s.Skipped++
		}
		s.Blobs += oc.Stats.Items
		s.Bytes += oc.Stats.Bytes
		s.Unreadable += oc.Stats.Errors
		s.Findings += len(oc.Findings)
	}
	for _, c := range ci {
		s.CIStores++
		s.CIVariables += int(c.Stats.Items)
		s.Findings += len(c.Findings)
	}
	return s
}

// Findings gathers the findings of outcomes and ci, repositories first.
func Findings(outcomes []Outcome, ci []CIOutcome) []scanner.Finding {
	var all []scanner.Finding
	for _, oc := range outcomes {
		all = append(all, oc.Findings...)
	}
	for _, c := range ci {
		all = append(all, c.Findings...)
	}
	return all
}
