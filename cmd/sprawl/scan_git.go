package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/startgc"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

func newScanGitCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "git [PATH|URL]",
		Short: "Scan a repository's full history: every blob of every ref, once",
		Long: `Scan every blob reachable from every ref (branches, tags, remote-tracking
refs, refs/pull/*, …), including files later deleted. Each blob is read and
scanned once; a finding is attributed to the commit and path that first
introduced it. A URL is cloned as a mirror into a temporary directory that is
removed afterwards.

CI gate: sprawl scan git . --since origin/main --baseline .sprawl-baseline.json --format sarif

--since takes a revision (scan what is not reachable from it, on HEAD or
--branch) or a date, YYYY-MM-DD (midnight UTC) or RFC 3339 (scan what the
commits made since then introduced, on every ref or --branch). A date that
is also the name of a revision is taken as the revision. A line on
standard error says which was used.

In a gate (--since or --range on a work tree), the policy files inside the
repository (.sprawl.yaml, the baseline, rule files) are read as of the base
revision, which the change under review cannot have edited. A range that
widens them (an allowlist entry, a baseline entry, an inline allow comment,
a disabled or changed rule) is reported as a finding of its own
(sprawl-config-change, severity high) that fails the gate whatever
--fail-on says. Once a reviewer has approved such a change, rerun with
--allow-config-changes to apply the policy as the working tree has it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			local := target
			if scanner.IsRemote(target) {
				local = ""
			}
			since, _ := cmd.Flags().GetString("since")
			rng, _ := cmd.Flags().GetString("range")
			branches, _ := cmd.Flags().GetStringSlice("branch")
			if since != "" && rng != "" {
				return usageErr("--since and --range exclude each other")
			}
			var err error
			acceptChanges, _ := cmd.Flags().GetBool("allow-config-changes")
			if acceptChanges && since == "" && rng == "" {
				return usageErr("--allow-config-changes applies only to a gate (--since or --range)")
			}
			var after time.Time
			gateBase := since
			if local != "" && since != "" {
				if after = sinceDate(cmd.Context(), local, since); !after.IsZero() && !acceptChanges {
					// The policy is read as of the last commit before the
					// date: what the commits under review could not edit.
					if gateBase, err = commitBefore(cmd.Context(), local, after, branches); err != nil {
						return err
					}
					if gateBase == "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: warning: --since %s: no commit predates it, so the whole history is under review and the policy files are read as the work tree has them, as in a full scan\n", since)
					}
				}
			}
			var gv *gate.View
			if local != "" && !acceptChanges {
				gv = gate.New(cmd.Context(), local, gateBase, rng, branches)
			}
			s, err := loadSettingsIn(cmd, local, gv)
			if err != nil {
				return err
			}
			p, err := newScanRun(s)
			if err != nil {
				return err
			}
			p.Gate = gv
			path := target
			if local == "" {
				// A URL may carry credentials (user:password, a token as
				// user name or query value): from here on it is shown,
				// reported and recorded only redacted.
				target = scanner.RedactURL(target)
				dir, cleanup, err := scanner.CloneMirror(cmd.Context(), "", path)
				if err != nil {
					return failure(err)
				}
				defer cleanup()
				path = dir
				if since != "" {
					after = sinceDate(cmd.Context(), path, since)
				}
			}
			src := &scanner.GitSource{Path: path, Refs: branches, Since: since, Range: rng, MaxFileSize: s.maxFileSize}
			if !after.IsZero() {
				src.Since, src.After = "", after
			}
			if since != "" && !s.Quiet {
				fmt.Fprintln(cmd.ErrOrStderr(), describeSince(since, after, branches))
			}
			src.AllowForeignStorage, _ = cmd.Flags().GetBool("allow-foreign-storage")
			if err := src.CheckRepo(cmd.Context()); err != nil {
				if errors.Is(err, scanner.ErrForeignStorage) {
					err = fmt.Errorf("%w; --allow-foreign-storage scans it if you trust where it leads", err)
				}
				return failure(fmt.Errorf("scan git %s: %w", target, err))
			}
			startgc.SoftMemoryLimit(historyMemoryLimit)
			if since == "" && rng == "" {
				startgc.HugeHeap(historyHugeHeap)
				// Restored after: a process that scans again (the tests)
				// starts from the same count.
				defer startgc.LeaveACore()()
			}
			return p.scanAndReport(cmd, &namedSource{src, target})
		},
	}
	addScanFlags(c)
	c.Flags().String("since", "", "scan only commits not reachable from this revision (e.g. origin/main), or, given a date (2024-01-31 or RFC 3339), only commits made since then on every scanned ref")
	c.Flags().String("range", "", "scan only the commits of this range (A..B)")
	c.Flags().StringSlice("branch", nil, "scan only these refs (repeatable; default every ref)")
	c.Flags().Bool("allow-foreign-storage", false, "scan a repository whose .git, commondir or objects/info/alternates lead into another repository that does not name it back (a clone made with --shared or --reference, git init --separate-git-dir); by default refused, since a scanned tree's .git could have sprawl read and report another repository on the machine")
	c.Flags().Bool("allow-config-changes", false, "in a gate, apply the policy files (config, baseline, rule files, inline allow comments) as the range changed them instead of failing on the change; for a change a reviewer approved")
	return c
}

func newScanStagedCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "staged [PATH]",
		Short: "Scan the staged changes (what git commit is about to record), for pre-commit hooks",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			// The source checks the repository itself; a second
			// rev-parse here would cost a pre-commit hook a process.
			// Its git children start now, beside the configuration
			// and rules.
			src := &scanner.StagedSource{GitSource: scanner.GitSource{Path: path}}
			src.Start(cmd.Context())
			defer src.Stop()
			// A small heap in huge pages: a hook's first megabytes
			// otherwise cost a page fault each 4 KiB (2,940 faults
			// against 2,160; 76 ms against 67).
			startgc.HugeHeap(stagedHugeHeap)
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			p, err := newScanRun(s)
			if err != nil {
				return err
			}
			src.MaxFileSize = s.maxFileSize
			// With the rules, only the regions of each file around its
			// added lines are matched.
			src.Rules = p.Engine.Matcher.Rules()
			err = p.scanAndReport(cmd, src)
			if errors.Is(err, errFindings) && !s.Quiet {
				fmt.Fprintln(cmd.ErrOrStderr(), "sprawl: commit blocked: remove the secret (or mark a false positive with a `sprawl:allow` comment) and stage again")
			}
			return err
		},
	}
	addScanFlags(c)
	return c
}

// namedSource reports a remote URL as the root instead of the temporary
// clone's path, and passes everything else through.
type namedSource struct {
	*scanner.GitSource
	name string
}

func (n *namedSource) Root() string { return n.name }

// sinceDate reads --since as a date: YYYY-MM-DD (midnight UTC) or RFC
// 3339. It returns the zero time for anything else, and for a value the
// repository at dir knows as a revision (a tag named 2024-01-01 is a
// revision).
func sinceDate(ctx context.Context, dir, since string) time.Time {
	t, err := time.Parse(time.DateOnly, since)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, since); err != nil {
			return time.Time{}
		}
	}
	cmd := scanner.GitCommand(ctx, "", dir, "rev-parse", "--verify", "--quiet", "--end-of-options", since+"^{commit}")
	if cmd.Run() == nil {
		return time.Time{}
	}
	return t
}

// commitBefore is the last commit on HEAD (or the first of refs) made
// before t: the base a date gate reads its policy at; "" when there is
// none, and the whole history is under review, as in a full scan.
func commitBefore(ctx context.Context, dir string, t time.Time, refs []string) (string, error) {
	head := "HEAD"
	if len(refs) > 0 {
		head = refs[0]
	}
	out, err := scanner.GitCommand(ctx, "", dir, "rev-list", "-1", "--before="+t.UTC().Format(time.RFC3339), "--end-of-options", head).Output()
	if err != nil {
		return "", failure(fmt.Errorf("scan git %s: --since %s: cannot read the history of %s: %w", dir, t.Format(time.RFC3339), head, err))
	}
	return strings.TrimSpace(string(out)), nil
}

// describeSince is the stderr line saying how --since was read.
func describeSince(since string, after time.Time, refs []string) string {
	where := "every ref"
	if len(refs) > 0 {
		where = strings.Join(refs, ", ")
	}
	if !after.IsZero() {
		return fmt.Sprintf("sprawl: --since %s is a date: scanning commits made since %s on %s", since, after.UTC().Format(time.RFC3339), where)
	}
	if len(refs) == 0 {
		where = "HEAD"
	}
	return fmt.Sprintf("sprawl: --since %s is a revision: scanning commits on %s not reachable from it", since, where)
}

// historyMemoryLimit is the soft limit of a full-history scan. A long
// history's scan holds the attribution of every blob (which commits
// introduced it where) while git's children stream the packs beside it;
// with the collector's default pacing the heap doubles its live data,
// and on a 100,000-commit history the process tree then peaks near
// 300 MB. With this limit it stays well under that (260 MB against 288
// MB quiet, 319 MB under load) for about 9% more time spent collecting
// (194 s against 178 s). GOMEMLIMIT overrides it.
const historyMemoryLimit = 150 << 20

// historyHugeHeap is how much of a full-history or directory scan's heap
// asks for huge pages (startgc.HugeHeap): about what the scan of a
// history of a few thousand commits, or of Go's source tree, holds at its
// peak.
const historyHugeHeap = 64 << 20

// stagedHugeHeap is how much of a staged scan's heap asks for huge
// pages: what a pre-commit hook's scan of a few files holds.
const stagedHugeHeap = 16 << 20
