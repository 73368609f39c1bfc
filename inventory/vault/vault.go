package vault

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Errors adapters wrap, so callers can tell a refusal from a missing path
// from a store that asks them to slow down. Tests use errors.Is.
var (
	ErrDenied    = errors.New("permission denied")
	ErrNotFound  = errors.New("not found")
	ErrThrottled = errors.New("throttled")
	// ErrLimit: the store's metadata limits (Vault custom_metadata keys,
	// Azure tags) leave no room for the rotation mark.
	ErrLimit = errors.New("store metadata limit reached")
)

// Engines: what kind of secret a Ref names.
const (
	EngineKV             = "kv2"            // Vault/OpenBao KV version 2
	EngineDatabase       = "database"       // Vault database secrets engine static role
	EngineSecretsManager = "secretsmanager" // AWS Secrets Manager
	EngineKeyVault       = "keyvault"       // Azure Key Vault secret
)

// Ref names one secret in a store.
type Ref struct {
	Engine string `json:"engine"`
	// Mount is the Vault mount ("" for the clouds).
	Mount string `json:"mount,omitempty"`
	// Path is the path within the mount, the role name, or the secret's
	// name.
	Path string `json:"path"`
	// Version, when set, is the version to act on (Azure tags belong to a
	// version); "" is the current one.
	Version string `json:"version,omitempty"`
}

func (r Ref) String() string {
	if r.Mount != "" {
		return r.Mount + "/" + r.Path
	}
	return r.Path
}

// Secret is a listed secret's metadata (no value).
type Secret struct {
	Ref
	Created, Updated time.Time
	// AutoRotation: the store can rotate the value itself (AWS rotation
	// configured; a database static role; an Azure secret whose lifetime
	// Key Vault manages).
	AutoRotation bool
	Facts
}

// Facts are what a store says about a secret's rotation, expiry and use,
// never its value. A zero field means the store did not say; which stores
// say what is in docs/managed-secrets.md.
type Facts struct {
	// LastRotated is the store's last rotation (AWS LastRotatedDate, a
	// database static role's last_vault_rotation).
	LastRotated time.Time `json:"last_rotated,omitzero"`
	// LastChanged is the last change of any kind (AWS LastChangedDate,
	// Vault KV updated_time, Azure updated).
	LastChanged time.Time `json:"last_changed,omitzero"`
	// LastAccessed is the last read (AWS LastAccessedDate, kept to the
	// day); AccessRecorded says the store records reads at all, so a zero
	// LastAccessed there means never read.
	LastAccessed   time.Time `json:"last_accessed,omitzero"`
	AccessRecorded bool      `json:"access_recorded,omitempty"`
	// NextRotation is the store's next scheduled rotation (AWS).
	NextRotation time.Time `json:"next_rotation,omitzero"`
	// RotationPeriod is the automatic rotation's period (AWS
	// RotationRules.AutomaticallyAfterDays, a static role's
	// rotation_period); RotationSchedule a schedule expression instead.
	RotationPeriod   time.Duration `json:"rotation_period,omitempty"`
	RotationSchedule string        `json:"rotation_schedule,omitempty"`
	// Expires and NotBefore bound the current version's validity (Azure
	// exp and nbf); ExpirySupported says the store has an expiry at all,
	// so a zero Expires there means none was set.
	Expires         time.Time `json:"expires,omitzero"`
	NotBefore       time.Time `json:"not_before,omitzero"`
	ExpirySupported bool      `json:"expiry_supported,omitempty"`
	// Enabled is the current version's enabled attribute (Azure); nil
	// when the store has none.
	Enabled *bool `json:"enabled,omitempty"`
	// Versions counts the versions the store keeps (KV versions, AWS
	// versions with a staging label, Azure versions).
	Versions int `json:"versions,omitempty"`
	// MaxVersions and DeleteVersionAfter are a KV secret's retention
	// settings (0: the mount's default, none).
	MaxVersions        int           `json:"max_versions,omitempty"`
	DeleteVersionAfter time.Duration `json:"delete_version_after,omitempty"`
}

