package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

// Config is the policy and the output of a pipeline, resolved by the
// command from flags, environment and config file.
type Config struct {
	// RuleFiles are the user's rule files (or directories of them),
	// DisableRules the rule ids to leave out.
	RuleFiles, DisableRules []string
	// Allowlist is handed to the matcher; AllowPaths are the path
	// patterns whose files are not read.
	Allowlist  detectors.Allowlist
	AllowPaths []string
	// Workers is the engine's matching goroutines (0: one per core).
	Workers int
	// FingerprintKey keys the baseline's fingerprints.
	FingerprintKey string
	// BaselineFile is the baseline to apply ("" for none).
	BaselineFile string
	// FailOn is the lowest severity that fails the run.
	FailOn detectors.Severity

	// ConfigPath is the config file the policy came from ("" for none),
	// UserConfig whether the user named it (relative rule files it names
	// are then also looked for beside it), and Candidates the config
	// files looked for.
	ConfigPath string
	UserConfig bool
	Candidates []string
	// RepoTree, when set, is the directory of a config file found in the
	// scanned content; RulesFromRepo and BaselineFromRepo say whether
	// RuleFiles and BaselineFile came from it, in which case they must stay
	// inside RepoTree.
	RepoTree                        string
	RulesFromRepo, BaselineFromRepo bool
	// Files reads the rule files, the baseline and .gitleaksignore: from
	// disk, or in a gate, as of the range's base revision.
	Files gate.PolicyReader

	// Warn prints a warning; Log takes the scan's messages (standard
	// error). Quiet leaves out all but warnings; Verbose adds per-host
	// verification counts.
	Warn           func(format string, args ...any)
	Log            io.Writer
	Quiet, Verbose bool
	// Progress, if set, shows the long steps.
	Progress Progress
}

// Progress shows a scan's long steps; the command draws them on a
// terminal.
type Progress interface {
	// Scan starts the line of a scan that counts unit ("files", "blobs")
	// and returns the engine's callback (nil for none) and what clears
	// the line.
	Scan(unit string) (update func(scanner.Stats), done func())
	// Step starts a spinner for a step of unknown length, described by
	// desc, and returns what clears it.
	Step(desc string) (done func())
}

// Pipeline is a configured matcher and engine with the baseline and the
// policy that shape a scan's results.
type Pipeline struct {
	Config
	Rules    []*detectors.Rule
	Engine   *scanner.Engine
	Baseline *scanner.Baseline
	// Gate, when set, makes PolicyFindings report the ways the gate's
	// range widens the policy.
	Gate *gate.View
	// Overrides are the built-in rules custom rules replaced.
	Overrides []Override
	// Suppressed are the candidates the last scan suppressed, with the
	// reason, kept with ScanOptions.Trace.
	Suppressed []scanner.Finding
}

// Override records a custom rule (ID) that replaced a built-in one, and
// the rule file (File) it came from.
type Override struct{ ID, File string }

