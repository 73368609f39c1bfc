package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// InventoryReport is the periodic (by default quarterly) review of an
// inventory: the state at generation time, what changed in the period, and
// the audit chain's status, so the document is evidence in itself. Every
// renderer (HTML, Markdown, CSV, JSON, terminal) draws on this one value.
//
// It holds fingerprints and redacted previews only, never a secret.
type InventoryReport struct {
	// TermWidth is the terminal's width for the table format (0: no
	// limit); tables are fitted within it. It is not part of the report.
	TermWidth int `json:"-"`

	Title       string    `json:"title"`
	GeneratedAt time.Time `json:"generated_at"`
	// Since and Until bound the period: Since inclusive, Until exclusive.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Inventory names the store (credentials redacted).
	Inventory string `json:"inventory,omitempty"`
	// Scope is the repository filter the report was made with, if any.
	Scope string `json:"scope,omitempty"`
	// Notes are plain statements a reader must not miss: an empty
	// inventory, a period without scans, a broken audit chain.
	Notes []string `json:"notes"`

	// LiveLeaks are the active secrets whose latest verification (scan
	// --verify --inventory) says the provider still accepts them: the
	// report's first section. Verified counts the secrets ever verified,
	// so an empty list can say whether anything was asked.
	LiveLeaks []SecretRow `json:"live_leaks"`
	Verified  int         `json:"verified"`

	Summary Summary `json:"summary"`
	// Where is "Where secrets live": present locations of active secrets
	// by kind of place, and the stores' own secret objects by store.
	Where WhereSection `json:"where_secrets_live"`
	// Scans are the scans recorded in the period, oldest first.
	Scans []ScanRow `json:"scans"`
	// NewLeaks are the secrets first seen in the period.
	NewLeaks []SecretRow `json:"new_leaks"`
	// Rotations are status changes to rotated or revoked in the period.
	Rotations []RotationRow `json:"rotations"`
	// Decisions are the secrets that stand as false positives or accepted
	// risks, with who decided, when and why: what an auditor checks
	// before trusting the open count.
	Decisions []DecisionRow `json:"decisions"`
	// Overdue are active secrets older than their rotation policy allows.
	Overdue []SecretRow `json:"overdue"`
	// SharedEnvironments are secrets whose locations span two or more
	// environments (one credential for sandbox and production).
	SharedEnvironments []SecretRow `json:"shared_environments"`
	// MultiRepository are secrets found in more than one repository or
	// store.
	MultiRepository []SecretRow `json:"multi_repository"`
	// LeakedManaged are active leaked secrets whose value a vault holds
	// (sprawl vault index): critical, rotate them in that store now.
	LeakedManaged []ManagedRow `json:"leaked_managed"`
	// CISecrets are the managed CI secrets (GitHub Actions, Dependabot,
	// Codespaces; names and dates only) that are overdue for rotation or
	// set under one name at several levels.
	CISecrets []CISecretRow `json:"ci_secrets"`
	// Managed judges every secret held in an indexed vault or a CI store
	// against the policy ("Managed secrets against policy").
	Managed ManagedSection `json:"managed"`
	// TopRepositories ranks repositories by the active secrets still
	// present in them.
	TopRepositories []RepositoryRow `json:"top_repositories"`
	// Trend is the number of open leaks at the end of each day (or week,
	// for long periods) on which the period recorded a scan.
	Trend []TrendPoint `json:"trend"`
	Audit AuditStatus  `json:"audit"`
	// Secrets is every secret in the inventory with its locations.
	Secrets []SecretRow `json:"secrets"`
}

