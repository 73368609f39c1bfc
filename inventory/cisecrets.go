package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// ActionCISecrets is the audit action of RecordCISecrets.
const ActionCISecrets = "ci-secrets"

// Scopes of managed CI secrets.
const (
	ScopeOrg         = "org"  // an organisation or group
	ScopeRepo        = "repo" // one repository or project
	ScopeEnvironment = "env"  // one deployment environment of a repository
	ScopeUser        = "user" // a user's own (Codespaces)
)

// CISecretRecord is one managed CI secret as a provider lists it: where it
// is set and when, never its value (GitHub's API does not return values).
type CISecretRecord struct {
	// Store is the secret store: "actions", "dependabot", "codespaces".
	Store string `json:"store"`
	// Scope is ScopeOrg, ScopeRepo, ScopeEnvironment or ScopeUser.
	Scope string `json:"scope"`
	// Repository is "owner/name" for repository and environment scopes.
	Repository  string `json:"repository,omitempty"`
	Environment string `json:"environment,omitempty"`
	Name        string `json:"name"`
	// Visibility is an organisation secret's visibility (all, private,
	// selected).
	Visibility string `json:"visibility,omitempty"`
	// Kind is what the store says the secret is: a Jenkins credential
	// class, a service connection's type and scheme, a Kubernetes Secret
	// type.
	Kind        string `json:"kind,omitempty"`
	Description string `json:"description,omitempty"`
	// UsedBy names what uses the secret (workloads that mount it,
	// pipelines allowed to use it), sorted.
	UsedBy    []string  `json:"used_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// CISecretBatch is one listing of a provider's CI secrets for one owner.
type CISecretBatch struct {
	Provider string // "github", "gitlab", …
	Owner    string // organisation, group or user
	// Complete: the listing covered every store and scope of the owner, so
	// recorded secrets missing from it are gone.
	Complete bool
	Secrets  []CISecretRecord
	// Seen is when the listing was taken (zero: now).
	Seen  time.Time
	Actor string
}

// CISecretSummary counts what one RecordCISecrets call changed.
type CISecretSummary struct {
	Secrets int `json:"secrets"`
	New     int `json:"new"`
	Updated int `json:"updated"` // updated_at moved since the last listing
	Gone    int `json:"gone"`
}

// CISecret is a recorded CI secret.
type CISecret struct {
	Provider string `json:"provider"`
	Owner    string `json:"owner"`
	CISecretRecord
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// GoneAt is when a complete listing stopped finding it (zero while
	// present).
	GoneAt time.Time `json:"gone_at,omitzero"`
}

// CISecretQuery selects CI secrets; zero fields do not filter.
type CISecretQuery struct {
	Provider, Owner, Name string
	// IncludeGone also returns secrets a complete listing no longer found.
	IncludeGone bool
}

func (r CISecretRecord) validate() error {
	if r.Store == "" || r.Name == "" {
		return fmt.Errorf("%w: CI secret needs a store and a name", ErrInvalid)
	}
	switch r.Scope {
	case ScopeOrg, ScopeUser:
	case ScopeRepo:
		if r.Repository == "" {
			return fmt.Errorf("%w: repository CI secret %s needs a repository", ErrInvalid, r.Name)
		}
	case ScopeEnvironment:
		if r.Repository == "" || r.Environment == "" {
			return fmt.Errorf("%w: environment CI secret %s needs a repository and an environment", ErrInvalid, r.Name)
		}
	default:
		return fmt.Errorf("%w: CI secret scope %q (want org, repo, env or user)", ErrInvalid, r.Scope)
	}
	return nil
}

func (s *sqlStore) RecordCISecrets(ctx context.Context, b CISecretBatch) (CISecretSummary, error) {
	var sum CISecretSummary
	if b.Provider == "" || b.Owner == "" {
		return sum, fmt.Errorf("%w: CI secrets need a provider and an owner", ErrInvalid)
	}
	for _, r := range b.Secrets {
		if err := r.validate(); err != nil {
			return sum, err
		}
	}
	seen := b.Seen
	if seen.IsZero() {
		seen = s.now()
	}
	now := seen.UnixNano()
	err := s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		sum = CISecretSummary{Secrets: len(b.Secrets)}
		sel, err := tx.PrepareContext(ctx, s.d.rebind(`SELECT id, updated_at FROM ci_secrets
			WHERE provider = ? AND owner = ? AND store = ? AND scope = ? AND repository = ? AND environment = ? AND name = ?`))
		if err != nil {
			return err
		}
		defer sel.Close()
		ins, err := tx.PrepareContext(ctx, s.d.rebind(`INSERT INTO ci_secrets
			(provider, store, scope, owner, repository, environment, name, visibility, kind, description, used_by, created_at, updated_at, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, s.d.rebind(`UPDATE ci_secrets SET visibility = ?, kind = ?, description = ?, used_by = ?, created_at = ?, updated_at = ?, last_seen = ?, gone_at = NULL WHERE id = ?`))
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, r := range b.Secrets {
			var id int64
			var prev sql.NullInt64
			err := sel.QueryRowContext(ctx, b.Provider, b.Owner, r.Store, r.Scope, r.Repository, r.Environment, r.Name).Scan(&id, &prev)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := ins.ExecContext(ctx, b.Provider, r.Store, r.Scope, b.Owner, r.Repository, r.Environment, r.Name,
					r.Visibility, r.Kind, r.Description, joinUsedBy(r.UsedBy), nanos(r.CreatedAt), nanos(r.UpdatedAt), now, now); err != nil {
					return fmt.Errorf("record CI secret %s: %w", r.Name, err)
				}
				sum.New++
			case err != nil:
				return fmt.Errorf("record CI secret %s: %w", r.Name, err)
			default:
				if !r.UpdatedAt.IsZero() && (!prev.Valid || prev.Int64 != r.UpdatedAt.UnixNano()) {
					sum.Updated++
				}
				if _, err := upd.ExecContext(ctx, r.Visibility, r.Kind, r.Description, joinUsedBy(r.UsedBy), nanos(r.CreatedAt), nanos(r.UpdatedAt), now, id); err != nil {
					return fmt.Errorf("record CI secret %s: %w", r.Name, err)
				}
			}
		}
		if b.Complete {
			res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE ci_secrets SET gone_at = ?
				WHERE provider = ? AND owner = ? AND last_seen < ? AND gone_at IS NULL`), now, b.Provider, b.Owner, now)
			if err != nil {
				return fmt.Errorf("mark CI secrets gone: %w", err)
			}
			n, _ := res.RowsAffected()
			sum.Gone = int(n)
		}
		assessed, err := s.assessCIOwner(ctx, tx, b.Provider, b.Owner, seen)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, c, b.Actor, ActionCISecrets, struct {
			Provider string `json:"provider"`
			Owner    string `json:"owner"`
			Complete bool   `json:"complete"`
			CISecretSummary
			Assessment ManagedCounts `json:"assessment"`
		}{b.Provider, b.Owner, b.Complete, sum, assessed})
	})
	if err != nil {
		return CISecretSummary{}, fmt.Errorf("record CI secrets: %w", err)
	}
	return sum, nil
}

func (s *sqlStore) CISecrets(ctx context.Context, q CISecretQuery) ([]CISecret, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"provider", q.Provider}, {"owner", q.Owner}, {"name", q.Name}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if !q.IncludeGone {
		where = append(where, "gone_at IS NULL")
	}
	query := `SELECT provider, owner, store, scope, repository, environment, name, visibility, kind, description, used_by, created_at, updated_at, first_seen, last_seen, gone_at FROM ci_secrets`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY provider, owner, name, scope, repository, environment, store"
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read CI secrets: %w", err)
	}
	defer rows.Close()
	out := []CISecret{}
	for rows.Next() {
		var c CISecret
		var created, updated, first, last, gone sql.NullInt64
		var usedBy string
		if err := rows.Scan(&c.Provider, &c.Owner, &c.Store, &c.Scope, &c.Repository, &c.Environment, &c.Name, &c.Visibility,
			&c.Kind, &c.Description, &usedBy, &created, &updated, &first, &last, &gone); err != nil {
			return nil, fmt.Errorf("read CI secrets: %w", err)
		}
		c.UsedBy = splitUsedBy(usedBy)
		c.CreatedAt, c.UpdatedAt, c.FirstSeen, c.LastSeen, c.GoneAt = fromNanos(created), fromNanos(updated), fromNanos(first), fromNanos(last), fromNanos(gone)
		out = append(out, c)
	}
	return out, rows.Err()
}

// joinUsedBy stores a secret's users one per line, sorted, so a listing
// that names them in another order changes nothing.
func joinUsedBy(us []string) string {
	c := make([]string, 0, len(us))
	for _, u := range us {
		if u = strings.TrimSpace(strings.ReplaceAll(u, "\n", " ")); u != "" {
			c = append(c, u)
		}
	}
	sort.Strings(c)
	return strings.Join(slices.Compact(c), "\n")
}

func splitUsedBy(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CISecretRuleID is the rule id a policy's rule-max-age uses for managed
// CI secrets of one store ("ci-secret:actions", "ci-secret:dependabot",
// "ci-secret:codespaces"); without one they are judged as ClassAPIKey.
func CISecretRuleID(store string) string { return "ci-secret:" + store }

// CISecretEntry is a CI secret judged against a policy at a moment.
type CISecretEntry struct {
	CISecret
	// Age is measured from the last update (else creation, else first
	// sighting): rotating a CI secret means setting a new value.
	Age     Duration `json:"age"`
	MaxAge  Duration `json:"max_age"`
	Overdue bool     `json:"overdue"`
	// SameName lists the other places of the same provider, owner and
	// store where a secret of this name is set at a different scope
	// ("org", "repo acme/api", "env acme/api/production"): a repository
	// secret silently overrides the organisation's. For Kubernetes every
	// other namespace holding a Secret of the name is listed ("env
	// CONTEXT/staging"): a copy spreads a credential across environments.
	SameName []string `json:"same_name,omitempty"`
}

// Place names where a CI secret is set: "org", "repo acme/api",
// "env acme/api/production", "user".
func (c CISecret) Place() string {
	switch c.Scope {
	case ScopeRepo:
		return "repo " + c.Repository
	case ScopeEnvironment:
		return "env " + c.Repository + "/" + c.Environment
	}
	return c.Scope
}

// copyingProviders are the providers whose stores hold separate copies
// at each place (a Kubernetes namespace's Secret does not override
// another's): the same name at two places of the same scope is flagged as
// well.
var copyingProviders = map[string]bool{"kubernetes": true}

// EvaluateCISecrets judges each present secret's age under p at now and
// links secrets of the same name set at different scopes.
func EvaluateCISecrets(cs []CISecret, p Policy, now time.Time) []CISecretEntry {
	type group struct{ provider, owner, store, name string }
	groups := map[group][]int{}
	out := make([]CISecretEntry, len(cs))
	for i, c := range cs {
		e := CISecretEntry{CISecret: c}
		from := c.UpdatedAt
		if from.IsZero() {
			from = c.CreatedAt
		}
		if from.IsZero() {
			from = c.FirstSeen
		}
		if !from.IsZero() && now.After(from) {
			e.Age = Duration(now.Sub(from))
		}
		e.MaxAge = Duration(p.MaxAgeFor(CISecretRuleID(c.Store), ClassAPIKey))
		e.Overdue = c.GoneAt.IsZero() && e.Age > e.MaxAge
		out[i] = e
		if c.GoneAt.IsZero() {
			g := group{c.Provider, c.Owner, c.Store, c.Name}
			groups[g] = append(groups[g], i)
		}
	}
	for g, idx := range groups {
		// Copies: every place counts (a Kubernetes Secret of one name in
		// two namespaces); else only another scope does (a repository
		// secret that overrides the organisation's).
		copies := copyingProviders[g.provider]
		scopes := map[string]bool{}
		for _, i := range idx {
			if copies {
				scopes[out[i].Place()] = true
			} else {
				scopes[out[i].Scope] = true
			}
		}
		if len(scopes) < 2 {
			continue
		}
		for _, i := range idx {
			for _, j := range idx {
				if i != j && (out[j].Scope != out[i].Scope || copies && out[j].Place() != out[i].Place()) {
					out[i].SameName = append(out[i].SameName, out[j].Place())
				}
			}
			sort.Strings(out[i].SameName)
		}
	}
	return out
}

// FilterCISecrets keeps the evaluated secrets 'inventory ci-secrets'
// lists: with overdue only those past their maximum age, with sameName
// only those whose name is set at another place too; both narrow
// together. None kept is nil.
func FilterCISecrets(es []CISecretEntry, overdue, sameName bool) []CISecretEntry {
	var out []CISecretEntry
	for _, e := range es {
		if (overdue && !e.Overdue) || (sameName && len(e.SameName) == 0) {
			continue
		}
		out = append(out, e)
	}
	return out
}