// UsageError is a problem with the configuration or the policy files
// (exit code 2 to the command); other errors are runtime failures.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// New builds the pipeline c describes: its rules, matcher, engine and
// baseline.
func New(c Config) (*Pipeline, error) {
	if c.Warn == nil {
		c.Warn = func(string, ...any) {}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	rules, overrides, err := LoadRules(c)
	if err != nil {
		return nil, err
	}
	m, err := detectors.NewMatcher(rules, c.Allowlist)
	if err != nil {
		return nil, usageErr("config %s: %v", c.ConfigPath, err)
	}
	exclude, err := scanner.PathMatcher(c.AllowPaths)
	if err != nil {
		return nil, usageErr("config %s: %v", c.ConfigPath, err)
	}
	p := &Pipeline{Config: c, Rules: rules, Overrides: overrides, Engine: &scanner.Engine{
		Matcher: m, Workers: c.Workers, ExcludePath: exclude, FingerprintKey: []byte(c.FingerprintKey),
	}}
	if c.BaselineFile != "" {
		if p.Baseline, err = c.readBaseline(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// LoadRules returns the built-in catalogue with c's rule files merged in
// and disabled rules removed. Every user rule is validated; a rule that
// replaces a built-in one must say override: true, and each replacement
// is returned as an Override.
func LoadRules(c Config) ([]*detectors.Rule, []Override, error) {
	if c.Warn == nil {
		c.Warn = func(string, ...any) {}
	}
	rules, err := detectors.Builtin()
	if err != nil {
		return nil, nil, fmt.Errorf("built-in rules: %w", err)
	}
	var overrides []Override
	for _, path := range c.RuleFiles {
		if c.UserConfig && c.ConfigPath != "" && !filepath.IsAbs(path) {
			if _, err := os.Stat(path); err != nil {
				path = filepath.Join(filepath.Dir(c.ConfigPath), path)
			}
		}
		extra, err := c.loadRuleFiles(path)
		if err != nil {
			return nil, nil, err
		}
		merged, replaced, err := detectors.Merge(rules, extra)
		if err != nil {
			return nil, nil, usageErr("rule file %s: %v", c.Files.Name(path), err)
		}
		rules = merged
		for _, id := range replaced {
			overrides = append(overrides, Override{ID: id, File: c.Files.Name(path)})
		}
	}
	if rules, err = detectors.Disable(rules, c.DisableRules); err != nil {
		return nil, nil, usageErr("config %s: %v", c.ConfigPath, err)
	}
	return rules, overrides, nil
}

// loadRuleFiles reads and validates the rule files path names. Rule files
// a repository's config names must stay inside its tree, symbolic links
// resolved; one that does not is skipped with a warning.
func (c *Config) loadRuleFiles(path string) ([]*detectors.Rule, error) {
	files, err := c.Files.RuleFiles(path)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	var all []*detectors.Rule
	for _, f := range files {
		if c.RulesFromRepo && !c.Files.Inside(c.RepoTree, f) {
			c.Warn("%s: ignoring rule file %s: it leads outside the directory of the config file found in the scanned content", c.Files.Name(c.ConfigPath), f)
			continue
		}
		data, err := c.Files.Read(f)
		if err != nil {
			return nil, usageErr("%v: %v", detectors.ErrRuleFile, err)
		}
		rs, err := detectors.ParseRules(data, c.Files.Name(f))
		if err != nil {
			return nil, usageErr("%v", err)
		}
		for _, r := range rs {
			if err := r.Validate(); err != nil {
				return nil, usageErr("rule file %s: %v", c.Files.Name(f), err)
			}
		}
		all = append(all, rs...)
	}
	return all, nil
}

// readBaseline reads the baseline c names: a repository's own only inside
// its tree, and in a gate as of the base revision.
func (c *Config) readBaseline() (*scanner.Baseline, error) {
	if c.BaselineFromRepo && !c.Files.Inside(c.RepoTree, c.BaselineFile) {
		c.Warn("%s: ignoring baseline %s: it leads outside the directory of the config file found in the scanned content", c.Files.Name(c.ConfigPath), c.BaselineFile)
		return nil, nil
	}
	if c.Files.MissingAtBase(c.BaselineFile) {
		c.Warn("baseline %s does not exist as of %s; the range adds it, so its entries are changes under review", c.BaselineFile, c.Files.Gate.BaseName)
		return nil, nil
	}
	data, err := c.Files.Read(c.BaselineFile)
	if err != nil {
		return nil, usageErr("%v: %v", scanner.ErrBaseline, err)
	}
	b, err := scanner.ParseBaseline(data, c.Files.Name(c.BaselineFile))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return b, nil
}

// Failing says whether findings fail the run (exit 1): one at FailOn or
// above that no provider said is revoked, or a widened policy, which
// fails a gate whatever FailOn says.
func (p *Pipeline) Failing(fs []scanner.Finding) bool {
	for _, f := range fs {
		if f.Severity >= p.FailOn && !revoked(f) || f.RuleID == gate.ConfigChangeRule {
			return true
		}
	}
	return false
}

// revoked reports whether the provider said f's secret no longer works:
// such a finding is reported but does not fail the scan. Unknown does.
func revoked(f scanner.Finding) bool {
	return f.Verification != nil && f.Verification.Status == scanner.VerifyRevoked
}
