package inventory

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// RecordOptions refine what Record knows about a scan.
type RecordOptions struct {
	// Partial marks a scan that covered part of its repository only
	// (--since, --range, --branch, an incremental org scan): the
	// locations it did not find are not marked gone.
	Partial bool
	// RepoPath is the local repository to read the branch, tip and tip
	// contents from when the scan's root is a URL (a mirror or a clone).
	RepoPath string
	// Rules are the rules the scan ran (their classes set rotation
	// policy); the built-in catalogue when nil.
	Rules []*detectors.Rule
	// Actor is who the audit log records.
	Actor string
	// AtTip, from a source that knows (scanner.TipReporter: an image),
	// says whether each finding is present at the tip; the root is then
	// a name (image:REF), recorded as it is, not a path.
	AtTip func(scanner.Finding) (present, known bool)
}

// GitRecordOptions derives the options of a git history scan: one
// narrowed by Since, Range, After or Refs is partial, and its tip is read
// from its Path.
func GitRecordOptions(g *scanner.GitSource) RecordOptions {
	if g == nil {
		return RecordOptions{}
	}
	return RecordOptions{RepoPath: g.Path, Partial: g.Since != "" || g.Range != "" || !g.After.IsZero() || len(g.Refs) > 0}
}

// SourceRecordOptions derives the options of a scan of src whose git
// history source, if any, is git (a caller whose source wraps a
// GitSource unwraps it): GitRecordOptions(git), partial as well when src
// says it covered part of its store (a Partial() bool method: some
// namespaces, or parts skipped), and AtTip from a scanner.TipReporter.
// Rules and Actor are the caller's.
func SourceRecordOptions(src scanner.Source, git *scanner.GitSource) RecordOptions {
	o := GitRecordOptions(git)
	if ps, ok := src.(interface{ Partial() bool }); ok && ps.Partial() {
		// What a store scan that covered part of its store did not see
		// is not gone.
		o.Partial = true
	}
	if t, ok := src.(scanner.TipReporter); ok {
		o.AtTip = t.AtTip
	}
	return o
}

// Recorded is what Record did: the store's summary and whether the scan
// counted as complete (so its Gone count means something).
type Recorded struct {
	IngestSummary
	Complete   bool
	Repository string // as recorded
}

// BuildScan builds the scan record of a finished scan of kind (a source's
// Kind()) at root (its Root()) with result res. The scan is complete
// (locations it did not find are gone) unless it is a staged scan, had
// unreadable items, or o.Partial. For a git scan it reads the repository's
// head and, for each finding, whether its secret is still in its file at
// that head (TipChecker).
func BuildScan(ctx context.Context, kind, root string, res scanner.Result, o RecordOptions) (Scan, error) {
	rules := o.Rules
	if rules == nil {
		var err error
		if rules, err = detectors.Builtin(); err != nil {
			return Scan{}, err
		}
	}
	now := time.Now()
	scan := Scan{
		Source:   kind,
		Started:  now.Add(-res.Stats.Duration),
		Finished: now,
		Complete: kind != "staged" && !o.Partial && res.Stats.Errors == 0,
		Classes:  RuleClasses(rules),
		Actor:    o.Actor,
	}
	repoDir := o.RepoPath
	switch {
	case root == "":
		scan.Repository = kind
	case o.AtTip != nil:
		scan.Repository, scan.AtTip = root, o.AtTip
	case scanner.IsRemote(root):
		scan.Repository = root
	default:
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
		scan.Repository = root
		if repoDir == "" {
			repoDir = root
		}
	}
	if repoDir != "" {
		scan.Branch, scan.HeadCommit = GitHead(ctx, repoDir)
	}
	switch kind {
	case "dir", "stdin", "staged":
		// The working tree, the pasted text and the index are the tip.
		scan.AtTip = func(scanner.Finding) (bool, bool) { return true, true }
	case "git":
		if repoDir != "" && scan.HeadCommit != "" {
			scan.AtTip = TipChecker(ctx, repoDir, scan.HeadCommit, res.Findings)
		}
	}
	return scan, nil
}

// Record records a finished scan's findings (and the verifications they
// carry) in s under key, in one transaction (Ingest); see BuildScan for
// what the scan record holds. Every scan command and every repository of
// an organisation scan is recorded through it.
func Record(ctx context.Context, s Store, key []byte, kind, root string, res scanner.Result, o RecordOptions) (Recorded, error) {
	scan, err := BuildScan(ctx, kind, root, res, o)
	if err != nil {
		return Recorded{}, err
	}
	sum, err := Ingest(ctx, s, key, scan, res.Findings)
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{IngestSummary: sum, Complete: scan.Complete, Repository: scan.Repository}, nil
}

// GitHead returns the branch and commit a repository's HEAD is at, or
// empty strings when dir is not a repository. A detached HEAD has no
// branch.
func GitHead(ctx context.Context, dir string) (branch, commit string) {
	out, err := scanner.GitCommand(ctx, "", dir, "rev-parse", "HEAD", "--abbrev-ref", "HEAD").Output()
	if err != nil {
		return "", ""
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return "", ""
	}
	if f[1] != "HEAD" { // detached
		branch = f[1]
	}
	return branch, f[0]
}

// TipChecker reports whether each finding's secret is still in the file at
// commit (the HEAD the scan saw): each file is streamed and searched once
// by the scanner's tip reader (scanner.SecretsAt), so a secret that
// survived edits of its file counts as present even though its first blob
// is gone, and a file of any size costs a bounded window of memory. It
// returns nil when the check failed (the tip is then unknown).
func TipChecker(ctx context.Context, dir, commit string, fs []scanner.Finding) func(scanner.Finding) (present, known bool) {
	byPath := map[string][]string{}
	for _, f := range fs {
		if f.File != "" && f.Secret != "" {
			byPath[f.File] = append(byPath[f.File], f.Secret)
		}
	}
	found, checked, err := scanner.SecretsAt(ctx, "", dir, commit, byPath)
	if err != nil {
		return nil
	}
	return func(f scanner.Finding) (bool, bool) {
		if !checked[f.File] {
			return false, false
		}
		return found[f.File][f.Secret], true
	}
}

// Suppress drops findings whose secrets s holds as false-positive or
// accepted-risk, so they no longer fail a CI gate; it returns the findings
// kept and how many were dropped.
//
// A status only counts when the audit chain vouches for it: when anything
// would be dropped, the chain and the tables are verified first
// (TrustedSuppressed), and an inventory that fails the check returns an
// error wrapping ErrTampered naming the row, rather than passing the gate
// on a status someone set with SQL. The check costs one walk of the chain,
// and only runs when the inventory is about to turn a failing gate into a
// passing one; recomputing the status from the chain instead would cost
// the same walk and hide the tampering from whoever runs the gate.
func Suppress(ctx context.Context, s Store, key []byte, fs []scanner.Finding) ([]scanner.Finding, int, error) {
	if len(fs) == 0 {
		return fs, 0, nil
	}
	fps := make([]string, len(fs))
	for i, f := range fs {
		fps[i] = scanner.Fingerprint(key, f.Secret)
	}
	sup, err := TrustedSuppressed(ctx, s, fps)
	if err != nil {
		return nil, 0, err
	}
	kept := fs[:0:0]
	for i, f := range fs {
		if !sup[fps[i]] {
			kept = append(kept, f)
		}
	}
	return kept, len(fs) - len(kept), nil
}
