package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

func newBaselineImportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "import REPORT",
		Short: "Convert a gitleaks or TruffleHog JSON report into a sprawl baseline",
		Long: `Convert a gitleaks JSON report (gitleaks --report-format json) or a
TruffleHog JSON / JSON-lines report (trufflehog --json) into a sprawl baseline
(standard output, or --output FILE). Each entry is keyed on the fingerprint of
the reported secret and the file, as sprawl's own baselines are; paths are made
relative to --root (the directory the other tool scanned).

A finding whose secret the report redacted (gitleaks --redact) cannot be
fingerprinted: each one is named on standard error. Set the same fingerprint
key (SPRAWL_FINGERPRINT_KEY) as the scans that will read the baseline.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd, "")
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr("baseline import: %v", err)
			}
			root, _ := cmd.Flags().GetString("root")
			bl, sum, err := scanner.ImportBaseline(data, []byte(s.FPKey), root, time.Now())
			if err != nil {
				return usageErr("baseline import %s: %v", args[0], err)
			}
			stderr := cmd.ErrOrStderr()
			for _, sk := range sum.Skipped {
				// The report names the scanned repository's files.
				fmt.Fprintf(stderr, "sprawl: not carried: %s\n", reports.Printable(sk))
			}
			// Only the flag: an output setting in .sprawl.yaml names
			// where reports go, not baselines.
			out, _ := cmd.Flags().GetString("output")
			if err := writeOutput(cmd.OutOrStdout(), out, func(w io.Writer) error { return bl.Write(w) }); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "sprawl: %s report %s: %s read, %s, %d not carried\n", sum.Format, args[0], plural.Count(sum.Read, "finding"), plural.Count(len(bl.Entries), "baseline entry"), len(sum.Skipped))
			return nil
		},
	}
	c.Flags().StringP("output", "o", "", "write the baseline here (default standard output)")
	c.Flags().String("root", "", "directory the report's tool scanned; paths are made relative to it")
	c.Flags().StringP("config", "c", "", "config file (for the fingerprint key)")
	return c
}
