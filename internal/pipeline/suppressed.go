package pipeline

import (
	"cmp"
	"slices"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// Reasons a candidate is suppressed by, besides the matcher's own
// (checksum failed, known example, placeholder, allowlist, …).
const (
	SuppressedInline    = inventory.SilencedInline
	SuppressedBaseline  = "baseline"
	SuppressedIgnore    = scanner.GitleaksIgnoreFile
	SuppressedInventory = "inventory status (false-positive or accepted-risk)"
)

// noteSuppressed records fs as suppressed for reason.
func (p *Pipeline) noteSuppressed(reason string, fs ...scanner.Finding) {
	for _, f := range fs {
		f.Suppressed = reason
		f.Count = 0
		p.Suppressed = append(p.Suppressed, f)
	}
}

// noteRemoved records as suppressed for reason the findings of before
// that a filter left out of after (a filter keeps the order and the
// values of what it keeps).
func (p *Pipeline) noteRemoved(reason string, before, after []scanner.Finding) {
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
func (p *Pipeline) noteEngineSuppressed(src scanner.Source, res scanner.Result) {
	allowed, dropped := slices.Clone(res.Allowed), slices.Clone(res.Dropped)
	if fin, ok := src.(scanner.Finisher); ok {
		if len(allowed) > 0 {
			allowed = fin.Finish(allowed)
		}
		if len(dropped) > 0 {
			dropped = fin.Finish(dropped)
		}
	}
	p.noteSuppressed(SuppressedInline, allowed...)
	for _, f := range dropped {
		p.noteSuppressed(f.Suppressed, f)
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
