// Package gate is what a CI gate (a history scan of --since/--range on a
// work tree) knows of its range: the repository's policy files read as of
// the base revision, which the change under review cannot have edited, and
// the ways the range widens that policy, reported as findings of their own.
package gate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// ConfigChangeRule is the id of the finding a gate reports when its range
// widens the scan's own policy: an allowlist, a baseline entry, an inline
// allow comment, a disabled rule, a changed rule file.
const ConfigChangeRule = "sprawl-config-change"

// ConfigChangeRuleInfo describes ConfigChangeRule for reports (SARIF
// rule metadata); the matcher never sees it.
var ConfigChangeRuleInfo = &detectors.Rule{
	ID:       ConfigChangeRule,
	Name:     "Scan policy widened in the scanned range",
	Provider: "sprawl",
	Description: "The range changes what the gate accepts (allowlist, baseline, inline allow comment, " +
		"disabled or changed rules). The gate judged the range by the policy of its base revision; " +
		"after review, rerun with --allow-config-changes to apply the new policy.",
	Severity: detectors.SeverityHigh,
	Class:    "policy",
}

// maxPolicyFile bounds a config, baseline or rule file read from history:
// a repository must not make a gate read gigabytes as its policy.
const maxPolicyFile = 64 << 20

// View is what a gate (scan git --since/--range on a work tree) knows
// about its range. Policy files inside the work tree (the repository's
// .sprawl.yaml, the baseline, rule files, a --config or --baseline that
// lies there) are read as of the base revision, which the change under
// review cannot have edited; the same files at the tips are only compared
// against them.
type View struct {
	ctx context.Context
	// dir is the path the user gave: the work tree or a directory in it.
	dir string
	// tops are the work tree's top level as git reports it (symlinks
	// resolved) and as the user's path spells it.
	tops []string
	// base is the base commit; baseName is how the user wrote it.
	base, BaseName string
	// heads are the tip commits of the range.
	heads []string
}

// New returns the view of a --since/--range gate on the
// repository at dir, or nil when there is nothing to read as of a base:
// no range, a range without "..", a bare repository (no work tree), or a
// revision git does not know (the source then reports it).
func New(ctx context.Context, dir, since, rng string, refs []string) *View {
	g := &View{ctx: ctx, dir: dir}
	var base string
	var heads []string
	switch {
	case since != "":
		base, heads = since, refs
		if len(heads) == 0 {
			heads = []string{"HEAD"}
		}
	case rng != "":
		sep := "..."
		if !strings.Contains(rng, sep) {
			sep = ".."
		}
		a, b, ok := strings.Cut(rng, sep)
		if !ok {
			return nil
		}
		if a == "" {
			a = "HEAD"
		}
		if b == "" {
			b = "HEAD"
		}
		base, heads = a, []string{b}
	default:
		return nil
	}
	top, err := g.output("rev-parse", "--show-toplevel")
	if err != nil || top == "" {
		return nil
	}
	prefix, err := g.output("rev-parse", "--show-prefix")
	if err != nil {
		return nil
	}
	g.tops = []string{filepath.Clean(top)}
	logical := absPath(dir)
	for _, part := range strings.Split(strings.Trim(prefix, "/"), "/") {
		if part != "" {
			logical = filepath.Dir(logical)
		}
	}
	if logical != g.tops[0] {
		g.tops = append(g.tops, logical)
	}
	if g.base, err = g.commit(base); err != nil {
		return nil
	}
	g.BaseName = base
	for _, h := range heads {
		id, err := g.commit(h)
		if err != nil {
			return nil
		}
		g.heads = append(g.heads, id)
	}
	return g
}

// output runs git in the repository and returns its trimmed stdout.
func (g *View) output(args ...string) (string, error) {
	out, err := g.run(args...)
	return strings.TrimRight(string(out), "\n"), err
}

