package detectors

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"gopkg.in/yaml.v3"
)

//go:embed rules/*.yaml
var builtinFS embed.FS

// The embedded rule files, pre-parsed (without examples) by
// `go generate ./detectors`, are catalogueRules in catalogue_gen.go: a
// composite literal of constants that the compiler lays out in the
// binary, where parsing the YAML takes tens of milliseconds, which a
// pre-commit hook cannot spare, and decoding any serialised form a few.
// The same command writes the catalogue's keyword automaton
// (keywords.bin). TestCatalogueFresh fails when either lags behind
// rules/*.yaml.
//
//go:generate go run ./internal/gencatalogue

// ErrRuleFile marks a rule file that cannot be read or parsed.
var ErrRuleFile = errors.New("invalid rule file")

// ErrRuleIDTaken marks a custom rule that reuses the id of a rule already
// loaded without saying override: true.
var ErrRuleIDTaken = errors.New("rule id already in use")

// Builtin returns a fresh copy of the embedded rule catalogue, sorted by
// id, without examples (see BuiltinWithExamples). Callers may modify it.
func Builtin() ([]*Rule, error) {
	if firstHandedOut.CompareAndSwap(false, true) {
		// Most processes ask once: that caller gets the second copy
		// the binary holds, where it lies. Copying the catalogue
		// would touch about 100 fresh pages of heap, 2 ms of page
		// faults where they cost 20 µs each.
		out := make([]*Rule, len(catalogueFirst))
		for i := range catalogueFirst {
			out[i] = &catalogueFirst[i]
		}
		return out, nil
	}
	return copyRules(catalogueRules[:]), nil
}

// firstHandedOut is set once catalogueFirst has gone to a caller.
var firstHandedOut atomic.Bool

// copyRules copies rules as clone does, each rule's lists and the
// structures it points to its own, in a handful of allocations instead
// of several per rule.
func copyRules(src []Rule) []*Rule {
	nStr, nVerify, nNearby, nImported := 0, 0, 0, 0
	for i := range src {
		r := &src[i]
		nStr += len(r.Keywords) + len(r.Tags) + len(r.Allow) + len(r.References) + len(r.Examples) + len(r.NegativeExamples)
		if r.Verify != nil {
			nVerify++
		}
		if r.Nearby != nil {
			nNearby++
			nStr += len(r.Nearby.Patterns)
		}
		if r.Imported != nil {
			nImported++
		}
	}
	strs := make([]string, 0, nStr)
	// list copies l into strs; the copy's capacity is its length, so
	// that an append by the caller reallocates instead of overwriting
	// the next list.
	list := func(l []string) []string {
		if l == nil {
			return nil
		}
		n := len(strs)
		strs = append(strs, l...)
		return strs[n:len(strs):len(strs)]
	}
	verifies := make([]Verify, nVerify)
	nearbies := make([]Nearby, nNearby)
	imported := make([]Imported, nImported)
	rules := make([]Rule, len(src))
	out := make([]*Rule, len(src))
	for i := range src {
		r, c := &src[i], &rules[i]
		c.ID, c.Name, c.Description, c.Provider = r.ID, r.Name, r.Description, r.Provider
		c.Keywords, c.Pattern, c.Compiled = list(r.Keywords), r.Pattern, r.Compiled
		c.Entropy, c.MinLength, c.Checksum, c.Context = r.Entropy, r.MinLength, r.Checksum, r.Context
		c.ContextLines, c.Window, c.Generic, c.Container = r.ContextLines, r.Window, r.Generic, r.Container
		c.CredentialFile, c.Decode, c.Class, c.Severity = r.CredentialFile, r.Decode, r.Class, r.Severity
		c.Tags, c.Allow, c.References = list(r.Tags), list(r.Allow), list(r.References)
		c.Override, c.Examples, c.NegativeExamples = r.Override, list(r.Examples), list(r.NegativeExamples)
		if im := r.Imported; im != nil {
			c.Imported = &imported[0]
			imported = imported[1:]
			*c.Imported = Imported{From: im.From, ID: im.ID, Path: im.Path, Allowlists: slices.Clone(im.Allowlists)}
		}
		if r.Verify != nil {
			c.Verify = &verifies[0]
			verifies = verifies[1:]
			*c.Verify = *r.Verify
		}
		if n := r.Nearby; n != nil {
			c.Nearby = &nearbies[0]
			nearbies = nearbies[1:]
			c.Nearby.Lines, c.Nearby.Patterns = n.Lines, list(n.Patterns)
		}
		out[i] = c
	}
	return out
}

