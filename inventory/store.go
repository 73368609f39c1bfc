package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
)

// Errors returned by stores. Callers test them with errors.Is.
var (
	// ErrNotFound: no secret has that fingerprint (or prefix).
	ErrNotFound = errors.New("no such secret in the inventory")
	// ErrAmbiguous: a fingerprint prefix matches more than one secret.
	ErrAmbiguous = errors.New("fingerprint prefix matches more than one secret")
	// ErrInvalidTransition: the status lifecycle forbids the change.
	ErrInvalidTransition = errors.New("invalid status transition")
	// ErrKeyMismatch: findings were fingerprinted with a different key
	// than the inventory's earlier ingests.
	ErrKeyMismatch = errors.New("fingerprint key differs from the one this inventory was built with")
	// ErrSchemaTooNew: the database was migrated by a newer sprawl.
	ErrSchemaTooNew = errors.New("inventory schema is newer than this sprawl")
	// ErrUnsupportedDSN: the DSN names no store this package knows.
	ErrUnsupportedDSN = errors.New("unsupported inventory DSN")
	// ErrNoInventory: a reader named a SQLite inventory that does not exist.
	ErrNoInventory = errors.New("no inventory")
	// ErrInvalid: an argument is malformed (bad fingerprint, status, …).
	ErrInvalid = errors.New("invalid argument")
)

// Store persists the inventory. Implementations are safe for concurrent
// use; every mutation is one transaction that also appends its audit entry,
// so a mutation and its record of itself commit or vanish together.
//
// Fingerprints passed to a Store are the keyed, hex-encoded fingerprints
// Ingest computes; the Store never sees a secret's value.
type Store interface {
	// Ingest records one scan: upserts the batch's secrets and locations,
	// marks the scanned (source, repository)'s locations not in the batch
	// as gone when b.Scan.Complete, flags regressions (rotated or revoked
	// secrets seen at a location that is new or back from gone), records
	// the scan and the repository's last commit, and appends an "ingest"
	// audit entry. All of it happens in one transaction. It returns
	// ErrKeyMismatch if b.KeyCheck differs from the stored one.
	Ingest(ctx context.Context, b *Batch) (IngestSummary, error)

	// Secrets returns the secrets matching q with their locations, ordered
	// by fingerprint; locations are ordered by repository, path, source.
	// History is not filled in.
	Secrets(ctx context.Context, q Query) ([]Secret, error)

	// Secret returns the one secret whose fingerprint starts with prefix
	// (at least 4 hex digits), with its locations and status history. It
	// returns ErrNotFound or ErrAmbiguous.
	Secret(ctx context.Context, prefix string) (Secret, error)

	// SetStatus moves the secret with this exact fingerprint to ch.To if
	// the lifecycle allows it (CheckTransition), records the change in the
	// status history and appends a "status" audit entry. It returns the
	// previous status, ErrNotFound, or an error wrapping
	// ErrInvalidTransition.
	SetStatus(ctx context.Context, fingerprint string, ch StatusChange) (Status, error)

	// StatusHistory returns every recorded status change, by fingerprint,
	// each secret's in the order they were made (one query, for reports).
	StatusHistory(ctx context.Context) (map[string][]StatusEvent, error)

	// Suppressed reports, for each of fingerprints that the inventory holds
	// as false-positive or accepted-risk, true: findings of those secrets
	// should not fail a CI gate. Unknown fingerprints are absent.
	Suppressed(ctx context.Context, fingerprints []string) (map[string]bool, error)

	// Scans returns the most recent scans first, at most limit (all if
	// limit <= 0).
	Scans(ctx context.Context, limit int) ([]ScanRecord, error)

	// Repositories returns, per (source kind, repository), the last scan
	// and the tip commit it saw, ordered by source and repository.
	Repositories(ctx context.Context) ([]RepositoryRecord, error)

	// Policy returns the stored rotation and environment policy, or the
	// zero Policy (defaults only) if none was ever set.
	Policy(ctx context.Context) (Policy, error)

	// SetPolicy stores p if it differs from the stored policy and appends
	// a "policy" audit entry naming actor and reason; it reports whether
	// anything changed. p must be valid (Policy.Validate).
	SetPolicy(ctx context.Context, p Policy, actor, reason string) (changed bool, err error)

	// AuditLog returns up to limit audit entries with Seq > after, in
	// sequence order, exactly as stored (Verify judges them).
	AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error)

	// AuditHead returns the chain head: the last entry's sequence number
	// and hash as recorded when it was appended ("" and 0 when empty).
	AuditHead(ctx context.Context) (seq int64, hash string, err error)

	// AuditedState reads, in one snapshot, the rows whose state the audit
	// chain records (every secret's status fields and first scan, the
	// status history, every scan record) with the chain head's sequence
	// number in that snapshot. Verify compares them with the chain.
	AuditedState(ctx context.Context) (AuditedState, error)

	// RecordVaultIndex records one index of a secret store (vault.go): it
	// upserts b's entries by (adapter, store, mount, path, field), marks
	// the store's entries it did not see as gone when b.Complete, and
	// verifies rotations: an entry flagged rotation-required whose value
	// now has another fingerprint at a newer version becomes flag
	// "rotated", and the leaked secret it held, once no live entry holds
	// it any more, moves to status rotated (with its "status" audit
	// entry). One transaction with a "vault-index" audit entry. It
	// returns ErrKeyMismatch if b.KeyCheck differs from the stored one.
	RecordVaultIndex(ctx context.Context, b *VaultIndexBatch) (VaultIndexSummary, error)

	// VaultEntries returns the indexed entries q selects, ordered by
	// adapter, store, mount, path and field.
	VaultEntries(ctx context.Context, q VaultQuery) ([]VaultEntry, error)

	// MarkVaultFlag records an action taken in a secret store and its
	// audit entry in one transaction: when a.Err is empty it sets the flag
	// state of a.Fields at the path a.Key names (all its fields if
	// a.Fields is empty); a failed action is only audited. It returns
	// ErrNotFound if no live entry matches.
	MarkVaultFlag(ctx context.Context, a VaultAction) error

	// RecordCISecrets upserts the metadata (names, scopes, dates; never a
	// value) of one listing of a provider's managed CI secrets for one
	// owner. When b.Complete, that (provider, owner)'s secrets not in the
	// batch are marked gone; one found again is present again. It appends
	// a "ci-secrets" audit entry in the same transaction.
	RecordCISecrets(ctx context.Context, b CISecretBatch) (CISecretSummary, error)

	// RecordOrgScan appends an "org-scan" audit entry for the end of an
	// organisation scan (orgrun.go); no table changes.
	RecordOrgScan(ctx context.Context, r OrgScanRecord) error

	// CISecrets returns the recorded CI secrets matching q, ordered by
	// provider, owner, name, scope, repository, environment, store.
	CISecrets(ctx context.Context, q CISecretQuery) ([]CISecret, error)

	// Close releases the store's connections.
	Close() error
}

