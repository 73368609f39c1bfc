package reports

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
)

// ManagedSection is "Managed secrets against policy": every secret held
// in an indexed vault or a CI store, judged against the stored policy
// (inventory.AssessManaged). It holds facts and verdicts, never a value.
type ManagedSection struct {
	inventory.ManagedCounts
	// AutoRotationShare is the share (0–1) of managed secrets their store
	// rotates by itself.
	AutoRotationShare float64                        `json:"auto_rotation_share"`
	ByStore           []inventory.ManagedStoreCounts `json:"by_store"`
	// Previous are the figures when the period began (the assessments
	// recorded with each store's last index before it); nil when no store
	// was indexed before the period. Change is now minus Previous.
	Previous *inventory.ManagedCounts `json:"previous,omitempty"`
	Change   *inventory.ManagedCounts `json:"change,omitempty"`
	// OverdueSecrets and NeverRotatedSecrets are the lists auditors ask for, oldest
	// first.
	OverdueSecrets      []ManagedSecretRow `json:"overdue_secrets"`
	NeverRotatedSecrets []ManagedSecretRow `json:"never_rotated_secrets"`
	// Secrets is every assessed managed secret with every assessed field.
	Secrets []inventory.ManagedSecret `json:"secrets"`
}

// ManagedSecretRow is one managed secret as the report's lists show it.
type ManagedSecretRow struct {
	Store      string    `json:"store"` // "vault https://vault:8200"
	Where      string    `json:"where"` // "secret/app#password"
	Class      string    `json:"class"`
	Changed    time.Time `json:"changed,omitzero"`
	AgeDays    int       `json:"age_days"`
	MaxAge     string    `json:"max_age"`
	MaxAgeFrom string    `json:"max_age_from"`
	Auto       bool      `json:"auto_rotation"`
	States     []string  `json:"states"`
}

// managedSection fills r.Managed. A report narrowed to repositories keeps
// the CI secrets in scope and leaves the vaults out (they belong to no
// repository); its change since the previous period is then not given.
//
// It judges the vault entries and leaked secrets the report already read.
func managedSection(ctx context.Context, s inventory.Store, r *InventoryReport, p inventory.Policy, entries []inventory.Entry,
	es []inventory.VaultEntry, now time.Time) error {
	cis, err := s.CISecrets(ctx, inventory.CISecretQuery{})
	if err != nil {
		return err
	}
	leaked := map[string]bool{}
	for _, e := range entries {
		if e.Status.Active() {
			leaked[e.Fingerprint] = true
		}
	}
	if r.Scope != "" {
		es = nil
	}
	ms := inventory.AssessManagedEntries(es, cis, p, inventory.ManagedQuery{ManagedOptions: inventory.ManagedOptions{Now: now, Leaked: leaked}})
	if r.Scope != "" {
		in := map[string]bool{}
		for _, c := range cis {
			if ciInScope(c, r.Scope) {
				in[c.Provider+" "+c.Owner+" "+c.Store+"\x00"+c.Place()+" "+c.Name] = true
			}
		}
		kept := ms[:0]
		for _, m := range ms {
			if m.Kind == inventory.KindCI && in[m.Store+"\x00"+m.Path] {
				kept = append(kept, m)
			}
		}
		ms = kept
	}
	sum := inventory.SummarizeManaged(ms)
	sec := ManagedSection{ManagedCounts: sum.ManagedCounts, AutoRotationShare: sum.AutoRotationShare, ByStore: sum.ByStore,
		OverdueSecrets: []ManagedSecretRow{}, NeverRotatedSecrets: []ManagedSecretRow{}, Secrets: ms}
	for _, m := range ms {
		if m.Overdue {
			sec.OverdueSecrets = append(sec.OverdueSecrets, managedSecretRow(m))
		}
		if m.NeverRotated {
			sec.NeverRotatedSecrets = append(sec.NeverRotatedSecrets, managedSecretRow(m))
		}
	}
	oldest := func(a, b ManagedSecretRow) int {
		return cmp.Or(cmp.Compare(b.AgeDays, a.AgeDays), cmp.Compare(a.Store, b.Store), cmp.Compare(a.Where, b.Where))
	}
	slices.SortStableFunc(sec.OverdueSecrets, oldest)
	slices.SortStableFunc(sec.NeverRotatedSecrets, oldest)
	if r.Scope == "" {
		prev, err := inventory.ManagedCountsBefore(ctx, s, r.Since)
		if err != nil {
			return err
		}
		if prev != nil {
			sec.Previous = prev
			c := sec.ManagedCounts
			c.Total -= prev.Total
			c.Overdue -= prev.Overdue
			c.NeverRotated -= prev.NeverRotated
			c.RotationDisabled -= prev.RotationDisabled
			c.NoExpiry -= prev.NoExpiry
			c.ExpiredEnabled -= prev.ExpiredEnabled
			c.Unused -= prev.Unused
			c.Leaked -= prev.Leaked
			c.AutoRotation -= prev.AutoRotation
			sec.Change = &c
		}
	}
	r.Managed = sec
	return nil
}

