package detectors

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
)

// ImportedPrefix starts the id of every rule imported from gitleaks, so
// an imported rule never takes the id of a built-in one by accident.
const ImportedPrefix = "gitleaks-"

// Imported marks a rule converted from a gitleaks or Betterleaks config
// and carries what of that config depends on where a match was found:
// the rule's own path condition and its allowlists (the config's global
// allowlists are copied into every rule they apply to). The scan engine
// applies them through Drops, where the file, the commit and the text are
// known. `rules check` only warns when an imported rule lacks examples.
type Imported struct {
	// From names the tool ("gitleaks"); ID is the rule's id there.
	From string `yaml:"from" json:"from"`
	ID   string `yaml:"id" json:"id"`
	// Path, if set, is a regular expression a file's path must match for
	// the rule to report anything in it.
	Path       string              `yaml:"path,omitempty" json:"path,omitempty"`
	Allowlists []ImportedAllowlist `yaml:"allowlists,omitempty" json:"allowlists,omitempty"`

	once     sync.Once
	err      error
	pathRe   *regexp.Regexp
	compiled []compiledAllowlist
}

// ImportedAllowlist is one gitleaks allowlist with gitleaks's semantics:
// with condition "or" (the default) a match is allowed when its commit or
// path is listed, or its regex target matches a regex, or the secret holds
// a stopword; with "and", every kind of check the allowlist has must hold.
type ImportedAllowlist struct {
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Condition   string   `yaml:"condition,omitempty" json:"condition,omitempty"`
	Commits     []string `yaml:"commits,omitempty" json:"commits,omitempty"`
	Paths       []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	// RegexTarget is what Regexes test: "secret" (default), "match" (the
	// whole text the rule matched) or "line" (the line holding the match).
	RegexTarget string   `yaml:"regex_target,omitempty" json:"regex_target,omitempty"`
	Regexes     []string `yaml:"regexes,omitempty" json:"regexes,omitempty"`
	Stopwords   []string `yaml:"stopwords,omitempty" json:"stopwords,omitempty"`
}

type compiledAllowlist struct {
	and       bool
	commits   map[string]bool
	paths     []*regexp.Regexp
	target    string
	regexes   []*regexp.Regexp
	stopwords []string
}

// compile builds the regular expressions once. gitleaks evaluates them
// with Go's regexp package, so they are compiled with it here too.
func (im *Imported) compile() error {
	im.once.Do(func() {
		if im.Path != "" {
			if im.pathRe, im.err = regexp.Compile(im.Path); im.err != nil {
				im.err = fmt.Errorf("path: %w", im.err)
				return
			}
		}
		for i, a := range im.Allowlists {
			c := compiledAllowlist{target: a.RegexTarget}
			switch strings.ToLower(a.Condition) {
			case "", "or", "||":
			case "and", "&&":
				c.and = true
			default:
				im.err = fmt.Errorf("allowlist %d: condition %q (want and or or)", i+1, a.Condition)
				return
			}
			switch a.RegexTarget {
			case "", "secret", "match", "line":
			default:
				im.err = fmt.Errorf("allowlist %d: regex_target %q (want secret, match or line)", i+1, a.RegexTarget)
				return
			}
			if len(a.Commits)+len(a.Paths)+len(a.Regexes)+len(a.Stopwords) == 0 {
				im.err = fmt.Errorf("allowlist %d is empty", i+1)
				return
			}
			for _, s := range a.Commits {
				if c.commits == nil {
					c.commits = map[string]bool{}
				}
				c.commits[strings.ToLower(strings.TrimSpace(s))] = true
			}
			for _, lists := range []struct {
				in  []string
				out *[]*regexp.Regexp
			}{{a.Paths, &c.paths}, {a.Regexes, &c.regexes}} {
				for _, p := range lists.in {
					re, err := regexp.Compile(p)
					if err != nil {
						im.err = fmt.Errorf("allowlist %d: %w", i+1, err)
						return
					}
					*lists.out = append(*lists.out, re)
				}
			}
			for _, w := range a.Stopwords {
				c.stopwords = append(c.stopwords, strings.ToLower(w))
			}
			im.compiled = append(im.compiled, c)
		}
	})
	return im.err
}

