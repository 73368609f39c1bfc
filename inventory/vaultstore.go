package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// VaultKey names one indexed field of a secret held in a secret store.
type VaultKey struct {
	// Adapter is the store kind: "vault" (HashiCorp Vault or OpenBao),
	// "aws" (Secrets Manager) or "azure" (Key Vault).
	Adapter string `json:"adapter"`
	// Store names the store instance: a Vault address (and namespace), an
	// AWS region, a Key Vault URL.
	Store string `json:"store"`
	// Mount is the Vault mount ("" for the cloud stores).
	Mount string `json:"mount,omitempty"`
	// Path is the secret's path within the mount, or its name.
	Path string `json:"path"`
	// Field is the key within a multi-value secret (a KV map, a JSON
	// secret string); "" for a single value.
	Field string `json:"field,omitempty"`
}

// String is "adapter store mount/path#field", for messages.
func (k VaultKey) String() string {
	p := k.Path
	if k.Mount != "" {
		p = k.Mount + "/" + p
	}
	if k.Field != "" {
		p += "#" + k.Field
	}
	return k.Adapter + " " + k.Store + " " + p
}

// VaultFlag is the rotation mark sprawl keeps on a vault entry.
type VaultFlag string

// Vault flag states: none; rotation-required (marked in the store); rotated
// (a new value was indexed; the store's mark awaits clearing).
const (
	VaultFlagNone             VaultFlag = ""
	VaultFlagRotationRequired VaultFlag = "rotation-required"
	VaultFlagRotated          VaultFlag = "rotated"
)

// VaultEntry is one indexed field of a managed secret. It never holds the
// value, only its keyed fingerprint.
type VaultEntry struct {
	VaultKey
	// Engine is the kind of secret: "kv2", "database" (a Vault database
	// static role), "secretsmanager", "keyvault".
	Engine string `json:"engine"`
	// Version is the store's version of the value (a number for Vault KV,
	// a version id for the clouds, the last rotation time for a database
	// static role); VersionAt is when that version was created.
	Version     string    `json:"version"`
	VersionAt   time.Time `json:"version_at,omitzero"`
	Created     time.Time `json:"created,omitzero"`
	Updated     time.Time `json:"updated,omitzero"`
	Fingerprint string    `json:"fingerprint"`
	// AutoRotation: the store can rotate the value itself (AWS rotation
	// configured, a database static role).
	AutoRotation bool `json:"auto_rotation"`
	// RuleID is the detection rule the value matched when it was indexed
	// ("" when none did): it gives the entry its rotation class.
	RuleID    string `json:"rule_id,omitempty"`
	RuleClass Class  `json:"rule_class,omitempty"`
	// Facts are the store's rotation, expiry and use metadata.
	vault.Facts
	Flag       VaultFlag `json:"flag,omitempty"`
	FlagReason string    `json:"flag_reason,omitempty"`
	// FlagFinding is the fingerprint of the leaked secret that caused the
	// flag; FlagVersion the version flagged.
	FlagFinding  string    `json:"flag_finding,omitempty"`
	FlagVersion  string    `json:"flag_version,omitempty"`
	FlaggedAt    time.Time `json:"flagged_at,omitzero"`
	RotatedAt    time.Time `json:"rotated_at,omitzero"`
	FirstIndexed time.Time `json:"first_indexed"`
	LastIndexed  time.Time `json:"last_indexed"`
	// GoneAt is when a complete index stopped finding the entry.
	GoneAt time.Time `json:"gone_at,omitzero"`
}

// VaultEntryRecord is one field of a VaultIndexBatch: everything about an
// indexed value except the value.
type VaultEntryRecord struct {
	Mount, Path, Field string
	Engine             string
	Version            string
	VersionAt          time.Time
	Created, Updated   time.Time
	Fingerprint        string
	AutoRotation       bool
	RuleID             string
	RuleClass          Class
	vault.Facts
}