// Batch is what one scan contributes, already reduced to fingerprints:
// each secret once, each location once. Ingest builds it.
type Batch struct {
	Scan      ScanRecord
	KeyCheck  string
	Secrets   []SecretRecord
	Locations []LocationRecord
	// Actor is recorded in the audit entry.
	Actor string
	// Verifications are what providers said of the batch's secrets when
	// the scan verified them (--verify); one per secret at most.
	Verifications []VerificationRecord
}

// SecretRecord is one secret of a batch.
type SecretRecord struct {
	Fingerprint string
	Preview     string
	RuleID      string
	RuleName    string
	Severity    detectors.Severity
	Class       Class
	// Expires is the expiry the credential states (zero if none).
	Expires time.Time
}

// LocationRecord is one location of a batch. Fingerprint names its secret,
// which must be in the same batch.
type LocationRecord struct {
	Fingerprint string
	Source      string
	Repository  string
	Path        string
	Line        int
	Commit      string
	Author      string
	Date        time.Time // commit date; zero if not from history
	Branch      string
	// AtTip is nil when unknown (a history scan without a work tree).
	AtTip *bool
	// Suppressed says why the scan did not report the secret here (an
	// inline allow comment); "" when it did.
	Suppressed string
}

// IngestSummary counts what one ingest changed.
type IngestSummary struct {
	ScanID       int64    `json:"scan_id"`
	Findings     int      `json:"findings"`
	Secrets      int      `json:"secrets"`
	NewSecrets   int      `json:"new_secrets"`
	Locations    int      `json:"locations"`
	NewLocations int      `json:"new_locations"`
	Gone         int      `json:"gone"`
	Regressions  []string `json:"regressions,omitempty"` // fingerprints
}

