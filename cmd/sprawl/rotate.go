package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/rotation"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/reports"
)

func newRotateCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "rotate [--adapter vault|aws|azure] [--apply]",
		Short: "Force rotation of leaked managed secrets in their stores (dry run unless --apply)",
		Long: `Correlate the inventory's leaked secrets (open or rotation-required) with the
vault index ('sprawl vault index') and print the plan; with --apply, do it:

  vault   merge custom_metadata sprawl-rotation-* (required, reason, findings,
          time) into each KV secret; request rotate-role for a database
          static role
  aws     tag the secret sprawl:rotation-*, then RotateSecret when rotation
          is configured (otherwise say it is not)
  azure   set tags sprawl-rotation-* and an expiry on the leaked version

With --overdue-managed, every managed secret past its maximum age under the
policy ('sprawl inventory managed --overdue') is planned and marked the
same way, its age and allowance as the reason.

Each leaked secret so flagged becomes rotation-required. Every action, done
or failed, is an audit-log entry. A leaked secret held in no store is listed
as unmanaged: move it into a vault, then rotate it. A later 'vault index'
that sees a new value at a flagged path marks it rotated.

Exit codes: 0 ok (or nothing to do), 2 bad flag or configuration, 3 an
action or the inventory failed (the others still ran).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ac, err := readAdapterFlags(cmd)
			if err != nil {
				return err
			}
			apply, _ := cmd.Flags().GetBool("apply")
			reason, _ := cmd.Flags().GetString("reason")
			actorFlag, _ := cmd.Flags().GetString("actor")
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			return withInventory(cmd, func(s inventory.Store) error {
				items, err := rotation.Plan(cmd.Context(), s, ac.kind)
				if err != nil {
					return inventoryErr(err)
				}
				var overdue []*rotation.Item
				if om, _ := cmd.Flags().GetBool("overdue-managed"); om {
					if overdue, err = rotation.PlanOverdueManaged(cmd.Context(), s, ac.kind, items); err != nil {
						return inventoryErr(err)
					}
				}
				for _, w := range rotation.IndexWarnings(cmd.Context(), s, ac.kind) {
					// A warning quotes the store's name and its API's error.
					fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: warning: %s\n", reports.Printable(w))
				}
				if len(items) == 0 && len(overdue) == 0 && format != "json" {
					return nothingToRotate(cmd, s, ac.kind)
				}
				failed := 0
				if apply {
					open := func(ctx context.Context, kind string) (vault.Adapter, error) { return newAdapter(ctx, kind, ac) }
					if failed, err = rotation.Apply(cmd.Context(), s, items, open, reason, actorName(actorFlag)); err != nil {
						return inventoryErr(err)
					}
					n, err := rotation.ApplyOverdueManaged(cmd.Context(), s, overdue, open, reason, actorName(actorFlag))
					if err != nil {
						return inventoryErr(err)
					}
					failed += n
				}
				items = append(items, overdue...)
				if err := writeRotation(cmd, items, apply, format); err != nil {
					return err
				}
				if failed > 0 {
					return &exitError{exitFailure, fmt.Errorf("rotate: %d of the actions failed (see RESULT); the rest were done", failed)}
				}
				return nil
			})
		},
	}
	addAdapterFlags(c.Flags(), false)
	c.Flags().String("inventory", "", inventoryFlagHelp)
	c.Flags().Bool("apply", false, "do it (default: print the plan only)")
	c.Flags().Bool("overdue-managed", false, "also mark managed secrets past their maximum age ('inventory managed --overdue') for rotation")
	c.Flags().String("reason", "", "reason recorded in the store and the audit log (default: where the secret leaked)")
	c.Flags().String("actor", "", "who is acting, for the audit log (default $SPRAWL_ACTOR, else the login name)")
	c.Flags().StringP("format", "f", "table", "table or json")
	return c
}

// nothingToRotate counts the open leaked secrets for
// reports.WriteNothingToRotate, which says why the plan is empty.
func nothingToRotate(cmd *cobra.Command, s inventory.Store, kind string) error {
	open, err := s.Secrets(cmd.Context(), inventory.Query{Statuses: []inventory.Status{inventory.StatusOpen, inventory.StatusRotationRequired}})
	if err != nil {
		return inventoryErr(err)
	}
	return failure(reports.WriteNothingToRotate(cmd.OutOrStdout(), kind, len(open)))
}

func writeRotation(cmd *cobra.Command, items []*rotation.Item, apply bool, format string) error {
	out := cmd.OutOrStdout()
	if format == "json" {
		if items == nil {
			items = []*rotation.Item{}
		}
		return writeJSON(out, struct {
			DryRun bool             `json:"dry_run"`
			Items  []*rotation.Item `json:"items"`
		}{!apply, items})
	}
	return failure(reports.WriteRotationTable(out, tableWidth(out), items, apply))
}