// Merge sets each field of f that o sets.
func (f *Facts) Merge(o Facts) {
	setT := func(dst *time.Time, v time.Time) {
		if !v.IsZero() {
			*dst = v
		}
	}
	setT(&f.LastRotated, o.LastRotated)
	setT(&f.LastChanged, o.LastChanged)
	setT(&f.LastAccessed, o.LastAccessed)
	setT(&f.NextRotation, o.NextRotation)
	setT(&f.Expires, o.Expires)
	setT(&f.NotBefore, o.NotBefore)
	f.AccessRecorded = f.AccessRecorded || o.AccessRecorded
	f.ExpirySupported = f.ExpirySupported || o.ExpirySupported
	if o.RotationPeriod != 0 {
		f.RotationPeriod = o.RotationPeriod
	}
	if o.RotationSchedule != "" {
		f.RotationSchedule = o.RotationSchedule
	}
	if o.Enabled != nil {
		e := *o.Enabled
		f.Enabled = &e
	}
	if o.Versions != 0 {
		f.Versions = o.Versions
	}
	if o.MaxVersions != 0 {
		f.MaxVersions = o.MaxVersions
	}
	if o.DeleteVersionAfter != 0 {
		f.DeleteVersionAfter = o.DeleteVersionAfter
	}
}

// Value is a secret's current version. Fields holds its values by field
// ("" for a single value); callers must not keep or print them.
type Value struct {
	Version   string
	VersionAt time.Time
	Fields    map[string]string
	// Created is the secret's creation when only a read tells it (Vault
	// KV metadata); Facts are what the read adds to the listing's.
	Created time.Time
	Facts
}

// Mark describes a forced-rotation mark.
type Mark struct {
	Reason string
	// Findings are the fingerprints of the leaked secrets the store holds.
	Findings []string
	At       time.Time
}

// Outcome is what an adapter did.
type Outcome struct {
	Actions []string
	// RotationRequested: the store was asked to rotate the value now.
	RotationRequested bool
	// Note says what is left to people ("rotation is not configured").
	Note string
}

func (o Outcome) String() string {
	s := strings.Join(o.Actions, "; ")
	if o.Note != "" {
		if s != "" {
			s += "; "
		}
		s += o.Note
	}
	return s
}

// Adapter is one secret store.
type Adapter interface {
	// Kind is "vault", "aws" or "azure".
	Kind() string
	// Store names this store instance (address and namespace, region, vault
	// URL); the inventory keys entries on (Kind, Store).
	Store() string
	// Scope lists the mounts List covers, or nil when List covers the
	// whole store.
	Scope() []string
	// List calls fn for every secret in scope. A part that cannot be
	// listed (one mount refused) is reported as fn(Secret{Ref: where},
	// err) and listing goes on; an error fn returns stops it.
	List(ctx context.Context, fn func(Secret, error) error) error
	// Read returns the current value of ref.
	Read(ctx context.Context, ref Ref) (Value, error)
	// Flag marks ref for forced rotation and asks the store to rotate it
	// where it can.
	Flag(ctx context.Context, ref Ref, m Mark) (Outcome, error)
	// Clear removes the mark Flag set.
	Clear(ctx context.Context, ref Ref) (Outcome, error)
}

// PlanFlag says what Flag does for a secret of this kind, for dry runs
// (no store is contacted).
func PlanFlag(kind, engine string, autoRotation bool) string {
	switch {
	case engine == EngineDatabase:
		return "request rotate-role (database static role)"
	case engine == EngineKV:
		return "merge custom_metadata sprawl-rotation-* (reason, findings, time)"
	case kind == "aws" && autoRotation:
		return "tag sprawl:rotation-*, then RotateSecret"
	case kind == "aws":
		return "tag sprawl:rotation-*; rotation is not configured: rotate by hand"
	case kind == "azure":
		return "set tags sprawl-rotation-* and an expiry"
	}
	return "mark for rotation"
}

// Indexed is one field of an indexed secret: its fingerprint, never its
// value.
type Indexed struct {
	Ref
	Field            string
	Version          string
	VersionAt        time.Time
	Created, Updated time.Time
	Fingerprint      string
	AutoRotation     bool
	// Rule and RuleClass are what classify said of the value ("" when it
	// was not asked or matched nothing): the id and rotation class of the
	// detection rule that matches it.
	Rule, RuleClass string
	Facts
}

// ItemError is a part of the store that could not be listed or read.
type ItemError struct {
	Ref Ref
	Err error
}

// IndexResult is what Index saw.
type IndexResult struct {
	Entries []Indexed
	Errors  []ItemError
	// Secrets counts the secrets read.
	Secrets int
}

// Complete reports whether the whole scope was listed and read.
func (r IndexResult) Complete() bool { return len(r.Errors) == 0 }

// Index lists a's secrets, reads each and records each field's
// fingerprint (fingerprint(value)); values are dropped as soon as they are
// fingerprinted. Per-secret errors are collected and the walk goes on;
// only a failure of fn-level machinery (ctx cancelled) is returned.
func Index(ctx context.Context, a Adapter, fingerprint func(value string) string) (IndexResult, error) {
	return IndexClassified(ctx, a, fingerprint, nil)
}

