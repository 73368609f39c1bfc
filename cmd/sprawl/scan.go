package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

func newScanCmd() *cobra.Command {
	scan := &cobra.Command{
		Use:   "scan",
		Short: "Scan a source for secrets",
		Long: `Scan a source for secrets and report what is found.

Exit codes: 0 nothing new found, 1 new findings at or above --fail-on,
2 usage or configuration error, 3 runtime failure.`,
	}
	scan.AddCommand(newScanDirCmd(), newScanGitCmd(), newScanStagedCmd(), newScanStdinCmd())
	scan.AddCommand(newScanGitHubCmd())
	scan.AddCommand(newScanGitLabCmd())
	scan.AddCommand(newScanAzureDevOpsCmd(), newScanBitbucketCmd())
	scan.AddCommand(newScanJenkinsCmd(), newScanKubernetesCmd())
	scan.AddCommand(newScanImageCmd())
	addVerifyFlags(scan)
	return scan
}

// addScanFlags declares the options every scan shares. Each may also come
// from SPRAWL_<NAME> or the config file.
func addScanFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringP("format", "f", "table", "output format: "+strings.Join(reports.Formats(), ", "))
	f.StringP("output", "o", "", "write the report to this file (default standard output)")
	f.Bool("show-secrets", false, "print secrets in full instead of redacted")
	f.String("baseline", "", "JSON baseline of accepted findings (see 'sprawl baseline create')")
	f.String("max-file-size", "0", "skip files larger than this, e.g. 500MB (0: no limit; large files are streamed, so memory stays bounded)")
	f.Int("workers", 0, "matching goroutines (0: one per core)")
	f.String("fail-on", "info", "lowest severity that makes the exit code 1: info, low, medium, high, critical")
	f.StringP("config", "c", "", "config file (default: .sprawl.yaml in the scanned directory or the working directory, which may set policy only: allowlists, rules and baseline inside its tree)")
	f.BoolP("verbose", "v", false, "list skipped and unreadable items, and suppressed candidates with their reason")
	f.BoolP("quiet", "q", false, "print no summary")
	f.Bool("include-suppressed", false, "also report, marked with the reason, candidates that were suppressed: failed checksum, known example, placeholder, allowlist, inline allow, baseline, inventory status (table, json, jsonl and csv; never changes the exit code)")
	f.String("inventory", "", "record findings in the inventory at this DSN: a SQLite path, postgres://…, or 'default' ($SPRAWL_INVENTORY, else ~/.local/share/sprawl/inventory.db); secrets marked false-positive or accepted-risk there stop failing the scan")
}

func newScanDirCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dir [PATH]",
		Short: "Scan a directory tree or a file",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			fi, err := os.Stat(path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return failure(fmt.Errorf("scan dir %s: no such file or directory", reports.Printable(path)))
				}
				return failure(fmt.Errorf("scan dir: %s", reports.Printable(err.Error())))
			}
			if !fi.IsDir() && !fi.Mode().IsRegular() {
				// Opening a FIFO waits for a writer; a device may never end.
				return usageErr("scan dir %s: not a directory or regular file (%s); pipe a stream to 'sprawl scan stdin' instead",
					reports.Printable(path), fileKind(fi.Mode()))
			}
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			p, err := newPipeline(s)
			if err != nil {
				return err
			}
			src := &scanner.DirSource{Path: path, MaxFileSize: s.maxFileSize, Exclude: p.engine.ExcludePath}
			return p.scanAndReport(cmd, src)
		},
	}
	addScanFlags(c)
	return c
}

func newScanStdinCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "stdin",
		Short: "Scan standard input as one file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd, "")
			if err != nil {
				return err
			}
			p, err := newPipeline(s)
			if err != nil {
				return err
			}
			name, _ := cmd.Flags().GetString("name")
			src := &scanner.ReaderSource{R: cmd.InOrStdin(), Name: name}
			return p.scanAndReport(cmd, src)
		},
	}
	addScanFlags(c)
	c.Flags().String("name", "stdin", "file name to give findings")
	return c
}

// pipeline is a configured matcher and engine plus the settings that
// shape output.
type pipeline struct {
	s        *settings
	rules    []*detectors.Rule
	engine   *scanner.Engine
	baseline *scanner.Baseline
	// gate, when set, makes the scan report the ways its range widens
	// the policy (see policyFindings).
	gate *gate.View
	// suppressed are the candidates the last scan suppressed, with the
	// reason, kept with --include-suppressed or --verbose.
	suppressed []scanner.Finding
}

