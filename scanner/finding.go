package scanner

import (
	"time"

	"github.com/sprawlsec/sprawl/detectors"
)

// Finding is one secret found at one place. The Secret field holds the raw
// value; reporters must print Redacted unless the user asked for secrets.
type Finding struct {
	RuleID      string             `json:"rule_id"`
	RuleName    string             `json:"rule_name"`
	Description string             `json:"description,omitempty"`
	Severity    detectors.Severity `json:"severity"`
	Tags        []string           `json:"tags,omitempty"`

	// Source is the kind of source ("dir", "stdin", "git", "staged", …).
	Source string `json:"source"`
	// Root is the scanned root (directory, repository path or URL).
	Root string `json:"root,omitempty"`
	// File is the path relative to Root, slash-separated.
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	// Column16 and EndColumn16 are the UTF-16 code-unit columns of the
	// start and of the end (exclusive) for SARIF; 0 when unknown.
	Column16    int `json:"-"`
	EndColumn16 int `json:"-"`

	// Secret is the secret value itself. Reporters show it only when
	// ShowSecrets is set; otherwise they show Redacted.
	Secret   string `json:"-"`
	Redacted string `json:"-"`
	// Match is the full text the rule matched (redacted the same way).
	Match string `json:"-"`

	// Fingerprint is the baseline fingerprint: unkeyed, or keyed with the
	// configured fingerprint-key, so that a committed baseline matches on
	// every machine. See Fingerprint.
	Fingerprint string `json:"fingerprint"`
	// InventoryFingerprint is the secret's identity in the inventory
	// (keyed with the inventory's key), set only when the scan records
	// into an inventory: `sprawl inventory show` takes it.
	InventoryFingerprint string `json:"inventory_fingerprint,omitempty"`

	Entropy float64 `json:"entropy"`
	// Encoding names the decoders that revealed the secret (json-string,
	// base64, percent); empty when it was in plain text.
	Encoding string `json:"encoding,omitempty"`
	// Expires is the expiry the credential states about itself (a JWT's
	// exp, an STS expiry beside it; detectors.StatedExpiry), zero if none.
	Expires time.Time `json:"expires,omitzero"`

	// Count is how many findings this one stands for when it is the
	// aggregate of one rule's findings in one file beyond the engine's
	// cap (DefaultAggregateAfter): itself and the ones not reported one
	// by one. Zero for an ordinary finding.
	Count int `json:"count,omitempty"`

	// Provenance from history sources; empty for plain files.
	Blob    string    `json:"blob,omitempty"`
	Commit  string    `json:"commit,omitempty"`
	Author  string    `json:"author,omitempty"`
	Email   string    `json:"email,omitempty"`
	Date    time.Time `json:"date,omitempty"`
	Message string    `json:"message,omitempty"`

	// Captures are the pattern's named groups a validator needs besides
	// the secret (an account SID, an instance host); never reported.
	Captures map[string]string `json:"-"`
	// Verification is set when the scan verified findings (--verify).
	Verification *Verification `json:"verification,omitempty"`
	// Suppressed, when set, says why this finding is not reported as one
	// (inline allow, baseline, a placeholder, …): it is listed only with
	// --include-suppressed and never fails a scan.
	Suppressed string `json:"suppressed,omitempty"`
}
