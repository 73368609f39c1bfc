package orgscan

import (
	"context"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// Summary counts what a run (or a batch of jobs) did, from its outcomes
// alone (their JSON form is enough), so it can be written by whoever sees
// the last outcome.
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
		s.Findings += max(oc.Found, len(oc.Findings))
	}
	for _, c := range ci {
		s.CIStores++
		s.CIVariables += int(c.Stats.Items)
		s.Findings += max(c.Found, len(c.Findings))
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

// RunInfo names a run for its end-of-run record.
type RunInfo struct {
	// Provider and Owner are the Provider's Name and Owner; Target names
	// the run for people ("github acme").
	Provider, Owner, Target string
	// Batch is a job queue's batch id, "" for a run in one process.
	Batch string
	// Started is when the run (or the batch) started.
	Started time.Time
	// LeftOut counts forks and archived repositories left out.
	LeftOut int
}

// Finish summarises outcomes and ci and, with a Store, appends the run's
// "org-scan" audit entry (inventory.Store.RecordOrgScan): its counts and
// every skipped repository with the reason. A worker that sees a batch's
// last job calls it with the batch's outcomes, decoded from their JSON.
func (r *Runner) Finish(ctx context.Context, info RunInfo, outcomes []Outcome, ci []CIOutcome) (Summary, error) {
	sum := Summarize(outcomes, ci)
	if r.o.Store == nil {
		r.emit(Event{Kind: EventFinished, Summary: &sum})
		return sum, nil
	}
	rec := inventory.OrgScanRecord{
		Provider: info.Provider, Owner: info.Owner, Target: info.Target, Batch: info.Batch,
		Started: info.Started, Finished: time.Now(), LeftOut: info.LeftOut,
		Repositories: sum.Repositories, Full: sum.Full, Incremental: sum.Incremental, Skipped: sum.Skipped,
		Blobs: sum.Blobs, Bytes: sum.Bytes, Unreadable: sum.Unreadable,
		CIStores: sum.CIStores, CIVariables: sum.CIVariables, Findings: sum.Findings,
		Actor: r.o.Actor,
	}
	for _, oc := range outcomes {
		if oc.Mode == ModeSkipped {
			rec.SkippedRepos = append(rec.SkippedRepos, inventory.SkippedRepo{Repository: oc.Repo.FullName, Reason: oc.Reason})
		}
	}
	if err := r.o.Store.RecordOrgScan(ctx, rec); err != nil {
		return sum, err
	}
	r.emit(Event{Kind: EventFinished, Summary: &sum})
	return sum, nil
}
