package detectors

import (
	"fmt"
	"regexp/syntax"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// gitleaksConfig is the part of a gitleaks / Betterleaks TOML config that
// maps onto sprawl rules.
type gitleaksConfig struct {
	Title string         `toml:"title"`
	Rules []gitleaksRule `toml:"rules"`
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
	Allowlist   gitleaksAllowlist   `toml:"allowlist"`
	Allowlists  []gitleaksAllowlist `toml:"allowlists"`
}

type gitleaksAllowlist struct {
	Regexes     []string `toml:"regexes"`
	RegexTarget string   `toml:"regexTarget"`
	Stopwords   []string `toml:"stopwords"`
}

// ImportGitleaks converts a gitleaks or Betterleaks TOML rule file into
// sprawl rules. Rules sprawl cannot express (path-only rules, a regex RE2
// rejects, no usable keyword) are skipped with a note saying why; the
// secret group becomes the named "secret" group.
func ImportGitleaks(data []byte, source string) (*RuleFile, []string, error) {
	var cfg gitleaksConfig
	if err := toml.Unmarshal(data, &cfg); err != nil {
		return nil, nil, fmt.Errorf("%w %s: %v", ErrRuleFile, source, err)
	}
	out := &RuleFile{Provider: cfg.Title}
	if out.Provider == "" {
		out.Provider = "imported from " + source
	}
	var notes []string
	for _, g := range cfg.Rules {
		r, err := convertGitleaksRule(g, source)
		if err != nil {
			notes = append(notes, fmt.Sprintf("skipped %s: %v", g.ID, err))
			continue
		}
		out.Rules = append(out.Rules, r)
	}
	if len(out.Rules) == 0 {
		return nil, notes, fmt.Errorf("%w %s: no rule could be imported", ErrRuleFile, source)
	}
	return out, notes, nil
}

func convertGitleaksRule(g gitleaksRule, source string) (*Rule, error) {
	if g.ID == "" {
		return nil, fmt.Errorf("no id")
	}
	if g.Regex == "" {
		return nil, fmt.Errorf("path-only rules are not supported (path %q)", g.Path)
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
	r := &Rule{
		ID:          strings.ReplaceAll(strings.ToLower(g.ID), "_", "-"),
		Name:        name,
		Description: g.Description,
		Keywords:    kws,
		Pattern:     pattern,
		Entropy:     g.Entropy,
		Severity:    SeverityMedium,
		Tags:        append([]string{"imported"}, g.Tags...),
		References:  []string{"imported from " + source},
	}
	for _, al := range append([]gitleaksAllowlist{g.Allowlist}, g.Allowlists...) {
		if al.RegexTarget == "" || al.RegexTarget == "secret" {
			r.Allow = append(r.Allow, al.Regexes...)
		}
		for _, w := range al.Stopwords {
			r.Allow = append(r.Allow, "(?i)"+regexpQuote(w))
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
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

func regexpQuote(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
