package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/internal/termsafe"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

// MigrationDoc is the guide to moving from gitleaks that messages about
// gitleaks files point to.
const MigrationDoc = "docs/migrating.md"

// gitleaksConfigNames are the config files gitleaks picks up by itself.
var gitleaksConfigNames = []string{".gitleaks.toml", "gitleaks.toml"}

// Inventory is the store a scan records its findings in and suppresses
// findings by. Its errors reach the caller of Scan unchanged.
type Inventory interface {
	// Record records a finished scan of src (res holds every finding,
	// the silenced ones marked) and returns the one-line summary.
	Record(ctx context.Context, src scanner.Source, res scanner.Result, rules []*detectors.Rule) (string, error)
	// Suppress drops the findings whose secrets the inventory holds as
	// false-positive or accepted-risk and says how many it dropped.
	Suppress(ctx context.Context, fs []scanner.Finding) ([]scanner.Finding, int, error)
	// Key is the inventory's fingerprint key.
	Key() ([]byte, error)
}

// ScanOptions are what one scan does beside matching.
type ScanOptions struct {
	// Inventory, when set, records every finding, also those an
	// aggregate finding stands for and those inline allow comments
	// silenced, and suppresses those whose secrets it holds as
	// false-positive or accepted-risk.
	Inventory Inventory
	// Trace keeps the candidates the scan suppresses, with the reason,
	// in Pipeline.Suppressed.
	Trace bool
	// Verify, with an Inventory, is asked once the engine ran how to
	// verify the findings before they are recorded; nil (or a nil
	// *Verify) verifies nothing.
	Verify func() (*Verify, error)
}

// Scan runs the engine on src and applies the baseline, a
// .gitleaksignore in src's root and, with an inventory, the inventory's
// verdicts. It returns the result and how many findings the baseline and
// the inventory suppressed.
func (p *Pipeline) Scan(ctx context.Context, src scanner.Source, o ScanOptions) (scanner.Result, int, error) {
	unit := "files"
	if src.Kind() == "git" {
		unit = "blobs"
	}
	update, done := p.progressScan(unit)
	p.Engine.Progress = update
	inv := o.Inventory
	// The inventory records every secret, also those an aggregate
	// finding stands for in the report.
	p.Engine.KeepAggregated = inv != nil
	p.Engine.Accept = nil
	p.Suppressed = nil
	trace := o.Trace
	if trace {
		p.Engine.KeepAllowed, p.Engine.KeepDropped = true, true
	}
	if inv != nil {
		p.Engine.KeepAllowed = true // recorded as silenced locations
	}
	if p.Baseline != nil && inv == nil {
		// Before aggregation: an aggregate must never hide a new secret
		// among accepted ones. (With an inventory every finding is kept
		// and the baseline applied below, after the inventory recorded
		// them all.)
		p.Engine.Accept = func(f *scanner.Finding) bool {
			in := p.Baseline.Contains(*f)
			if in && trace {
				p.noteSuppressed(SuppressedBaseline, *f)
			}
			return in
		}
	}
	res, err := p.Engine.Run(ctx, src)
	done()
	p.Engine.Progress = nil
	if err != nil {
		return res, 0, err
	}
	suppressed := res.Stats.Accepted
	if trace {
		p.noteEngineSuppressed(src, res)
	}
	if inv != nil {
		all := res
		if len(res.Aggregated) > 0 {
			all.Findings = append(slices.Clip(res.Findings), res.Aggregated...)
			for i := range all.Findings {
				all.Findings[i].Count = 0
			}
		}
		res.Aggregated = nil
		if o.Verify != nil {
			v, err := o.Verify()
			if err != nil {
				return res, 0, err
			}
			if v != nil {
				if err := p.VerifyForInventory(ctx, v, all.Findings); err != nil {
					return res, 0, err
				}
			}
		}
		done := p.progressStep(fmt.Sprintf("recording %d findings in the inventory", len(all.Findings)))
		sum, err := inv.Record(ctx, src, withSilenced(src, all), p.Rules)
		done()
		if err != nil {
			return res, 0, err
		}
		if !p.Quiet {
			fmt.Fprintln(p.Log, sum)
		}
		// The baseline, a .gitleaksignore and the secrets the inventory
		// accepts are applied to all of the findings, then what is left is
		// aggregated again.
		kept := all.Findings
		if p.Baseline != nil {
			var n int
			before := kept
			kept, n = p.Baseline.Filter(kept)
			suppressed += n
			p.noteRemoved(SuppressedBaseline, before, kept)
		}
		before := kept
		if kept, err = p.ignoreFile(src.Root(), kept); err != nil {
			return res, 0, err
		}
		p.noteRemoved(SuppressedIgnore, before, kept)
		before = kept
		kept, n, err := inv.Suppress(ctx, kept)
		if err != nil {
			return res, 0, err
		}
		p.noteRemoved(SuppressedInventory, before, kept)
		res.Findings, res.Stats.Aggregated = scanner.Aggregate(kept, p.Engine.AggregateAfter)
		suppressed += n
		// The inventory knows secrets by its own keyed fingerprint; the
		// "fingerprint" field stays the baseline's, which committed
		// baselines on other machines key on.
		key, err := inv.Key()
		if err != nil {
			return res, 0, err
		}
		for i := range res.Findings {
			res.Findings[i].InventoryFingerprint = scanner.Fingerprint(key, res.Findings[i].Secret)
		}
	} else {
		before := res.Findings
		if res.Findings, err = p.ignoreFile(src.Root(), res.Findings); err != nil {
			return res, 0, err
		}
		p.noteRemoved(SuppressedIgnore, before, res.Findings)
	}
	for i := range res.Findings {
		if res.Findings[i].Source == "" { // a git scan marks commit-message findings
			res.Findings[i].Source = src.Kind()
		}
		res.Findings[i].Root = src.Root()
	}
	for i := range p.Suppressed {
		if p.Suppressed[i].Source == "" {
			p.Suppressed[i].Source = src.Kind()
		}
		p.Suppressed[i].Root = src.Root()
	}
	sortSuppressed(p.Suppressed)
	return res, suppressed, nil
}

