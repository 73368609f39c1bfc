package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/scanner"
)

// rotateItem is one line of the rotation plan: a managed secret's path to
// flag, or an unmanaged leaked secret to move into a vault.
type rotateItem struct {
	Action string `json:"action"` // "flag", "flagged" (already), "unmanaged"
	inventory.VaultKey
	Engine       string   `json:"engine,omitempty"`
	Fields       []string `json:"fields,omitempty"`
	Version      string   `json:"version,omitempty"`
	AutoRotation bool     `json:"auto_rotation,omitempty"`
	// Secrets are the leaked secrets' fingerprints.
	Secrets []string `json:"secrets"`
	Rule    string   `json:"rule,omitempty"`
	Where   string   `json:"found_in,omitempty"`
	Plan    string   `json:"plan"`
	Result  string   `json:"result,omitempty"`
	Failed  bool     `json:"failed,omitempty"`
	// Overdue says why an overdue managed secret is planned
	// (--overdue-managed): its age against its maximum age.
	Overdue string `json:"overdue,omitempty"`
	// Live is the most urgent latest verification of its secrets (live,
	// unknown, revoked; "" if none was verified): the plan lists live
	// leaks first.
	Live string `json:"live,omitempty"`

	statuses map[string]inventory.Status
}

// liveRank orders verification statuses for the plan: live first, then
// never verified or unknown, then revoked by the provider.
func liveRank(status string) int {
	switch status {
	case scanner.VerifyLive:
		return 0
	case scanner.VerifyRevoked:
		return 2
	}
	return 1
}

// noteLive raises it.Live to status if that ranks more urgent.
func (it *rotateItem) noteLive(status string) {
	if status == "" {
		return
	}
	if it.Live == "" || liveRank(status) < liveRank(it.Live) {
		it.Live = status
	}
}

// liveFirst orders a plan live-first, keeping the order within a rank.
func liveFirst(items []*rotateItem) {
	sort.SliceStable(items, func(i, j int) bool { return liveRank(items[i].Live) < liveRank(items[j].Live) })
}

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
				items, err := rotationPlan(cmd.Context(), s, ac.kind)
				if err != nil {
					return inventoryErr(err)
				}
				var overdue []*rotateItem
				if om, _ := cmd.Flags().GetBool("overdue-managed"); om {
					if overdue, err = overdueManagedPlan(cmd.Context(), s, ac.kind, items); err != nil {
						return inventoryErr(err)
					}
				}
				warnFailedIndexes(cmd, s, ac.kind)
				if len(items) == 0 && len(overdue) == 0 && format != "json" {
					return nothingToRotate(cmd, s, ac.kind)
				}
				failed := 0
				if apply {
					if failed, err = applyRotation(cmd.Context(), s, items, ac, reason, actorName(actorFlag)); err != nil {
						return err
					}
					n, err := applyOverdueManaged(cmd.Context(), s, overdue, ac, reason, actorName(actorFlag))
					if err != nil {
						return err
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

// recentAudit is how many of the latest audit entries warnFailedIndexes
// looks through for each store's last index.
const recentAudit = 1000

// warnFailedIndexes says on stderr which stores' latest index (among the
// recent audit entries) failed or was partial: the plan then rests on the
// index before it, which a failed index leaves in place.
func warnFailedIndexes(cmd *cobra.Command, s inventory.Store, kind string) {
	ctx := cmd.Context()
	seq, _, err := s.AuditHead(ctx)
	if err != nil {
		return
	}
	es, err := s.AuditLog(ctx, max(0, seq-recentAudit), 0)
	if err != nil {
		return
	}
	type index struct {
		Adapter string   `json:"adapter"`
		Store   string   `json:"store"`
		Failed  bool     `json:"failed"`
		Errors  []string `json:"errors"`
		seq     int64
		at      time.Time
	}
	latest := map[string]index{}
	var order []string
	for _, e := range es {
		if e.Action != inventory.ActionVaultIndex {
			continue
		}
		var x index
		if json.Unmarshal([]byte(e.Data), &x) != nil || (kind != "" && x.Adapter != kind) {
			continue
		}
		x.seq, x.at = e.Seq, e.At
		k := x.Adapter + " " + x.Store
		if _, ok := latest[k]; !ok {
			order = append(order, k)
		}
		latest[k] = x
	}
	for _, k := range order {
		x := latest[k]
		switch {
		case x.Failed:
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: warning: the last index of %s failed (%s, audit entry %d: %s); this plan rests on the index before it: run 'sprawl vault index' again\n",
				k, x.at.Format(time.RFC3339), x.seq, strings.Join(x.Errors[:min(1, len(x.Errors))], ""))
		case len(x.Errors) > 0:
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: warning: the last index of %s was partial (%s, audit entry %d, %d errors); parts of this plan rest on an older index\n",
				k, x.at.Format(time.RFC3339), x.seq, len(x.Errors))
		}
	}
}