// clone copies r's exported fields, and the lists and the verification
// spec they point to, so that a caller's changes stay its own.
func (r *Rule) clone() *Rule {
	c := &Rule{ID: r.ID, Name: r.Name, Description: r.Description, Provider: r.Provider,
		Keywords: slices.Clone(r.Keywords), Pattern: r.Pattern, Compiled: r.Compiled,
		Entropy: r.Entropy, MinLength: r.MinLength, Checksum: r.Checksum, Context: r.Context,
		ContextLines: r.ContextLines, Window: r.Window, Generic: r.Generic, Container: r.Container,
		CredentialFile: r.CredentialFile, Decode: r.Decode, Class: r.Class, Severity: r.Severity,
		Tags: slices.Clone(r.Tags), Allow: slices.Clone(r.Allow), References: slices.Clone(r.References),
		Override: r.Override, Examples: slices.Clone(r.Examples), NegativeExamples: slices.Clone(r.NegativeExamples)}
	if im := r.Imported; im != nil {
		c.Imported = &Imported{From: im.From, ID: im.ID, Path: im.Path, Allowlists: slices.Clone(im.Allowlists)}
	}
	if r.Verify != nil {
		v := *r.Verify
		c.Verify = &v
	}
	if n := r.Nearby; n != nil {
		c.Nearby = &Nearby{Lines: n.Lines, Patterns: slices.Clone(n.Patterns)}
	}
	return c
}

// CatalogueEntries returns rules as the embedded catalogue holds them:
// without their examples, each with its pattern as handed to RE2
// (Compiled). `go generate ./detectors` writes them to catalogue_gen.go.
func CatalogueEntries(rules []*Rule) []*Rule {
	slim := make([]*Rule, len(rules))
	for i, r := range rules {
		slim[i] = &Rule{ID: r.ID, Name: r.Name, Description: r.Description, Provider: r.Provider, Keywords: r.Keywords,
			Pattern: r.Pattern, Compiled: simplifyRepeats(r.Pattern), Entropy: r.Entropy, MinLength: r.MinLength, Checksum: r.Checksum, Context: r.Context,
			ContextLines: r.ContextLines, Window: r.Window, Generic: r.Generic, Container: r.Container, CredentialFile: r.CredentialFile, Decode: r.Decode, Class: r.Class, Severity: r.Severity,
			Tags: r.Tags, Allow: r.Allow, References: r.References, Verify: r.Verify}
		if n := r.Nearby; n != nil {
			slim[i].Nearby = &Nearby{Lines: n.Lines, Patterns: n.Patterns}
		}
	}
	return slim
}

// BuiltinWithExamples parses the embedded rule files themselves, examples
// included, for `rules check` and the tests.
func BuiltinWithExamples() ([]*Rule, error) {
	entries, err := fs.Glob(builtinFS, "rules/*.yaml")
	if err != nil {
		return nil, err
	}
	var all []*Rule
	for _, name := range entries {
		data, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rules, err := ParseRules(data, name)
		if err != nil {
			return nil, err
		}
		all = append(all, rules...)
	}
	return checkUnique(sortRules(all))
}

// ParseRules reads one rule file. Unknown fields are an error, so a typo
// in a user's rule file does not silently drop a setting.
func ParseRules(data []byte, name string) ([]*Rule, error) {
	var f RuleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w %s: %s", ErrRuleFile, name, safeYAMLError(err))
	}
	if len(f.Rules) == 0 {
		return nil, fmt.Errorf("%w %s: no rules", ErrRuleFile, name)
	}
	for i, r := range f.Rules {
		if r == nil {
			return nil, fmt.Errorf("%w %s: rule %d is empty", ErrRuleFile, name, i+1)
		}
		r.Provider = f.Provider
		if r.Provider == "" {
			r.Provider = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		}
	}
	return f.Rules, nil
}

// LoadPath reads a rule file, or every *.yaml / *.yml file in a directory.
func LoadPath(path string) ([]*Rule, error) {
	files, err := RuleFiles(path)
	if err != nil {
		return nil, err
	}
	var all []*Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRuleFile, err)
		}
		rules, err := ParseRules(data, f)
		if err != nil {
			return nil, err
		}
		all = append(all, rules...)
	}
	return all, nil
}

// RuleFiles returns path if it is a file, or the *.yaml / *.yml files of
// the directory path, sorted. It reads no contents, so a caller can vet
// each file (where it really lives) before parsing it.
func RuleFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuleFile, err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(path, pat))
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml rule files in %s", ErrRuleFile, path)
	}
	return files, nil
}

// Merge returns base with extra added and the ids of the base rules that
// extra replaced. An extra rule with the id of a base rule replaces it
// only if it says override: true; otherwise Merge fails with
// ErrRuleIDTaken naming the id.
func Merge(base, extra []*Rule) ([]*Rule, []string, error) {
	byID := map[string]int{}
	out := append([]*Rule(nil), base...)
	for i, r := range out {
		byID[r.ID] = i
	}
	seen := map[string]bool{}
	var replaced []string
	for _, r := range extra {
		if seen[r.ID] {
			return nil, nil, fmt.Errorf("%w: rule id %q defined twice", ErrRuleFile, r.ID)
		}
		seen[r.ID] = true
		if i, ok := byID[r.ID]; ok {
			if !r.Override {
				return nil, nil, fmt.Errorf("%w: %q is the id of a built-in or already loaded rule; rename the rule, or set override: true to replace that rule", ErrRuleIDTaken, r.ID)
			}
			out[i] = r
			replaced = append(replaced, r.ID)
			continue
		}
		out = append(out, r)
	}
	return sortRules(out), replaced, nil
}