// progressScan starts the scan's progress line, if there is one.
func (p *Pipeline) progressScan(unit string) (func(scanner.Stats), func()) {
	if p.Progress == nil {
		return nil, func() {}
	}
	return p.Progress.Scan(unit)
}

// progressStep starts a step's spinner, if there is one.
func (p *Pipeline) progressStep(desc string) func() {
	if p.Progress == nil {
		return func() {}
	}
	return p.Progress.Step(desc)
}

// ignoreFile applies a .gitleaksignore in the scanned root and hints at
// a gitleaks config found there. It says once what it could not map.
func (p *Pipeline) ignoreFile(root string, fs []scanner.Finding) ([]scanner.Finding, error) {
	dir := root
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return fs, nil // stdin, a single file, a remote: nothing to look for
	}
	log := p.Log
	if p.ConfigPath == "" && !p.Quiet {
		for _, name := range gitleaksConfigNames {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				fmt.Fprintf(log, "sprawl: found %s, which sprawl does not read; convert it with 'sprawl rules import %s' (see %s)\n", name, filepath.Join(dir, name), MigrationDoc)
				break
			}
		}
	}
	// In a gate the ignore file is read as of the base revision, like the
	// rest of the repository's policy: the change under review cannot
	// silence its own findings (PolicyFindings reports what it adds).
	path := filepath.Join(dir, scanner.GitleaksIgnoreFile)
	data, err := p.Files.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return fs, nil
	}
	if err != nil {
		return nil, usageErr("%s: %v", p.Files.Name(path), err)
	}
	ign, err := scanner.ReadGitleaksIgnore(bytes.NewReader(data))
	if err != nil {
		return nil, usageErr("%s: %v", p.Files.Name(path), err)
	}
	ids := map[string]bool{}
	for _, r := range p.Rules {
		ids[r.ID] = true
	}
	kept, rep := ign.Filter(fs, detectors.ImportedPrefix, func(id string) bool { return ids[id] })
	if !p.Quiet {
		fmt.Fprintf(log, "sprawl: %s: %s read, %d findings ignored\n", scanner.GitleaksIgnoreFile, plural.Count(ign.Len(), "fingerprint"), rep.Ignored)
		if len(rep.UnknownRules) > 0 {
			fmt.Fprintf(log, "sprawl: %s: gitleaks rules %s are not sprawl rules (import them with 'sprawl rules import'); their entries ignore any finding on that file and line\n", scanner.GitleaksIgnoreFile, termsafe.String(strings.Join(rep.UnknownRules, ", ")))
		}
		if rep.CommitOnly > 0 {
			fmt.Fprintf(log, "sprawl: %s: %s naming a commit, which only 'sprawl scan git' applies\n", scanner.GitleaksIgnoreFile, plural.Count(rep.CommitOnly, "entry"))
		}
		if len(ign.Invalid) > 0 {
			fmt.Fprintf(log, "sprawl: %s: %s not a fingerprint ([commit:]file:rule-id:line), e.g. line %s\n", scanner.GitleaksIgnoreFile, plural.Count(len(ign.Invalid), "line"), termsafe.String(ign.Invalid[0]))
		}
	}
	return kept, nil
}

// PolicyFindings adds to res's findings, in a gate, one finding per way
// the range widens the policy: config, baseline, rule files, and inline
// allow comments the range added.
func (p *Pipeline) PolicyFindings(src scanner.Source, res scanner.Result) ([]scanner.Finding, error) {
	if p.Gate == nil {
		return res.Findings, nil
	}
	extra, err := p.Gate.PolicyChanges(p.BaselineFile, p.RuleFiles, p.Candidates)
	if err != nil {
		return nil, fmt.Errorf("compare the policy with %s: %w", p.Gate.BaseName, err)
	}
	allowed := res.Allowed
	if fin, ok := src.(scanner.Finisher); ok && len(allowed) > 0 {
		allowed = fin.Finish(allowed)
	}
	allows, err := p.Gate.NewAllows(p.Engine, p.Baseline, allowed)
	if err != nil {
		return nil, fmt.Errorf("compare inline allow comments with %s: %w", p.Gate.BaseName, err)
	}
	extra = append(extra, allows...)
	for i := range extra {
		extra[i].Source = src.Kind()
		extra[i].Root = src.Root()
	}
	if len(extra) > 0 {
		p.Rules = append(p.Rules, gate.ConfigChangeRuleInfo)
	}
	return append(res.Findings, extra...), nil
}
