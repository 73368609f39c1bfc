package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
)

// The managed secrets' renderers: 'inventory managed' as a table and as
// CSV, and their counts in 'inventory stats'. Store names and paths come
// from the stores, so control characters are escaped in the text and
// formulas defused in the CSV.

// managedLastRead says when a managed secret was last read, for the LAST
// READ column: the day (UTC), "never" where the store records reads and
// saw none, "-" where it does not record them.
func managedLastRead(m inventory.ManagedSecret) string {
	switch {
	case !m.AccessRecorded:
		return "-"
	case m.LastAccessed.IsZero():
		return "never"
	}
	return m.LastAccessed.UTC().Format(time.DateOnly)
}

// managedStates joins a managed secret's states with sep.
func managedStates(m inventory.ManagedSecret, sep string) string {
	states := make([]string, len(m.States))
	for i, st := range m.States {
		states[i] = string(st)
	}
	return strings.Join(states, sep)
}

// WriteManagedTable writes ms as the 'inventory managed' table, one row
// per secret with its store, place, class, age, maximum age, last read
// and states, drawn within width display columns (0: no limit) with a line
// naming any column left out.
func WriteManagedTable(w io.Writer, width int, ms []inventory.ManagedSecret) error {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, []string{Printable(m.StoreName()), Printable(m.Where()), string(m.Class), inventory.HumanAge(m.Age), m.MaxAge.String(),
			managedLastRead(m), managedStates(m, ",")})
	}
	return RenderTable(w, width, []string{"STORE", "SECRET", "CLASS", "AGE", "MAX AGE", "LAST READ", "STATES"}, rows)
}

// managedCSVHeader: every assessed field, one column each.
var managedCSVHeader = []string{"kind", "store", "engine", "mount", "path", "field", "fingerprint", "version", "rule_id", "class", "class_from",
	"created", "changed", "age_days", "max_age", "max_age_from", "auto_rotation", "last_rotated", "last_changed", "last_accessed",
	"access_recorded", "unused_days", "next_rotation", "rotation_period", "rotation_schedule", "expires", "not_before", "expiry_supported",
	"enabled", "versions", "max_versions", "delete_version_after",
	"overdue", "never_rotated", "rotation_disabled", "no_expiry", "expired_enabled", "unused", "leaked", "states"}

// WriteManagedCSV writes ms as RFC 4180 CSV: a header row naming every
// assessed field, then one row per secret with every fact and verdict. Times are RFC 3339
// in UTC, ages and unused spans whole days, and a time, period or
// enabled flag the store does not give is empty; the states are joined
// with spaces. Every cell is defused against spreadsheet formulas
// (CSVText).
func WriteManagedCSV(w io.Writer, ms []inventory.ManagedSecret) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(managedCSVHeader)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	days := func(d inventory.Duration) string { return strconv.Itoa(int(time.Duration(d) / (24 * time.Hour))) }
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return inventory.Duration(d).String()
	}
	b := strconv.FormatBool
	for _, m := range ms {
		enabled := ""
		if m.Enabled != nil {
			enabled = b(*m.Enabled)
		}
		rec := []string{m.Kind, m.Store, m.Engine, m.Mount, m.Path, m.Field, m.Fingerprint, m.Version, m.RuleID, string(m.Class), m.ClassFrom,
			ts(m.Created), ts(m.Changed), days(m.Age), m.MaxAge.String(), m.MaxAgeFrom, b(m.AutoRotation), ts(m.LastRotated), ts(m.LastChanged),
			ts(m.LastAccessed), b(m.AccessRecorded), days(m.UnusedFor), ts(m.NextRotation), dur(m.RotationPeriod), m.RotationSchedule,
			ts(m.Expires), ts(m.NotBefore), b(m.ExpirySupported), enabled, strconv.Itoa(m.Versions), strconv.Itoa(m.MaxVersions),
			dur(m.DeleteVersionAfter),
			b(m.Overdue), b(m.NeverRotated), b(m.RotationDisabled), b(m.NoExpiry), b(m.ExpiredEnabled), b(m.Unused), b(m.Leaked),
			managedStates(m, " ")}
		for i := range rec {
			rec[i] = CSVText(rec[i])
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// WriteManagedStatsText writes the managed-secret part of 'inventory
// stats' (which WriteStatsText has written before it): the total and the
// share rotated automatically, the count in each state, and, when there
// are any, the counts per store.
func WriteManagedStatsText(w io.Writer, sum inventory.ManagedSummary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nmanaged secrets      %d (%.0f%% rotated automatically)\n", sum.Total, sum.AutoRotationShare*100)
	for _, st := range inventory.ManagedStates {
		fmt.Fprintf(&b, "  %-22s %d\n", st, sum.Of(st))
	}
	if len(sum.ByStore) > 0 {
		b.WriteString("\nmanaged secrets by store (total, overdue, never rotated)\n")
		for _, st := range sum.ByStore {
			fmt.Fprintf(&b, "  %-40s %d, %d, %d\n", Printable(st.Kind+" "+st.Store), st.Total, st.Overdue, st.NeverRotated)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ManagedLine is the one-line summary, for standard error, of the managed
// secrets 'inventory managed' listed: how many, how many in each state
// that asks for action, and the share the stores rotate by themselves.
func ManagedLine(sum inventory.ManagedSummary) string {
	return fmt.Sprintf("sprawl: %s: %d overdue, %d never rotated, %d without expiry, %d unused, %d leaked; %.0f%% rotated automatically",
		plural.Count(sum.Total, "managed secret"), sum.Overdue, sum.NeverRotated, sum.NoExpiry, sum.Unused, sum.Leaked, sum.AutoRotationShare*100)
}
