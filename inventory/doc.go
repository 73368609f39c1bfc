// Package inventory owns the record of every secret sprawl has found:
// persistence (an embedded SQLite file by default, PostgreSQL for teams
// sharing one), identity (keyed fingerprints), the status lifecycle,
// environment classification, rotation policy and the tamper-evident audit
// log.
//
// # Identity and privacy
//
// A secret is identified by its keyed fingerprint: HMAC-SHA256 of the value
// under a key that lives outside the database (see LoadOrCreateKey and
// DefaultKeyPath), truncated to 128 bits and hex-encoded exactly as
// scanner.Fingerprint does, so a scan run with the same SPRAWL_FINGERPRINT_KEY
// reports the fingerprints the inventory holds. The inventory never stores
// a secret's value: only the fingerprint, a short redacted preview
// (scanner.Redact), the rule, severity and rotation class, and where the
// secret was seen. The database records a check value of the key and Ingest
// refuses a different key (ErrKeyMismatch), which would otherwise split
// every secret into two entries.
//
// # Locations
//
// A location is identified by (secret, source kind, repository, path).
// The commit is deliberately not part of the identity: history sources
// already collapse a secret in one file to the commit that first introduced
// it, and a line moving or a later commit touching the file must not create
// a new location (baselines follow the same rule). A location keeps the
// earliest commit, author and date seen for it, the line of the latest
// scan, whether the secret is present at the repository's tip, and its
// first and last sighting. A complete scan of a (source kind, repository)
// marks that pair's locations it no longer found as gone; they are never
// deleted, and a gone location found again is present again.
//
// Scans are recorded with their source, repository, start and end, counts
// and the commit the repository's tip was at, so later scans can be
// incremental (Store.Repositories).
//
// # Environments, policy, status
//
// Environments (production, staging, development, sandbox, test, ci) are
// derived when entries are read, from the location's path, branch and
// repository name (Classifier); rotation age is judged against a Policy
// stored in the inventory, whose changes are audited. Class token means a
// short-lived credential (an hour); long-lived tokens are api-key since
// schema version 6, which migrated stored secrets accordingly. A secret
// whose value states its expiry (scanner.Finding.Expires: a JWT's exp, an
// STS expiry beside it; column expires_at, version 6) is judged against
// that expiry instead of its class's age. A secret's status
// moves through the lifecycle in status.go; a secret marked rotated or
// revoked that later appears in a new location is a regression.
//
// # Audit log
//
// Every mutation (an ingest, a status change, a policy change, a vault
// index or action, a CI-secret listing) appends an entry to a hash chain
// in the same transaction as the change: hash = SHA-256(previous hash ‖
// canonical entry bytes). Failed operations are entries too: a vault
// index that could not read its store records its errors and changes
// nothing else.
//
// The chain covers state, not only its own entries: a "status" entry holds
// the secret's new status, reason and time (the actor is the entry's), an
// "ingest" entry the whole scan record. Verify walks the chain, names the
// first entry that was edited, reordered or deleted, then replays it and
// compares the tables (AuditedState, one snapshot): every secret's status
// fields and status history, every scan record, and each secret's first
// scan must be what the chain says, and each row that disagrees is named
// (StateError). Locations are covered through the scans: an ingest entry
// holds digests of the secrets and locations the scan found first, which
// the rows with that first scan must add up to (a row planted, deleted or
// moved changes them), and a location's gone mark must match the chain's
// complete scans of its repository (gone exactly when one ran after the
// last scan that found it, since it finished). A location's line, commit
// and tip flag are not covered. Entries written before they carried the
// time, the whole scan record or the digests are judged on the fields
// they hold, so existing inventories verify without a schema migration.
//
// A "verify" entry holds the verifications one scan recorded (schema
// version 7, appended in the ingest's transaction): each secret's status,
// checked-at time, rule, identity and reason, exactly as the verifications
// table stores them; Verify names every secret whose rows differ from the
// chain's, were added without an entry or were deleted.
//
// An attacker who can write the database can still cut the chain short
// (with the rows it recorded) or rebuild it consistently. A head published
// elsewhere catches both: Head is written "SEQ:HASH" ('sprawl audit head',
// the quarterly report), and VerifyWith with ExpectHead fails unless the
// chain still holds that entry with that hash. Publish it where the
// database's writers cannot reach: the log of each scheduled scan job, the
// quarterly review ticket.
//
// TrustedSuppressed is the CI gate's view: a false-positive or
// accepted-risk status only suppresses a finding once Verify passes, so a
// status set with SQL never turns a failing gate into a passing one.
//
// An organisation scan's end is an "org-scan" entry (RecordOrgScan): its
// target, counts and skipped repositories with their reasons, written by
// inventory/orgscan once every repository's own ingest is on record. It
// changes no table, so Verify only chains it.
//
// # Recording a scan
//
// Record is how every scan reaches the inventory (`scan dir|git|staged
// --inventory`, each repository and CI store of an organisation scan): it
// builds the Scan (BuildScan: complete unless partial, staged or with
// unreadable items; a git scan's branch and head, GitHead; whether each
// secret is still in its file at the head, TipChecker, which streams each
// file through scanner.SecretsAt) and ingests it in one transaction.
// Suppress applies TrustedSuppressed to findings.
//
// # Vault index
//
// RecordVaultIndex keeps, per field of a secret held in a secret store
// (the adapters in inventory/vault), its keyed fingerprint — computed as
// for findings, so the two correlate — with the store, path, version and
// dates, never the value (table vault_entries, schema version 3).
// Correlate joins the leaked secrets with those entries: a leaked managed
// secret is critical (rotate now, and the entries say where); an unmanaged
// one should move into a vault. MarkVaultFlag records the forced-rotation
// marks sprawl sets in stores, and failed attempts, each with its audit
// entry; an index that sees a new value at a newer version of a flagged
// field verifies the rotation and moves the leaked secret to rotated.
//
// # Managed secrets
//
// Each vault entry also keeps what its store says about the secret's
// dates, rotation, expiry and use (vault.Facts, schema version 5) and the
// detection rule its value matched when indexed. AssessManaged judges
// every live entry and every present CI secret against the stored policy
// (PathMaxAge, then rule and class ages): overdue, never rotated, rotation
// disabled, no expiry, expired but enabled, unused, leaked. Each index and
// CI listing records the store's assessment in its audit entry, so the
// figures at any earlier moment are in the chain (ManagedCountsBefore).
//
// # Concurrency
//
// A Store is safe for concurrent use by multiple goroutines and, for both
// backends, by multiple processes: every mutation runs in one transaction
// that first takes the audit chain's write lock (SQLite's write lock via
// BEGIN IMMEDIATE; a row lock on the chain head in PostgreSQL), so
// mutations are serialised and the chain never forks. Killing a process
// mid-ingest leaves the database as it was before that ingest. This package
// starts no goroutines.
//
// # Default location
//
// With no DSN the inventory is the SQLite file DefaultPath:
// $XDG_DATA_HOME/sprawl/inventory.db, else ~/.local/share/sprawl/inventory.db,
// created with mode 0600 in a 0700 directory. The fingerprint key defaults
// to $XDG_CONFIG_HOME/sprawl/fingerprint.key, else
// ~/.config/sprawl/fingerprint.key (mode 0600), which keeps the key out of a
// copy or backup of the data directory.
package inventory
