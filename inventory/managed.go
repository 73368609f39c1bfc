package inventory

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// ManagedState is one thing an assessment can say of a managed secret.
type ManagedState string

// Managed secret states, in the order reports list them.
const (
	// StateOverdue: older than the policy allows (age from the last
	// change of the value).
	StateOverdue ManagedState = "overdue"
	// StateNeverRotated: the value is the one the secret was created with.
	StateNeverRotated ManagedState = "never-rotated"
	// StateRotationDisabled: the store does not rotate it by itself.
	StateRotationDisabled ManagedState = "rotation-disabled"
	// StateNoExpiry: the store has an expiry (Azure) and none is set.
	StateNoExpiry ManagedState = "no-expiry"
	// StateExpiredEnabled: past its expiry and still enabled.
	StateExpiredEnabled ManagedState = "expired-enabled"
	// StateUnused: the store records reads (AWS) and there was none for
	// longer than the unused threshold.
	StateUnused ManagedState = "unused"
	// StateLeaked: a scan found the value outside the store.
	StateLeaked ManagedState = "leaked"
)

// ManagedStates lists every state in report order.
var ManagedStates = []ManagedState{StateOverdue, StateNeverRotated, StateRotationDisabled, StateNoExpiry, StateExpiredEnabled, StateUnused, StateLeaked}

// KindCI is ManagedSecret.Kind for a CI secret (GitHub Actions,
// Dependabot, Codespaces), whose metadata RecordCISecrets keeps.
const KindCI = "ci"

// ManagedSecret is one managed secret (a vault field, or a CI secret)
// judged against the policy: the store's facts and every verdict, never
// a value.
type ManagedSecret struct {
	// Kind is the store kind: "vault", "aws", "azure" or KindCI; Store the
	// store instance (a Vault address, a region, a vault URL, "github
	// acme actions").
	Kind   string `json:"kind"`
	Store  string `json:"store"`
	Engine string `json:"engine,omitempty"`
	Mount  string `json:"mount,omitempty"`
	// Path is the secret's path or name (a CI secret's place and name:
	// "repo acme/api PROD_TOKEN").
	Path  string `json:"path"`
	Field string `json:"field,omitempty"`
	// Fingerprint keys the value (vault entries only).
	Fingerprint string `json:"fingerprint,omitempty"`
	Version     string `json:"version,omitempty"`
	// RuleID is the detection rule the value matched when indexed.
	RuleID string `json:"rule_id,omitempty"`
	// Class is the rotation class; ClassFrom says where it came from:
	// "rule" (the matching rule's class), "name" (the field or secret
	// name) or "default".
	Class     Class     `json:"class"`
	ClassFrom string    `json:"class_from"`
	Created   time.Time `json:"created,omitzero"`
	// Changed is when the current value was set (the current version's
	// creation, the last rotation), the start of Age.
	Changed time.Time `json:"changed,omitzero"`
	Age     Duration  `json:"age"`
	MaxAge  Duration  `json:"max_age"`
	// MaxAgeFrom names the policy part that set MaxAge: "path PATTERN",
	// "rule ID", "class CLASS" or "ci-secret:STORE".
	MaxAgeFrom   string `json:"max_age_from"`
	AutoRotation bool   `json:"auto_rotation"`
	// UnusedFor is the time since the last read (since creation when never
	// read), where the store records reads.
	UnusedFor Duration `json:"unused_for,omitempty"`

	Overdue          bool `json:"overdue"`
	NeverRotated     bool `json:"never_rotated"`
	RotationDisabled bool `json:"rotation_disabled"`
	NoExpiry         bool `json:"no_expiry"`
	ExpiredEnabled   bool `json:"expired_enabled"`
	Unused           bool `json:"unused"`
	Leaked           bool `json:"leaked"`
	// States lists the true verdicts above, in ManagedStates order.
	States []ManagedState `json:"states"`

	// Facts are the store's metadata the verdicts were drawn from.
	vault.Facts
	LastIndexed time.Time `json:"last_indexed,omitzero"`
}

// Where is "mount/path#field" (or the path alone).
func (m ManagedSecret) Where() string {
	p := m.Path
	if m.Mount != "" {
		p = m.Mount + "/" + p
	}
	if m.Field != "" {
		p += "#" + m.Field
	}
	return p
}