// VaultIndexBatch is one index of a secret store, reduced to fingerprints.
type VaultIndexBatch struct {
	Adapter, Store string
	KeyCheck       string
	// Complete: the listing covered Mounts (every mount of the store if
	// Mounts is empty) without errors, so entries there that were not
	// seen are gone.
	Complete bool
	Mounts   []string
	Entries  []VaultEntryRecord
	At       time.Time // zero: now
	Actor    string
	// Errors are the parts of the store that could not be listed or read
	// (or why the index failed outright); they go into the audit entry. An
	// index with errors and no entries is recorded as failed: nothing in
	// the index changes, and the previous index stays the truth.
	Errors []string
}

// VaultRotation is a flagged entry whose value was seen rotated.
type VaultRotation struct {
	VaultKey
	OldFingerprint string `json:"old_fingerprint"`
	NewFingerprint string `json:"new_fingerprint"`
	Version        string `json:"version"`
}

// VaultIndexSummary counts what one index changed.
type VaultIndexSummary struct {
	Entries   int `json:"entries"`
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Gone      int `json:"gone"`
	// Rotated are flagged entries seen with a new value at a newer version.
	Rotated []VaultRotation `json:"rotated,omitempty"`
	// Rewritten are flagged entries with a newer version holding the same
	// value: the leaked value is still live.
	Rewritten []VaultKey `json:"rewritten,omitempty"`
	// SecretsRotated are the leaked secrets (fingerprints) this index moved
	// to status rotated.
	SecretsRotated []string `json:"secrets_rotated,omitempty"`
}

// VaultQuery selects vault entries; zero fields do not filter.
type VaultQuery struct {
	Adapter, Store string
	Fingerprints   []string
	Flags          []VaultFlag
	// IncludeGone keeps entries a complete index no longer found.
	IncludeGone bool
}

// VaultAction is one thing done, or tried, in a secret store.
type VaultAction struct {
	// Key names the secret; its Field is ignored: Fields says which of its
	// fields the flag concerns (all live ones if empty).
	Key    VaultKey
	Fields []string
	// Action is what was done: "flag", "rotate", "clear", …; Detail says
	// how ("custom_metadata patched", "RotateSecret requested", …).
	Action string
	Detail string
	// Err is the store's error, if the action failed: then nothing but the
	// audit entry is recorded.
	Err string
	// Flag is the entries' new state; Reason, Finding and Version describe
	// a rotation-required flag.
	Flag    VaultFlag
	Reason  string
	Finding string
	Version string
	Actor   string
	At      time.Time // zero: now
}

// versionNewer reports whether version b (created at bt) is newer than a
// (at at): numerically when both are numbers (Vault KV), else by creation
// time, else (opaque ids without times) whenever they differ.
func versionNewer(a string, at time.Time, b string, bt time.Time) bool {
	if a == b {
		return false
	}
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			return y > x
		}
	}
	if !at.IsZero() && !bt.IsZero() {
		return bt.After(at)
	}
	return true
}

func validFlag(f VaultFlag) bool {
	return f == VaultFlagNone || f == VaultFlagRotationRequired || f == VaultFlagRotated
}

const vaultColumns = `id, adapter, store, engine, mount, path, field, version, version_at, created_at, updated_at, fingerprint, auto_rotation,
	flag, flag_reason, flag_finding, flag_version, flagged_at, rotated_at, first_indexed, last_indexed, gone_at,
	rule_id, rule_class, last_rotated, last_changed, last_accessed, access_recorded, next_rotation, rotation_period, rotation_schedule,
	expires_at, not_before, expiry_supported, enabled, versions, max_versions, delete_version_after`

// factColumns are the columns factArgs fills, in its order.
const factColumns = `rule_id, rule_class, last_rotated, last_changed, last_accessed, access_recorded, next_rotation, rotation_period, rotation_schedule,
	expires_at, not_before, expiry_supported, enabled, versions, max_versions, delete_version_after`

func factArgs(rule, class string, f vault.Facts) []any {
	var enabled any
	if f.Enabled != nil {
		enabled = boolInt(*f.Enabled)
	}
	return []any{rule, class, nanos(f.LastRotated), nanos(f.LastChanged), nanos(f.LastAccessed), boolInt(f.AccessRecorded), nanos(f.NextRotation),
		int64(f.RotationPeriod), f.RotationSchedule, nanos(f.Expires), nanos(f.NotBefore), boolInt(f.ExpirySupported), enabled,
		int64(f.Versions), int64(f.MaxVersions), int64(f.DeleteVersionAfter)}
}