func newPipeline(s *settings) (*pipeline, error) {
	rules, err := loadRules(s)
	if err != nil {
		return nil, err
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{
		Regexes: s.Allowlist.Regexes, Stopwords: s.Allowlist.Stopwords, Values: s.Allowlist.Values,
	})
	if err != nil {
		return nil, usageErr("config %s: %v", s.configPath, err)
	}
	exclude, err := scanner.PathMatcher(s.Allowlist.Paths)
	if err != nil {
		return nil, usageErr("config %s: %v", s.configPath, err)
	}
	p := &pipeline{s: s, rules: rules, engine: &scanner.Engine{
		Matcher: m, Workers: s.Workers, ExcludePath: exclude, FingerprintKey: []byte(s.FPKey),
	}}
	if s.Baseline != "" {
		if p.baseline, err = s.readBaseline(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// loadRules returns the built-in catalogue with the user's rule files
// merged in and disabled rules removed. Every user rule is validated; a
// rule that replaces a built-in one must say override: true, and each
// replacement is kept in s.overrides for the summary.
func loadRules(s *settings) ([]*detectors.Rule, error) {
	rules, err := detectors.Builtin()
	if err != nil {
		return nil, failure(fmt.Errorf("built-in rules: %w", err))
	}
	for _, path := range s.Rules {
		if s.origin == originUser && s.configPath != "" && !filepath.IsAbs(path) {
			if _, err := os.Stat(path); err != nil {
				path = filepath.Join(filepath.Dir(s.configPath), path)
			}
		}
		extra, err := s.loadRuleFiles(path)
		if err != nil {
			return nil, err
		}
		merged, replaced, err := detectors.Merge(rules, extra)
		if err != nil {
			return nil, usageErr("rule file %s: %v", s.files.Name(path), err)
		}
		rules = merged
		for _, id := range replaced {
			s.overrides = append(s.overrides, ruleOverride{id: id, file: s.files.Name(path)})
		}
	}
	if rules, err = detectors.Disable(rules, s.DisableRules); err != nil {
		return nil, usageErr("config %s: %v", s.configPath, err)
	}
	return rules, nil
}

// ruleOverride records a custom rule that replaced a built-in one.
type ruleOverride struct{ id, file string }

// loadRuleFiles reads and validates the rule files path names. Rule files
// a repository's config names must stay inside its tree, symbolic links
// resolved; one that does not is skipped with a warning.
func (s *settings) loadRuleFiles(path string) ([]*detectors.Rule, error) {
	files, err := s.files.RuleFiles(path)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	var all []*detectors.Rule
	for _, f := range files {
		if s.rulesFromRepo && !s.files.Inside(s.repoTree, f) {
			s.warn("%s: ignoring rule file %s: it leads outside the directory of the config file found in the scanned content", s.files.Name(s.configPath), f)
			continue
		}
		data, err := s.files.Read(f)
		if err != nil {
			return nil, usageErr("%v: %v", detectors.ErrRuleFile, err)
		}
		rs, err := detectors.ParseRules(data, s.files.Name(f))
		if err != nil {
			return nil, usageErr("%v", err)
		}
		for _, r := range rs {
			if err := r.Validate(); err != nil {
				return nil, usageErr("rule file %s: %v", s.files.Name(f), err)
			}
		}
		all = append(all, rs...)
	}
	return all, nil
}

// readBaseline reads the baseline the settings name: a repository's own
// only inside its tree, and in a gate as of the base revision.
func (s *settings) readBaseline() (*scanner.Baseline, error) {
	if s.baselineFromRepo && !s.files.Inside(s.repoTree, s.Baseline) {
		s.warn("%s: ignoring baseline %s: it leads outside the directory of the config file found in the scanned content", s.files.Name(s.configPath), s.Baseline)
		return nil, nil
	}
	if s.files.MissingAtBase(s.Baseline) {
		s.warn("baseline %s does not exist as of %s; the range adds it, so its entries are changes under review", s.Baseline, s.files.Gate.BaseName)
		return nil, nil
	}
	data, err := s.files.Read(s.Baseline)
	if err != nil {
		return nil, usageErr("%v: %v", scanner.ErrBaseline, err)
	}
	b, err := scanner.ParseBaseline(data, s.files.Name(s.Baseline))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return b, nil
}

// scan runs the engine and applies the baseline.
func (p *pipeline) scan(cmd *cobra.Command, src scanner.Source) (scanner.Result, int, error) {
	unit := "files"
	if src.Kind() == "git" {
		unit = "blobs"
	}
	bar := newProgress(cmd.ErrOrStderr(), p.s.Quiet, "scanning", -1, "bytes")
	p.engine.Progress = bar.scanStats(unit)
	dsn, _ := cmd.Flags().GetString("inventory")
	// The inventory records every secret, also those an aggregate
	// finding stands for in the report.
	p.engine.KeepAggregated = dsn != ""
	p.engine.Accept = nil
	p.suppressed = nil
	trace := p.traceSuppressed(cmd)
	if trace {
		p.engine.KeepAllowed, p.engine.KeepDropped = true, true
	}
	if dsn != "" {
		p.engine.KeepAllowed = true // recorded as silenced locations
	}
	if p.baseline != nil && dsn == "" {
		// Before aggregation: an aggregate must never hide a new secret
		// among accepted ones. (With an inventory every finding is kept
		// and the baseline applied below, after the inventory recorded
		// them all.)
		p.engine.Accept = func(f *scanner.Finding) bool {
			in := p.baseline.Contains(*f)
			if in && trace {
				p.noteSuppressed(suppressedBaseline, *f)
			}
			return in
		}
	}
	res, err := p.engine.Run(cmd.Context(), src)
	bar.finish()
	p.engine.Progress = nil
	if err != nil {
		return res, 0, failure(err)
	}
	suppressed := res.Stats.Accepted
	if trace {
		p.noteEngineSuppressed(src, res)
	}
	if dsn != "" {
		all := res
		if len(res.Aggregated) > 0 {
			all.Findings = append(slices.Clip(res.Findings), res.Aggregated...)
			for i := range all.Findings {
				all.Findings[i].Count = 0
			}
		}
		res.Aggregated = nil
		if err := p.verifyForInventory(cmd, all.Findings); err != nil {
			return res, 0, err
		}
		bar := newProgress(cmd.ErrOrStderr(), p.s.Quiet, fmt.Sprintf("recording %d findings in the inventory", len(all.Findings)), -1, "")
		bar.tick()
		sum, err := recordScan(cmd.Context(), dsn, src.Kind(), src.Root(), withSilenced(src, all), recordOptions(src, p.rules))
		bar.finish()
		if err != nil {
			return res, 0, err
		}
		if !p.s.Quiet {
			fmt.Fprintln(cmd.ErrOrStderr(), sum)
		}
		// The baseline, a .gitleaksignore and the secrets the inventory
		// accepts are applied to all of the findings, then what is left is
		// aggregated again.
		kept := all.Findings
		if p.baseline != nil {
			var n int
			before := kept
			kept, n = p.baseline.Filter(kept)
			suppressed += n
			p.noteRemoved(suppressedBaseline, before, kept)
		}
		before := kept
		if kept, err = migrationFilter(cmd, p, src.Root(), kept); err != nil {
			return res, 0, err
		}
		p.noteRemoved(suppressedIgnore, before, kept)
		before = kept
		kept, n, err := inventorySuppress(cmd.Context(), dsn, kept)
		if err != nil {
			return res, 0, err
		}
		p.noteRemoved(suppressedInventory, before, kept)
		res.Findings, res.Stats.Aggregated = scanner.Aggregate(kept, p.engine.AggregateAfter)
		suppressed += n
		// The inventory knows secrets by its own keyed fingerprint; the
		// "fingerprint" field stays the baseline's, which committed
		// baselines on other machines key on.
		key, err := inventoryKey()
		if err != nil {
			return res, 0, err
		}
		for i := range res.Findings {
			res.Findings[i].InventoryFingerprint = scanner.Fingerprint(key, res.Findings[i].Secret)
		}
	} else {
		before := res.Findings
		if res.Findings, err = migrationFilter(cmd, p, src.Root(), res.Findings); err != nil {
			return res, 0, err
		}
		p.noteRemoved(suppressedIgnore, before, res.Findings)
	}
	for i := range res.Findings {
		if res.Findings[i].Source == "" { // a git scan marks commit-message findings
			res.Findings[i].Source = src.Kind()
		}
		res.Findings[i].Root = src.Root()
	}
	for i := range p.suppressed {
		if p.suppressed[i].Source == "" {
			p.suppressed[i].Source = src.Kind()
		}
		p.suppressed[i].Root = src.Root()
	}
	sortSuppressed(p.suppressed)
	return res, suppressed, nil
}

func (p *pipeline) scanAndReport(cmd *cobra.Command, src scanner.Source) error {
	if p.gate != nil {
		p.engine.KeepAllowed = true
	}
	res, baselined, err := p.scan(cmd, src)
	if err != nil {
		return err
	}
	if res.Findings, err = p.verifyFindings(cmd, res.Findings); err != nil {
		return err
	}
	if res.Findings, err = p.policyFindings(src, res); err != nil {
		return err
	}
	if err := p.report(cmd, src.Root(), p.withSuppressed(cmd, res.Findings), res.Stats.Errors); err != nil {
		return err
	}
	p.summary(cmd.ErrOrStderr(), src, res, baselined)
	p.listSuppressed(cmd.ErrOrStderr())
	p.policySummary(cmd.ErrOrStderr())
	if p.failing(res.Findings) {
		return errFindings
	}
	return incomplete(res.Stats.Errors)
}

// failing says whether findings fail the run (exit 1): one at --fail-on
// or above that no provider said is revoked, or a widened policy, which
// fails a gate whatever --fail-on says.
func (p *pipeline) failing(fs []scanner.Finding) bool {
	for _, f := range fs {
		if f.Severity >= p.s.failOn && !revoked(f) || f.RuleID == gate.ConfigChangeRule {
			return true
		}
	}
	return false
}

// incomplete fails a run with unreadable items (exit 3): an incomplete
// scan must not pass for a clean one.
func incomplete(unreadable int) error {
	if unreadable > 0 {
		return failure(fmt.Errorf("%d item(s) could not be read; the scan is incomplete", unreadable))
	}
	return nil
}

// newRateLimiter builds the transport every API request goes through:
// 429s and 403s that say so are waited out, each wait at most --max-wait,
// and said through notify unless quiet.
func newRateLimiter(cmd *cobra.Command, quiet bool, notify func(format string, args ...any)) (*forge.RateLimiter, error) {
	maxWait, _ := cmd.Flags().GetDuration("max-wait")
	if maxWait <= 0 {
		return nil, usageErr("--max-wait must be positive")
	}
	return &forge.RateLimiter{MaxWait: maxWait, Sleep: rateSleep, Notify: func(d time.Duration, why string) {
		if !quiet {
			notify("sprawl: %s: waiting %s\n", why, d.Round(time.Second))
		}
	}}, nil
}

// policyFindings adds to res's findings, in a gate, one finding per way
// the range widens the policy: config, baseline, rule files, and inline
// allow comments the range added.
func (p *pipeline) policyFindings(src scanner.Source, res scanner.Result) ([]scanner.Finding, error) {
	if p.gate == nil {
		return res.Findings, nil
	}
	extra, err := p.gate.PolicyChanges(p.s.Baseline, p.s.Rules, p.s.candidates)
	if err != nil {
		return nil, failure(fmt.Errorf("compare the policy with %s: %w", p.gate.BaseName, err))
	}
	allowed := res.Allowed
	if fin, ok := src.(scanner.Finisher); ok && len(allowed) > 0 {
		allowed = fin.Finish(allowed)
	}
	allows, err := p.gate.NewAllows(p.engine, p.baseline, allowed)
	if err != nil {
		return nil, failure(fmt.Errorf("compare inline allow comments with %s: %w", p.gate.BaseName, err))
	}
	extra = append(extra, allows...)
	for i := range extra {
		extra[i].Source = src.Kind()
		extra[i].Root = src.Root()
	}
	if len(extra) > 0 {
		p.rules = append(p.rules, gate.ConfigChangeRuleInfo)
	}
	return append(res.Findings, extra...), nil
}

// policySummary names, after the summary line, each built-in rule a
// custom rule replaced.
func (p *pipeline) policySummary(w io.Writer) {
	if p.s.Quiet {
		return
	}
	for _, o := range p.s.overrides {
		fmt.Fprintf(w, "sprawl: built-in rule %s is overridden by %s\n", o.id, o.file)
	}
}

// report writes findings in the chosen format to the chosen place. The
// output file is opened only now, after the scan succeeded, and written
// through (never replaced), so FIFOs, symlinks and /dev/null work.
func (p *pipeline) report(cmd *cobra.Command, root string, fs []scanner.Finding, unreadable int) error {
	width := 0
	if p.s.Output == "" || p.s.Output == "-" {
		width = tableWidth(cmd.OutOrStdout())
	}
	rep, err := reports.New(p.s.Format, reports.Options{
		ShowSecrets: p.s.ShowSecrets, ToolName: "sprawl", ToolVersion: version,
		InformationURI: "https://github.com/sprawlsec/sprawl", Rules: p.rules, Root: absDir(root),
		Width: width, Unreadable: unreadable, IncludeSuppressed: includeSuppressed(cmd),
	})
	if err != nil {
		return usageErr("%v", err)
	}
	return writeOutput(cmd.OutOrStdout(), p.s.Output, func(w io.Writer) error { return rep.Report(w, fs) })
}

// writeOutput calls write on stdout or on the named file, opened
// O_WRONLY|O_CREATE|O_TRUNC with mode 0600 and written through, never
// replaced. A regular file that already exists under that name is
// truncated and set to mode 0600 too, as reports hold findings; anything
// else (a symbolic link, whose target is written but not chmod'ed, a FIFO,
// /dev/null) keeps its mode.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		if err := write(stdout); err != nil {
			return failure(fmt.Errorf("write report: %w", err))
		}
		return nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return failure(fmt.Errorf("open output: %w", err))
		}
	}
	before, lerr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return failure(fmt.Errorf("open output: %w", err))
	}
	if lerr == nil && before.Mode().IsRegular() && before.Mode().Perm() != 0o600 {
		// Fchmod on the opened file: the name may have changed since
		// Lstat, the descriptor has not.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return failure(fmt.Errorf("open output %s: %w", path, err))
		}
	}
	if err := write(f); err != nil {
		f.Close()
		return failure(fmt.Errorf("write report %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		return failure(fmt.Errorf("write report %s: %w", path, err))
	}
	return nil
}

func absDir(root string) string {
	if root == "" {
		return ""
	}
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return ""
	}
	a, err := filepath.Abs(root)
	if err != nil {
		return ""
	}
	return a
}