// StoreName is "kind store".
func (m ManagedSecret) StoreName() string { return m.Kind + " " + m.Store }

// Has reports whether the assessment found st.
func (m ManagedSecret) Has(st ManagedState) bool {
	switch st {
	case StateOverdue:
		return m.Overdue
	case StateNeverRotated:
		return m.NeverRotated
	case StateRotationDisabled:
		return m.RotationDisabled
	case StateNoExpiry:
		return m.NoExpiry
	case StateExpiredEnabled:
		return m.ExpiredEnabled
	case StateUnused:
		return m.Unused
	case StateLeaked:
		return m.Leaked
	}
	return false
}

// nameClasses map words in a field or secret name to a rotation class,
// tried in order. A "token" kept in a store is a long-lived credential
// (short-lived access tokens are minted, not stored), so it is judged as
// an api-key, not as the token class's one hour.
var nameClasses = []struct {
	words []string
	class Class
}{
	{[]string{"privatekey", "private_key", "private-key", "ssh_key", "sshkey", ".pem", "tls_key", "key_pem"}, ClassPrivateKey},
	{[]string{"clientsecret", "client_secret", "client-secret", "app_secret", "appsecret", "consumer_secret"}, ClassClientSecret},
	{[]string{"signing", "jwt_secret", "jwtsecret", "hmac", "session_secret", "secret_key_base"}, ClassSigningKey},
	{[]string{"webhook", "hook_secret"}, ClassWebhook},
	{[]string{"connection", "conn_str", "connstr", "dsn", "database_url", "db_url", "jdbc", "_uri", "redis_url", "mongo_url"}, ClassConnectionString},
	{[]string{"password", "passwd", "passphrase", "pwd", "pass"}, ClassPassword},
	{[]string{"apikey", "api_key", "api-key", "token", "access_key", "secret_key"}, ClassAPIKey},
}

// NameClass guesses a rotation class from a field or secret name
// ("db_password" is a password); ok is false when no word matched.
func NameClass(name string) (Class, bool) {
	n := strings.ToLower(name)
	for _, nc := range nameClasses {
		for _, w := range nc.words {
			if strings.Contains(n, w) {
				return nc.class, true
			}
		}
	}
	return ClassAPIKey, false
}

// managedClass is a vault entry's class: its rule's, else its field's
// name, else its path's last element, else the default. Since schema
// version 6 long-lived tokens (PATs, bot and API tokens) are api-key
// rules, so a rule of class token really is a short-lived credential, and
// one a store has held unchanged for longer than that is a stale copy.
func managedClass(e VaultEntry) (Class, string) {
	if e.RuleID != "" && e.RuleClass != "" {
		return NormalizeClass(string(e.RuleClass)), "rule"
	}
	if e.Field != "" {
		if c, ok := NameClass(e.Field); ok {
			return c, "name"
		}
	}
	if c, ok := NameClass(path.Base(e.Path)); ok {
		return c, "name"
	}
	return ClassAPIKey, "default"
}

// ManagedOptions tune an assessment.
type ManagedOptions struct {
	// Now is the moment judged (zero: time.Now()).
	Now time.Time
	// Unused overrides the policy's unused threshold when positive.
	Unused time.Duration
	// Leaked are the fingerprints of active leaked secrets.
	Leaked map[string]bool
}