// Summary holds the headline figures and the breakdowns the charts draw.
// Breakdowns are ordered lists so every format shows them in one order.
type Summary struct {
	Secrets            int `json:"secrets"`
	Open               int `json:"open"` // open or rotation-required
	Locations          int `json:"locations"`
	PresentLocations   int `json:"present_locations"`
	Repositories       int `json:"repositories"`
	NewInPeriod        int `json:"new_in_period"`
	RotatedInPeriod    int `json:"rotated_in_period"`
	Overdue            int `json:"overdue"`
	SharedEnvironments int `json:"shared_environments"`
	MultiRepository    int `json:"multi_repository"`
	Regressions        int `json:"regressions"`
	ScansInPeriod      int `json:"scans_in_period"`
	// LeakedManaged and LeakedUnmanaged split the open leaks by whether a
	// vault holds the value; VaultEntries counts the indexed vault fields.
	LeakedManaged   int `json:"leaked_managed"`
	LeakedUnmanaged int `json:"leaked_unmanaged"`
	VaultEntries    int `json:"vault_entries"`
	// CISecrets counts the managed CI secrets recorded (present), and how
	// many are overdue or share a name across levels.
	CISecrets         int `json:"ci_secrets"`
	CISecretsOverdue  int `json:"ci_secrets_overdue"`
	CISecretsSameName int `json:"ci_secrets_same_name"`
	// MedianDaysToRotate is the median time from a secret's earliest
	// evidence to its rotation, over the rotations in the period (-1 when
	// there were none).
	MedianDaysToRotate float64 `json:"median_days_to_rotate"`
	// SilencedInline counts the active secrets an inline allow comment
	// silences at a location where they still are: live keys a scan no
	// longer reports.
	SilencedInline int `json:"silenced_inline,omitempty"`

	ByStatus      []Count `json:"by_status"`
	BySeverity    []Count `json:"by_severity"`
	ByClass       []Count `json:"by_class"`
	ByEnvironment []Count `json:"by_environment"`
}