// yamlQuoted is how yaml.v3 quotes a value from the document in an error
// ("cannot unmarshal !!str `root:$6$…` into …").
var yamlQuoted = lazyRegexp("`[^`]*`")

// yamlField is how yaml.v3 names an unknown key ("field X not found").
var yamlField = lazyRegexp(`field (\S+) not found`)

// plainField is a key that reads like a setting's name, not like data.
var plainField = lazyRegexp(`^[a-z][a-z0-9_-]{0,23}$`)

// safeYAMLError describes a YAML decoding error without quoting the
// document. A rule file path can name any file the user can read (a
// password file, a key), and yaml.v3 quotes the offending value, or the
// unknown key, in its errors: those would print the file's first bytes.
// Keys that look like setting names are kept, so typos stay easy to spot.
func safeYAMLError(err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 2 {
		// A file that is not a rule file yields one error per line.
		msg = fmt.Sprintf("%s; %s (and %d more)", te.Errors[0], te.Errors[1], len(te.Errors)-2)
	}
	msg = yamlQuoted().ReplaceAllString(msg, "a value")
	msg = yamlField().ReplaceAllStringFunc(msg, func(m string) string {
		name := yamlField().FindStringSubmatch(m)[1]
		if plainField().MatchString(name) {
			return m
		}
		return "field (not shown) not found"
	})
	return strings.Join(strings.Fields(msg), " ")
}

// Disable returns rules without those whose id is listed.
func Disable(rules []*Rule, ids []string) ([]*Rule, error) {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	var out []*Rule
	for _, r := range rules {
		if drop[r.ID] {
			delete(drop, r.ID)
			continue
		}
		out = append(out, r)
	}
	for id := range drop {
		return nil, fmt.Errorf("cannot disable unknown rule %q", id)
	}
	return out, nil
}

func sortRules(rs []*Rule) []*Rule {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

func checkUnique(rs []*Rule) ([]*Rule, error) {
	for i := 1; i < len(rs); i++ {
		if rs[i].ID == rs[i-1].ID {
			return nil, fmt.Errorf("%w: rule id %q defined twice", ErrRuleFile, rs[i].ID)
		}
	}
	return rs, nil
}

// Problem is one failed check of one rule.
type Problem struct {
	RuleID string
	Msg    string
}

func (p Problem) String() string { return p.RuleID + ": " + p.Msg }

// Check validates rules and runs every example through a matcher built
// from all of them, the same way a scan would: each example must yield a
// match of its rule, each negative example none. It returns every problem
// found, in rule order.
func Check(rules []*Rule) []Problem {
	var probs []Problem
	seen := map[string]bool{}
	var valid []*Rule
	for _, r := range rules {
		if seen[r.ID] {
			probs = append(probs, Problem{r.ID, "id defined twice"})
			continue
		}
		seen[r.ID] = true
		if err := r.Validate(); err != nil {
			probs = append(probs, Problem{r.ID, err.Error()})
			continue
		}
		valid = append(valid, r)
	}
	m, err := NewMatcher(valid, Allowlist{})
	if err != nil {
		return append(probs, Problem{"*", err.Error()})
	}
	for _, r := range valid {
		if len(r.Examples) < 2 {
			probs = append(probs, Problem{r.ID, fmt.Sprintf("has %d examples, want at least 2", len(r.Examples))})
		}
		if len(r.NegativeExamples) < 1 {
			probs = append(probs, Problem{r.ID, "has no negative examples"})
		}
		if len(r.References) == 0 {
			probs = append(probs, Problem{r.ID, "has no references"})
		}
		for i, ex := range r.Examples {
			if !containsKeyword(ex, r.Keywords) {
				probs = append(probs, Problem{r.ID, fmt.Sprintf("example %d contains none of the keywords", i+1)})
				continue
			}
			matches := m.Match([]byte(ex))
			if r.Container && !hasRule(matches, r.ID) {
				// A container rule gives way to the secret decoded from
				// what it matched; on its own it must still match.
				if single, err := NewMatcher([]*Rule{r}, Allowlist{}); err == nil {
					matches = single.Match([]byte(ex))
				}
			}
			if !hasRule(matches, r.ID) {
				probs = append(probs, Problem{r.ID, fmt.Sprintf("example %d is not matched: %s", i+1, clip(ex))})
			}
		}
		for i, ex := range r.NegativeExamples {
			if hasRule(m.Match([]byte(ex)), r.ID) {
				probs = append(probs, Problem{r.ID, fmt.Sprintf("negative example %d is matched: %s", i+1, clip(ex))})
			}
		}
	}
	return probs
}

func containsKeyword(s string, kws []string) bool {
	low := strings.ToLower(s)
	for _, k := range kws {
		if strings.Contains(low, strings.ToLower(k)) {
			return true
		}
	}
	return false
}

func hasRule(ms []Match, id string) bool {
	for _, m := range ms {
		if m.Rule.ID == id {
			return true
		}
	}
	return false
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
