package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// ErrNoKey: Ingest was given no fingerprint key.
var ErrNoKey = errors.New("inventory needs a fingerprint key of at least 16 bytes")

// Scan describes the scan whose findings are ingested.
type Scan struct {
	// Source is the source kind ("dir", "git", "staged", "stdin", …).
	Source string
	// Repository is the scanned root: an absolute path, a URL (credentials
	// are stripped before storing) or a store's name.
	Repository string
	// Branch is the branch the scan was on, if any; environment rules see it.
	Branch string
	// HeadCommit is the repository's tip commit, kept for incremental scans.
	HeadCommit string
	Started    time.Time
	Finished   time.Time
	// Complete is true when the scan covered the whole (Source, Repository),
	// so locations it did not find are gone. --since, --range, --branch
	// and staged scans, and scans with unreadable items, are not complete.
	Complete bool
	// Classes maps rule ids to rotation classes (RuleClasses); rules not in
	// it are ClassAPIKey.
	Classes map[string]Class
	// AtTip reports whether a finding's secret is still present at the tip
	// of the repository; known is false when that cannot be told. Nil
	// means: present for sources without history (a working tree, stdin),
	// unknown for findings that carry a commit.
	AtTip func(f scanner.Finding) (present, known bool)
	// Actor is recorded in the audit log.
	Actor string
}

// RuleClasses maps each rule's id to its normalised rotation class.
func RuleClasses(rules []*detectors.Rule) map[string]Class {
	m := make(map[string]Class, len(rules))
	for _, r := range rules {
		m[r.ID] = NormalizeClass(r.Class)
	}
	return m
}

// Ingest records scan's findings in s: each secret once, identified by its
// fingerprint under key; each location once (see the package doc). Only
// fingerprints and redacted previews reach the store. The whole ingest is
// one transaction.
func Ingest(ctx context.Context, s Store, key []byte, scan Scan, findings []scanner.Finding) (IngestSummary, error) {
	b, err := NewBatch(key, scan, findings)
	if err != nil {
		return IngestSummary{}, err
	}
	return s.Ingest(ctx, b)
}

type locKey struct{ fp, source, repo, path string }

