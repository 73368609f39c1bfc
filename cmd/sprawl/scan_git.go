package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/scanner"
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
			acceptChanges, _ := cmd.Flags().GetBool("allow-config-changes")
			if acceptChanges && since == "" && rng == "" {
				return usageErr("--allow-config-changes applies only to a gate (--since or --range)")
			}
			var gate *gateView
			if local != "" && !acceptChanges {
				gate = newGateView(cmd.Context(), local, since, rng, branches)
			}
			s, err := loadSettingsIn(cmd, local, gate)
			if err != nil {
				return err
			}
			p, err := newPipeline(s)
			if err != nil {
				return err
			}
			p.gate = gate
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
			}
			src := &scanner.GitSource{Path: path, Refs: branches, Since: since, Range: rng, MaxFileSize: s.maxFileSize}
			if err := src.CheckRepo(cmd.Context()); err != nil {
				return failure(fmt.Errorf("scan git %s: %w", target, err))
			}
			return p.scanAndReport(cmd, &namedSource{src, target})
		},
	}
	addScanFlags(c)
	c.Flags().String("since", "", "scan only commits not reachable from this revision (e.g. origin/main)")
	c.Flags().String("range", "", "scan only the commits of this range (A..B)")
	c.Flags().StringSlice("branch", nil, "scan only these refs (repeatable; default every ref)")
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
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			p, err := newPipeline(s)
			if err != nil {
				return err
			}
			// The source checks the repository itself; a second
			// rev-parse here would cost a pre-commit hook a process.
			src := &scanner.StagedSource{GitSource: scanner.GitSource{Path: path, MaxFileSize: s.maxFileSize}}
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
