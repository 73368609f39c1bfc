package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/pipeline"
	"github.com/sprawlsec/sprawl/internal/startgc"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
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
	f.Int("workers", 0, "matching goroutines (0: one per core; a full-history scan leaves git's cat-file one)")
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
			p, err := newScanRun(s)
			if err != nil {
				return err
			}
			src := &scanner.DirSource{Path: path, MaxFileSize: s.maxFileSize, Exclude: p.Engine.ExcludePath}
			if fi.IsDir() {
				// Huge pages for the heap: GOROOT/src 0.77 -> 0.68 s, a
				// tree of a few files 0.16 -> 0.14 s (page faults).
				startgc.HugeHeap(historyHugeHeap)
			}
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
			p, err := newScanRun(s)
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

// scanRun is a scan's pipeline with the settings of the command that
// runs it: the command reads its flags and prints its results.
type scanRun struct {
	*pipeline.Pipeline
	s *settings
}

// newScanRun builds the pipeline the settings describe.
func newScanRun(s *settings) (*scanRun, error) {
	p, err := pipeline.New(s.pipelineConfig())
	if err != nil {
		return nil, exitErr(err)
	}
	return &scanRun{Pipeline: p, s: s}, nil
}

// pipelineConfig is the pipeline's part of the settings.
func (s *settings) pipelineConfig() pipeline.Config {
	return pipeline.Config{
		RuleFiles: s.Rules, DisableRules: s.DisableRules,
		Allowlist: detectors.Allowlist{
			Regexes: s.Allowlist.Regexes, Stopwords: s.Allowlist.Stopwords, Values: s.Allowlist.Values,
		},
		AllowPaths: s.Allowlist.Paths, Workers: s.Workers, FingerprintKey: s.FPKey,
		BaselineFile: s.Baseline, FailOn: s.failOn,
		ConfigPath: s.configPath, UserConfig: s.origin == originUser, Candidates: s.candidates,
		RepoTree: s.repoTree, RulesFromRepo: s.rulesFromRepo, BaselineFromRepo: s.baselineFromRepo,
		Files: s.files, Warn: s.warn, Log: s.stderr, Quiet: s.Quiet, Verbose: s.Verbose,
		Progress: termProgress{w: s.stderr, quiet: s.Quiet},
	}
}

// loadRules returns the rules a scan with these settings uses.
func loadRules(s *settings) ([]*detectors.Rule, error) {
	rules, _, err := pipeline.LoadRules(s.pipelineConfig())
	return rules, exitErr(err)
}

// exitErr gives an error from package pipeline its exit code: one that
// has a code already keeps it, a pipeline.UsageError gets 2, any other 3.
func exitErr(err error) error {
	var ue *pipeline.UsageError
	if errors.As(err, &ue) && !errors.As(err, new(*exitError)) {
		return &exitError{exitUsage, err}
	}
	return failure(err)
}

// scan runs the pipeline on src with the inventory and verification the
// command's flags ask for.
func (p *scanRun) scan(cmd *cobra.Command, src scanner.Source) (scanner.Result, int, error) {
	o := pipeline.ScanOptions{Trace: p.traceSuppressed(cmd)}
	if dsn, _ := cmd.Flags().GetString("inventory"); dsn != "" {
		o.Inventory = dsnInventory(dsn)
		o.Verify = func() (*pipeline.Verify, error) {
			if !verifyOn(cmd) {
				return nil, nil
			}
			results, err := verifyResults(cmd)
			if err != nil {
				return nil, err
			}
			return verification(cmd, results), nil
		}
	}
	res, n, err := p.Scan(cmd.Context(), src, o)
	return res, n, exitErr(err)
}

// dsnInventory is the inventory a DSN names, opened for each step.
type dsnInventory string

func (d dsnInventory) Record(ctx context.Context, src scanner.Source, res scanner.Result, rules []*detectors.Rule) (string, error) {
	return recordScan(ctx, string(d), src.Kind(), src.Root(), res, recordOptions(src, rules))
}

func (d dsnInventory) Suppress(ctx context.Context, fs []scanner.Finding) ([]scanner.Finding, int, error) {
	return inventorySuppress(ctx, string(d), fs)
}

func (d dsnInventory) Key() ([]byte, error) { return inventoryKey() }

// termProgress draws a pipeline's progress on w (see newProgress).
type termProgress struct {
	w     io.Writer
	quiet bool
}

func (t termProgress) Scan(unit string) (func(scanner.Stats), func()) {
	bar := newProgress(t.w, t.quiet, "scanning", -1, "bytes")
	return bar.scanStats(unit), bar.finish
}

func (t termProgress) Step(desc string) func() {
	bar := newProgress(t.w, t.quiet, desc, -1, "")
	bar.tick()
	return bar.finish
}

func (p *scanRun) scanAndReport(cmd *cobra.Command, src scanner.Source) error {
	if p.Gate != nil {
		p.Engine.KeepAllowed = true
	}
	res, baselined, err := p.scan(cmd, src)
	if err != nil {
		return err
	}
	if res.Findings, err = p.verifyFindings(cmd, res.Findings); err != nil {
		return err
	}
	if res.Findings, err = p.PolicyFindings(src, res); err != nil {
		return failure(err)
	}
	if err := p.report(cmd, src.Root(), p.withSuppressed(cmd, res.Findings), res.Stats.Errors); err != nil {
		return err
	}
	p.summary(cmd.ErrOrStderr(), src, res, baselined)
	p.listSuppressed(cmd.ErrOrStderr())
	if !p.s.Quiet {
		p.WriteOverrides(cmd.ErrOrStderr())
	}
	if p.Failing(res.Findings) {
		return errFindings
	}
	return incomplete(res.Stats.Errors)
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

// report writes findings in the chosen format to the chosen place. The
// output file is opened only now, after the scan succeeded, and written
// through (never replaced), so FIFOs, symlinks and /dev/null work.
func (p *scanRun) report(cmd *cobra.Command, root string, fs []scanner.Finding, unreadable int) error {
	width := 0
	if p.s.Output == "" || p.s.Output == "-" {
		width = tableWidth(cmd.OutOrStdout())
	}
	rep, err := reports.New(p.s.Format, reports.Options{
		ShowSecrets: p.s.ShowSecrets, ToolName: "sprawl", ToolVersion: version,
		InformationURI: "https://github.com/sprawlsec/sprawl", Rules: p.Rules, Root: absDir(root),
		Width: width, Unreadable: unreadable, IncludeSuppressed: includeSuppressed(cmd),
	})
	if err != nil {
		return usageErr("%v", err)
	}
	return writeOutput(cmd.OutOrStdout(), p.s.Output, func(w io.Writer) error { return rep.Report(w, fs) })
}

// writeOutput is reports.WriteOutput with the exit code of a failure (3),
// or the one write's error carried.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	return failure(reports.WriteOutput(stdout, path, write))
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

// summary prints the scan's closing summary to stderr (see
// reports.WriteScanSummary) unless --quiet.
func (p *scanRun) summary(w io.Writer, src scanner.Source, res scanner.Result, baselined int) {
	if !p.s.Quiet {
		reports.WriteScanSummary(w, src, res, baselined, p.s.Verbose)
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
