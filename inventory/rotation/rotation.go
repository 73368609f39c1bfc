// Package rotation plans and applies forced rotation: it correlates the
// inventory's open leaked secrets (and, when asked, its overdue managed
// secrets) with the vault index and marks their store paths for rotation
// through the vault adapters, recording every action in the inventory.
// The command layer only chooses the adapters and prints the plan.
package rotation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/scanner"
)

// Opener opens the vault adapter of a kind ("vault", "aws", "azure") as
// the user configured it; Apply calls it once per kind.
type Opener func(ctx context.Context, kind string) (vault.Adapter, error)

// Item is one line of the rotation plan: a managed secret's path to
// flag, or an unmanaged leaked secret to move into a vault.
type Item struct {
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
func (it *Item) noteLive(status string) {
	if status == "" {
		return
	}
	if it.Live == "" || liveRank(status) < liveRank(it.Live) {
		it.Live = status
	}
}

// liveFirst orders a plan live-first, keeping the order within a rank.
func liveFirst(items []*Item) {
	sort.SliceStable(items, func(i, j int) bool { return liveRank(items[i].Live) < liveRank(items[j].Live) })
}

// recentAudit is how many of the latest audit entries IndexWarnings
// looks through for each store's last index.
const recentAudit = 1000

// IndexWarnings says which stores' latest index (among the recent audit
// entries) failed or was partial: the plan then rests on the index before
// it, which a failed index leaves in place.
func IndexWarnings(ctx context.Context, s inventory.Store, kind string) []string {
	seq, _, err := s.AuditHead(ctx)
	if err != nil {
		return nil
	}
	es, err := s.AuditLog(ctx, max(0, seq-recentAudit), 0)
	if err != nil {
		return nil
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
	var order, out []string
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
			out = append(out, fmt.Sprintf("the last index of %s failed (%s, audit entry %d: %s); this plan rests on the index before it: run 'sprawl vault index' again",
				k, x.at.Format(time.RFC3339), x.seq, strings.Join(x.Errors[:min(1, len(x.Errors))], "")))
		case len(x.Errors) > 0:
			out = append(out, fmt.Sprintf("the last index of %s was partial (%s, audit entry %d, %d errors); parts of this plan rest on an older index",
				k, x.at.Format(time.RFC3339), x.seq, len(x.Errors)))
		}
	}
	return out
}

// Plan correlates the active leaked secrets with the vault index:
// one "flag" item per store path holding leaked values (its leaked fields
// together), "flagged" where every leaked field there is already marked,
// and one "unmanaged" item per leaked secret in no store.
func Plan(ctx context.Context, s inventory.Store, kind string) ([]*Item, error) {
	cs, err := inventory.Correlate(ctx, s, inventory.Query{Statuses: []inventory.Status{inventory.StatusOpen, inventory.StatusRotationRequired}})
	if err != nil {
		return nil, err
	}
	byPath := map[inventory.VaultKey]*Item{}
	var managed, unmanaged []*Item
	for _, c := range cs {
		where := ""
		if len(c.Secret.Locations) > 0 {
			l := c.Secret.Locations[0]
			where = strings.TrimSpace(l.Source + " " + l.Repository + ":" + l.Path)
		}
		if !c.Managed {
			if kind == "" {
				unmanaged = append(unmanaged, &Item{Action: "unmanaged", Secrets: []string{c.Secret.Fingerprint}, Rule: c.Secret.RuleID,
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
				it = &Item{Action: "flagged", VaultKey: k, Engine: e.Engine, Version: e.Version, AutoRotation: e.AutoRotation,
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

// flagAdapter returns the adapter that can mark it, opening each kind once
// per run (adapters and errs hold the run's). When ok is false, it.Result
// says why not, and it.Failed whether that is a failed action.
func flagAdapter(ctx context.Context, adapters map[string]vault.Adapter, errs map[string]error, it *Item, open Opener) (a vault.Adapter, ok bool) {
	a, ok = adapters[it.Adapter]
	if !ok && errs[it.Adapter] == nil {
		var err error
		if a, err = open(ctx, it.Adapter); err != nil {
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

// Apply flags each planned path in its store and records the
// outcome; it returns how many actions failed. Only an inventory failure
// stops it.
func Apply(ctx context.Context, s inventory.Store, items []*Item, open Opener, reason, actor string) (int, error) {
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
			a, ok := flagAdapter(ctx, adapters, adapterErr, it, open)
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
				return failed, err
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
				return failed, err
			}
			it.statuses[fp] = inventory.StatusRotationRequired
		}
		if it.Action == "flagged" {
			it.Result = "already marked"
		}
	}
	return failed, nil
}

// PlanOverdueManaged plans one "flag" item per store path holding overdue
// managed fields (its overdue fields together), "flagged" where they are
// all marked already; paths the leak plan already covers are left to it.
func PlanOverdueManaged(ctx context.Context, s inventory.Store, kind string, leakPlan []*Item) ([]*Item, error) {
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
	byPath := map[inventory.VaultKey]*Item{}
	var out []*Item
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
			it = &Item{Action: "flagged", VaultKey: k, Engine: m.Engine, Version: m.Version, AutoRotation: m.AutoRotation,
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
		why := fmt.Sprintf("%s %s, max %s (%s)", m.Field, inventory.HumanAge(m.Age), m.MaxAge, m.MaxAgeFrom)
		if m.Field == "" {
			why = fmt.Sprintf("%s, max %s (%s)", inventory.HumanAge(m.Age), m.MaxAge, m.MaxAgeFrom)
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

// ApplyOverdueManaged marks each planned overdue path in its store and
// records the outcome, as Apply does for leaked ones (there is no
// leaked secret whose status to change); it returns how many actions
// failed. Only an inventory failure stops it.
func ApplyOverdueManaged(ctx context.Context, s inventory.Store, items []*Item, open Opener, reason, actor string) (int, error) {
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
		a, ok := flagAdapter(ctx, adapters, adapterErr, it, open)
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
			return failed, err
		}
	}
	return failed, nil
}