func managedSecretRow(m inventory.ManagedSecret) ManagedSecretRow {
	states := make([]string, len(m.States))
	for i, st := range m.States {
		states[i] = string(st)
	}
	return ManagedSecretRow{Store: m.StoreName(), Where: m.Where(), Class: string(m.Class), Changed: m.Changed.UTC(),
		AgeDays: int(time.Duration(m.Age) / dayDur), MaxAge: m.MaxAge.String(), MaxAgeFrom: m.MaxAgeFrom, Auto: m.AutoRotation, States: states}
}

// ---- shared by the renderers ----

var managedStoreHeader = []string{"Store", "Secrets", "Overdue", "Never rotated", "No auto-rotation", "No expiry", "Expired, enabled", "Unused", "Leaked", "Auto-rotated"}

func managedStoreRows(r *InventoryReport) [][]string {
	row := func(name string, c inventory.ManagedCounts) []string {
		out := []string{name}
		for _, n := range []int{c.Total, c.Overdue, c.NeverRotated, c.RotationDisabled, c.NoExpiry, c.ExpiredEnabled, c.Unused, c.Leaked} {
			out = append(out, strconv.Itoa(n))
		}
		return append(out, percent(c.AutoRotationShare()))
	}
	var rows [][]string
	for _, st := range r.Managed.ByStore {
		rows = append(rows, row(st.Kind+" "+st.Store, st.ManagedCounts))
	}
	if len(rows) > 1 {
		rows = append(rows, row("all stores", r.Managed.ManagedCounts))
	}
	return rows
}

func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*100), 'f', 0, 64) + "%"
}

var managedChangeHeader = []string{"Figure", "Period start", "Now", "Change"}

// managedChangeRows compare the figures with the period's start.
func managedChangeRows(r *InventoryReport) [][]string {
	m := r.Managed
	if m.Previous == nil {
		return nil
	}
	signed := func(n int) string {
		if n > 0 {
			return "+" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	var rows [][]string
	for _, x := range []struct {
		name            string
		prev, now, diff int
	}{
		{"Managed secrets", m.Previous.Total, m.Total, m.Change.Total},
		{"Overdue", m.Previous.Overdue, m.Overdue, m.Change.Overdue},
		{"Never rotated", m.Previous.NeverRotated, m.NeverRotated, m.Change.NeverRotated},
		{"No expiry", m.Previous.NoExpiry, m.NoExpiry, m.Change.NoExpiry},
		{"Expired, still enabled", m.Previous.ExpiredEnabled, m.ExpiredEnabled, m.Change.ExpiredEnabled},
		{"Unused", m.Previous.Unused, m.Unused, m.Change.Unused},
		{"Leaked", m.Previous.Leaked, m.Leaked, m.Change.Leaked},
		{"Rotated automatically", m.Previous.AutoRotation, m.AutoRotation, m.Change.AutoRotation},
	} {
		rows = append(rows, []string{x.name, strconv.Itoa(x.prev), strconv.Itoa(x.now), signed(x.diff)})
	}
	return rows
}

func managedChangeEmpty(r *InventoryReport) string {
	if r.Scope != "" {
		return "Not given for a report narrowed to repositories."
	}
	return "No store was indexed (or CI secrets listed) before the period began, so there is nothing to compare with."
}

var managedListHeader = []string{"Store", "Secret", "Class", "Value set", "Age", "Max age", "Set by", "States"}

func managedListRows(rows []ManagedSecretRow) [][]string {
	out := make([][]string, 0, len(rows))
	for _, m := range rows {
		out = append(out, []string{m.Store, m.Where, m.Class, dayOrEmpty(m.Changed), strconv.Itoa(m.AgeDays) + " d", maxAge(m.MaxAge), m.MaxAgeFrom, strings.Join(m.States, ", ")})
	}
	return out
}

// managedSectionEmpty says why the section has nothing to show.
func managedSectionEmpty(r *InventoryReport) string {
	if r.Scope != "" {
		return "No CI secret of these repositories is recorded; vaults belong to no repository and are left out of a narrowed report."
	}
	return "No secret store has been indexed (sprawl vault index) and no CI secret listed (sprawl scan github --inventory)."
}

// managedLine is the section's one-sentence summary.
func managedLine(r *InventoryReport) string {
	m := r.Managed
	return strconv.Itoa(m.Total) + " managed secrets: " + strconv.Itoa(m.Overdue) + " overdue, " + strconv.Itoa(m.NeverRotated) +
		" never rotated, " + strconv.Itoa(m.NoExpiry) + " without expiry, " + strconv.Itoa(m.Unused) + " unused; " +
		percent(m.AutoRotationShare) + " rotated automatically by their store."
}
