package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/reports"
	"gopkg.in/yaml.v3"

	"github.com/sprawlsec/sprawl/detectors"
)

func newRulesCmd() *cobra.Command {
	rules := &cobra.Command{Use: "rules", Short: "List and check detection rules"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules a scan would use (built-in plus configured)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd, "")
			if err != nil {
				return err
			}
			rs, err := loadRules(s)
			if err != nil {
				return err
			}
			format, _ := cmd.Flags().GetString("format")
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if rs == nil {
					rs = []*detectors.Rule{}
				}
				return failure(enc.Encode(rs))
			case "table":
				rows := make([][]string, 0, len(rs))
				for _, r := range rs {
					rows = append(rows, []string{r.ID, r.Provider, r.Severity.String(), r.Name})
				}
				// The id is what other commands take: it gives way last.
				dropped, err := reports.TableFit(out, tableWidth(out), []string{"ID", "PROVIDER", "SEVERITY", "NAME"}, rows,
					[]reports.Fit{{Cut: reports.CutEnd, Min: 44}, {Cut: reports.CutEnd, Min: 30, Drop: 1}, {Cut: reports.CutNone}, {Cut: reports.CutEnd, Min: 12}})
				if err != nil {
					return failure(err)
				}
				_, err = fmt.Fprintf(out, "%d rules%s\n", len(rs), reports.HiddenNote(dropped))
				return failure(err)
			default:
				return usageErr("invalid format %q for rules list (want table or json)", format)
			}
		},
	}
	list.Flags().StringP("format", "f", "table", "table or json")
	list.Flags().StringP("config", "c", "", "config file naming extra rule files")

	check := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Validate rule files and run each rule's examples through the matcher",
		Long: `Validate rule files (a file or a directory of *.yaml) and run every rule's
examples and negative examples through the whole matcher, as a scan would.
With no PATH, checks the built-in catalogue. Exit 1 if any check fails.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var rs []*detectors.Rule
			if len(args) == 0 {
				b, err := detectors.BuiltinWithExamples()
				if err != nil {
					return failure(err)
				}
				rs = b
			}
			for _, p := range args {
				more, err := detectors.LoadPath(p)
				if err != nil {
					return usageErr("%v", err)
				}
				rs = append(rs, more...)
			}
			// An imported rule arrives without examples: that is a
			// warning, every other problem a failure.
			probs, warns := detectors.SplitImportedProblems(rs, detectors.Check(rs))
			// Problems quote the rule files (a repository's imported
			// .gitleaks.toml among them).
			out := cmd.OutOrStdout()
			for _, p := range warns {
				fmt.Fprintf(out, "WARN %s\n", reports.Printable(p.String()))
			}
			for _, p := range probs {
				fmt.Fprintf(out, "FAIL %s\n", reports.Printable(p.String()))
			}
			examples := 0
			for _, r := range rs {
				examples += len(r.Examples) + len(r.NegativeExamples)
			}
			warned := ""
			if len(warns) > 0 {
				warned = fmt.Sprintf(" (%s on imported rules: add examples to test them)", plural.Count(len(warns), "warning"))
			}
			if len(probs) > 0 {
				fmt.Fprintf(out, "%d rules, %d examples: %d problems%s\n", len(rs), examples, len(probs), warned)
				return &exitError{exitFindings, fmt.Errorf("rule check failed: %s", plural.Count(len(probs), "problem"))}
			}
			_, err := fmt.Fprintf(out, "%d rules, %d examples: ok%s\n", len(rs), examples, warned)
			return failure(err)
		},
	}
	imp := newRulesImportCmd()
	rules.AddCommand(list, check, imp)
	return rules
}

func newRulesImportCmd() *cobra.Command {
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Convert a gitleaks / Betterleaks TOML config into a sprawl rule file",
		Long: `Convert a gitleaks or Betterleaks TOML config into a sprawl rule file
(YAML), printed or written with --output. Each rule keeps its regex (its
secretGroup becomes the named "secret" group) and gets the id gitleaks-<id>,
so it never takes the place of a built-in rule. Rules without keywords get the
longest literal of their regex.

Each rule carries its allowlists (commits, paths, regexes with their
regexTarget, stopwords, and/or condition), its path condition, and the
config's global allowlists, applied with gitleaks's meaning during scans.
[extend] useDefault means sprawl's built-in rules run alongside. With
--settings FILE, the global allowlist paths, regexes and stopwords are also
written as a .sprawl.yaml, so built-in rules honour them too.

A summary on standard error lists what was carried and everything that was
not, with the reason. Imported rules have no examples: 'sprawl rules check
FILE' warns about that rather than failing. Load the file with 'rules:' in
.sprawl.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr("rules import: %v", err)
			}
			res, err := detectors.ImportGitleaks(data, filepath.Base(args[0]))
			stderr := cmd.ErrOrStderr()
			// What was and was not carried quotes the config, which
			// may be a scanned repository's .gitleaks.toml.
			if res != nil {
				for _, n := range res.NotCarried {
					fmt.Fprintf(stderr, "sprawl: not carried: %s\n", reports.Printable(n))
				}
			}
			if err != nil {
				return usageErr("%v", err)
			}
			out, _ := cmd.Flags().GetString("output")
			settingsPath, _ := cmd.Flags().GetString("settings")
			if settingsPath != "" {
				if out == "" || out == "-" {
					return usageErr("rules import: --settings needs --output FILE: the settings load the rule file from there")
				}
				if _, err := os.Stat(settingsPath); err == nil {
					return usageErr("rules import: %s exists; not overwriting it (merge the settings by hand)", settingsPath)
				}
			}
			if err := writeOutput(cmd.OutOrStdout(), out, func(w io.Writer) error {
				enc := yaml.NewEncoder(w)
				enc.SetIndent(2)
				if err := enc.Encode(res.File); err != nil {
					return err
				}
				return enc.Close()
			}); err != nil {
				return err
			}
			for _, c := range res.Carried {
				fmt.Fprintf(stderr, "sprawl: carried: %s\n", reports.Printable(c))
			}
			if settingsPath != "" {
				if err := writeOutput(cmd.OutOrStdout(), settingsPath, func(w io.Writer) error {
					return res.WriteSettings(w, args[0], out)
				}); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "sprawl: wrote settings to %s\n", settingsPath)
			} else if len(res.AllowPaths)+len(res.Allowlist.Regexes)+len(res.Allowlist.Stopwords) > 0 {
				fmt.Fprintf(stderr, "sprawl: the global allowlist applies to the imported rules; add --settings .sprawl.yaml to apply it to the built-in rules too\n")
			}
			fmt.Fprintf(stderr, "sprawl: imported %s from %s; %d things not carried (listed above)\n", plural.Count(len(res.File.Rules), "rule"), args[0], len(res.NotCarried))
			return nil
		},
	}
	imp.Flags().StringP("output", "o", "", "write the rule file here (default standard output)")
	imp.Flags().String("settings", "", "also write a .sprawl.yaml loading the rule file, with the global allowlist (refuses to overwrite)")
	return imp
}