// Validate checks the imported rule's path and allowlists. A nil
// Imported is valid.
func (im *Imported) Validate() error {
	if im == nil {
		return nil
	}
	if err := im.compile(); err != nil {
		return fmt.Errorf("imported: %w", err)
	}
	return nil
}

// Drops reports whether the imported config would not report m, found
// in data (the text of the file at path, in commit if scanning history):
// the file is outside the rule's path, or an allowlist allows the match.
// A nil Imported drops nothing; so does one that does not compile
// (Validate reports that when the rule is loaded).
func (im *Imported) Drops(path, commit string, data []byte, m Match) bool {
	if im == nil || im.compile() != nil {
		return false
	}
	if im.pathRe != nil && !im.pathRe.MatchString(path) {
		return true
	}
	for _, a := range im.compiled {
		if a.allows(path, commit, data, m) {
			return true
		}
	}
	return false
}

func (a *compiledAllowlist) allows(path, commit string, data []byte, m Match) bool {
	commitOK := commit != "" && a.commits[strings.ToLower(commit)]
	pathOK := path != "" && anyMatch(a.paths, path)
	var target string
	switch a.target {
	case "match":
		target = string(data[m.MatchStart:m.MatchEnd])
	case "line":
		s := bytes.LastIndexByte(data[:m.MatchStart], '\n') + 1
		e := bytes.IndexByte(data[m.MatchEnd:], '\n')
		if e < 0 {
			e = len(data)
		} else {
			e += m.MatchEnd
		}
		target = string(data[s:e])
	default:
		target = m.Secret
	}
	regexOK := target != "" && anyMatch(a.regexes, target)
	stopOK := false
	low := strings.ToLower(m.Secret)
	for _, w := range a.stopwords {
		if strings.Contains(low, w) {
			stopOK = true
			break
		}
	}
	if !a.and {
		return commitOK || pathOK || regexOK || stopOK
	}
	checks := 0
	for _, c := range []struct {
		has, ok bool
	}{{len(a.commits) > 0, commitOK}, {len(a.paths) > 0, pathOK}, {len(a.regexes) > 0, regexOK}, {len(a.stopwords) > 0, stopOK}} {
		if c.has {
			if !c.ok {
				return false
			}
			checks++
		}
	}
	return checks > 0
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// gitleaksConfig is a gitleaks / Betterleaks TOML config. Keys are
// matched without regard to case, as gitleaks (through viper) does.
type gitleaksConfig struct {
	Title       string `toml:"title"`
	Description string `toml:"description"`
	MinVersion  string `toml:"minVersion"`
	Extend      struct {
		Path          string   `toml:"path"`
		URL           string   `toml:"url"`
		UseDefault    bool     `toml:"useDefault"`
		DisabledRules []string `toml:"disabledRules"`
	} `toml:"extend"`
	Rules      []gitleaksRule            `toml:"rules"`
	Allowlist  *gitleaksGlobalAllowlist  `toml:"allowlist"`
	Allowlists []gitleaksGlobalAllowlist `toml:"allowlists"`
}

type gitleaksRule struct {
	ID          string              `toml:"id"`
	Description string              `toml:"description"`
	Regex       string              `toml:"regex"`
	SecretGroup int                 `toml:"secretGroup"`
	Entropy     float64             `toml:"entropy"`
	Keywords    []string            `toml:"keywords"`
	Path        string              `toml:"path"`
	Tags        []string            `toml:"tags"`
	Allowlist   *gitleaksAllowlist  `toml:"allowlist"`
	Allowlists  []gitleaksAllowlist `toml:"allowlists"`
	Required    []struct {
		ID string `toml:"id"`
	} `toml:"required"`
	SkipReport bool `toml:"skipReport"`
}

type gitleaksAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	Commits     []string `toml:"commits"`
	Paths       []string `toml:"paths"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	Stopwords   []string `toml:"stopwords"`
}

type gitleaksGlobalAllowlist struct {
	gitleaksAllowlist
	TargetRules []string `toml:"targetRules"`
}

func (a gitleaksAllowlist) imported() ImportedAllowlist {
	return ImportedAllowlist{Description: a.Description, Condition: strings.ToLower(a.Condition), Commits: a.Commits,
		Paths: a.Paths, RegexTarget: a.RegexTarget, Regexes: a.Regexes, Stopwords: a.Stopwords}
}

// GitleaksImport is the result of converting a gitleaks config.
type GitleaksImport struct {
	// File holds the converted rules, each marked Imported.
	File *RuleFile
	// Carried says, one line per kind, what was carried over.
	Carried []string
	// NotCarried names everything in the config that sprawl does not
	// apply, each with the reason: nothing is dropped without a word.
	NotCarried []string
	// UseDefault is [extend] useDefault: the config adds to gitleaks's
	// own rules. sprawl's built-in rules then play that part.
	UseDefault bool
	// Allowlist is what of the global allowlists sprawl's own
	// allowlist setting can express (paths, regexes on the secret and
	// stopwords of "or" allowlists that target every rule), so that the
	// built-in rules honour them too.
	Allowlist Allowlist
	// AllowPaths are the path expressions that go with Allowlist.
	AllowPaths []string
}

// ImportGitleaks converts a gitleaks or Betterleaks TOML config into
// sprawl rules. Every rule id gets ImportedPrefix; regexes keep their
// meaning (the secretGroup becomes the named "secret" group); rules
// without keywords get the longest literal of their regex. Per-rule and
// global allowlists (commits, paths, regexes with their regexTarget,
// stopwords, and/or condition, targetRules) and a rule's path condition
// travel with each rule as Imported. What cannot be expressed (path-only
// rules, required companions, an [extend] path, …) is listed in
// NotCarried.
func ImportGitleaks(data []byte, source string) (*GitleaksImport, error) {
	var cfg gitleaksConfig
	if err := toml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrRuleFile, source, oneLineErr(err))
	}
	res := &GitleaksImport{File: &RuleFile{Provider: cfg.Title}, UseDefault: cfg.Extend.UseDefault}
	if res.File.Provider == "" {
		res.File.Provider = "imported from " + source
	}
	note := func(format string, args ...any) {
		res.NotCarried = append(res.NotCarried, fmt.Sprintf(format, args...))
	}

	// Keys this importer does not know are reported, never skipped.
	var strict gitleaksConfig
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sme *toml.StrictMissingError
	if err := dec.Decode(&strict); errors.As(err, &sme) {
		seen := map[string]bool{}
		for _, e := range sme.Errors {
			k := strings.Join(e.Key(), ".")
			if !seen[k] {
				seen[k] = true
				note("key %s: not understood by the importer", k)
			}
		}
	}

	if cfg.MinVersion != "" {
		note("minVersion %s: a gitleaks version requirement, meaningless to sprawl", cfg.MinVersion)
	}
	if cfg.Extend.Path != "" || cfg.Extend.URL != "" {
		note("[extend] %s: not followed; import that config as well", firstNonEmpty(cfg.Extend.Path, cfg.Extend.URL))
	}
	if len(cfg.Extend.DisabledRules) > 0 {
		note("[extend] disabledRules %s: these are gitleaks's rule ids; disable the matching built-in rules with disable-rules in .sprawl.yaml (see 'sprawl rules list')", strings.Join(cfg.Extend.DisabledRules, ", "))
	}

	// Global allowlists: copied into the rules they target, and what
	// sprawl's allowlist setting can say goes there too.
	type global struct {
		al      ImportedAllowlist
		targets map[string]bool
	}
	var globals []global
	all := cfg.Allowlists
	if cfg.Allowlist != nil {
		all = append([]gitleaksGlobalAllowlist{*cfg.Allowlist}, all...)
	}
	for i, g := range all {
		al := g.gitleaksAllowlist.imported()
		gl := global{al: al}
		if len(g.TargetRules) > 0 {
			gl.targets = map[string]bool{}
			for _, t := range g.TargetRules {
				gl.targets[t] = true
			}
		}
		globals = append(globals, gl)
		name := fmt.Sprintf("global allowlist %d", i+1)
		if al.Description != "" {
			name += fmt.Sprintf(" (%s)", al.Description)
		}
		switch {
		case gl.targets != nil:
			note("%s: targets rules %s, so it applies to those imported rules only, not to sprawl's built-in rules", name, strings.Join(g.TargetRules, ", "))
		case al.Condition == "and" || al.Condition == "&&":
			note("%s: condition AND applies to the imported rules only; sprawl's allowlist setting cannot combine conditions for its built-in rules", name)
		default:
			res.AllowPaths = append(res.AllowPaths, al.Paths...)
			res.Allowlist.Stopwords = append(res.Allowlist.Stopwords, al.Stopwords...)
			if al.RegexTarget == "" || al.RegexTarget == "secret" {
				res.Allowlist.Regexes = append(res.Allowlist.Regexes, al.Regexes...)
			} else if len(al.Regexes) > 0 {
				note("%s: regexes on the %s apply to the imported rules only; sprawl's allowlist setting tests the secret", name, al.RegexTarget)
			}
			if len(al.Commits) > 0 {
				note("%s: commits apply to the imported rules only; sprawl's allowlist setting has no commits (use a baseline)", name)
			}
		}
	}

	builtinIDs := map[string]bool{}
	if b, err := Builtin(); err == nil {
		for _, r := range b {
			builtinIDs[r.ID] = true
		}
	}
	seen := map[string]bool{}
	var nRuleAllow, nPath, nGlobal int
	for _, g := range cfg.Rules {
		r, err := convertGitleaksRule(g, source)
		if err != nil {
			note("rule %s: skipped: %v", g.ID, err)
			continue
		}
		if builtinIDs[r.ID] || seen[r.ID] {
			note("rule %s: skipped: id %s is already taken", g.ID, r.ID)
			continue
		}
		seen[r.ID] = true
		if len(g.Required) > 0 {
			var ids []string
			for _, q := range g.Required {
				ids = append(ids, q.ID)
			}
			note("rule %s: its required companions (%s) are not checked; it reports on its own match", g.ID, strings.Join(ids, ", "))
		}
		if g.SkipReport {
			note("rule %s: skipReport (it only served as a companion) is not honoured; disable %s if it is noisy", g.ID, r.ID)
		}
		if g.Path != "" {
			nPath++
		}
		if re, err := syntax.Parse(g.Regex, syntax.Perl); err == nil && g.SecretGroup == 0 && re.MaxCap() > 1 && !firstGroupAlwaysSet(re) {
			note("rule %s: the regex has %d groups and no secretGroup; gitleaks reports the first group that matched, sprawl always group 1", g.ID, re.MaxCap())
		}
		nRuleAllow += len(r.Imported.Allowlists)
		for _, gl := range globals {
			if gl.targets == nil || gl.targets[g.ID] {
				r.Imported.Allowlists = append(r.Imported.Allowlists, gl.al)
				nGlobal++
			}
		}
		if err := r.Validate(); err != nil {
			note("rule %s: skipped: %v", g.ID, err)
			delete(seen, r.ID)
			continue
		}
		res.File.Rules = append(res.File.Rules, r)
	}
	for _, gl := range globals {
		for t := range gl.targets {
			if !seen[ImportedPrefix+kebab(t)] {
				note("a global allowlist targets rule %s, which is not among the imported rules", t)
			}
		}
	}
	if len(res.File.Rules) == 0 {
		return res, fmt.Errorf("%w %s: no rule could be imported", ErrRuleFile, source)
	}
	res.Carried = append(res.Carried, fmt.Sprintf("%d of %d rules (ids prefixed %q)", len(res.File.Rules), len(cfg.Rules), ImportedPrefix))
	if nRuleAllow > 0 {
		res.Carried = append(res.Carried, fmt.Sprintf("%d rule allowlists (commits, paths, regexes with their target, stopwords, condition)", nRuleAllow))
	}
	if len(globals) > 0 {
		res.Carried = append(res.Carried, fmt.Sprintf("%d global allowlists, copied into the imported rules (%d copies)", len(globals), nGlobal))
	}
	if nPath > 0 {
		res.Carried = append(res.Carried, fmt.Sprintf("%d rule path conditions", nPath))
	}
	if cfg.Extend.UseDefault {
		res.Carried = append(res.Carried, "[extend] useDefault: sprawl's built-in rules run alongside the imported ones")
	} else {
		note("[extend] useDefault is not set: gitleaks ran only this config's rules, but sprawl's built-in rules run alongside them unless listed in disable-rules")
	}
	sort.Strings(res.NotCarried)
	return res, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func oneLineErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func kebab(id string) string {
	return strings.ReplaceAll(strings.ToLower(id), "_", "-")
}

func convertGitleaksRule(g gitleaksRule, source string) (*Rule, error) {
	if g.ID == "" {
		return nil, fmt.Errorf("no id")
	}
	if g.Regex == "" {
		return nil, fmt.Errorf("path-only rules (a file's name is the finding) are not supported (path %q)", g.Path)
	}
	pattern, err := nameSecretGroup(g.Regex, g.SecretGroup)
	if err != nil {
		return nil, err
	}
	kws := g.Keywords
	if len(kws) == 0 {
		if lit := longestLiteral(g.Regex); len(lit) >= 3 {
			kws = []string{strings.ToLower(lit)}
		} else {
			return nil, fmt.Errorf("no keywords, and the regex has no literal of 3+ characters to use as one")
		}
	}
	name := g.Description
	if name == "" {
		name = g.ID
	}
	id := kebab(g.ID)
	if !strings.HasPrefix(id, ImportedPrefix) {
		id = ImportedPrefix + id
	}
	r := &Rule{
		ID:          id,
		Name:        name,
		Description: g.Description,
		Keywords:    kws,
		Pattern:     pattern,
		Entropy:     g.Entropy,
		Severity:    SeverityMedium,
		Tags:        append([]string{"imported"}, g.Tags...),
		References:  []string{"imported from " + source},
		Imported:    &Imported{From: "gitleaks", ID: g.ID, Path: g.Path},
		// gitleaks lets any other rule's finding of the same secret win
		// over a rule whose id says "generic", as sprawl does for
		// generic rules.
		Generic: strings.Contains(strings.ToLower(g.ID), "generic"),
	}
	if spansLines(g.Regex) {
		// A PEM block: the pattern must see the whole block, not a
		// few hundred bytes around its keyword.
		r.Window = multiLineWindow
	}
	var als []gitleaksAllowlist
	if g.Allowlist != nil {
		als = append(als, *g.Allowlist)
	}
	for _, al := range append(als, g.Allowlists...) {
		r.Imported.Allowlists = append(r.Imported.Allowlists, al.imported())
	}
	return r, nil
}

// SplitImportedProblems separates the problems of Check that only say an
// imported rule lacks examples or references (warnings: an imported rule
// arrives without them) from the rest (failures).
func SplitImportedProblems(rules []*Rule, probs []Problem) (fail, warn []Problem) {
	imported := map[string]bool{}
	for _, r := range rules {
		if r.Imported != nil {
			imported[r.ID] = true
		}
	}
	for _, p := range probs {
		if imported[p.RuleID] && strings.HasPrefix(p.Msg, "has ") {
			warn = append(warn, p)
			continue
		}
		fail = append(fail, p)
	}
	return fail, warn
}

// nameSecretGroup names capture group n (or, with n == 0, the first group
// if there is one, else the whole expression) "secret", editing the text
// so the pattern reads as its author wrote it.
func nameSecretGroup(expr string, n int) (string, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("regex: %v", err)
	}
	if re.MaxCap() == 0 {
		if n > 0 {
			return "", fmt.Errorf("secretGroup %d, but the regex has no groups", n)
		}
		return "(?P<secret>" + expr + ")", nil
	}
	if n == 0 {
		n = 1
	}
	if n > re.MaxCap() {
		return "", fmt.Errorf("secretGroup %d does not exist", n)
	}
	idx, inClass := 0, false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(expr) && expr[i+1] == ']' {
				i++
			} else if i+2 < len(expr) && expr[i+1] == '^' && expr[i+2] == ']' {
				i += 2
			}
		case c == '(':
			rest := expr[i+1:]
			var nameStart int
			switch {
			case strings.HasPrefix(rest, "?P<"):
				nameStart = 3
			case strings.HasPrefix(rest, "?<"):
				nameStart = 2
			case strings.HasPrefix(rest, "?"):
				continue // non-capturing group or flags
			}
			idx++
			if idx != n {
				continue
			}
			if nameStart == 0 {
				return expr[:i+1] + "?P<" + SecretGroup + ">" + expr[i+1:], nil
			}
			end := strings.IndexByte(rest, '>')
			return expr[:i+1] + "?P<" + SecretGroup + ">" + rest[end+1:], nil
		}
	}
	return "", fmt.Errorf("secretGroup %d not found", n)
}

// firstGroupAlwaysSet reports whether capture group 1 takes part in
// every match and never matches the empty string: then gitleaks's "first
// group that matched" is always group 1.
func firstGroupAlwaysSet(re *syntax.Regexp) bool {
	var walk func(*syntax.Regexp) (found, ok bool)
	walk = func(r *syntax.Regexp) (bool, bool) {
		if r.Op == syntax.OpCapture && r.Cap == 1 {
			empty := regexp.MustCompile(`^(?:` + r.Sub[0].String() + `)$`).MatchString("")
			return true, !empty
		}
		mandatory := r.Op == syntax.OpConcat || r.Op == syntax.OpCapture || r.Op == syntax.OpPlus ||
			r.Op == syntax.OpRepeat && r.Min >= 1
		for _, s := range r.Sub {
			if found, ok := walk(s); found {
				return true, ok && mandatory
			}
		}
		return false, false
	}
	_, ok := walk(re)
	return ok
}

// multiLineWindow is the window given to imported patterns that span
// many lines (see spansLines).
const multiLineWindow = 16 << 10

// spansLines reports whether expr has a long run of a class holding the
// newline (like a PEM body, [\s\S-]{64,}): gitleaks runs patterns on the
// whole file, sprawl around keywords.
func spansLines(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	found := false
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		if r.Op == syntax.OpRepeat && r.Min >= 32 && (r.Sub[0].Op == syntax.OpAnyChar ||
			r.Sub[0].Op == syntax.OpCharClass && classHas(r.Sub[0].Rune, '\n')) {
			found = true
		}
		for _, s := range r.Sub {
			walk(s)
		}
	}
	walk(re)
	return found
}

func classHas(ranges []rune, c rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= c && c <= ranges[i+1] {
			return true
		}
	}
	return false
}

// longestLiteral returns the longest literal string the regex requires.
func longestLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	best := ""
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpLiteral:
			if s := string(r.Rune); len(s) > len(best) {
				best = s
			}
		case syntax.OpConcat, syntax.OpCapture:
			for _, s := range r.Sub {
				walk(s)
			}
		case syntax.OpPlus:
			walk(r.Sub[0])
		case syntax.OpRepeat:
			if r.Min > 0 {
				walk(r.Sub[0])
			}
		}
	}
	walk(re)
	return best
}
