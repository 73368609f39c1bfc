package rotation

import (
	"context"
	"fmt"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/scanner"
)

// ValueClassifier returns a function naming the built-in detection rule
// (id and rotation class) that matches a whole stored value, the longest
// match winning; a value no rule matches gets "". The value is only
// matched, never kept.
func ValueClassifier() (func(string) (string, string), error) {
	rules, err := detectors.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	return func(v string) (string, string) {
		var best *detectors.Match
		for _, x := range m.Match([]byte(v)) {
			if best == nil || len(x.Secret) > len(best.Secret) {
				best = &x
			}
		}
		if best == nil {
			return "", ""
		}
		return best.Rule.ID, best.Rule.Class
	}, nil
}

// Indexed is what one Index call read and recorded.
type Indexed struct {
	Result  vault.IndexResult
	Summary inventory.VaultIndexSummary
	// RecordErr is set when a failed listing could not even be recorded
	// as a failure.
	RecordErr error
}

// IndexError is a listing that failed as a whole: its failure is
// recorded (not an empty index) and the previous index stands.
type IndexError struct {
	Kind, Store string
	Err         error
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("vault index %s %s: %v (nothing recorded; the previous index stands)", e.Kind, e.Store, e.Err)
}

func (e *IndexError) Unwrap() error { return e.Err }

// Index reads every value a's store holds, keeps only their keyed
// fingerprints (key) and the rule that matches each (classify), and
// records them in s as one batch. A listing that fails as a whole is
// recorded as a failure and returned as an *IndexError; items that fail
// alone are in Result.Errors and make the batch partial, so nothing is
// marked gone. Any other error is the inventory's.
func Index(ctx context.Context, s inventory.Store, a vault.Adapter, key []byte, classify func(string) (string, string), actor string) (Indexed, error) {
	res, err := vault.IndexClassified(ctx, a, func(v string) string { return scanner.Fingerprint(key, v) }, classify)
	out := Indexed{Result: res}
	b := &inventory.VaultIndexBatch{Adapter: a.Kind(), Store: a.Store(), KeyCheck: inventory.KeyCheck(key),
		Complete: res.Complete() && err == nil, Mounts: a.Scope(), Actor: actor, Errors: indexErrors(res, err)}
	if err != nil {
		_, out.RecordErr = s.RecordVaultIndex(context.WithoutCancel(ctx), b)
		return out, &IndexError{Kind: a.Kind(), Store: a.Store(), Err: err}
	}
	for _, e := range res.Entries {
		b.Entries = append(b.Entries, inventory.VaultEntryRecord{Mount: e.Mount, Path: e.Path, Field: e.Field, Engine: e.Engine,
			Version: e.Version, VersionAt: e.VersionAt, Created: e.Created, Updated: e.Updated, Fingerprint: e.Fingerprint, AutoRotation: e.AutoRotation,
			RuleID: e.Rule, RuleClass: inventory.Class(e.RuleClass), Facts: e.Facts})
	}
	out.Summary, err = s.RecordVaultIndex(ctx, b)
	return out, err
}

// indexErrors lists what an index could not do, for its audit entry:
// at most maxIndexErrors items, each cut short.
func indexErrors(res vault.IndexResult, err error) []string {
	const maxIndexErrors, maxLen = 20, 300
	var out []string
	add := func(s string) {
		out = append(out, vault.Truncate(s, maxLen))
	}
	if err != nil {
		add(err.Error())
	}
	for i, e := range res.Errors {
		if len(out) == maxIndexErrors {
			add(fmt.Sprintf("… and %d more", len(res.Errors)-i))
			break
		}
		ref := e.Ref.String()
		if ref == "" {
			ref = "(store)"
		}
		add(ref + ": " + e.Err.Error())
	}
	return out
}

// Clear is one store path whose rotation mark ClearRotated cleared (or,
// without apply, would clear).
type Clear struct {
	Key     inventory.VaultKey
	Applied bool
	Err     error // the store refused; recorded as a failed action
}

// ClearRotated clears the store's mark at paths whose flagged fields were
// all seen rotated (with apply; else it only lists them), recording each
// attempt. The error is the inventory's; the clears made before it are
// returned with it.
func ClearRotated(ctx context.Context, s inventory.Store, a vault.Adapter, apply bool, actor string) ([]Clear, error) {
	es, err := s.VaultEntries(ctx, inventory.VaultQuery{Adapter: a.Kind(), Store: a.Store(), Flags: []inventory.VaultFlag{inventory.VaultFlagRotated, inventory.VaultFlagRotationRequired}})
	if err != nil {
		return nil, err
	}
	type pathKey struct{ mount, path string }
	groups := map[pathKey][]inventory.VaultEntry{}
	var order []pathKey
	for _, e := range es {
		k := pathKey{e.Mount, e.Path}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	var out []Clear
	for _, k := range order {
		g := groups[k]
		var fields []string
		pending := false
		for _, e := range g {
			fields = append(fields, e.Field)
			pending = pending || e.Flag == inventory.VaultFlagRotationRequired
		}
		if pending {
			continue
		}
		c := Clear{Key: inventory.VaultKey{Adapter: a.Kind(), Store: a.Store(), Mount: k.mount, Path: k.path}, Applied: apply}
		if !apply {
			out = append(out, c)
			continue
		}
		ref := vault.Ref{Engine: g[0].Engine, Mount: k.mount, Path: k.path, Version: g[0].FlagVersion}
		o, err := a.Clear(ctx, ref)
		act := inventory.VaultAction{Key: c.Key, Fields: fields, Action: "clear", Detail: o.String(), Flag: inventory.VaultFlagNone, Actor: actor}
		if err != nil {
			act.Err, c.Err = err.Error(), err
		}
		out = append(out, c)
		if err := s.MarkVaultFlag(ctx, act); err != nil {
			return out, err
		}
	}
	return out, nil
}