// AssessVaultEntry judges one indexed vault field under p.
func AssessVaultEntry(e VaultEntry, p Policy, o ManagedOptions) ManagedSecret {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	unused := o.Unused
	if unused <= 0 {
		unused = p.Unused()
	}
	m := ManagedSecret{Kind: e.Adapter, Store: e.Store, Engine: e.Engine, Mount: e.Mount, Path: e.Path, Field: e.Field,
		Fingerprint: e.Fingerprint, Version: e.Version, RuleID: e.RuleID, Created: e.Created, AutoRotation: e.AutoRotation,
		Facts: e.Facts, LastIndexed: e.LastIndexed}
	if e.Facts.Enabled != nil {
		en := *e.Facts.Enabled
		m.Enabled = &en
	}
	m.Class, m.ClassFrom = managedClass(e)
	where := e.Path
	if e.Mount != "" {
		where = e.Mount + "/" + e.Path
	}
	maxAge, from := p.ManagedMaxAge(where, e.RuleID, m.Class)
	m.MaxAge, m.MaxAgeFrom = Duration(maxAge), from

	// The value changed last at the later of its version's creation and
	// the store's last rotation; without either, at its last update or
	// creation, or when sprawl first saw it.
	changed := e.VersionAt
	if e.LastRotated.After(changed) {
		changed = e.LastRotated
	}
	for _, t := range []time.Time{e.Updated, e.Created, e.FirstIndexed} {
		if changed.IsZero() {
			changed = t
		}
	}
	m.Changed = changed
	if !changed.IsZero() && now.After(changed) {
		m.Age = Duration(now.Sub(changed))
	}
	live := e.GoneAt.IsZero()
	m.Overdue = live && m.Age > m.MaxAge
	switch {
	case !e.LastRotated.IsZero():
	case e.Versions == 1:
		m.NeverRotated = true
	case e.Versions == 0 && !e.Created.IsZero() && !e.VersionAt.IsZero():
		m.NeverRotated = e.VersionAt.Sub(e.Created).Abs() < time.Minute
	}
	m.RotationDisabled = !e.AutoRotation
	m.NoExpiry = e.ExpirySupported && e.Expires.IsZero()
	m.ExpiredEnabled = !e.Expires.IsZero() && e.Expires.Before(now) && (e.Enabled == nil || *e.Enabled)
	if e.AccessRecorded {
		last := e.LastAccessed
		if last.IsZero() {
			last = e.Created
		}
		if !last.IsZero() && now.After(last) {
			m.UnusedFor = Duration(now.Sub(last))
		}
		m.Unused = live && time.Duration(m.UnusedFor) > unused
	}
	m.Leaked = o.Leaked[e.Fingerprint]
	m.States = states(m)
	return m
}

// AssessCISecret judges one CI secret as EvaluateCISecrets does (age from
// the last update, max age by CISecretRuleID), and says whether it was
// ever set again since creation. CI stores neither rotate nor expire
// values, nor record reads.
func AssessCISecret(c CISecretEntry) ManagedSecret {
	m := ManagedSecret{Kind: KindCI, Store: c.Provider + " " + c.Owner + " " + c.Store, Path: c.Place() + " " + c.Name,
		Created: c.CreatedAt, Age: c.Age, MaxAge: c.MaxAge, MaxAgeFrom: CISecretRuleID(c.Store), Class: ClassAPIKey, ClassFrom: "default",
		Overdue: c.Overdue, RotationDisabled: true, LastIndexed: c.LastSeen}
	m.Changed = c.UpdatedAt
	if m.Changed.IsZero() {
		m.Changed = c.CreatedAt
	}
	m.LastChanged = c.UpdatedAt
	m.NeverRotated = !c.CreatedAt.IsZero() && (c.UpdatedAt.IsZero() || c.UpdatedAt.Sub(c.CreatedAt).Abs() < time.Minute)
	m.States = states(m)
	return m
}

func states(m ManagedSecret) []ManagedState {
	out := []ManagedState{}
	for _, st := range ManagedStates {
		if m.Has(st) {
			out = append(out, st)
		}
	}
	return out
}

// ManagedCounts counts assessed managed secrets by state.
type ManagedCounts struct {
	Total            int `json:"total"`
	Overdue          int `json:"overdue"`
	NeverRotated     int `json:"never_rotated"`
	RotationDisabled int `json:"rotation_disabled"`
	NoExpiry         int `json:"no_expiry"`
	ExpiredEnabled   int `json:"expired_enabled"`
	Unused           int `json:"unused"`
	Leaked           int `json:"leaked"`
	AutoRotation     int `json:"auto_rotation"`
}

// Add counts m.
func (c *ManagedCounts) Add(m ManagedSecret) {
	c.Total++
	for _, x := range []struct {
		on bool
		n  *int
	}{{m.Overdue, &c.Overdue}, {m.NeverRotated, &c.NeverRotated}, {m.RotationDisabled, &c.RotationDisabled}, {m.NoExpiry, &c.NoExpiry},
		{m.ExpiredEnabled, &c.ExpiredEnabled}, {m.Unused, &c.Unused}, {m.Leaked, &c.Leaked}, {m.AutoRotation, &c.AutoRotation}} {
		if x.on {
			*x.n++
		}
	}
}

