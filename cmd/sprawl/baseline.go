package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/scanner"
)

func newBaselineCmd() *cobra.Command {
	b := &cobra.Command{Use: "baseline", Short: "Record current findings as accepted"}
	create := &cobra.Command{
		Use:   "create [PATH]",
		Short: "Scan PATH (working tree, or history with --git) and write every finding to a baseline file",
		Long: `Scan PATH (default .) and write every finding to a baseline file. Later
scans given --baseline FILE report only findings not in it. Entries are keyed
on the secret's fingerprint and the file, not the line, so moving a line
keeps it accepted and a different secret on the same line is still reported.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			s.Baseline = "" // never filter the baseline through itself
			p, err := newPipeline(s)
			if err != nil {
				return err
			}
			p.engine.AggregateAfter = -1 // a baseline lists every finding it accepts
			var src scanner.Source = &scanner.DirSource{Path: path, MaxFileSize: s.maxFileSize, Exclude: p.engine.ExcludePath}
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
			out := s.Output
			if out == "" {
				out = ".sprawl-baseline.json"
			}
			if err := writeOutput(cmd.OutOrStdout(), out, func(w io.Writer) error { return bl.Write(w) }); err != nil {
				return err
			}
			if !s.Quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: baseline %s: %d findings accepted\n", out, len(bl.Entries))
			}
			return nil
		},
	}
	addScanFlags(create)
	create.Flags().Bool("git", false, "scan the full git history instead of the working tree")
	b.AddCommand(create, newBaselineImportCmd())
	return b
}