// Count is one bar of a breakdown.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// SecretRow is one secret as the report shows it.
type SecretRow struct {
	Fingerprint string    `json:"fingerprint"`
	Preview     string    `json:"preview"`
	RuleID      string    `json:"rule_id"`
	RuleName    string    `json:"rule_name"`
	Severity    string    `json:"severity"`
	Class       string    `json:"class"`
	Status      string    `json:"status"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Earliest    time.Time `json:"earliest_evidence"`
	AgeDays     int       `json:"age_days"`
	MaxAge      string    `json:"max_age"` // "90d", "1h"
	MaxAgeDays  float64   `json:"max_age_days"`
	Overdue     bool      `json:"overdue"`
	Regression  bool      `json:"regression"`
	// StatusReason is the reason recorded with the change to the
	// current status (empty for a secret never triaged).
	StatusReason string   `json:"status_reason,omitempty"`
	Environments []string `json:"environments"`
	Repositories int      `json:"repositories"`
	// Vault names the vault entries holding the value ("adapter store
	// mount/path#field"); empty when unmanaged or never indexed.
	Vault     []string      `json:"vault,omitempty"`
	Locations []LocationRow `json:"locations"`
	// Verification is the latest verification of the secret (nil if never
	// verified): status, checked-at time and the safe identity fields.
	Verification *inventory.Verification `json:"verification,omitempty"`
}

// CISecretRow is a managed CI secret as the report shows it: where it is
// set and when it last changed, never a value (the providers return none).
type CISecretRow struct {
	Provider string    `json:"provider"`
	Owner    string    `json:"owner"`
	Store    string    `json:"store"` // actions, dependabot, codespaces
	Place    string    `json:"place"` // org, repo acme/api, env acme/api/production
	Name     string    `json:"name"`
	Updated  time.Time `json:"updated,omitzero"`
	AgeDays  int       `json:"age_days"`
	MaxAge   string    `json:"max_age"`
	Overdue  bool      `json:"overdue"`
	SameName []string  `json:"same_name,omitempty"`
}

// ManagedRow is a leaked secret a vault holds, with its rotation state
// there.
type ManagedRow struct {
	SecretRow
	Entries []ManagedEntry `json:"entries"`
}

// ManagedEntry is one vault field holding a leaked value.
type ManagedEntry struct {
	Where     string    `json:"where"` // "vault https://vault:8200 secret/app#password"
	Version   string    `json:"version"`
	Updated   time.Time `json:"updated,omitzero"`
	Flag      string    `json:"flag,omitempty"` // rotation-required, rotated
	FlaggedAt time.Time `json:"flagged_at,omitzero"`
	// AutoRotation: the store can rotate the value itself.
	AutoRotation bool `json:"auto_rotation"`
}

// LocationRow is one place a secret lives.
type LocationRow struct {
	Source      string    `json:"source"`
	Repository  string    `json:"repository"`
	Path        string    `json:"path"`
	Line        int       `json:"line"`
	Commit      string    `json:"commit,omitempty"`
	Branch      string    `json:"branch,omitempty"`
	Environment string    `json:"environment"`
	Place       string    `json:"place"` // kind of place: PlaceOf's ID ("git-history", "k8s-configmap", …)
	Present     bool      `json:"present"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

// RotationRow is one rotation (or revocation) recorded in the period.
type RotationRow struct {
	Fingerprint string    `json:"fingerprint"`
	Preview     string    `json:"preview"`
	RuleID      string    `json:"rule_id"`
	Severity    string    `json:"severity"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Reason      string    `json:"reason,omitempty"`
	// DaysExposed runs from the secret's earliest evidence to the change.
	DaysExposed int `json:"days_exposed"`
}

// DecisionRow is a secret that stands as a false positive or an accepted
// risk, and the status change that made it so.
type DecisionRow struct {
	Fingerprint string    `json:"fingerprint"`
	Preview     string    `json:"preview"`
	RuleID      string    `json:"rule_id"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Reason      string    `json:"reason"`
	// InPeriod: the decision was taken in the report's period.
	InPeriod bool `json:"in_period"`
	// Files are the paths the secret was found at ("repository path").
	Files []string `json:"files"`
}

// RepositoryRow counts one repository's active secrets.
type RepositoryRow struct {
	Repository string `json:"repository"`
	Open       int    `json:"open"`
	Critical   int    `json:"critical"`
	High       int    `json:"high"`
	Overdue    int    `json:"overdue"`
}

// ScanRow is one recorded scan.
type ScanRow struct {
	ID          int64     `json:"id"`
	Source      string    `json:"source"`
	Repository  string    `json:"repository"`
	Finished    time.Time `json:"finished"`
	Complete    bool      `json:"complete"`
	Findings    int       `json:"findings"`
	NewSecrets  int       `json:"new_secrets"`
	Regressions int       `json:"regressions"`
}

// TrendPoint is the open-leak count at the end of a day (or week) with
// scans.
type TrendPoint struct {
	At    time.Time `json:"at"`
	Open  int       `json:"open"`
	New   int       `json:"new"` // secrets first seen since the previous point
	Scans int       `json:"scans"`
}

// AuditStatus is the audit chain as Verify found it.
type AuditStatus struct {
	Verified bool   `json:"verified"`
	Entries  int64  `json:"entries"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// Head is the head as 'sprawl audit head' prints it, SEQ:HASH: publish
	// it, and check later with 'sprawl audit verify --expect-head'.
	Head string `json:"head"`
	// Problem says where the chain breaks, or which rows disagree with
	// it (empty when verified).
	Problem string `json:"problem,omitempty"`
}

// PeriodOptions say what an inventory report covers.
type PeriodOptions struct {
	Since, Until time.Time // Until exclusive
	Now          time.Time // generation time; zero means time.Now()
	Inventory    string    // display name of the store
	// TopRepositories caps that table (default 10).
	TopRepositories int
	// Title replaces the generated title.
	Title string
	// Repository narrows the report to secrets with a location in a
	// repository whose name contains it, and to those repositories'
	// scans (a team's report); CI secrets to owners or repositories
	// containing it. Empty: everything.
	Repository string
}

// LastFullQuarter returns the calendar quarter before the one now falls
// in, as [since, until) in now's location.
func LastFullQuarter(now time.Time) (since, until time.Time) {
	q := (int(now.Month()) - 1) / 3
	until = time.Date(now.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, now.Location())
	return until.AddDate(0, -3, 0), until
}

// ParseQuarter reads "2026-Q3" or "2026Q3" (case-insensitive).
func ParseQuarter(s string, loc *time.Location) (since, until time.Time, err error) {
	var y, q int
	if _, err := fmt.Sscanf(normQuarter(s), "%d-Q%d", &y, &q); err != nil || q < 1 || q > 4 || y < 1970 || y > 9999 {
		return since, until, fmt.Errorf("bad quarter %q (want e.g. 2026-Q3)", s)
	}
	since = time.Date(y, time.Month((q-1)*3+1), 1, 0, 0, 0, 0, loc)
	return since, since.AddDate(0, 3, 0), nil
}

func normQuarter(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'q' {
			b[i] = 'Q'
		}
	}
	out := string(b)
	if len(out) == 6 && out[4] == 'Q' {
		out = out[:4] + "-" + out[4:]
	}
	return out
}

const dayDur = 24 * time.Hour

// BuildInventoryReport reads s and assembles the report for the period.
// A tampered audit chain does not fail the build: the report says so
// (Audit.Verified false, and a note). Store errors do fail it.
func BuildInventoryReport(ctx context.Context, s inventory.Store, o PeriodOptions) (*InventoryReport, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !o.Since.Before(o.Until) {
		return nil, fmt.Errorf("the period is empty: since %s is not before until %s", o.Since.Format(time.DateOnly), o.Until.Format(time.DateOnly))
	}
	top := o.TopRepositories
	if top <= 0 {
		top = 10
	}
	r := &InventoryReport{
		Title:       periodTitle(o.Since, o.Until),
		GeneratedAt: now.UTC(),
		Since:       o.Since,
		Until:       o.Until,
		Inventory:   o.Inventory,
		Notes:       []string{},
	}
	if o.Title != "" {
		r.Title = o.Title
	} else if o.Repository != "" {
		r.Title += " — repositories matching " + o.Repository
	}
	r.Scope = o.Repository
	entries, policy, err := inventory.List(ctx, s, inventory.Filter{Repository: o.Repository}, now)
	if err != nil {
		return nil, err
	}
	inventory.SortEntries(entries)
	history, err := s.StatusHistory(ctx)
	if err != nil {
		return nil, err
	}
	scans, err := s.Scans(ctx, 0)
	if err != nil {
		return nil, err
	}
	in := func(t time.Time) bool { return !t.Before(o.Since) && t.Before(o.Until) }

	vault, err := s.VaultEntries(ctx, inventory.VaultQuery{})
	if err != nil {
		return nil, err
	}
	byFP := map[string][]inventory.VaultEntry{}
	for _, v := range vault {
		byFP[v.Fingerprint] = append(byFP[v.Fingerprint], v)
	}

	r.Secrets = make([]SecretRow, 0, len(entries))
	r.LeakedManaged = []ManagedRow{}
	r.LiveLeaks = []SecretRow{}
	r.NewLeaks, r.Overdue, r.SharedEnvironments, r.MultiRepository = []SecretRow{}, []SecretRow{}, []SecretRow{}, []SecretRow{}
	for _, e := range entries {
		row := secretRow(e)
		if h := history[e.Fingerprint]; len(h) > 0 && h[len(h)-1].To == e.Status {
			row.StatusReason = h[len(h)-1].Reason
		}
		for _, v := range byFP[e.Fingerprint] {
			row.Vault = append(row.Vault, v.VaultKey.String())
		}
		r.Secrets = append(r.Secrets, row)
		if len(e.Verifications) > 0 {
			r.Verified++
		}
		if e.Status.Active() && e.LiveStatus() == scanner.VerifyLive {
			r.LiveLeaks = append(r.LiveLeaks, row)
		}
		if e.Status.Active() && len(byFP[e.Fingerprint]) > 0 {
			m := ManagedRow{SecretRow: row}
			for _, v := range byFP[e.Fingerprint] {
				m.Entries = append(m.Entries, ManagedEntry{Where: v.VaultKey.String(), Version: v.Version, Updated: v.Updated.UTC(),
					Flag: string(v.Flag), FlaggedAt: v.FlaggedAt.UTC(), AutoRotation: v.AutoRotation})
			}
			r.LeakedManaged = append(r.LeakedManaged, m)
		}
		if in(e.FirstSeen) {
			r.NewLeaks = append(r.NewLeaks, row)
		}
		if e.Overdue {
			r.Overdue = append(r.Overdue, row)
		}
		if e.SharedEnvironments {
			r.SharedEnvironments = append(r.SharedEnvironments, row)
		}
		if e.MultiRepository {
			r.MultiRepository = append(r.MultiRepository, row)
		}
	}
	slices.SortStableFunc(r.Overdue, func(a, b SecretRow) int {
		// Most overdue (age over allowance) first.
		return cmp.Compare(float64(b.AgeDays)-b.MaxAgeDays, float64(a.AgeDays)-a.MaxAgeDays)
	})

	r.Rotations = []RotationRow{}
	var exposed []float64
	for _, e := range entries {
		for _, h := range history[e.Fingerprint] {
			if !in(h.At) || (h.To != inventory.StatusRotated && h.To != inventory.StatusRevoked) {
				continue
			}
			days := 0
			if !e.EarliestEvidence.IsZero() && h.At.After(e.EarliestEvidence) {
				days = int(h.At.Sub(e.EarliestEvidence) / dayDur)
				exposed = append(exposed, h.At.Sub(e.EarliestEvidence).Hours()/24)
			}
			r.Rotations = append(r.Rotations, RotationRow{
				Fingerprint: e.Fingerprint, Preview: e.Preview, RuleID: e.RuleID, Severity: e.Severity.String(),
				From: string(h.From), To: string(h.To), At: h.At.UTC(), Actor: h.Actor, Reason: h.Reason, DaysExposed: days,
			})
		}
	}
	slices.SortStableFunc(r.Rotations, func(a, b RotationRow) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	r.Decisions = decisions(entries, history, in)

	r.Scans = []ScanRow{}
	for _, sc := range scans {
		if !in(sc.Finished) || !strings.Contains(sc.Repository, o.Repository) {
			continue
		}
		r.Scans = append(r.Scans, ScanRow{ID: sc.ID, Source: sc.Source, Repository: sc.Repository, Finished: sc.Finished.UTC(),
			Complete: sc.Complete, Findings: sc.Findings, NewSecrets: sc.NewSecrets, Regressions: sc.Regressions})
	}
	slices.SortFunc(r.Scans, func(a, b ScanRow) int { return cmp.Or(a.Finished.Compare(b.Finished), cmp.Compare(a.ID, b.ID)) })
	r.Trend = trend(entries, history, r.Scans, o.Since, o.Until)
	r.TopRepositories = topRepositories(entries, top)
	r.Summary = summarize(entries, r, exposed)
	r.Summary.VaultEntries = len(vault)
	r.Where = WhereSection{Places: wherePlaces(entries), Stores: []StoreObjectCount{}}
	if err := ciSecrets(ctx, s, r, policy, now); err != nil {
		return nil, err
	}
	if err := managedSection(ctx, s, r, policy, entries, vault, now); err != nil {
		return nil, err
	}
	// LeakedManaged holds exactly the open leaks a vault holds.
	r.Summary.LeakedManaged = len(r.LeakedManaged)
	r.Summary.LeakedUnmanaged = r.Summary.Open - r.Summary.LeakedManaged

	audit := AuditStatus{}
	vr, err := inventory.Verify(ctx, s)
	switch {
	case errors.Is(err, inventory.ErrTampered):
		audit.Problem = err.Error()
		audit.HeadSeq, audit.HeadHash, err = s.AuditHead(ctx)
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		audit = AuditStatus{Verified: true, Entries: vr.Entries, HeadSeq: vr.HeadSeq, HeadHash: vr.HeadHash}
	}
	audit.Head = inventory.Head{Seq: audit.HeadSeq, Hash: audit.HeadHash}.String()
	r.Audit = audit

	switch {
	case len(entries) == 0 && o.Repository != "":
		r.Notes = append(r.Notes, fmt.Sprintf("The inventory holds no secrets in repositories matching %q.", o.Repository))
	case len(entries) == 0:
		r.Notes = append(r.Notes, "The inventory holds no secrets: either nothing was ever found, or no scan has been recorded into it (scan with --inventory).")
	}
	if len(r.Scans) == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("No scans were recorded between %s and %s: the figures below are the inventory's state when this report was generated, and there is no trend for the period.",
			o.Since.Format(time.DateOnly), o.Until.Add(-time.Nanosecond).Format(time.DateOnly)))
	}
	if !audit.Verified {
		r.Notes = append(r.Notes, "The audit log failed verification ("+audit.Problem+"): this inventory's history cannot be trusted until it is explained.")
	}
	return r, nil
}

func periodTitle(since, until time.Time) string {
	last := until.Add(-time.Nanosecond)
	if since.Day() == 1 && until.Day() == 1 && since.AddDate(0, 3, 0).Equal(until) && (since.Month()-1)%3 == 0 {
		return fmt.Sprintf("Secret inventory review %d-Q%d", since.Year(), (since.Month()-1)/3+1)
	}
	return fmt.Sprintf("Secret inventory review %s to %s", since.Format(time.DateOnly), last.Format(time.DateOnly))
}

func secretRow(e inventory.Entry) SecretRow {
	row := SecretRow{
		Fingerprint: e.Fingerprint, Preview: e.Preview, RuleID: e.RuleID, RuleName: e.RuleName,
		Severity: e.Severity.String(), Class: string(e.Class), Status: string(e.Status),
		FirstSeen: e.FirstSeen.UTC(), LastSeen: e.LastSeen.UTC(), Earliest: e.EarliestEvidence.UTC(),
		AgeDays: int(time.Duration(e.Age) / dayDur), MaxAge: e.MaxAge.String(), MaxAgeDays: roundDays(time.Duration(e.MaxAge)),
		Overdue: e.Overdue, Regression: e.Regression, Repositories: e.Repositories,
		Environments: make([]string, 0, len(e.Environments)), Locations: make([]LocationRow, 0, len(e.Locations)),
		Verification: e.Latest(),
	}
	for _, env := range e.Environments {
		row.Environments = append(row.Environments, string(env))
	}
	for _, l := range e.Locations {
		row.Locations = append(row.Locations, LocationRow{
			Source: l.Source, Repository: l.Repository, Path: l.Path, Line: l.Line, Commit: l.Commit, Branch: l.Branch,
			Environment: string(l.Environment), Place: placeID(l), Present: l.Present(), FirstSeen: l.FirstSeen.UTC(), LastSeen: l.LastSeen.UTC(),
		})
	}
	return row
}

// roundDays gives a maximum age in days, to four decimals (a token's hour
// is 0.0417 days).
func roundDays(d time.Duration) float64 {
	return float64(int64(d.Hours()/24*10000+0.5)) / 10000
}

// statusAt replays a secret's history: its status at t (open before any
// change).
func statusAt(h []inventory.StatusEvent, t time.Time) inventory.Status {
	st := inventory.StatusOpen
	for _, ev := range h {
		if ev.At.After(t) {
			break
		}
		st = ev.To
	}
	return st
}

// trend counts open leaks at the end of each day with a scan, or of each
// ISO week when the period holds more than 62 such days.
func trend(entries []inventory.Entry, history map[string][]inventory.StatusEvent, scans []ScanRow, since, until time.Time) []TrendPoint {
	out := []TrendPoint{}
	if len(scans) == 0 {
		return out
	}
	loc := since.Location()
	dayEnd := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	}
	buckets := map[time.Time]int{}
	for _, sc := range scans {
		buckets[dayEnd(sc.Finished)]++
	}
	if len(buckets) > 62 {
		weekly := map[time.Time]int{}
		for d, n := range buckets {
			// Week ends on the Monday after (ISO weeks start on Monday).
			wd := (int(d.Weekday()) + 6) % 7 // days since Monday
			end := d
			if wd != 0 {
				end = d.AddDate(0, 0, 7-wd)
			}
			weekly[end] += n
		}
		buckets = weekly
	}
	// The last bucket may end past the period: it ends with the period.
	counts := map[time.Time]int{}
	for d, n := range buckets {
		counts[minTime(d, until)] += n
	}
	ends := slices.SortedFunc(maps.Keys(counts), time.Time.Compare)
	prev := since
	for _, end := range ends {
		p := TrendPoint{At: end.Add(-time.Nanosecond).UTC().Truncate(time.Second), Scans: counts[end]}
		for _, e := range entries {
			if !e.FirstSeen.Before(end) {
				continue
			}
			if !e.FirstSeen.Before(prev) {
				p.New++
			}
			if statusAt(history[e.Fingerprint], end.Add(-time.Nanosecond)).Active() {
				p.Open++
			}
		}
		out = append(out, p)
		prev = end
	}
	return out
}

// decisions lists the secrets whose status is false-positive or
// accepted-risk, each with the latest change to that status, oldest first.
func decisions(entries []inventory.Entry, history map[string][]inventory.StatusEvent, in func(time.Time) bool) []DecisionRow {
	out := []DecisionRow{}
	for _, e := range entries {
		if e.Status != inventory.StatusFalsePositive && e.Status != inventory.StatusAcceptedRisk {
			continue
		}
		d := DecisionRow{Fingerprint: e.Fingerprint, Preview: e.Preview, RuleID: e.RuleID, Severity: e.Severity.String(), Status: string(e.Status), Files: []string{}}
		h := history[e.Fingerprint]
		for i := len(h) - 1; i >= 0; i-- {
			if h[i].To == e.Status {
				d.At, d.Actor, d.Reason, d.InPeriod = h[i].At.UTC(), h[i].Actor, h[i].Reason, in(h[i].At)
				break
			}
		}
		for _, l := range e.Locations {
			d.Files = append(d.Files, l.Repository+" "+l.Path)
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b DecisionRow) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out
}

func topRepositories(entries []inventory.Entry, n int) []RepositoryRow {
	rows := map[string]*RepositoryRow{}
	for _, e := range entries {
		if !e.Status.Active() {
			continue
		}
		seen := map[string]bool{}
		for _, l := range e.Locations {
			if !l.Present() || seen[l.Repository] {
				continue
			}
			seen[l.Repository] = true
			r := rows[l.Repository]
			if r == nil {
				r = &RepositoryRow{Repository: l.Repository}
				rows[l.Repository] = r
			}
			r.Open++
			switch e.Severity {
			case detectors.SeverityCritical:
				r.Critical++
			case detectors.SeverityHigh:
				r.High++
			}
			if e.Overdue {
				r.Overdue++
			}
		}
	}
	out := make([]RepositoryRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b RepositoryRow) int {
		return cmp.Or(cmp.Compare(b.Open, a.Open), cmp.Compare(b.Critical, a.Critical), cmp.Compare(b.High, a.High), cmp.Compare(a.Repository, b.Repository))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func summarize(entries []inventory.Entry, r *InventoryReport, exposed []float64) Summary {
	st := inventory.Summarize(entries)
	s := Summary{
		Secrets: st.Secrets, Locations: st.Locations, PresentLocations: st.PresentLocations, Repositories: st.Repositories,
		NewInPeriod: len(r.NewLeaks), RotatedInPeriod: len(r.Rotations), Overdue: st.Overdue,
		SharedEnvironments: st.SharedEnvironments, MultiRepository: st.MultiRepository, Regressions: st.Regressions,
		ScansInPeriod: len(r.Scans), MedianDaysToRotate: -1,
	}
	for _, e := range entries {
		if e.Status.Active() {
			s.Open++
			if e.SilencedLocations() > 0 {
				s.SilencedInline++
			}
		}
	}
	if len(exposed) > 0 {
		slices.Sort(exposed)
		m := exposed[len(exposed)/2]
		if len(exposed)%2 == 0 {
			m = (exposed[len(exposed)/2-1] + m) / 2
		}
		s.MedianDaysToRotate = float64(int64(m*10+0.5)) / 10
	}
	for _, status := range inventory.Statuses {
		s.ByStatus = append(s.ByStatus, Count{string(status), st.ByStatus[status]})
	}
	for sev := detectors.SeverityCritical; sev >= detectors.SeverityInfo; sev-- {
		s.BySeverity = append(s.BySeverity, Count{sev.String(), st.BySeverity[sev.String()]})
	}
	if n := st.BySeverity[detectors.SeverityUnknown.String()]; n > 0 {
		s.BySeverity = append(s.BySeverity, Count{"unknown", n})
	}
	for _, c := range inventory.Classes() {
		s.ByClass = append(s.ByClass, Count{string(c), st.ByClass[c]})
	}
	for _, env := range append(append([]inventory.Environment{}, inventory.Environments...), inventory.EnvUnknown) {
		s.ByEnvironment = append(s.ByEnvironment, Count{string(env), st.ByEnvironment[env]})
	}
	return s
}

// ciSecrets fills the CI secrets section: those overdue or with a name set
// at several levels, most overdue first.
func ciSecrets(ctx context.Context, s inventory.Store, r *InventoryReport, p inventory.Policy, now time.Time) error {
	r.CISecrets = []CISecretRow{}
	cs, err := s.CISecrets(ctx, inventory.CISecretQuery{})
	if err != nil {
		return err
	}
	for _, e := range inventory.EvaluateCISecrets(cs, p, now) {
		if !e.GoneAt.IsZero() {
			continue
		}
		if r.Scope != "" && !ciInScope(e.CISecret, r.Scope) {
			continue
		}
		r.Summary.CISecrets++
		r.Where.addStoreObject(e)
		if e.Overdue {
			r.Summary.CISecretsOverdue++
		}
		if len(e.SameName) > 0 {
			r.Summary.CISecretsSameName++
		}
		if !e.Overdue && len(e.SameName) == 0 {
			continue
		}
		updated := e.UpdatedAt
		if updated.IsZero() {
			updated = e.CreatedAt
		}
		r.CISecrets = append(r.CISecrets, CISecretRow{
			Provider: e.Provider, Owner: e.Owner, Store: e.Store, Place: e.Place(), Name: e.Name, Updated: updated.UTC(),
			AgeDays: int(time.Duration(e.Age) / dayDur), MaxAge: e.MaxAge.String(), Overdue: e.Overdue, SameName: e.SameName,
		})
	}
	r.Where.sortStores()
	slices.SortStableFunc(r.CISecrets, func(a, b CISecretRow) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.AgeDays, a.AgeDays), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Place, b.Place))
	})
	return nil
}

// ciInScope: a CI secret belongs to a report narrowed to scope when it is
// set on a matching repository, or at the level of an organisation the
// scope names or sits in (its repositories inherit it).
func ciInScope(c inventory.CISecret, scope string) bool {
	if c.Repository != "" {
		return strings.Contains(c.Repository, scope) || strings.Contains(scope, c.Repository)
	}
	return strings.Contains(c.Owner, scope) || strings.Contains(scope, c.Owner)
}

func minTime(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}
