package inventory

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Entry is a secret judged against a policy at a moment: where it lives,
// who shares it, how old it is.
type Entry struct {
	Secret
	// Environments are the known environments of its locations, sorted.
	Environments []Environment `json:"environments"`
	// SharedEnvironments: its locations span two or more known environments
	// (one credential for sandbox and production).
	SharedEnvironments bool `json:"shared_environments"`
	// Repositories is how many repositories or stores hold it.
	Repositories     int       `json:"repositories"`
	MultiRepository  bool      `json:"multi_repository"`
	PresentLocations int       `json:"present_locations"`
	EarliestEvidence time.Time `json:"earliest_evidence"`
	Age              Duration  `json:"age"`
	MaxAge           Duration  `json:"max_age"`
	// Overdue: still active (open or rotation-required) and older than
	// MaxAge or, when the credential states its expiry (Expires), past it.
	Overdue bool `json:"overdue"`
	// Expired: the credential's stated expiry has passed.
	Expired bool `json:"expired"`
	// Regression: marked rotated or revoked and seen at a new location
	// since the last status change.
	Regression bool `json:"regression"`
}

// Evaluate judges s under policy p (whose classifier is c) at now.
//
// Age is measured from the earliest evidence of the secret: the earliest
// commit date of any location, else when the inventory first saw it. A
// secret that states its expiry is overdue once that has passed, whatever
// its age; any other is overdue when older than its class or rule allows.
func Evaluate(s Secret, p Policy, c *Classifier, now time.Time) Entry {
	e := Entry{Secret: s}
	e.Locations = append([]Location(nil), s.Locations...)
	envs := map[Environment]bool{}
	repos := map[string]bool{}
	earliest := s.FirstSeen
	for i := range e.Locations {
		l := &e.Locations[i]
		l.Environment = c.Classify(*l)
		if l.Environment != EnvUnknown {
			envs[l.Environment] = true
		}
		repos[l.Repository] = true
		if l.Present() {
			e.PresentLocations++
		}
		if !l.Date.IsZero() && (earliest.IsZero() || l.Date.Before(earliest)) {
			earliest = l.Date
		}
	}
	e.Environments = []Environment{}
	for _, env := range Environments {
		if envs[env] {
			e.Environments = append(e.Environments, env)
		}
	}
	e.SharedEnvironments = len(e.Environments) > 1
	e.Repositories = len(repos)
	e.MultiRepository = len(repos) > 1
	e.EarliestEvidence = earliest
	if !earliest.IsZero() && now.After(earliest) {
		e.Age = Duration(now.Sub(earliest))
	}
	e.MaxAge = Duration(p.MaxAgeFor(s.RuleID, s.Class))
	if !s.Expires.IsZero() {
		// The credential says how long it lives: that, not its class's
		// age, decides whether it is overdue.
		e.Expired = !now.Before(s.Expires)
		e.Overdue = s.Status.Active() && e.Expired
	} else {
		e.Overdue = s.Status.Active() && e.Age > e.MaxAge
	}
	e.Regression = s.Status.Dead() && !s.RegressedAt.IsZero() && !s.RegressedAt.Before(s.StatusAt)
	return e
}

// Filter selects entries after evaluation; zero fields do not filter.
type Filter struct {
	Query
	// Environment keeps entries with a location in it.
	Environment Environment
	// Repository keeps entries with a location whose repository contains it.
	Repository string
	Shared     bool // shared across environments or repositories
	Overdue    bool
	Regression bool
}

// Match reports whether e passes the filter's evaluated fields (the Query
// part is the store's).
func (f Filter) Match(e Entry) bool {
	if f.Shared && !e.SharedEnvironments && !e.MultiRepository {
		return false
	}
	if f.Overdue && !e.Overdue {
		return false
	}
	if f.Regression && !e.Regression {
		return false
	}
	if f.Environment != "" || f.Repository != "" {
		ok := false
		for _, l := range e.Locations {
			if (f.Environment == "" || l.Environment == f.Environment) && (f.Repository == "" || strings.Contains(l.Repository, f.Repository)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// List reads the store's secrets matching f, judges them under the stored
// policy at now and keeps those f matches.
func List(ctx context.Context, s Store, f Filter, now time.Time) ([]Entry, Policy, error) {
	p, err := s.Policy(ctx)
	if err != nil {
		return nil, p, err
	}
	c, err := NewClassifier(p.Environments)
	if err != nil {
		return nil, p, err
	}
	secrets, err := s.Secrets(ctx, f.Query)
	if err != nil {
		return nil, p, err
	}
	out := []Entry{}
	for _, sec := range secrets {
		e := Evaluate(sec, p, c, now)
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return out, p, nil
}

// Stats summarises entries.
type Stats struct {
	Secrets            int                 `json:"secrets"`
	Locations          int                 `json:"locations"`
	PresentLocations   int                 `json:"present_locations"`
	Repositories       int                 `json:"repositories"`
	SharedEnvironments int                 `json:"shared_environments"`
	MultiRepository    int                 `json:"multi_repository"`
	Overdue            int                 `json:"overdue"`
	Regressions        int                 `json:"regressions"`
	ByStatus           map[Status]int      `json:"by_status"`
	BySeverity         map[string]int      `json:"by_severity"`
	ByClass            map[Class]int       `json:"by_class"`
	ByEnvironment      map[Environment]int `json:"by_environment"` // secrets with a location there
	ByRule             map[string]int      `json:"by_rule"`
}

// Summarize counts entries.
func Summarize(entries []Entry) Stats {
	st := Stats{ByStatus: map[Status]int{}, BySeverity: map[string]int{}, ByClass: map[Class]int{},
		ByEnvironment: map[Environment]int{}, ByRule: map[string]int{}}
	repos := map[string]bool{}
	for _, e := range entries {
		st.Secrets++
		st.Locations += len(e.Locations)
		st.PresentLocations += e.PresentLocations
		if e.SharedEnvironments {
			st.SharedEnvironments++
		}
		if e.MultiRepository {
			st.MultiRepository++
		}
		if e.Overdue {
			st.Overdue++
		}
		if e.Regression {
			st.Regressions++
		}
		st.ByStatus[e.Status]++
		st.BySeverity[e.Severity.String()]++
		st.ByClass[e.Class]++
		st.ByRule[e.RuleID]++
		seen := map[Environment]bool{}
		for _, l := range e.Locations {
			repos[l.Repository] = true
			if !seen[l.Environment] {
				seen[l.Environment] = true
				st.ByEnvironment[l.Environment]++
			}
		}
	}
	st.Repositories = len(repos)
	return st
}

// SortEntries orders entries for people: most severe first, then overdue,
// then oldest, then by fingerprint.
func SortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if a.Age != b.Age {
			return a.Age > b.Age
		}
		return a.Fingerprint < b.Fingerprint
	})
}

// EvaluateStored finds one secret of s by fingerprint prefix (an error
// wrapping ErrNotFound where none has it) and judges it at now under the
// stored policy, which it returns too.
func EvaluateStored(ctx context.Context, s Store, prefix string, now time.Time) (Entry, Policy, error) {
	sec, err := s.Secret(ctx, prefix)
	if err != nil {
		return Entry{}, Policy{}, err
	}
	p, err := s.Policy(ctx)
	if err != nil {
		return Entry{}, p, err
	}
	c, err := NewClassifier(p.Environments)
	if err != nil {
		return Entry{}, p, err
	}
	return Evaluate(sec, p, c, now), p, nil
}