func scanVaultEntry(sc interface{ Scan(...any) error }) (int64, VaultEntry, error) {
	var (
		id                                             int64
		e                                              VaultEntry
		auto                                           int64
		flag                                           string
		vat, created, updated, flagged, rotated, first sql.NullInt64
		last, gone                                     sql.NullInt64
		lrot, lchg, lacc, next, exp, nbf, enabled      sql.NullInt64
		accRec, expSup, period, versions, maxV, delAft int64
		ruleClass                                      string
	)
	if err := sc.Scan(&id, &e.Adapter, &e.Store, &e.Engine, &e.Mount, &e.Path, &e.Field, &e.Version, &vat, &created, &updated, &e.Fingerprint, &auto,
		&flag, &e.FlagReason, &e.FlagFinding, &e.FlagVersion, &flagged, &rotated, &first, &last, &gone,
		&e.RuleID, &ruleClass, &lrot, &lchg, &lacc, &accRec, &next, &period, &e.RotationSchedule, &exp, &nbf, &expSup, &enabled, &versions, &maxV, &delAft); err != nil {
		return 0, e, err
	}
	e.RuleClass = Class(ruleClass)
	e.LastRotated, e.LastChanged, e.LastAccessed, e.NextRotation = fromNanos(lrot), fromNanos(lchg), fromNanos(lacc), fromNanos(next)
	e.Expires, e.NotBefore = fromNanos(exp), fromNanos(nbf)
	e.AccessRecorded, e.ExpirySupported = accRec != 0, expSup != 0
	e.RotationPeriod, e.DeleteVersionAfter = time.Duration(period), time.Duration(delAft)
	e.Versions, e.MaxVersions = int(versions), int(maxV)
	if enabled.Valid {
		en := enabled.Int64 != 0
		e.Enabled = &en
	}
	e.AutoRotation, e.Flag = auto != 0, VaultFlag(flag)
	e.VersionAt, e.Created, e.Updated = fromNanos(vat), fromNanos(created), fromNanos(updated)
	e.FlaggedAt, e.RotatedAt = fromNanos(flagged), fromNanos(rotated)
	e.FirstIndexed, e.LastIndexed, e.GoneAt = fromNanos(first), fromNanos(last), fromNanos(gone)
	return id, e, nil
}

type vaultIdent struct{ mount, path, field string }