// IndexClassified is Index that also asks classify (when not nil) which
// detection rule each value matches, while the value is at hand; the
// answer is kept as Indexed.Rule and the value dropped as in Index.
// classify may be called from several goroutines at once.
func IndexClassified(ctx context.Context, a Adapter, fingerprint func(value string) string, classify func(value string) (rule, class string)) (IndexResult, error) {
	// Each listed secret gets a slot in listing order; up to Readers
	// values are read at once (a real store answers in milliseconds, and
	// thousands of secrets read one by one take minutes), and the result
	// is assembled in listing order, so it does not depend on timing.
	type slot struct {
		entries []Indexed
		err     *ItemError
		read    bool
	}
	var (
		mu    sync.Mutex
		slots []*slot
	)
	var g errgroup.Group
	g.SetLimit(Readers)
	err := a.List(ctx, func(s Secret, err error) error {
		sl := &slot{}
		mu.Lock()
		slots = append(slots, sl)
		mu.Unlock()
		if err != nil {
			sl.err = &ItemError{s.Ref, err}
			return ctx.Err()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g.Go(func() error {
			v, err := a.Read(ctx, s.Ref)
			if err != nil {
				sl.err = &ItemError{s.Ref, err}
				return nil
			}
			sl.read = true
			fields := make([]string, 0, len(v.Fields))
			for f := range v.Fields {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			facts := s.Facts
			facts.Merge(v.Facts)
			created := v.Created // the read knows better where it tells
			if created.IsZero() {
				created = s.Created
			}
			updated := s.Updated
			if updated.IsZero() {
				updated = facts.LastChanged
			}
			for _, f := range fields {
				if v.Fields[f] == "" {
					continue
				}
				e := Indexed{Ref: Ref{Engine: s.Engine, Mount: s.Mount, Path: s.Path}, Field: f,
					Version: v.Version, VersionAt: v.VersionAt, Created: created, Updated: updated,
					Fingerprint: fingerprint(v.Fields[f]), AutoRotation: s.AutoRotation, Facts: facts}
				if e.Facts.Enabled != nil {
					en := *e.Facts.Enabled
					e.Facts.Enabled = &en
				}
				if classify != nil {
					e.Rule, e.RuleClass = classify(v.Fields[f])
				}
				sl.entries = append(sl.entries, e)
			}
			clear(v.Fields)
			return nil
		})
		return nil
	})
	_ = g.Wait() // the readers return no error: theirs are per item
	var res IndexResult
	for _, sl := range slots {
		if sl.err != nil {
			res.Errors = append(res.Errors, *sl.err)
		}
		if sl.read {
			res.Secrets++
		}
		res.Entries = append(res.Entries, sl.entries...)
	}
	if err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// Readers is how many values Index reads from a store at once.
const Readers = 8

// Fields splits a stored string into indexable values: a JSON object's
// string (and number) leaves by dotted path, else the whole string as
// field "".
func Fields(s string) map[string]string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(t), &m) == nil {
			out := map[string]string{}
			FlattenInto(out, "", m)
			return out
		}
	}
	return map[string]string{"": s}
}

// FlattenInto adds the string leaves of v (a decoded JSON or KV map) to
// out under dotted paths. Numbers are kept (a numeric PIN is a secret);
// booleans and nulls are not values anyone leaks.
func FlattenInto(out map[string]string, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			FlattenInto(out, p, e)
		}
	case []any:
		for i, e := range x {
			FlattenInto(out, prefix+"["+strconv.Itoa(i)+"]", e)
		}
	case string:
		out[prefix] = x
	case json.Number:
		out[prefix] = x.String()
	case float64:
		out[prefix] = strconv.FormatFloat(x, 'f', -1, 64)
	}
}

// Mark keys and tags sprawl writes, per store.
const (
	MarkRequired = "sprawl-rotation-required"
	MarkReason   = "sprawl-rotation-reason"
	MarkFindings = "sprawl-rotation-findings"
	MarkAt       = "sprawl-rotation-flagged-at"
)

// MarkKeys are the keys Flag writes and Clear removes.
var MarkKeys = []string{MarkRequired, MarkReason, MarkFindings, MarkAt}

// MarkValues are the values of the mark keys, each cut to max bytes
// (whole runes).
func MarkValues(m Mark, max int) map[string]string {
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	return map[string]string{
		MarkRequired: "true",
		MarkReason:   Truncate(m.Reason, max),
		MarkFindings: Truncate(strings.Join(m.Findings, " "), max),
		MarkAt:       at.UTC().Format(time.RFC3339),
	}
}

// Truncate cuts s to at most max bytes without splitting a rune.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !validCut(s, max) {
		max--
	}
	return s[:max]
}

func validCut(s string, i int) bool { return i >= len(s) || s[i]&0xC0 != 0x80 }