func (g *View) run(args ...string) ([]byte, error) {
	cmd := scanner.GitCommand(g.ctx, "", g.dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w (%s)", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (g *View) commit(rev string) (string, error) {
	return g.output("rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
}

// rel returns p's slash-separated path in the work tree, if p lies in it.
func (g *View) rel(p string) (string, bool) {
	if g == nil {
		return "", false
	}
	abs := absPath(p)
	for _, top := range g.tops {
		if r, ok := within(top, abs); ok {
			return filepath.ToSlash(r), true
		}
	}
	return "", false
}

// treeEntry is one `git ls-tree -l` line.
type treeEntry struct {
	mode, typ, id, name string
	size                int64
}

// entry looks rel up at rev. ok is false when rev has no such path.
func (g *View) entry(rev, rel string) (treeEntry, bool, error) {
	if rel == "." || rel == "" {
		return treeEntry{}, false, nil
	}
	out, err := g.run("ls-tree", "-z", "-l", "--full-tree", rev, "--", rel)
	if err != nil {
		return treeEntry{}, false, err
	}
	es := parseTree(out)
	for _, e := range es {
		if e.name == rel {
			return e, true, nil
		}
	}
	return treeEntry{}, false, nil
}

func parseTree(out []byte) []treeEntry {
	var es []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		if len(f) != 4 {
			continue
		}
		size, _ := strconv.ParseInt(f[3], 10, 64)
		es = append(es, treeEntry{mode: f[0], typ: f[1], id: f[2], name: string(name), size: size})
	}
	return es
}

// errSymlinkAtBase refuses a policy file that is a symbolic link in
// history: followed, it could name any file of the machine.
var errSymlinkAtBase = errors.New("is a symbolic link; not followed")

// readAt returns the content of the file rel at rev.
func (g *View) readAt(rev, rel string) ([]byte, error) {
	e, ok, err := g.entry(rev, rel)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		return nil, &os.PathError{Op: "read", Path: rel, Err: os.ErrNotExist}
	case e.mode == "120000":
		return nil, &os.PathError{Op: "read", Path: rel, Err: errSymlinkAtBase}
	case e.typ != "blob":
		return nil, &os.PathError{Op: "read", Path: rel, Err: errors.New("is a directory")}
	case e.size > maxPolicyFile:
		return nil, &os.PathError{Op: "read", Path: rel, Err: fmt.Errorf("larger than %d MiB", maxPolicyFile>>20)}
	}
	return g.run("cat-file", "blob", e.id)
}

// PolicyReader reads the files settings name. In a gate, a file inside
// the work tree is read as of the base revision; everything else, and
// everything outside a gate, comes from disk.
type PolicyReader struct {
	// Gate is the gate whose base the files are read at; nil outside a gate.
	Gate *View
}

func (r PolicyReader) atBase(p string) (string, bool) {
	return r.Gate.rel(p)
}

func (r PolicyReader) Exists(p string) bool {
	if rel, ok := r.atBase(p); ok {
		e, ok, err := r.Gate.entry(r.Gate.base, rel)
		return err == nil && ok && e.typ == "blob"
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (r PolicyReader) Read(p string) ([]byte, error) {
	if rel, ok := r.atBase(p); ok {
		return r.Gate.readAt(r.Gate.base, rel)
	}
	return os.ReadFile(p)
}

// missingAtBase reports whether p lies in a gate's work tree but does
// not exist as of the base: the range under review adds it.
func (r PolicyReader) MissingAtBase(p string) bool {
	rel, ok := r.atBase(p)
	if !ok {
		return false
	}
	_, ok, err := r.Gate.entry(r.Gate.base, rel)
	return err == nil && !ok
}

// name is how messages show p.
func (r PolicyReader) Name(p string) string {
	if rel, ok := r.atBase(p); ok {
		return fmt.Sprintf("%s (as of %s)", rel, r.Gate.BaseName)
	}
	return p
}

// inside reports whether p stays inside tree, symbolic links on disk
// resolved (in history a symbolic link is never followed: see readAt).
func (r PolicyReader) Inside(tree, p string) bool {
	if _, ok := within(absPath(tree), absPath(p)); !ok {
		return false
	}
	if rel, ok := r.atBase(p); ok {
		e, ok, err := r.Gate.entry(r.Gate.base, rel)
		return err == nil && (!ok || e.mode != "120000")
	}
	rt, err := filepath.EvalSymlinks(tree)
	if err != nil {
		return true // nothing there to escape through
	}
	rp, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return true // reading it will fail with a clear error
		}
		return false
	}
	_, ok := within(absPath(rt), absPath(rp))
	return ok
}