func (s *sqlStore) RecordVaultIndex(ctx context.Context, b *VaultIndexBatch) (VaultIndexSummary, error) {
	var sum VaultIndexSummary
	if b == nil || b.Adapter == "" || b.Store == "" || b.KeyCheck == "" {
		return sum, fmt.Errorf("%w: a vault index needs an adapter, a store and a key check", ErrInvalid)
	}
	seen := map[vaultIdent]bool{}
	for _, r := range b.Entries {
		if r.Path == "" || r.Fingerprint == "" {
			return sum, fmt.Errorf("%w: vault entry without path or fingerprint", ErrInvalid)
		}
		k := vaultIdent{r.Mount, r.Path, r.Field}
		if seen[k] {
			return sum, fmt.Errorf("%w: vault entry %s/%s#%s twice in one index", ErrInvalid, r.Mount, r.Path, r.Field)
		}
		seen[k] = true
	}
	at := b.At
	if at.IsZero() {
		at = s.now()
	}
	now := at.UnixNano()
	err := s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		sum = VaultIndexSummary{Entries: len(b.Entries)}
		var kc string
		switch err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&kc); {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO meta (key, value) VALUES ('key_check', ?)`), b.KeyCheck); err != nil {
				return err
			}
		case err != nil:
			return err
		case kc != b.KeyCheck:
			return ErrKeyMismatch
		}

		type old struct {
			id int64
			e  VaultEntry
		}
		existing := map[vaultIdent]old{}
		rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT `+vaultColumns+` FROM vault_entries WHERE adapter = ? AND store = ?`), b.Adapter, b.Store)
		if err != nil {
			return fmt.Errorf("read vault entries: %w", err)
		}
		for rows.Next() {
			id, e, err := scanVaultEntry(rows)
			if err != nil {
				rows.Close()
				return err
			}
			existing[vaultIdent{e.Mount, e.Path, e.Field}] = old{id, e}
		}
		if err := rows.Close(); err != nil {
			return err
		}

		ins, err := tx.PrepareContext(ctx, s.d.rebind(`INSERT INTO vault_entries (adapter, store, engine, mount, path, field, version, version_at, created_at, updated_at,
			fingerprint, auto_rotation, first_indexed, last_indexed, `+factColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, s.d.rebind(`UPDATE vault_entries SET engine = ?, version = ?, version_at = ?, created_at = ?, updated_at = ?,
			fingerprint = ?, auto_rotation = ?, flag = ?, rotated_at = ?, last_indexed = ?, gone_at = NULL,
			rule_id = ?, rule_class = ?, last_rotated = ?, last_changed = ?, last_accessed = ?, access_recorded = ?, next_rotation = ?, rotation_period = ?,
			rotation_schedule = ?, expires_at = ?, not_before = ?, expiry_supported = ?, enabled = ?, versions = ?, max_versions = ?,
			delete_version_after = ? WHERE id = ?`))
		if err != nil {
			return err
		}
		defer upd.Close()

		rotatedFrom := map[string]VaultRotation{} // old fingerprint → one rotation of it
		for _, r := range b.Entries {
			o, ok := existing[vaultIdent{r.Mount, r.Path, r.Field}]
			if !ok {
				args := append([]any{b.Adapter, b.Store, r.Engine, r.Mount, r.Path, r.Field, r.Version, nanos(r.VersionAt), nanos(r.Created), nanos(r.Updated),
					r.Fingerprint, boolInt(r.AutoRotation), now, now}, factArgs(r.RuleID, string(r.RuleClass), r.Facts)...)
				if _, err := ins.ExecContext(ctx, args...); err != nil {
					return fmt.Errorf("record vault entry: %w", err)
				}
				sum.New++
				continue
			}
			flag, rotatedAt := o.e.Flag, nanos(o.e.RotatedAt)
			changed := o.e.Fingerprint != r.Fingerprint
			newer := versionNewer(o.e.Version, o.e.VersionAt, r.Version, r.VersionAt)
			switch {
			case changed:
				sum.Changed++
			default:
				sum.Unchanged++
			}
			key := VaultKey{b.Adapter, b.Store, r.Mount, r.Path, r.Field}
			if o.e.Flag == VaultFlagRotationRequired {
				switch {
				case changed && newer:
					flag, rotatedAt = VaultFlagRotated, now
					rot := VaultRotation{key, o.e.Fingerprint, r.Fingerprint, r.Version}
					sum.Rotated = append(sum.Rotated, rot)
					rotatedFrom[o.e.Fingerprint] = rot
				case !changed && newer:
					sum.Rewritten = append(sum.Rewritten, key)
				}
			}
			args := append([]any{r.Engine, r.Version, nanos(r.VersionAt), nanos(r.Created), nanos(r.Updated),
				r.Fingerprint, boolInt(r.AutoRotation), string(flag), rotatedAt, now}, factArgs(r.RuleID, string(r.RuleClass), r.Facts)...)
			if _, err := upd.ExecContext(ctx, append(args, o.id)...); err != nil {
				return fmt.Errorf("record vault entry: %w", err)
			}
		}

		if b.Complete && len(b.Errors) == 0 { // an index with errors saw part of the store
			q := `UPDATE vault_entries SET gone_at = ? WHERE adapter = ? AND store = ? AND last_indexed <> ? AND gone_at IS NULL`
			args := []any{now, b.Adapter, b.Store, now}
			if len(b.Mounts) > 0 {
				q += ` AND mount IN (` + inList(len(b.Mounts)) + `)`
				for _, m := range b.Mounts {
					args = append(args, m)
				}
			}
			res, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
			if err != nil {
				return fmt.Errorf("mark gone vault entries: %w", err)
			}
			n, _ := res.RowsAffected()
			sum.Gone = int(n)
		}

		// A leaked secret is rotated once no live vault entry holds it.
		olds := make([]string, 0, len(rotatedFrom))
		for fp := range rotatedFrom {
			olds = append(olds, fp)
		}
		sort.Strings(olds)
		for _, fp := range olds {
			var live int
			if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM vault_entries WHERE fingerprint = ? AND gone_at IS NULL`), fp).Scan(&live); err != nil {
				return err
			}
			if live > 0 {
				continue
			}
			var id int64
			var cur string
			switch err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id, status FROM secrets WHERE fingerprint = ?`), fp).Scan(&id, &cur); {
			case errors.Is(err, sql.ErrNoRows):
				continue // rotated in the store but never found leaked
			case err != nil:
				return err
			}
			from := Status(cur)
			if !from.Active() {
				continue
			}
			rot := rotatedFrom[fp]
			reason := fmt.Sprintf("vault index: new value at %s (version %s)", rot.VaultKey, rot.Version)
			if err := s.recordStatus(ctx, tx, c, id, fp, from, StatusRotated, reason, b.Actor, now); err != nil {
				return err
			}
			sum.SecretsRotated = append(sum.SecretsRotated, fp)
		}
		assessed, err := s.assessStore(ctx, tx, b.Adapter, b.Store, at)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, c, b.Actor, ActionVaultIndex, struct {
			Adapter  string   `json:"adapter"`
			Store    string   `json:"store"`
			Complete bool     `json:"complete"`
			Failed   bool     `json:"failed,omitempty"`
			Errors   []string `json:"errors,omitempty"`
			Mounts   []string `json:"mounts,omitempty"`
			VaultIndexSummary
			// Assessment counts the store's live entries by state under
			// the stored policy at the index: the audit log keeps each
			// store's managed-secret figures over time, and reports
			// compare periods with them.
			Assessment ManagedCounts `json:"assessment"`
		}{b.Adapter, b.Store, b.Complete && len(b.Errors) == 0, len(b.Errors) > 0 && len(b.Entries) == 0, b.Errors, b.Mounts, sum, assessed})
	})
	if err != nil {
		return VaultIndexSummary{}, fmt.Errorf("record vault index: %w", err)
	}
	return sum, nil
}