// Query selects secrets. Zero fields do not filter.
type Query struct {
	// Fingerprint is a prefix of lower-case hex digits.
	Fingerprint string
	Statuses    []Status
	// MinSeverity keeps secrets at or above this severity.
	MinSeverity detectors.Severity
	RuleIDs     []string
}

// Secret is an inventory entry.
type Secret struct {
	Fingerprint  string             `json:"fingerprint"`
	Preview      string             `json:"preview"`
	RuleID       string             `json:"rule_id"`
	RuleName     string             `json:"rule_name"`
	Severity     detectors.Severity `json:"severity"`
	Class        Class              `json:"class"`
	Status       Status             `json:"status"`
	StatusReason string             `json:"status_reason,omitempty"`
	StatusActor  string             `json:"status_actor,omitempty"`
	StatusAt     time.Time          `json:"status_at,omitzero"`
	FirstSeen    time.Time          `json:"first_seen"`
	LastSeen     time.Time          `json:"last_seen"`
	// RegressedAt is the last time the secret, marked rotated or revoked,
	// appeared at a new location (zero if never).
	RegressedAt time.Time     `json:"regressed_at,omitzero"`
	Locations   []Location    `json:"locations"`
	History     []StatusEvent `json:"history,omitempty"`
	// Expires is the expiry the credential states about itself (a JWT's
	// exp, an STS expiry beside it); zero if it states none. Age is
	// judged against it instead of the class's maximum age.
	Expires time.Time `json:"expires,omitzero"`
	// Verifications is the secret's verification history, oldest first
	// (Latest is the last); empty if no scan verified it.
	Verifications []Verification `json:"verification,omitempty"`
}

// Location is one place a secret lives.
type Location struct {
	Source     string    `json:"source"`
	Repository string    `json:"repository"`
	Path       string    `json:"path"`
	Line       int       `json:"line"`
	Commit     string    `json:"commit,omitempty"`
	Author     string    `json:"author,omitempty"`
	Date       time.Time `json:"date,omitzero"`
	Branch     string    `json:"branch,omitempty"`
	AtTip      *bool     `json:"present_at_tip,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// GoneAt is when a complete scan of the repository stopped finding
	// the secret here (zero while present).
	GoneAt time.Time `json:"gone_at,omitzero"`
	// Suppressed says why the last scan that found the secret here did
	// not report it ("inline allow": a comment silenced it); "" when it
	// did. An auditor sees a live secret someone silenced.
	Suppressed string `json:"suppressed,omitempty"`
	// Environment is filled in by Evaluate, not stored.
	Environment Environment `json:"environment,omitempty"`
}

// Present reports whether the last complete scan still found the secret here.
func (l Location) Present() bool { return l.GoneAt.IsZero() }

// StatusChange is a requested status change.
type StatusChange struct {
	To     Status
	Reason string
	Actor  string
	At     time.Time // zero: now
}

// StatusEvent is one recorded status change.
type StatusEvent struct {
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
}

// ScanRecord describes one ingested scan.
type ScanRecord struct {
	ID         int64  `json:"id"`
	Source     string `json:"source"`
	Repository string `json:"repository"`
	Branch     string `json:"branch,omitempty"`
	// HeadCommit is the repository's tip when it was scanned.
	HeadCommit string    `json:"head_commit,omitempty"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	// Complete scans saw everything in their (source, repository) and may
	// mark missing locations gone; partial ones (--since, staged) may not.
	Complete     bool `json:"complete"`
	Findings     int  `json:"findings"`
	Secrets      int  `json:"secrets"`
	NewSecrets   int  `json:"new_secrets"`
	Locations    int  `json:"locations"`
	NewLocations int  `json:"new_locations"`
	Gone         int  `json:"gone"`
	Regressions  int  `json:"regressions"`
}

// RepositoryRecord is what the inventory knows of one scanned repository.
type RepositoryRecord struct {
	Source     string    `json:"source"`
	Repository string    `json:"repository"`
	LastCommit string    `json:"last_commit,omitempty"`
	LastScanID int64     `json:"last_scan_id"`
	LastScanAt time.Time `json:"last_scan_at"`
}
