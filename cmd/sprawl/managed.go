package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
)

// managedKinds are the store kinds --store takes as a kind rather than as
// part of a store's name.
var managedKinds = []string{"vault", "aws", "azure", inventory.KindCI}

func newInventoryManagedCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "managed [--overdue] [--never-rotated] [--unused 90d] [--no-expiry] [--store KIND|NAME]",
		Short: "Judge every secret held in a vault or CI store against the rotation policy",
		Long: `Judge every managed secret — each field 'sprawl vault index' recorded, and
each CI secret 'sprawl scan github' listed — against the stored policy.
Facts come from the stores (dates, rotation settings, expiry, reads);
values are never read here and never stored.

A secret's class comes from the detection rule its value matched when it
was indexed, else from its field or secret name (db_password is a
password), else api-key; its maximum age from the first matching path rule
(inventory policy set --max-age path:'secret/epic/*#client-secret'=90d),
else the rule's, else the class's.

States (the STATES column, and the filters, which narrow together):
  overdue            older than its maximum age, counted from the last change
                     of the value (current version, last rotation)
  never-rotated      still the value it was created with
  rotation-disabled  the store does not rotate it by itself
  no-expiry          the store has an expiry (Azure Key Vault) and none is set
  expired-enabled    past its expiry and still enabled
  unused             not read for longer than --unused (default: the policy's
                     unused-after, else 90d), where the store records reads
                     (AWS Secrets Manager)
  leaked             a scan found the value outside the store

Exit codes: 0 ok (also with overdue secrets), 2 bad flag, 3 store failure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			format, _ := fl.GetString("format")
			if format != "table" && format != "json" && format != "csv" {
				return usageErr("invalid format %q for inventory managed (want table, json or csv)", format)
			}
			q := inventory.ManagedQuery{ManagedOptions: inventory.ManagedOptions{Now: time.Now()}}
			if st, _ := fl.GetString("store"); st != "" {
				q.Store = st
				for _, k := range managedKinds {
					if st == k {
						q.Kind, q.Store = k, ""
					}
				}
			}
			var want []inventory.ManagedState
			for _, f := range []struct {
				flag  string
				state inventory.ManagedState
			}{{"overdue", inventory.StateOverdue}, {"never-rotated", inventory.StateNeverRotated}, {"no-expiry", inventory.StateNoExpiry},
				{"expired", inventory.StateExpiredEnabled}, {"leaked", inventory.StateLeaked}, {"manual", inventory.StateRotationDisabled}} {
				if on, _ := fl.GetBool(f.flag); on {
					want = append(want, f.state)
				}
			}
			if u, _ := fl.GetString("unused"); u != "" {
				d, err := inventory.ParseDuration(u)
				if err != nil {
					return usageErr("--unused: %v", err)
				}
				q.Unused = time.Duration(d)
				want = append(want, inventory.StateUnused)
			}
			return withInventory(cmd, func(s inventory.Store) error {
				ms, _, err := inventory.AssessManaged(cmd.Context(), s, q)
				if err != nil {
					return inventoryErr(err)
				}
				out := ms[:0]
				for _, m := range ms {
					keep := true
					for _, st := range want {
						keep = keep && m.Has(st)
					}
					if keep {
						out = append(out, m)
					}
				}
				w := cmd.OutOrStdout()
				switch format {
				case "json":
					return writeJSON(w, out)
				case "csv":
					return writeManagedCSV(w, out)
				}
				if err := writeManagedTable(w, out); err != nil {
					return err
				}
				sum := inventory.SummarizeManaged(out)
				fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: %s: %d overdue, %d never rotated, %d without expiry, %d unused, %d leaked; %.0f%% rotated automatically\n",
					plural(sum.Total, "managed secret"), sum.Overdue, sum.NeverRotated, sum.NoExpiry, sum.Unused, sum.Leaked, sum.AutoRotationShare*100)
				return nil
			})
		},
	}
	fl := c.Flags()
	fl.Bool("overdue", false, "only secrets older than their maximum age")
	fl.Bool("never-rotated", false, "only secrets still holding the value they were created with")
	fl.String("unused", "", "only secrets not read for this long (e.g. 90d), where the store records reads")
	fl.Bool("no-expiry", false, "only secrets without an expiry in a store that has one")
	fl.Bool("expired", false, "only secrets past their expiry and still enabled")
	fl.Bool("manual", false, "only secrets the store does not rotate by itself")
	fl.Bool("leaked", false, "only secrets whose value a scan found outside the store")
	fl.String("store", "", "only this store kind (vault, aws, azure, ci) or stores whose name contains this text")
	fl.StringP("format", "f", "table", "table, json or csv")
	return c
}

func managedLastRead(m inventory.ManagedSecret) string {
	switch {
	case !m.AccessRecorded:
		return "-"
	case m.LastAccessed.IsZero():
		return "never"
	}
	return m.LastAccessed.UTC().Format(time.DateOnly)
}

func writeManagedTable(w io.Writer, ms []inventory.ManagedSecret) error {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		states := make([]string, len(m.States))
		for i, st := range m.States {
			states[i] = string(st)
		}
		rows = append(rows, []string{reports.Cell(m.StoreName()), reports.Cell(m.Where()), string(m.Class), inventory.HumanAge(m.Age), m.MaxAge.String(),
			managedLastRead(m), strings.Join(states, ",")})
	}
	return failure(reports.RenderTable(w, tableWidth(w), []string{"STORE", "SECRET", "CLASS", "AGE", "MAX AGE", "LAST READ", "STATES"}, rows))
}

// managedCSVHeader: every assessed field, one column each.
var managedCSVHeader = []string{"kind", "store", "engine", "mount", "path", "field", "fingerprint", "version", "rule_id", "class", "class_from",
	"created", "changed", "age_days", "max_age", "max_age_from", "auto_rotation", "last_rotated", "last_changed", "last_accessed",
	"access_recorded", "unused_days", "next_rotation", "rotation_period", "rotation_schedule", "expires", "not_before", "expiry_supported",
	"enabled", "versions", "max_versions", "delete_version_after",
	"overdue", "never_rotated", "rotation_disabled", "no_expiry", "expired_enabled", "unused", "leaked", "states"}

func writeManagedCSV(w io.Writer, ms []inventory.ManagedSecret) error {
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
		states := make([]string, len(m.States))
		for i, st := range m.States {
			states[i] = string(st)
		}
		rec := []string{m.Kind, m.Store, m.Engine, m.Mount, m.Path, m.Field, m.Fingerprint, m.Version, m.RuleID, string(m.Class), m.ClassFrom,
			ts(m.Created), ts(m.Changed), days(m.Age), m.MaxAge.String(), m.MaxAgeFrom, b(m.AutoRotation), ts(m.LastRotated), ts(m.LastChanged),
			ts(m.LastAccessed), b(m.AccessRecorded), days(m.UnusedFor), ts(m.NextRotation), dur(m.RotationPeriod), m.RotationSchedule,
			ts(m.Expires), ts(m.NotBefore), b(m.ExpirySupported), enabled, strconv.Itoa(m.Versions), strconv.Itoa(m.MaxVersions),
			dur(m.DeleteVersionAfter),
			b(m.Overdue), b(m.NeverRotated), b(m.RotationDisabled), b(m.NoExpiry), b(m.ExpiredEnabled), b(m.Unused), b(m.Leaked),
			strings.Join(states, " ")}
		for i := range rec {
			rec[i] = reports.CSVText(rec[i])
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return failure(cw.Error())
}

// managedStats is the managed-secret part of 'inventory stats'.
func managedStats(cmd *cobra.Command, s inventory.Store) (inventory.ManagedSummary, error) {
	ms, _, err := inventory.AssessManaged(cmd.Context(), s, inventory.ManagedQuery{ManagedOptions: inventory.ManagedOptions{Now: time.Now()}})
	if err != nil {
		return inventory.ManagedSummary{}, inventoryErr(err)
	}
	return inventory.SummarizeManaged(ms), nil
}

// writeManagedStatsText appends the managed-secret counts to the stats
// text.
func writeManagedStatsText(w io.Writer, sum inventory.ManagedSummary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nmanaged secrets      %d (%.0f%% rotated automatically)\n", sum.Total, sum.AutoRotationShare*100)
	for _, st := range inventory.ManagedStates {
		fmt.Fprintf(&b, "  %-22s %d\n", st, sum.Of(st))
	}
	if len(sum.ByStore) > 0 {
		b.WriteString("\nmanaged secrets by store (total, overdue, never rotated)\n")
		for _, st := range sum.ByStore {
			fmt.Fprintf(&b, "  %-40s %d, %d, %d\n", reports.Cell(st.Kind+" "+st.Store), st.Total, st.Overdue, st.NeverRotated)
		}
	}
	_, err := io.WriteString(w, b.String())
	return failure(err)
}

// managedAuditSummary describes a vault index entry's assessment for the
// audit log table ("" when the entry predates assessments).
func managedAuditSummary(d map[string]any) string {
	a, ok := d["assessment"].(map[string]any)
	if !ok {
		return ""
	}
	num := func(k string) int { f, _ := a[k].(float64); return int(f) }
	return fmt.Sprintf("; assessed %d: %d overdue, %d never rotated, %d without expiry, %d unused, %d leaked",
		num("total"), num("overdue"), num("never_rotated"), num("no_expiry"), num("unused"), num("leaked"))
}

// applyManagedPolicyFlag handles the --max-age keys for managed secrets:
// "path:PATTERN[#CLASS]" appends a path rule, "unused" sets the unused
// threshold. It reports whether k was one of them.
func applyManagedPolicyFlag(p *inventory.Policy, k string, d inventory.Duration) (bool, error) {
	if k == "unused" {
		p.UnusedAfter = d
		return true, nil
	}
	pat, ok := strings.CutPrefix(k, "path:")
	if !ok {
		return false, nil
	}
	r := inventory.PathRule{Pattern: pat, MaxAge: d}
	if i := strings.LastIndex(pat, "#"); i >= 0 {
		r.Pattern, r.Class = pat[:i], inventory.Class(pat[i+1:])
	}
	if r.Pattern == "" {
		return true, usageErr("--max-age %s: empty path pattern", k)
	}
	// Setting a pattern again replaces its age in place (order matters).
	for i, x := range p.PathMaxAge {
		if x.Pattern == r.Pattern && x.Class == r.Class {
			p.PathMaxAge[i] = r
			return true, nil
		}
	}
	p.PathMaxAge = append(p.PathMaxAge, r)
	return true, nil
}

// managedPolicyConfig is the managed-secret part of the config file's
// inventory section:
//
//	inventory:
//	  path-max-age:            # managed secrets by where they are held
//	    - {pattern: 'secret/epic/*', class: client-secret, max-age: 90d}
//	  unused-after: 90d
type managedPolicyConfig struct {
	PathMaxAge []struct {
		Pattern string `yaml:"pattern"`
		Class   string `yaml:"class"`
		MaxAge  string `yaml:"max-age"`
	} `yaml:"path-max-age"`
	UnusedAfter string `yaml:"unused-after"`
}

func (c managedPolicyConfig) apply(p *inventory.Policy) error {
	for i, r := range c.PathMaxAge {
		d, err := inventory.ParseDuration(r.MaxAge)
		if err != nil {
			return fmt.Errorf("path-max-age[%d]: %v", i, err)
		}
		p.PathMaxAge = append(p.PathMaxAge, inventory.PathRule{Pattern: r.Pattern, Class: inventory.Class(r.Class), MaxAge: d})
	}
	if c.UnusedAfter != "" {
		d, err := inventory.ParseDuration(c.UnusedAfter)
		if err != nil {
			return fmt.Errorf("unused-after: %v", err)
		}
		p.UnusedAfter = d
	}
	return nil
}