// Of returns the count of st.
func (c ManagedCounts) Of(st ManagedState) int {
	switch st {
	case StateOverdue:
		return c.Overdue
	case StateNeverRotated:
		return c.NeverRotated
	case StateRotationDisabled:
		return c.RotationDisabled
	case StateNoExpiry:
		return c.NoExpiry
	case StateExpiredEnabled:
		return c.ExpiredEnabled
	case StateUnused:
		return c.Unused
	case StateLeaked:
		return c.Leaked
	}
	return 0
}

// AutoRotationShare is the share (0–1, four decimals) of secrets their
// store rotates by itself; 0 when there are none.
func (c ManagedCounts) AutoRotationShare() float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(int64(float64(c.AutoRotation)/float64(c.Total)*10000+0.5)) / 10000
}

// ManagedStoreCounts are one store's counts.
type ManagedStoreCounts struct {
	Kind  string `json:"kind"`
	Store string `json:"store"`
	ManagedCounts
}

// ManagedSummary counts an assessment, overall and per store (ordered by
// kind and store).
type ManagedSummary struct {
	ManagedCounts
	AutoRotationShare float64              `json:"auto_rotation_share"`
	ByStore           []ManagedStoreCounts `json:"by_store"`
}

// SummarizeManaged counts ms.
func SummarizeManaged(ms []ManagedSecret) ManagedSummary {
	var s ManagedSummary
	idx := map[[2]string]int{}
	for _, m := range ms {
		s.Add(m)
		k := [2]string{m.Kind, m.Store}
		i, ok := idx[k]
		if !ok {
			i = len(s.ByStore)
			idx[k] = i
			s.ByStore = append(s.ByStore, ManagedStoreCounts{Kind: m.Kind, Store: m.Store})
		}
		s.ByStore[i].Add(m)
	}
	slices.SortFunc(s.ByStore, func(a, b ManagedStoreCounts) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Store, b.Store))
	})
	if s.ByStore == nil {
		s.ByStore = []ManagedStoreCounts{}
	}
	s.AutoRotationShare = s.ManagedCounts.AutoRotationShare()
	return s
}

// ManagedQuery selects what AssessManaged reads.
type ManagedQuery struct {
	// Kind keeps one store kind ("vault", "aws", "azure", KindCI); Store
	// keeps stores whose name contains it.
	Kind, Store string
	// NoCI leaves CI secrets out.
	NoCI bool
	ManagedOptions
}

// managedKinds are the store kinds a store selection names as a kind
// rather than as part of a store's name.
var managedKinds = []string{"vault", "aws", "azure", KindCI}

// SelectStore sets q to keep what one store selection (the --store of
// 'inventory managed') names: a store kind ("vault", "aws", "azure",
// KindCI) keeps that kind, anything else the stores whose name contains
// it, and "" every store.
func (q *ManagedQuery) SelectStore(sel string) {
	if sel == "" {
		return
	}
	q.Store = sel
	for _, k := range managedKinds {
		if sel == k {
			q.Kind, q.Store = k, ""
		}
	}
}

