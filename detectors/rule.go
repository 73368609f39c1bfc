package detectors

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"sync"
)

// SecretGroup is the name of the capture group that holds the secret.
const SecretGroup = "secret"

// Rule describes one kind of credential. Rules are data: they are loaded
// from YAML files (one per provider) and never registered in code, except
// for checksum validators, which are looked up by name.
type Rule struct {
	// ID is stable and unique: baselines, allowlists and reports refer to it.
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Provider is copied from the rule file's top-level "provider".
	Provider string `yaml:"-" json:"provider"`
	// Keywords gate the rule: it runs only near a place where one of them
	// occurs (case-insensitive). Every rule must have at least one.
	Keywords []string `yaml:"keywords" json:"keywords"`
	// Pattern is an RE2 expression with one group named "secret".
	Pattern string `yaml:"pattern" json:"pattern"`
	// Compiled is Pattern as handed to RE2 (see simplifyRepeats), stored
	// in the embedded catalogue so scans need not rewrite it each run.
	Compiled string `yaml:"-" json:"-"`
	// Entropy is the minimum Shannon entropy (bits per byte) of the secret.
	Entropy float64 `yaml:"entropy,omitempty" json:"entropy,omitempty"`
	// MinLength is the shortest secret accepted, after the pattern matched.
	MinLength int `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	// Checksum names a validator from Checksums; a secret that fails it is
	// not reported.
	Checksum string `yaml:"checksum,omitempty" json:"checksum,omitempty"`
	// Context, if set, is an RE2 expression that must match somewhere within
	// ContextLines lines of the secret (default 10) for the rule to report.
	Context      string `yaml:"context,omitempty" json:"context,omitempty"`
	ContextLines int    `yaml:"context_lines,omitempty" json:"context_lines,omitempty"`
	// Window is how many bytes on each side of a keyword hit the pattern
	// sees (default 256, extended to whole lines). Multi-line formats such
	// as PEM blocks need more.
	Window int `yaml:"window,omitempty" json:"window,omitempty"`
	// Generic rules match on variable names rather than a provider's format;
	// a provider rule that reports the same secret wins over them.
	Generic bool `yaml:"generic,omitempty" json:"generic,omitempty"`
	// Container rules match an encoded wrapper (a Kubernetes Secret's
	// base64 data, a base64 PEM): when a decoder finds a more specific
	// secret inside the same text, that finding replaces this one.
	Container bool `yaml:"container,omitempty" json:"container,omitempty"`
	// CredentialFile rules match a format whose purpose is to hold
	// credentials (.netrc, .pgpass, FileZilla, tomcat-users.xml …). They
	// report every value that is not a placeholder (see Placeholder): a
	// value that fails the rule's length, entropy or allow list, or that
	// is weak (see Weak), is reported with TagWeak at a lower severity
	// instead of being dropped.
	CredentialFile bool `yaml:"credential_file,omitempty" json:"credential_file,omitempty"`
	// Decode names a decoder from Decoders that turns the secret group
	// into the password the format encodes (FileZilla base64, WinSCP
	// obfuscation, Docker auth); the match spans the encoded text.
	Decode string `yaml:"decode,omitempty" json:"decode,omitempty"`
	// Class is the rotation class used by the inventory's policy:
	// token, api-key, password, private-key, client-secret, webhook, …
	Class    string   `yaml:"class,omitempty" json:"class,omitempty"`
	Severity Severity `yaml:"severity" json:"severity"`
	Tags     []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Allow lists RE2 expressions; a secret matching any is not reported.
	Allow      []string `yaml:"allow,omitempty" json:"allow,omitempty"`
	References []string `yaml:"references" json:"references"`
	// Override lets a custom rule replace the built-in rule of the same
	// id. Without it, reusing a built-in id is an error: a rule file
	// found in scanned content must not silently swap a detector out.
	Override bool `yaml:"override,omitempty" json:"override,omitempty"`
	// Examples must each produce at least one finding of this rule;
	// NegativeExamples must produce none.
	Examples         []string `yaml:"examples" json:"-"`
	NegativeExamples []string `yaml:"negative_examples" json:"-"`
	// Imported is set on rules converted by 'rules import' (gitleaks.go).
	Imported *Imported `yaml:"imported,omitempty" json:"imported,omitempty"`
	// Verify, if set, declares how to check with the provider that a
	// matched secret still works (see verify.go).
	Verify *Verify `yaml:"verify,omitempty" json:"verify,omitempty"`
	// Nearby, if set, reads values a validator needs from the lines
	// around the match (see nearby.go).
	Nearby *Nearby `yaml:"nearby,omitempty" json:"nearby,omitempty"`

	once     sync.Once
	re       regex
	secretIx int
	whole    bool // wholeSecret: the secret is the whole match
	compErr  error
	// The context and allow expressions are needed only once the pattern
	// has matched, which most rules never do in a scan: they compile then.
	extraOnce sync.Once
	ctxRe     regex
	allowRes  []regex
	extraErr  error
}

// RuleFile is the on-disk shape of a rule file.
type RuleFile struct {
	Provider string  `yaml:"provider"`
	Rules    []*Rule `yaml:"rules"`
}

// compile builds the rule's pattern once. It is safe for concurrent use.
func (r *Rule) compile() error {
	r.once.Do(func() {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		r.re, r.compErr = compileRegex(expr)
		if r.compErr != nil {
			r.compErr = fmt.Errorf("rule %s: pattern: %w", r.ID, r.compErr)
			return
		}
		r.secretIx = r.re.SubexpIndex(SecretGroup)
		r.whole = wholeSecret(expr)
		if r.secretIx < 0 {
			r.compErr = fmt.Errorf("rule %s: pattern has no (?P<%s>…) group", r.ID, SecretGroup)
		}
	})
	return r.compErr
}

// compileExtra builds the context and allow expressions once.
func (r *Rule) compileExtra() error {
	r.extraOnce.Do(func() {
		if r.Context != "" {
			if r.ctxRe, r.extraErr = compileRegex(r.Context); r.extraErr != nil {
				r.extraErr = fmt.Errorf("rule %s: context: %w", r.ID, r.extraErr)
				return
			}
		}
		for _, a := range r.Allow {
			re, err := compileRegex(a)
			if err != nil {
				r.extraErr = fmt.Errorf("rule %s: allow %q: %w", r.ID, a, err)
				return
			}
			r.allowRes = append(r.allowRes, re)
		}
	})
	return r.extraErr
}

// Validate checks the rule's fields without running its examples.
func (r *Rule) Validate() error {
	var problems []string
	if r.ID == "" {
		problems = append(problems, "missing id")
	} else if strings.ToLower(r.ID) != r.ID || strings.ContainsAny(r.ID, " \t_") {
		problems = append(problems, "id must be lower-case kebab-case")
	}
	if r.Name == "" {
		problems = append(problems, "missing name")
	}
	if r.Pattern == "" {
		problems = append(problems, "missing pattern")
	}
	if len(r.Keywords) == 0 {
		problems = append(problems, "no keywords")
	}
	for _, k := range r.Keywords {
		if len(k) < 2 {
			problems = append(problems, fmt.Sprintf("keyword %q is shorter than 2 bytes", k))
		}
	}
	if r.Severity == SeverityUnknown {
		problems = append(problems, "missing severity")
	}
	if r.Checksum != "" {
		if _, ok := Checksums[r.Checksum]; !ok {
			problems = append(problems, fmt.Sprintf("unknown checksum %q", r.Checksum))
		}
	}
	if r.Decode != "" {
		if _, ok := Decoders[r.Decode]; !ok {
			problems = append(problems, fmt.Sprintf("unknown decoder %q", r.Decode))
		}
	}
	if r.Entropy < 0 || r.Entropy > 8 {
		problems = append(problems, "entropy must be between 0 and 8")
	}
	if r.Verify != nil {
		problems = append(problems, r.Verify.validate(r.Pattern, r.Nearby.Names())...)
	}
	if r.Nearby != nil {
		problems = append(problems, r.Nearby.validate()...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("rule %q: %s", r.ID, strings.Join(problems, "; "))
	}
	if err := r.compile(); err != nil {
		return err
	}
	if err := r.Imported.Validate(); err != nil {
		return fmt.Errorf("rule %s: %w", r.ID, err)
	}
	return r.compileExtra()
}

// Captures runs the rule's pattern on text (normally the text a match
// spanned) and returns its named groups other than the secret, or nil:
// those a declarative validator uses or, for a rule without one (whose
// validator, if any, is programmatic), every named group.
// It serves validators whose request needs more than the secret.
func (r *Rule) Captures(text []byte) map[string]string {
	if r.compile() != nil {
		return nil
	}
	var names []string
	if r.Verify != nil {
		names = r.Verify.Placeholders()
		if r.Verify.InstanceHost != "" {
			names = append(names, r.Verify.InstanceHost)
		}
		if r.Verify.Instance != nil {
			names = append(names, r.Verify.Instance.Capture)
		}
	} else {
		for n := range groupNames(r.Pattern) {
			names = append(names, n)
		}
	}
	ms := r.re.FindAllSubmatchIndex(text, 1)
	if len(ms) == 0 {
		return nil
	}
	m := ms[0]
	var out map[string]string
	for _, name := range names {
		i := r.re.SubexpIndex(name)
		if name == SecretGroup || i < 0 || 2*i+1 >= len(m) || m[2*i] < 0 {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = string(text[m[2*i]:m[2*i+1]])
	}
	return out
}

// maxRepeat is the largest upper bound of a counted repetition of one
// character class kept as written. RE2 compiles x{n,m} into about m
// copies of x, so a rule with a few {20,1000} runs takes tens of
// milliseconds to compile (wasm RE2 compiles at ~2 ms per 400-byte
// pattern); beyond this bound x{n,m} becomes x{n,}.
const maxRepeat = 256

// simplifyRepeats rewrites large counted repetitions in an RE2 pattern.
// It returns the pattern unchanged if it has none or does not parse.
func simplifyRepeats(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return pattern
	}
	changed := false
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		for _, s := range r.Sub {
			walk(s)
		}
		if r.Op != syntax.OpRepeat || r.Max == -1 && r.Min <= 1 {
			return
		}
		switch r.Sub[0].Op {
		case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			if r.Max > maxRepeat {
				changed = true
				r.Max = -1 // x{m,n} → x{m,}: the minimum stays exact
			}
		default:
			// A repeated group ("up to 10 YAML lines") is compiled as
			// that many copies of the whole group. The window the
			// pattern runs on bounds it anyway, so repeat it freely.
			if r.Max > 1 || r.Max == -1 {
				changed = true
				switch r.Min {
				case 0:
					r.Op, r.Min, r.Max = syntax.OpStar, 0, 0
				case 1:
					r.Op, r.Min, r.Max = syntax.OpPlus, 0, 0
				default:
					r.Max = -1
				}
			}
		}
	}
	walk(re)
	if !changed {
		return pattern
	}
	// Go spells "any character" up to U+10FFFF; in Latin-1 mode RE2
	// wants byte values.
	out := strings.ReplaceAll(re.String(), `\x{10ffff}`, `\xff`)
	// Case folding adds U+017F (ſ) and U+212A (Kelvin sign) to classes
	// holding s and k; in Latin-1 mode their UTF-8 bytes would be read
	// as two stray characters each.
	return strings.NewReplacer("\u017f", "", "\u212a", "", `\x{17f}`, "", `\x{212a}`, "").Replace(out)
}