func (s *sqlStore) VaultEntries(ctx context.Context, q VaultQuery) ([]VaultEntry, error) {
	var conds []string
	var args []any
	if q.Adapter != "" {
		conds, args = append(conds, "adapter = ?"), append(args, q.Adapter)
	}
	if q.Store != "" {
		conds, args = append(conds, "store = ?"), append(args, q.Store)
	}
	if !q.IncludeGone {
		conds = append(conds, "gone_at IS NULL")
	}
	if len(q.Flags) > 0 {
		conds = append(conds, "flag IN ("+inList(len(q.Flags))+")")
		for _, f := range q.Flags {
			args = append(args, string(f))
		}
	}
	base := `SELECT ` + vaultColumns + ` FROM vault_entries`
	var out []VaultEntry
	run := func(conds []string, args []any) error {
		qs := base
		if len(conds) > 0 {
			qs += ` WHERE ` + strings.Join(conds, " AND ")
		}
		rows, err := s.rdb.QueryContext(ctx, s.d.rebind(qs), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			_, e, err := scanVaultEntry(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	}
	if q.Fingerprints == nil {
		if err := run(conds, args); err != nil {
			return nil, fmt.Errorf("read vault entries: %w", err)
		}
	}
	for start := 0; start < len(q.Fingerprints); start += lookupBatch {
		part := q.Fingerprints[start:min(start+lookupBatch, len(q.Fingerprints))]
		c := append(append([]string(nil), conds...), "fingerprint IN ("+inList(len(part))+")")
		a := append([]any(nil), args...)
		for _, fp := range part {
			a = append(a, fp)
		}
		if err := run(c, a); err != nil {
			return nil, fmt.Errorf("read vault entries: %w", err)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i].VaultKey, out[j].VaultKey
		for _, p := range [][2]string{{x.Adapter, y.Adapter}, {x.Store, y.Store}, {x.Mount, y.Mount}, {x.Path, y.Path}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return x.Field < y.Field
	})
	if out == nil {
		out = []VaultEntry{}
	}
	return out, nil
}

func (s *sqlStore) MarkVaultFlag(ctx context.Context, a VaultAction) error {
	if a.Key.Adapter == "" || a.Key.Store == "" || a.Key.Path == "" || a.Action == "" {
		return fmt.Errorf("%w: a vault action needs an adapter, a store, a path and an action", ErrInvalid)
	}
	if !validFlag(a.Flag) {
		return fmt.Errorf("%w: unknown vault flag %q", ErrInvalid, a.Flag)
	}
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	err := s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		cond := `adapter = ? AND store = ? AND mount = ? AND path = ? AND gone_at IS NULL`
		args := []any{a.Key.Adapter, a.Key.Store, a.Key.Mount, a.Key.Path}
		if len(a.Fields) > 0 {
			cond += ` AND field IN (` + inList(len(a.Fields)) + `)`
			for _, f := range a.Fields {
				args = append(args, f)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM vault_entries WHERE `+cond), args...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no vault entry at %s", ErrNotFound, a.Key)
		}
		if a.Err == "" {
			var q string
			var set []any
			switch a.Flag {
			case VaultFlagRotationRequired:
				q = `UPDATE vault_entries SET flag = ?, flag_reason = ?, flag_finding = ?, flag_version = ?, flagged_at = ?, rotated_at = NULL WHERE `
				set = []any{string(a.Flag), a.Reason, a.Finding, a.Version, at.UnixNano()}
			case VaultFlagRotated:
				q = `UPDATE vault_entries SET flag = ?, rotated_at = ? WHERE `
				set = []any{string(a.Flag), at.UnixNano()}
			default:
				q = `UPDATE vault_entries SET flag = ? WHERE `
				set = []any{string(a.Flag)}
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind(q+cond), append(set, args...)...); err != nil {
				return fmt.Errorf("record vault flag: %w", err)
			}
		}
		return s.appendAudit(ctx, tx, c, a.Actor, ActionVault, struct {
			VaultKey
			Fields  []string `json:"fields,omitempty"`
			Action  string   `json:"action"`
			Detail  string   `json:"detail,omitempty"`
			Error   string   `json:"error,omitempty"`
			Flag    string   `json:"flag"`
			Reason  string   `json:"reason,omitempty"`
			Finding string   `json:"finding,omitempty"`
			Version string   `json:"version,omitempty"`
		}{VaultKey{a.Key.Adapter, a.Key.Store, a.Key.Mount, a.Key.Path, ""}, a.Fields, a.Action, a.Detail, a.Err, string(a.Flag), a.Reason, a.Finding, a.Version})
	})
	if err != nil {
		return fmt.Errorf("record vault action: %w", err)
	}
	return nil
}

// assessStore counts one store's live entries by state under the stored
// policy at now, inside tx (after the index's changes).
func (s *sqlStore) assessStore(ctx context.Context, tx *sql.Tx, adapter, store string, now time.Time) (ManagedCounts, error) {
	var counts ManagedCounts
	p, err := readPolicyTx(ctx, tx)
	if err != nil {
		return counts, err
	}
	leaked := map[string]bool{}
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT v.fingerprint FROM vault_entries v JOIN secrets x ON x.fingerprint = v.fingerprint
		WHERE v.adapter = ? AND v.store = ? AND v.gone_at IS NULL AND x.status IN (?, ?)`), adapter, store, string(StatusOpen), string(StatusRotationRequired))
	if err != nil {
		return counts, err
	}
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			rows.Close()
			return counts, err
		}
		leaked[fp] = true
	}
	if err := rows.Close(); err != nil {
		return counts, err
	}
	rows, err = tx.QueryContext(ctx, s.d.rebind(`SELECT `+vaultColumns+` FROM vault_entries WHERE adapter = ? AND store = ? AND gone_at IS NULL`), adapter, store)
	if err != nil {
		return counts, err
	}
	defer rows.Close()
	o := ManagedOptions{Now: now, Leaked: leaked}
	for rows.Next() {
		_, e, err := scanVaultEntry(rows)
		if err != nil {
			return counts, err
		}
		counts.Add(AssessVaultEntry(e, p, o))
	}
	return counts, rows.Err()
}