// summary prints one line about the scan to stderr, plus skipped items
// with --verbose.
func (p *pipeline) summary(w io.Writer, src scanner.Source, res scanner.Result, baselined int) {
	if p.s.Quiet {
		return
	}
	st := res.Stats
	unit := "file"
	if src.Kind() == "git" {
		unit = "blob"
	}
	items, messages := st.Items, ""
	if g, ok := src.(interface{ MessagesScanned() int }); ok && src.Kind() == "git" {
		n := g.MessagesScanned()
		items -= int64(n)
		messages = " and " + plural(n, "commit message")
	}
	if items != 1 {
		unit += "s"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sprawl: scanned %d %s%s (%s) in %s: %d finding", items, unit, messages, humanBytes(st.Bytes), st.Duration.Round(time.Millisecond), len(res.Findings))
	if len(res.Findings) != 1 {
		b.WriteString("s")
	}
	if st.Aggregated > 0 {
		fmt.Fprintf(&b, " (%d more aggregated: over %d of one rule in one file)", st.Aggregated, scanner.DefaultAggregateAfter)
	}
	if baselined > 0 {
		fmt.Fprintf(&b, ", %d in baseline", baselined)
	}
	if st.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d allowed inline", st.Suppressed)
	}
	skipped := 0
	var reasons []string
	for r, n := range st.Skipped {
		skipped += n
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	if skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped (%s)", skipped, strings.Join(reasons, ", "))
	}
	if st.Errors > 0 {
		fmt.Fprintf(&b, ", %d unreadable", st.Errors)
	}
	fmt.Fprintln(w, b.String())
	if p.s.Verbose {
		for _, sk := range st.FirstSkipped {
			fmt.Fprintf(w, "sprawl: skipped %s\n", reports.Printable(sk))
		}
		if g, ok := src.(interface{ Selected() int }); ok {
			fmt.Fprintf(w, "sprawl: %d distinct blobs selected (scanned %d, skipped %d)\n", g.Selected(), st.Items, skipped)
		}
	}
	if st.Errors > 0 {
		for _, e := range st.FirstErrors {
			fmt.Fprintf(w, "sprawl: unreadable: %s\n", reports.Printable(e))
		}
		if st.Errors > len(st.FirstErrors) {
			fmt.Fprintf(w, "sprawl: … and %d more unreadable items\n", st.Errors-len(st.FirstErrors))
		}
	}
}

// fileKind names a non-regular file's type for messages.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "irregular file"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