// AssessManaged reads the stored policy, the live vault entries, the
// present CI secrets and the active leaked secrets from s, and judges
// every managed secret q selects, ordered by kind, store and place.
func AssessManaged(ctx context.Context, s Store, q ManagedQuery) ([]ManagedSecret, Policy, error) {
	p, err := s.Policy(ctx)
	if err != nil {
		return nil, p, err
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	q.Now = now
	if q.Leaked == nil {
		leaked, err := s.Secrets(ctx, Query{Statuses: []Status{StatusOpen, StatusRotationRequired}})
		if err != nil {
			return nil, p, err
		}
		q.Leaked = make(map[string]bool, len(leaked))
		for _, l := range leaked {
			q.Leaked[l.Fingerprint] = true
		}
	}
	var es []VaultEntry
	if q.Kind != KindCI {
		if es, err = s.VaultEntries(ctx, VaultQuery{Adapter: q.Kind}); err != nil {
			return nil, p, err
		}
	}
	var cs []CISecret
	if !q.NoCI && (q.Kind == "" || q.Kind == KindCI) {
		if cs, err = s.CISecrets(ctx, CISecretQuery{}); err != nil {
			return nil, p, err
		}
	}
	return AssessManagedEntries(es, cs, p, q), p, nil
}

// AssessManagedEntries judges the live entries of es and the present CI
// secrets of cs that q selects (q.Leaked must be filled in), vault entries
// first in their order, then CI secrets.
func AssessManagedEntries(es []VaultEntry, cs []CISecret, p Policy, q ManagedQuery) []ManagedSecret {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	keep := func(kind, store string) bool {
		return (q.Kind == "" || q.Kind == kind) && strings.Contains(store, q.Store)
	}
	out := make([]ManagedSecret, 0, len(es)+len(cs))
	for _, e := range es {
		if e.GoneAt.IsZero() && keep(e.Adapter, e.Store) {
			out = append(out, AssessVaultEntry(e, p, q.ManagedOptions))
		}
	}
	if q.NoCI {
		return out
	}
	for _, c := range EvaluateCISecrets(cs, p, q.Now) {
		if !c.GoneAt.IsZero() {
			continue
		}
		if m := AssessCISecret(c); keep(m.Kind, m.Store) {
			out = append(out, m)
		}
	}
	return out
}

// readPolicyTx reads the stored policy inside tx.
func readPolicyTx(ctx context.Context, tx *sql.Tx) (Policy, error) {
	var p Policy
	var raw string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'policy'`).Scan(&raw); {
	case errors.Is(err, sql.ErrNoRows):
		return p, nil
	case err != nil:
		return p, err
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, fmt.Errorf("read policy: %w", err)
	}
	return p, nil
}

// assessCIOwner counts one provider owner's present CI secrets by state
// under the stored policy at now, inside tx.
func (s *sqlStore) assessCIOwner(ctx context.Context, tx *sql.Tx, provider, owner string, now time.Time) (ManagedCounts, error) {
	var counts ManagedCounts
	p, err := readPolicyTx(ctx, tx)
	if err != nil {
		return counts, err
	}
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT store, scope, repository, environment, name, created_at, updated_at, first_seen, last_seen
		FROM ci_secrets WHERE provider = ? AND owner = ? AND gone_at IS NULL`), provider, owner)
	if err != nil {
		return counts, err
	}
	defer rows.Close()
	var cs []CISecret
	for rows.Next() {
		c := CISecret{Provider: provider, Owner: owner}
		var created, updated, first, last sql.NullInt64
		if err := rows.Scan(&c.Store, &c.Scope, &c.Repository, &c.Environment, &c.Name, &created, &updated, &first, &last); err != nil {
			return counts, err
		}
		c.CreatedAt, c.UpdatedAt, c.FirstSeen, c.LastSeen = fromNanos(created), fromNanos(updated), fromNanos(first), fromNanos(last)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return counts, err
	}
	for _, e := range EvaluateCISecrets(cs, p, now) {
		counts.Add(AssessCISecret(e))
	}
	return counts, nil
}

// ManagedCountsBefore sums, over every secret store and CI owner, the
// assessment recorded with its last index or listing before t (the audit
// log keeps one with each): the managed-secret figures as they stood when
// a period began. It returns nil when nothing was recorded before t.
func ManagedCountsBefore(ctx context.Context, s Store, t time.Time) (*ManagedCounts, error) {
	last := map[string]ManagedCounts{}
	var after int64
	for {
		es, err := s.AuditLog(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			after = e.Seq
			if !e.At.Before(t) || (e.Action != ActionVaultIndex && e.Action != ActionCISecrets) {
				continue
			}
			var d struct {
				Adapter    string         `json:"adapter"`
				Store      string         `json:"store"`
				Provider   string         `json:"provider"`
				Owner      string         `json:"owner"`
				Assessment *ManagedCounts `json:"assessment"`
			}
			if json.Unmarshal([]byte(e.Data), &d) != nil || d.Assessment == nil {
				continue // written before assessments were recorded
			}
			last[e.Action+"\x00"+d.Adapter+"\x00"+d.Store+"\x00"+d.Provider+"\x00"+d.Owner] = *d.Assessment
		}
		if len(es) < 1000 {
			break
		}
	}
	if len(last) == 0 {
		return nil, nil
	}
	var sum ManagedCounts
	for _, c := range last {
		sum.Total += c.Total
		sum.Overdue += c.Overdue
		sum.NeverRotated += c.NeverRotated
		sum.RotationDisabled += c.RotationDisabled
		sum.NoExpiry += c.NoExpiry
		sum.ExpiredEnabled += c.ExpiredEnabled
		sum.Unused += c.Unused
		sum.Leaked += c.Leaked
		sum.AutoRotation += c.AutoRotation
	}
	return &sum, nil
}
