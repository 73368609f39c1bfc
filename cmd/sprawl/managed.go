package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
)

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
			st, _ := fl.GetString("store")
			q.SelectStore(st)
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
				out := inventory.FilterManaged(ms, want)
				w := cmd.OutOrStdout()
				switch format {
				case "json":
					return writeJSON(w, out)
				case "csv":
					return failure(reports.WriteManagedCSV(w, out))
				}
				if err := reports.WriteManagedTable(w, tableWidth(w), out); err != nil {
					return failure(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), reports.ManagedLine(inventory.SummarizeManaged(out)))
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

// managedStats is the managed-secret part of 'inventory stats'.
func managedStats(cmd *cobra.Command, s inventory.Store) (inventory.ManagedSummary, error) {
	ms, _, err := inventory.AssessManaged(cmd.Context(), s, inventory.ManagedQuery{ManagedOptions: inventory.ManagedOptions{Now: time.Now()}})
	if err != nil {
		return inventory.ManagedSummary{}, inventoryErr(err)
	}
	return inventory.SummarizeManaged(ms), nil
}
