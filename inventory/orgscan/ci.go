package orgscan

import (
	"context"
	"sort"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// CIStore describes one owner's CI stores to list and scan: what a CI job
// needs, and nothing secret.
type CIStore struct {
	// Provider is the provider's name; Kind the source kind its
	// variables are scanned as ("github-actions", "gitlab-ci").
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	// Owner is the organisation, user or group; Root its web address,
	// the variables' repository in the inventory.
	Owner string `json:"owner"`
	Root  string `json:"root"`
	// Org: the owner's own stores (organisation or group level) are
	// listed too.
	Org bool `json:"org,omitempty"`
	// Complete: the stores listed are every store of the owner, so a
	// listing without problems is complete (what it does not hold is
	// gone).
	Complete bool `json:"complete,omitempty"`
	// Repos are the repositories whose stores are listed.
	Repos []Repo `json:"repos,omitempty"`
}

// CIListing is what one owner's CI stores yielded. Vars hold values and
// are never serialised.
type CIListing struct {
	Store CIStore `json:"store"`
	// Vars are the variables with values, scanned as content.
	Vars []scanner.CIVariable `json:"-"`
	// Secrets are the managed secrets' metadata (never a value).
	Secrets []inventory.CISecretRecord `json:"secrets,omitempty"`
	// Complete: every store of the owner was listed, so what is missing
	// is gone.
	Complete bool `json:"complete"`
	// Problems are the stores that could not be read.
	Problems []string `json:"problems,omitempty"`
	// Hidden counts variables whose value the provider did not return.
	Hidden int `json:"hidden,omitempty"`
}

// Sort puts what concurrent listings gathered in a stable order.
func (c *CIListing) Sort() {
	sort.Slice(c.Vars, func(i, j int) bool { return c.Vars[i].Path < c.Vars[j].Path })
	sort.Strings(c.Problems)
}

// CIOutcome is what scanning one CI listing did. Findings hold secrets and
// are never serialised.
type CIOutcome struct {
	Store CIStore `json:"store"`
	// Variables counts the variables scanned.
	Variables int                        `json:"variables"`
	Stats     scanner.Stats              `json:"stats"`
	Findings  []scanner.Finding          `json:"-"`
	Found     int                        `json:"found"` // len(Findings)
	Problems  []string                   `json:"problems,omitempty"`
	Hidden    int                        `json:"hidden,omitempty"`
	Recorded  *inventory.Recorded        `json:"recorded,omitempty"`
	CISecrets *inventory.CISecretSummary `json:"ci_secrets,omitempty"`
}

// ScanCIStore lists st through p and scans the listing (ScanCI): what a
// worker calls for one CI job.
func (r *Runner) ScanCIStore(ctx context.Context, p Provider, st CIStore) (CIOutcome, error) {
	l, err := p.ListCI(ctx, st, r.o.Concurrency)
	if err != nil {
		return CIOutcome{Store: st}, err
	}
	return r.ScanCI(ctx, l)
}

// ScanCI scans a listing's variables as content and, with a Store,
// records the findings (partial unless the listing is complete) and the
// managed secrets' metadata. Findings get the listing's Kind as Source
// and its Root.
func (r *Runner) ScanCI(ctx context.Context, l CIListing) (CIOutcome, error) {
	st := l.Store
	oc := CIOutcome{Store: st, Variables: len(l.Vars), Problems: l.Problems, Hidden: l.Hidden}
	if l.Hidden > 0 {
		r.emit(Event{Kind: EventCIHidden, CI: &st, Count: l.Hidden})
	}
	for _, p := range l.Problems {
		r.emit(Event{Kind: EventCIProblem, CI: &st, Problem: p})
	}
	src := &scanner.VariableSource{Name: st.Kind, Store: st.Root, Vars: l.Vars}
	eng := *r.o.Engine
	eng.Progress = nil
	res, err := eng.Run(ctx, src)
	if err != nil {
		return oc, err
	}
	oc.Stats = res.Stats
	if r.o.Store != nil {
		r.verify(ctx, res.Findings)
		rec, err := r.record(ctx, st.Kind, st.Root, res, inventory.RecordOptions{Partial: !l.Complete})
		if err != nil {
			return oc, err
		}
		oc.Recorded = &rec
		r.emit(Event{Kind: EventRecorded, CI: &st, Recorded: &rec})
		if len(l.Secrets) > 0 || l.Complete {
			csum, err := r.o.Store.RecordCISecrets(ctx, inventory.CISecretBatch{Provider: st.Provider, Owner: st.Owner, Complete: l.Complete,
				Secrets: l.Secrets, Actor: r.o.Actor})
			if err != nil {
				return oc, err
			}
			oc.CISecrets = &csum
			r.emit(Event{Kind: EventCISecrets, CI: &st, CISecrets: &csum})
		}
	}
	oc.Findings, oc.Found = res.Findings, len(res.Findings)
	for i := range oc.Findings {
		oc.Findings[i].Source, oc.Findings[i].Root = st.Kind, st.Root
	}
	r.emit(Event{Kind: EventCIDone, CI: &st, CIOutcome: &oc})
	return oc, nil
}