// ruleFiles lists the rule files p names: p itself, or the *.yaml and
// *.yml files of the directory p.
func (r PolicyReader) RuleFiles(p string) ([]string, error) {
	rel, ok := r.atBase(p)
	if !ok {
		return detectors.RuleFiles(p)
	}
	e, ok, err := r.Gate.entry(r.Gate.base, rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", detectors.ErrRuleFile, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s: no such file or directory", detectors.ErrRuleFile, r.Name(p))
	}
	if e.typ == "blob" {
		return []string{p}, nil
	}
	out, err := r.Gate.run("ls-tree", "-z", "-l", e.id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", detectors.ErrRuleFile, err)
	}
	var files []string
	for _, c := range parseTree(out) {
		if c.typ == "blob" && (strings.HasSuffix(c.name, ".yaml") || strings.HasSuffix(c.name, ".yml")) {
			files = append(files, filepath.Join(p, c.name))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml rule files in %s", detectors.ErrRuleFile, r.Name(p))
	}
	return files, nil
}

// within returns p relative to dir if p is dir or lies under it
// (lexically: both absolute and clean).
func within(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// PolicyChanges compares the policy files the settings read as of the
// base with the same files at each tip of the range, and returns one
// finding per way the range widens what the gate accepts.
func (g *View) PolicyChanges(baseline string, rules, candidates []string) ([]scanner.Finding, error) {
	var out []scanner.Finding
	// The config file: the one read at base, or the first a tip adds.
	for _, c := range candidates {
		rel, ok := g.rel(c)
		if !ok {
			continue
		}
		found := false
		base, err := g.readAt(g.base, rel)
		if err == nil {
			found = true
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, h := range g.heads {
			head, err := g.readAt(h, rel)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			found = true
			for _, what := range ConfigWidening(base, head) {
				out = append(out, PolicyFinding(rel, h, what))
			}
		}
		if found {
			break
		}
	}
	// The baseline: every entry a tip adds.
	if baseline != "" {
		if rel, ok := g.rel(baseline); ok {
			fs, err := g.baselineWidening(rel)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
	}
	// .gitleaksignore at the scanned root: every entry a tip adds.
	if rel, ok := g.rel(filepath.Join(absPath(g.dir), scanner.GitleaksIgnoreFile)); ok {
		fs, err := g.ignoreWidening(rel)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	// Rule files: any change to one the policy loads.
	for _, p := range rules {
		if !filepath.IsAbs(p) {
			p = absPath(p)
		}
		rel, ok := g.rel(p)
		if !ok {
			continue
		}
		be, bok, err := g.entry(g.base, rel)
		if err != nil {
			return nil, err
		}
		for _, h := range g.heads {
			he, hok, err := g.entry(h, rel)
			if err != nil {
				return nil, err
			}
			if hok && (!bok || he.id != be.id) {
				out = append(out, PolicyFinding(rel, h, "rule file changed: "+rel))
			}
		}
	}
	return out, nil
}

func (g *View) baselineWidening(rel string) ([]scanner.Finding, error) {
	var base *scanner.Baseline
	if data, err := g.readAt(g.base, rel); err == nil {
		if base, err = scanner.ParseBaseline(data, rel); err != nil {
			base = nil // an unreadable base baseline accepts nothing
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []scanner.Finding
	err := g.atTips(rel, func(h string, data []byte) {
		head, err := scanner.ParseBaseline(data, rel)
		if err != nil {
			return // the tip's baseline is not applied; nothing widened
		}
		for _, e := range head.Entries {
			if base != nil && base.Contains(scanner.Finding{Fingerprint: e.Fingerprint, File: e.File}) {
				continue
			}
			out = append(out, PolicyFinding(rel, h, fmt.Sprintf("baseline entry added: %s in %s (%s)", e.Fingerprint, e.File, e.RuleID)))
		}
	})
	return out, err
}

// atTips calls fn with rel's content at each tip of the range that has it.
func (g *View) atTips(rel string, fn func(tip string, data []byte)) error {
	for _, h := range g.heads {
		data, err := g.readAt(h, rel)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		fn(h, data)
	}
	return nil
}

// repoPolicy is the part of a config file a repository may set, as the
// gate compares it. Values are left loose: both versions may be wrong.
type repoPolicy struct {
	Baseline     any      `yaml:"baseline"`
	MaxFileSize  any      `yaml:"max-file-size"`
	FailOn       any      `yaml:"fail-on"`
	Rules        []string `yaml:"rules"`
	DisableRules []string `yaml:"disable-rules"`
	FPKey        any      `yaml:"fingerprint-key"`
	Allowlist    struct {
		Paths     []string `yaml:"paths"`
		Regexes   []string `yaml:"regexes"`
		Stopwords []string `yaml:"stopwords"`
		Values    []string `yaml:"values"`
	} `yaml:"allowlist"`
}

// ConfigWidening lists how head's policy accepts more than base's (nil
// base: no config file, the defaults). A head that does not parse widens
// nothing: the gate never applies it.
func ConfigWidening(base, head []byte) []string {
	var b, h repoPolicy
	if base != nil {
		if yaml.Unmarshal(base, &b) != nil {
			b = repoPolicy{} // judged against the defaults
		}
	}
	if yaml.Unmarshal(head, &h) != nil {
		return nil
	}
	var out []string
	added := func(key string, old, cur []string, show bool) {
		have := map[string]bool{}
		for _, v := range old {
			have[v] = true
		}
		n := 0
		for _, v := range cur {
			if have[v] {
				continue
			}
			have[v] = true
			if show {
				out = append(out, fmt.Sprintf("%s adds %s", key, clipQuote(v)))
			} else {
				n++
			}
		}
		if n > 0 {
			// Allowlisted values are secrets: never print them.
			out = append(out, fmt.Sprintf("%s adds %s (not shown)", key, values(n)))
		}
	}
	added("allowlist.paths", b.Allowlist.Paths, h.Allowlist.Paths, true)
	added("allowlist.regexes", b.Allowlist.Regexes, h.Allowlist.Regexes, true)
	added("allowlist.stopwords", b.Allowlist.Stopwords, h.Allowlist.Stopwords, true)
	added("allowlist.values", b.Allowlist.Values, h.Allowlist.Values, false)
	added("disable-rules", b.DisableRules, h.DisableRules, true)
	added("rules", b.Rules, h.Rules, true)
	if sev(h.FailOn) > sev(b.FailOn) {
		out = append(out, fmt.Sprintf("fail-on raised to %s", clipQuote(scalar(h.FailOn))))
	}
	if limit(h.MaxFileSize) < limit(b.MaxFileSize) {
		out = append(out, fmt.Sprintf("max-file-size lowered to %s", clipQuote(scalar(h.MaxFileSize))))
	}
	if scalar(h.Baseline) != scalar(b.Baseline) {
		out = append(out, fmt.Sprintf("baseline now %s", clipQuote(scalar(h.Baseline))))
	}
	if scalar(h.FPKey) != scalar(b.FPKey) {
		out = append(out, "fingerprint-key changed")
	}
	return out
}

func scalar(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func sev(v any) detectors.Severity {
	s, err := detectors.ParseSeverity(scalar(v))
	if err != nil || scalar(v) == "" {
		return detectors.SeverityInfo
	}
	return s
}

// limit is the size limit v sets; no limit is the largest.
func limit(v any) int64 {
	s := scalar(v)
	if s == "" {
		s = "100MB"
	}
	n, err := scanner.ParseSize(s)
	if err != nil {
		return 100 << 20
	}
	if n == 0 {
		return 1<<63 - 1
	}
	return n
}

func clipQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}

func PolicyFinding(file, commit, what string) scanner.Finding {
	return scanner.Finding{
		RuleID:      ConfigChangeRule,
		RuleName:    ConfigChangeRuleInfo.Name,
		Description: "Scan policy widened: " + what + ". " + ConfigChangeRuleInfo.Description,
		Severity:    ConfigChangeRuleInfo.Severity,
		File:        file,
		Line:        1,
		Column:      1,
		EndLine:     1,
		EndColumn:   1,
		// There is no secret: the preview column says what changed.
		Secret:      "policy change: " + what,
		Redacted:    what,
		Fingerprint: scanner.Fingerprint(nil, ConfigChangeRule+"\x00"+file+"\x00"+what),
		Commit:      commit,
	}
}

// NewAllows returns a finding for each match an inline allow comment
// silenced in the range that was not silenced the same way at the base:
// the comment is part of the change under review. Matches the base's
// baseline accepts are not counted.
func (g *View) NewAllows(e *scanner.Engine, bl *scanner.Baseline, allowed []scanner.Finding) ([]scanner.Finding, error) {
	type key struct{ rule, fp string }
	atBase := map[string]map[key]bool{}
	var out []scanner.Finding
	seen := map[string]bool{}
	for _, f := range allowed {
		if bl != nil && bl.Contains(f) {
			continue
		}
		known, ok := atBase[f.File]
		if !ok {
			known = map[key]bool{}
			data, err := g.readAt(g.base, f.File)
			if err == nil {
				be := &scanner.Engine{Matcher: e.Matcher, Workers: 1, KeepAllowed: true, FingerprintKey: e.FingerprintKey}
				res, err := be.Run(g.ctx, &scanner.ReaderSource{R: bytes.NewReader(data), Name: f.File})
				if err != nil {
					return nil, err
				}
				for _, a := range res.Allowed {
					known[key{a.RuleID, a.Fingerprint}] = true
				}
			} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, errSymlinkAtBase) {
				return nil, err
			}
			atBase[f.File] = known
		}
		if known[key{f.RuleID, f.Fingerprint}] {
			continue
		}
		what := fmt.Sprintf("inline allow comment added: silences a %s match (fingerprint %s)", f.RuleID, f.Fingerprint)
		id := f.File + "\x00" + what
		if seen[id] {
			continue
		}
		seen[id] = true
		pf := PolicyFinding(f.File, f.Commit, what)
		pf.Line, pf.EndLine = f.Line, f.Line
		pf.Author, pf.Email, pf.Date, pf.Message, pf.Blob = f.Author, f.Email, f.Date, f.Message, f.Blob
		out = append(out, pf)
	}
	return out, nil
}

// ignoreWidening reports each line a tip's .gitleaksignore (rel) holds
// that the base's does not: an entry the range adds to silence a finding.
func (g *View) ignoreWidening(rel string) ([]scanner.Finding, error) {
	lines := func(data []byte) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				m[l] = true
			}
		}
		return m
	}
	base, err := g.readAt(g.base, rel)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	had := lines(base)
	var out []scanner.Finding
	err = g.atTips(rel, func(h string, head []byte) {
		var added []string
		for l := range lines(head) {
			if !had[l] {
				added = append(added, l)
			}
		}
		sort.Strings(added)
		for _, l := range added {
			out = append(out, PolicyFinding(rel, h, "ignore entry added: "+clipQuote(l)))
		}
	})
	return out, err
}

func values(n int) string {
	if n == 1 {
		return "1 value"
	}
	return strconv.Itoa(n) + " values"
}

// absPath is p made absolute (cleaned when the working directory is gone).
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