// nothingToRotate says why the plan is empty without claiming there are
// no leaks when --adapter only left them out: the leaked secrets may be
// unmanaged, or the store's index stale (a failed 'vault index' leaves the
// previous one in place, and says so in the audit log).
func nothingToRotate(cmd *cobra.Command, s inventory.Store, kind string) error {
	open, err := s.Secrets(cmd.Context(), inventory.Query{Statuses: []inventory.Status{inventory.StatusOpen, inventory.StatusRotationRequired}})
	if err != nil {
		return inventoryErr(err)
	}
	out := cmd.OutOrStdout()
	if len(open) == 0 {
		_, err = fmt.Fprintln(out, "nothing to rotate: no open leaked secret in the inventory")
		return failure(err)
	}
	_, err = fmt.Fprintf(out, "nothing to mark in %s stores: %s open, none held in an indexed %s store "+
		"(run 'sprawl rotate' without --adapter to list them; if the index is stale or the last 'vault index' failed, see 'sprawl audit log')\n",
		kind, plural(len(open), "leaked secret"), kind)
	return failure(err)
}

// rotationPlan correlates the active leaked secrets with the vault index:
// one "flag" item per store path holding leaked values (its leaked fields
// together), "flagged" where every leaked field there is already marked,
// and one "unmanaged" item per leaked secret in no store.
func rotationPlan(ctx context.Context, s inventory.Store, kind string) ([]*rotateItem, error) {
	cs, err := inventory.Correlate(ctx, s, inventory.Query{Statuses: []inventory.Status{inventory.StatusOpen, inventory.StatusRotationRequired}})
	if err != nil {
		return nil, err
	}
	byPath := map[inventory.VaultKey]*rotateItem{}
	var managed, unmanaged []*rotateItem
	for _, c := range cs {
		where := ""
		if len(c.Secret.Locations) > 0 {
			l := c.Secret.Locations[0]
			where = strings.TrimSpace(l.Source + " " + l.Repository + ":" + l.Path)
		}
		if !c.Managed {
			if kind == "" {
				unmanaged = append(unmanaged, &rotateItem{Action: "unmanaged", Secrets: []string{c.Secret.Fingerprint}, Rule: c.Secret.RuleID,
					Where: where, Plan: inventory.ActionMoveToVault, Live: c.Secret.LiveStatus()})
			}
			continue
		}
		for _, e := range c.Vault {
			if kind != "" && e.Adapter != kind {
				continue
			}
			k := inventory.VaultKey{Adapter: e.Adapter, Store: e.Store, Mount: e.Mount, Path: e.Path}
			it := byPath[k]
			if it == nil {
				it = &rotateItem{Action: "flagged", VaultKey: k, Engine: e.Engine, Version: e.Version, AutoRotation: e.AutoRotation,
					Rule: c.Secret.RuleID, Where: where, statuses: map[string]inventory.Status{}}
				byPath[k] = it
				managed = append(managed, it)
			}
			// "rotated" entries await the clearing of the old mark; if the
			// new value leaked too, it needs a mark of its own.
			if e.Flag != inventory.VaultFlagRotationRequired {
				it.Action = "flag"
			}
			it.Fields = append(it.Fields, e.Field)
			if it.statuses[c.Secret.Fingerprint] == "" {
				it.Secrets = append(it.Secrets, c.Secret.Fingerprint)
			}
			it.statuses[c.Secret.Fingerprint] = c.Secret.Status
			it.noteLive(c.Secret.LiveStatus())
		}
	}
	for _, it := range managed {
		sort.Strings(it.Fields)
		sort.Strings(it.Secrets)
		if it.Action == "flag" {
			it.Plan = vault.PlanFlag(it.Adapter, it.Engine, it.AutoRotation)
		} else {
			it.Plan = "already marked; waiting for a new value (sprawl vault index)"
		}
	}
	sort.SliceStable(managed, func(i, j int) bool { return managed[i].VaultKey.String() < managed[j].VaultKey.String() })
	items := append(managed, unmanaged...)
	liveFirst(items)
	return items, nil
}

