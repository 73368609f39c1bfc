package scanner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// GitleaksIgnoreFile is the name gitleaks gives its ignore file.
const GitleaksIgnoreFile = ".gitleaksignore"

// GitleaksIgnore is a parsed .gitleaksignore: gitleaks finding
// fingerprints, one a line, in two forms:
//
//	file:rule-id:line          any commit, or no commit (a directory scan)
//	commit:file:rule-id:line   that commit only
//
// Blank lines and lines starting with # are skipped; backslashes in the
// file are read as slashes, as gitleaks does.
//
// Unlike a sprawl baseline, these entries name a line, not a secret: an
// edit that moves the secret brings it back, and another secret placed on
// the line is hidden. Convert them to a baseline when convenient.
type GitleaksIgnore struct {
	entries []ignoreEntry
	// Invalid lists the lines that are not fingerprints, as "N: text".
	Invalid []string
}

type ignoreEntry struct {
	commit, file, rule string
	line               int
}

// ReadGitleaksIgnore parses a .gitleaksignore.
func ReadGitleaksIgnore(r io.Reader) (*GitleaksIgnore, error) {
	g := &GitleaksIgnore{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, ":")
		var e ignoreEntry
		switch len(parts) {
		case 3:
			e.file, e.rule = parts[0], parts[1]
		case 4:
			e.commit, e.file, e.rule = strings.ToLower(parts[0]), parts[1], parts[2]
		default:
			g.Invalid = append(g.Invalid, fmt.Sprintf("%d: %s", n, text))
			continue
		}
		line, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil || line < 0 || e.file == "" || e.rule == "" {
			g.Invalid = append(g.Invalid, fmt.Sprintf("%d: %s", n, text))
			continue
		}
		e.line = line
		e.file = normalizeIgnorePath(e.file)
		g.entries = append(g.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

// LoadGitleaksIgnore reads path; a missing file gives (nil, nil).
func LoadGitleaksIgnore(path string) (*GitleaksIgnore, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := ReadGitleaksIgnore(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

func normalizeIgnorePath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return p
}

// Len is the number of fingerprints read.
func (g *GitleaksIgnore) Len() int { return len(g.entries) }

// IgnoreReport says how a .gitleaksignore was applied.
type IgnoreReport struct {
	// Ignored is how many findings the file removed.
	Ignored int
	// UnknownRules are gitleaks rule ids that name no rule of the scan
	// (neither the id itself nor its imported form): their entries
	// match a finding of any rule on that file and line.
	UnknownRules []string
	// CommitOnly counts entries naming a commit while the findings have
	// none (a directory scan): they apply to history scans only.
	CommitOnly int
}

// Filter drops the findings an entry names. A finding matches an entry
// when its file is the entry's file (or the entry's file ends with
// "/"+file: gitleaks prefixes directory scans with the path it was
// given), its line is the entry's line, an entry with a commit names the
// finding's commit, and the rule matches. The rule matches when the
// finding's rule id is the entry's, or the entry's as 'rules import' names
// it (importedPrefix + id, lower-case, "_" as "-"). When ruleKnown says
// neither form is a rule of the scan, any rule matches: sprawl's own rule
// for that credential has another id.
func (g *GitleaksIgnore) Filter(fs []Finding, importedPrefix string, ruleKnown func(string) bool) ([]Finding, IgnoreReport) {
	var rep IgnoreReport
	if g == nil || len(g.entries) == 0 {
		return fs, rep
	}
	type key struct {
		file string
		line int
	}
	byPlace := map[key][]int{}
	unknown := map[string]bool{}
	known := make([]bool, len(g.entries))
	mapped := make([]string, len(g.entries))
	anyCommit := false
	for _, f := range fs {
		if f.Commit != "" {
			anyCommit = true
			break
		}
	}
	for i, e := range g.entries {
		mapped[i] = importedPrefix + strings.ReplaceAll(strings.ToLower(e.rule), "_", "-")
		known[i] = ruleKnown(e.rule) || ruleKnown(mapped[i])
		if !known[i] {
			unknown[e.rule] = true
		}
		if e.commit != "" && !anyCommit {
			rep.CommitOnly++
		}
		byPlace[key{e.file, e.line}] = append(byPlace[key{e.file, e.line}], i)
		// A directory scan's entry carries gitleaks's source prefix.
		if j := strings.IndexByte(e.file, '/'); j >= 0 {
			for rest := e.file[j+1:]; ; {
				byPlace[key{rest, e.line}] = append(byPlace[key{rest, e.line}], i)
				k := strings.IndexByte(rest, '/')
				if k < 0 {
					break
				}
				rest = rest[k+1:]
			}
		}
	}
	out := fs[:0:0]
	for _, f := range fs {
		drop := false
		for _, i := range byPlace[key{f.File, f.Line}] {
			e := g.entries[i]
			if e.commit != "" && !strings.EqualFold(e.commit, f.Commit) {
				continue
			}
			if known[i] && f.RuleID != e.rule && f.RuleID != mapped[i] {
				continue
			}
			drop = true
			break
		}
		if drop {
			rep.Ignored++
			continue
		}
		out = append(out, f)
	}
	for r := range unknown {
		rep.UnknownRules = append(rep.UnknownRules, r)
	}
	sort.Strings(rep.UnknownRules)
	return out, rep
}
