package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
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
				_, err = fmt.Fprintf(out, "%d rules%s\n", len(rs), hiddenNote(dropped))
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
			probs := detectors.Check(rs)
			out := cmd.OutOrStdout()
			for _, p := range probs {
				fmt.Fprintf(out, "FAIL %s\n", p)
			}
			examples := 0
			for _, r := range rs {
				examples += len(r.Examples) + len(r.NegativeExamples)
			}
			if len(probs) > 0 {
				fmt.Fprintf(out, "%d rules, %d examples: %d problems\n", len(rs), examples, len(probs))
				return &exitError{exitFindings, fmt.Errorf("rule check failed: %s", plural(len(probs), "problem"))}
			}
			_, err := fmt.Fprintf(out, "%d rules, %d examples: ok\n", len(rs), examples)
			return failure(err)
		},
	}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Convert a gitleaks / Betterleaks TOML rule file into a sprawl rule file",
		Long: `Convert the [[rules]] of a gitleaks or Betterleaks TOML config into a
sprawl rule file (YAML), printed or written with --output. Each regex keeps its
meaning; its secretGroup becomes the named "secret" group, allowlist regexes
and stopwords become "allow" entries, and rules without keywords get the
longest literal of their regex. Rules sprawl cannot express (path-only rules)
are skipped with a note on stderr. Add examples, then check with
'sprawl rules check FILE' and load with 'rules:' in .sprawl.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr("rules import: %v", err)
			}
			f, notes, err := detectors.ImportGitleaks(data, filepath.Base(args[0]))
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: %s\n", n)
			}
			if err != nil {
				return usageErr("%v", err)
			}
			override, _ := cmd.Flags().GetBool("override")
			if err := markOverrides(f, override); err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("output")
			if err := writeOutput(cmd.OutOrStdout(), out, func(w io.Writer) error {
				enc := yaml.NewEncoder(w)
				enc.SetIndent(2)
				if err := enc.Encode(f); err != nil {
					return err
				}
				return enc.Close()
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: imported %s from %s\n", plural(len(f.Rules), "rule"), args[0])
			return nil
		},
	}
	imp.Flags().StringP("output", "o", "", "write the rule file here (default standard output)")
	imp.Flags().Bool("override", false, "let imported rules whose id is a built-in rule's replace it (written as override: true)")
	rules.AddCommand(list, check, imp)
	return rules
}

// markOverrides refuses imported rules that reuse a built-in rule's id,
// naming them, unless override is set; then it marks them override: true
// so loading the file replaces the built-in rules on purpose.
func markOverrides(f *detectors.RuleFile, override bool) error {
	builtin, err := detectors.Builtin()
	if err != nil {
		return failure(err)
	}
	ids := map[string]bool{}
	for _, r := range builtin {
		ids[r.ID] = true
	}
	var taken []string
	for _, r := range f.Rules {
		if ids[r.ID] {
			taken = append(taken, r.ID)
			r.Override = override
		}
	}
	if len(taken) > 0 && !override {
		return usageErr("rules import: built-in rules already use the id %s; rename the imported rule, or pass --override to replace the built-in one", `"`+strings.Join(taken, `", "`)+`"`)
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(word, "s"))
}