// applyRotation flags each planned path in its store and records the
// outcome; it returns how many actions failed. Only an inventory failure
// stops it.
// flagAdapter returns the adapter that can mark it, opening each kind once
// per run (adapters and errs hold the run's). When ok is false, it.Result
// says why not, and it.Failed whether that is a failed action.
func flagAdapter(ctx context.Context, adapters map[string]vault.Adapter, errs map[string]error, it *rotateItem, ac adapterConfig) (a vault.Adapter, ok bool) {
	a, ok = adapters[it.Adapter]
	if !ok && errs[it.Adapter] == nil {
		var err error
		if a, err = newAdapter(ctx, it.Adapter, ac); err != nil {
			errs[it.Adapter] = err
		} else {
			adapters[it.Adapter] = a
		}
	}
	if err := errs[it.Adapter]; err != nil {
		it.Result, it.Failed = "not done: "+err.Error(), true
		return nil, false
	}
	if a.Store() != it.Store {
		it.Result = "skipped: the " + it.Adapter + " adapter points at " + a.Store() + ", not this store"
		return nil, false
	}
	return a, true
}

func applyRotation(ctx context.Context, s inventory.Store, items []*rotateItem, ac adapterConfig, reason, actor string) (int, error) {
	adapters := map[string]vault.Adapter{}
	adapterErr := map[string]error{}
	failed := 0
	for _, it := range items {
		if it.Action == "unmanaged" {
			continue
		}
		why := reason
		if why == "" {
			why = fmt.Sprintf("leaked: %s found in %s", it.Rule, it.Where)
		}
		if it.Action == "flag" {
			a, ok := flagAdapter(ctx, adapters, adapterErr, it, ac)
			if !ok {
				if it.Failed {
					failed++
				}
				continue
			}
			o, err := a.Flag(ctx, vault.Ref{Engine: it.Engine, Mount: it.Mount, Path: it.Path, Version: it.Version},
				vault.Mark{Reason: why, Findings: it.Secrets, At: time.Now()})
			act := inventory.VaultAction{Key: it.VaultKey, Fields: it.Fields, Action: "flag", Detail: o.String(),
				Flag: inventory.VaultFlagRotationRequired, Reason: why, Finding: strings.Join(it.Secrets, " "), Version: it.Version, Actor: actor}
			if err != nil {
				act.Err = err.Error()
				it.Result, it.Failed = "failed: "+err.Error(), true
				failed++
			} else {
				it.Result = "done: " + o.String()
			}
			if err := s.MarkVaultFlag(ctx, act); err != nil {
				return failed, inventoryErr(err)
			}
			if err != nil {
				continue
			}
		}
		for _, fp := range it.Secrets {
			if it.statuses[fp] != inventory.StatusOpen {
				continue
			}
			if _, err := s.SetStatus(ctx, fp, inventory.StatusChange{To: inventory.StatusRotationRequired,
				Reason: "leaked managed secret: marked for rotation at " + it.VaultKey.String(), Actor: actor}); err != nil {
				return failed, inventoryErr(err)
			}
			it.statuses[fp] = inventory.StatusRotationRequired
		}
		if it.Action == "flagged" {
			it.Result = "already marked"
		}
	}
	return failed, nil
}

func writeRotation(cmd *cobra.Command, items []*rotateItem, apply bool, format string) error {
	out := cmd.OutOrStdout()
	if format == "json" {
		if items == nil {
			items = []*rotateItem{}
		}
		return writeJSON(out, struct {
			DryRun bool          `json:"dry_run"`
			Items  []*rotateItem `json:"items"`
		}{!apply, items})
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(out, "nothing to rotate: no open leaked secret in the inventory")
		return failure(err)
	}
	header := []string{"ACTION", "STORE", "PATH", "FIELDS", "SECRETS", "PLAN"}
	verified := false
	for _, it := range items {
		verified = verified || it.Live != ""
	}
	if verified {
		header = append(header, "LIVE")
	}
	if apply {
		header = append(header, "RESULT")
	}
	rows := make([][]string, 0, len(items))
	flags := 0
	for _, it := range items {
		secs := make([]string, len(it.Secrets))
		for i, fp := range it.Secrets {
			secs[i] = short(fp)
		}
		store, path := it.Adapter+" "+it.Store, it.Path
		if it.Mount != "" {
			path = it.Mount + "/" + path
		}
		if it.Action == "unmanaged" {
			store, path = "-", it.Where
		}
		if it.Action == "flag" {
			flags++
		}
		row := []string{it.Action, store, path, strings.Join(it.Fields, ","), strings.Join(secs, " "), it.Plan}
		if verified {
			live := it.Live
			if live == "" {
				live = "-"
			}
			row = append(row, live)
		}
		if apply {
			row = append(row, it.Result)
		}
		rows = append(rows, row)
	}
	if err := renderTable(out, header, rows); err != nil {
		return err
	}
	if !apply {
		_, err := fmt.Fprintf(out, "dry run: %d paths to mark for rotation; run with --apply to do it\n", flags)
		return failure(err)
	}
	return nil
}

