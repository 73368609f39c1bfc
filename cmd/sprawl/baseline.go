package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/scanner"
)

// baselineIgnores are the scan flags that mean nothing to baseline
// create, with why: it rejects them rather than accept and ignore them.
var baselineIgnores = []struct{ name, why string }{
	{"format", "a baseline is always JSON"},
	{"show-secrets", "a baseline holds fingerprints, never secrets"},
	{"fail-on", "it records every finding, whatever its severity, and exits 0"},
	{"baseline", "it records every finding; a baseline is never filtered through itself"},
}

func newBaselineCmd() *cobra.Command {
	b := &cobra.Command{Use: "baseline", Short: "Record current findings as accepted"}
	create := &cobra.Command{
		Use:   "create [PATH]",
		Short: "Scan PATH (working tree, or history with --git) and write every finding as a baseline to standard output or --output",
		Long: `Scan PATH (default .) and write every finding as a JSON baseline to
standard output, or to the file --output names (mode 0600). Later scans
given --baseline FILE report only findings not in it. Entries are keyed on
the secret's fingerprint and the file, not the line, so moving a line keeps
it accepted and a different secret on the same line is still reported.

  sprawl baseline create . --output .sprawl-baseline.json

A baseline holds fingerprints, never secrets, and always every finding:
--format, --show-secrets, --fail-on and --baseline do not apply.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range baselineIgnores {
				if cmd.Flags().Changed(f.name) {
					return usageErr("baseline create: --%s does not apply: %s", f.name, f.why)
				}
			}
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			s.Baseline = "" // never filter the baseline through itself
			p, err := newScanRun(s)
			if err != nil {
				return err
			}
			p.Engine.AggregateAfter = -1 // a baseline lists every finding it accepts
			var src scanner.Source = &scanner.DirSource{Path: path, MaxFileSize: s.maxFileSize, Exclude: p.Engine.ExcludePath}
			if history, _ := cmd.Flags().GetBool("git"); history {
				g := &scanner.GitSource{Path: path, MaxFileSize: s.maxFileSize}
				if err := g.CheckRepo(cmd.Context()); err != nil {
					return failure(fmt.Errorf("baseline create %s: %w", path, err))
				}
				src = g
			}
			res, _, err := p.scan(cmd, src)
			if err != nil {
				return err
			}
			if res.Stats.Errors > 0 {
				return failure(fmt.Errorf("%d item(s) could not be read; not writing a baseline from an incomplete scan", res.Stats.Errors))
			}
			bl := scanner.NewBaseline(res.Findings, time.Now())
			if err := writeOutput(cmd.OutOrStdout(), s.Output, func(w io.Writer) error { return bl.Write(w) }); err != nil {
				return err
			}
			if !s.Quiet {
				where := s.Output
				if where == "" || where == "-" {
					where = "(standard output)"
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: baseline %s: %s accepted\n", where, plural.Count(len(bl.Entries), "finding"))
			}
			return nil
		},
	}
	addScanFlags(create)
	for _, f := range baselineIgnores {
		fl := create.Flags().Lookup(f.name)
		fl.Hidden = true
		_ = create.Flags().SetAnnotation(f.name, ownFlag, []string{"true"})
	}
	create.Flags().Lookup("output").Usage = "write the baseline to this file (mode 0600; default standard output)"
	create.Flags().Bool("git", false, "scan the full git history instead of the working tree")
	b.AddCommand(create, newBaselineImportCmd())
	return b
}