// NewBatch reduces findings to a Batch: it fingerprints each secret under
// key and drops the plaintext. Findings with no secret value are skipped.
func NewBatch(key []byte, scan Scan, findings []scanner.Finding) (*Batch, error) {
	if len(key) < MinKeySize {
		return nil, ErrNoKey
	}
	if scan.Source == "" {
		return nil, fmt.Errorf("%w: scan has no source kind", ErrInvalid)
	}
	repo := CleanRepository(scan.Repository)
	if scan.Finished.IsZero() {
		scan.Finished = time.Now()
	}
	if scan.Started.IsZero() || scan.Started.After(scan.Finished) {
		scan.Started = scan.Finished
	}
	b := &Batch{
		KeyCheck: KeyCheck(key),
		Actor:    scan.Actor,
		Scan: ScanRecord{
			Source: scan.Source, Repository: repo, Branch: scan.Branch, HeadCommit: scan.HeadCommit,
			Started: scan.Started.UTC(), Finished: scan.Finished.UTC(), Complete: scan.Complete,
		},
	}
	secrets := map[string]int{} // fingerprint → index in b.Secrets
	locs := map[locKey]int{}
	verified := map[string]bool{} // one verification per secret and scan
	for _, f := range findings {
		if f.Secret == "" {
			continue
		}
		if f.Suppressed == "" {
			b.Scan.Findings++
		}
		fp := scanner.Fingerprint(key, f.Secret)
		class, ok := scan.Classes[f.RuleID]
		if !ok {
			class = ClassAPIKey
		}
		rec := SecretRecord{Fingerprint: fp, Preview: scanner.Redact(f.Secret), RuleID: f.RuleID, RuleName: f.RuleName, Severity: f.Severity, Class: NormalizeClass(string(class)), Expires: f.Expires.UTC()}
		if f.Expires.IsZero() {
			rec.Expires = time.Time{}
		}
		if i, ok := secrets[fp]; !ok {
			secrets[fp] = len(b.Secrets)
			b.Secrets = append(b.Secrets, rec)
		} else {
			if rec.Expires.IsZero() {
				// The same value states the same expiry wherever it is
				// found; keep the one some occurrence stated.
				rec.Expires = b.Secrets[i].Expires
			}
			if prefer(rec, b.Secrets[i]) {
				b.Secrets[i] = rec
			} else if b.Secrets[i].Expires.IsZero() {
				b.Secrets[i].Expires = rec.Expires
			}
		}

		if v := f.Verification; v != nil && !verified[fp] {
			verified[fp] = true
			at := v.CheckedAt
			if at.IsZero() {
				at = scan.Finished
			}
			b.Verifications = append(b.Verifications, VerificationRecord{Fingerprint: fp, Verification: Verification{
				Status: v.Status, CheckedAt: time.Unix(0, at.UnixNano()).UTC(), Identity: v.Identity, Reason: v.Reason, RuleID: f.RuleID}})
		}

		var tip *bool
		present, known := true, f.Commit == "" && f.Blob == ""
		if scan.AtTip != nil {
			present, known = scan.AtTip(f)
		}
		if known {
			tip = &present
		}
		path := f.File
		if path == "" {
			path = "-"
		}
		loc := LocationRecord{Fingerprint: fp, Source: scan.Source, Repository: repo, Path: path, Line: f.Line,
			Commit: f.Commit, Author: f.Author, Date: f.Date, Branch: scan.Branch, AtTip: tip, Suppressed: f.Suppressed}
		k := locKey{fp, scan.Source, repo, path}
		i, ok := locs[k]
		if !ok {
			locs[k] = len(b.Locations)
			b.Locations = append(b.Locations, loc)
			continue
		}
		b.Locations[i] = mergeLocation(b.Locations[i], loc)
	}
	sort.Slice(b.Secrets, func(i, j int) bool { return b.Secrets[i].Fingerprint < b.Secrets[j].Fingerprint })
	sort.Slice(b.Verifications, func(i, j int) bool { return b.Verifications[i].Fingerprint < b.Verifications[j].Fingerprint })
	sort.Slice(b.Locations, func(i, j int) bool {
		x, y := b.Locations[i], b.Locations[j]
		if x.Fingerprint != y.Fingerprint {
			return x.Fingerprint < y.Fingerprint
		}
		return x.Path < y.Path
	})
	return b, nil
}

// prefer reports whether a finding's rule should replace the one on file
// for the same secret: the more severe wins, a provider rule beats a
// generic one on ties only by arriving first (stable, and the engine
// already lets provider rules win).
func prefer(a, cur SecretRecord) bool { return a.Severity > cur.Severity }

// mergeLocation folds a second finding of the same secret in the same file
// into one location: the first line, the earliest commit, present if any
// occurrence is.
func mergeLocation(a, b LocationRecord) LocationRecord {
	if b.Line > 0 && (a.Line == 0 || b.Line < a.Line) {
		a.Line = b.Line
	}
	if !b.Date.IsZero() && (a.Date.IsZero() || b.Date.Before(a.Date)) {
		a.Commit, a.Author, a.Date = b.Commit, b.Author, b.Date
	} else if a.Commit == "" {
		a.Commit, a.Author = b.Commit, b.Author
	}
	if b.AtTip != nil && (a.AtTip == nil || *b.AtTip) {
		a.AtTip = b.AtTip
	}
	if b.Suppressed == "" {
		a.Suppressed = "" // silenced only if every occurrence is
	}
	return a
}

// CleanRepository strips credentials, query and fragment from a URL-shaped
// repository ("https://user:token@host/org/repo" → "https://host/org/repo"):
// the inventory must not hold a token that was part of a clone URL.
func CleanRepository(repo string) string {
	if !strings.Contains(repo, "://") {
		return repo
	}
	u, err := url.Parse(repo)
	if err != nil {
		// Unparseable: drop anything before an '@' in the authority.
		if i := strings.Index(repo, "://"); i >= 0 {
			rest := repo[i+3:]
			if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
				return repo[:i+3] + rest[at+1:]
			}
		}
		return repo
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