// overdueManagedPlan plans one "flag" item per store path holding overdue
// managed fields (its overdue fields together), "flagged" where they are
// all marked already; paths the leak plan already covers are left to it.
func overdueManagedPlan(ctx context.Context, s inventory.Store, kind string, leakPlan []*rotateItem) ([]*rotateItem, error) {
	ms, _, err := inventory.AssessManaged(ctx, s, inventory.ManagedQuery{NoCI: true, ManagedOptions: inventory.ManagedOptions{Now: time.Now()}})
	if err != nil {
		return nil, err
	}
	es, err := s.VaultEntries(ctx, inventory.VaultQuery{Adapter: kind})
	if err != nil {
		return nil, err
	}
	flags := map[inventory.VaultKey]inventory.VaultFlag{}
	for _, e := range es {
		flags[e.VaultKey] = e.Flag
	}
	planned := map[inventory.VaultKey]bool{}
	for _, it := range leakPlan {
		planned[it.VaultKey] = true
	}
	byPath := map[inventory.VaultKey]*rotateItem{}
	var out []*rotateItem
	for _, m := range ms {
		if !m.Overdue || (kind != "" && m.Kind != kind) {
			continue
		}
		k := inventory.VaultKey{Adapter: m.Kind, Store: m.Store, Mount: m.Mount, Path: m.Path}
		if planned[k] {
			continue
		}
		it := byPath[k]
		if it == nil {
			it = &rotateItem{Action: "flagged", VaultKey: k, Engine: m.Engine, Version: m.Version, AutoRotation: m.AutoRotation,
				Secrets: []string{}, statuses: map[string]inventory.Status{}}
			byPath[k] = it
			out = append(out, it)
		}
		field := k
		field.Field = m.Field
		if flags[field] != inventory.VaultFlagRotationRequired {
			it.Action = "flag"
		}
		it.Fields = append(it.Fields, m.Field)
		why := fmt.Sprintf("%s %s, max %s (%s)", m.Field, age(m.Age), m.MaxAge, m.MaxAgeFrom)
		if m.Field == "" {
			why = fmt.Sprintf("%s, max %s (%s)", age(m.Age), m.MaxAge, m.MaxAgeFrom)
		}
		if it.Overdue != "" {
			it.Overdue += "; "
		}
		it.Overdue += why
	}
	for _, it := range out {
		sort.Strings(it.Fields)
		if it.Action == "flag" {
			it.Plan = vault.PlanFlag(it.Adapter, it.Engine, it.AutoRotation) + "; overdue: " + it.Overdue
		} else {
			it.Plan = "already marked; waiting for a new value (sprawl vault index); overdue: " + it.Overdue
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].VaultKey.String() < out[j].VaultKey.String() })
	return out, nil
}

// applyOverdueManaged marks each planned overdue path in its store and
// records the outcome, as applyRotation does for leaked ones (there is no
// leaked secret whose status to change); it returns how many actions
// failed. Only an inventory failure stops it.
func applyOverdueManaged(ctx context.Context, s inventory.Store, items []*rotateItem, ac adapterConfig, reason, actor string) (int, error) {
	adapters := map[string]vault.Adapter{}
	adapterErr := map[string]error{}
	failed := 0
	for _, it := range items {
		if it.Action != "flag" {
			it.Result = "already marked"
			continue
		}
		why := reason
		if why == "" {
			why = "overdue under the rotation policy: " + it.Overdue
		}
		a, ok := flagAdapter(ctx, adapters, adapterErr, it, ac)
		if !ok {
			if it.Failed {
				failed++
			}
			continue
		}
		o, err := a.Flag(ctx, vault.Ref{Engine: it.Engine, Mount: it.Mount, Path: it.Path, Version: it.Version}, vault.Mark{Reason: why, At: time.Now()})
		act := inventory.VaultAction{Key: it.VaultKey, Fields: it.Fields, Action: "flag", Detail: o.String(),
			Flag: inventory.VaultFlagRotationRequired, Reason: why, Version: it.Version, Actor: actor}
		if err != nil {
			act.Err = err.Error()
			it.Result, it.Failed = "failed: "+err.Error(), true
			failed++
		} else {
			it.Result = "done: " + o.String()
		}
		if err := s.MarkVaultFlag(ctx, act); err != nil {
			return failed, inventoryErr(err)
		}
	}
	return failed, nil
}
