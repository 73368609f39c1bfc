package detectors

import (
	"strings"
	"sync"
)

// TagWeak is added to the tags of a match whose password is weak: short,
// a dictionary word with digits, a word and a year, a well-known password.
// Credential-file rules report weak passwords with this tag at a lower
// severity; they never drop them, because in a file whose only purpose is
// to hold credentials a guessable password is a leak all the same.
const TagWeak = "weak"

// placeholderValues are whole values (lower-cased) that stand in for a
// password rather than hold one: the field's own name or type (a struct
// or schema read as a .netrc: "password string"), an explicit nothing, a
// locked-account marker in shadow or passwd files.
var placeholderValues = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "secret": true,
	"string": true, "str": true, "text": true, "varchar": true, "bytes": true, "secretstr": true,
	"none": true, "null": true, "nil": true, "undefined": true, "empty": true,
	"x": true, "*": true, "!": true, "!!": true, "!*": true, "-": true, "?": true,
}

// placeholderFragments mark a value as a stand-in wherever they occur.
// Unlike the shared placeholder words they do not include ordinary words
// ("test", "demo", "secret") or digit runs: those are weak passwords.
var placeholderFragments = []string{
	"changeme", "change_me", "change-me", "change me", "changethis",
	"your-", "your_", "yourpass", "your password", "_here", "-here",
	"placeholder", "redacted", "replace_me", "replace-me", "replaceme",
	"must-be-changed", "to-be-set", "xxxx", "****", "••",
}

// Placeholder reports why a value found in a credential file is not a
// password but a stand-in for one, or "" if it is a password. It is
// deliberately narrow: the empty value, templates and variable references,
// <angle-bracketed> names, masks and fill-me-in phrases such as changeme
// or your-password-here. A word, however common, is a (weak) password.
func Placeholder(s string) string {
	t := strings.TrimSpace(s)
	if t == "" {
		return "empty value"
	}
	if why, ok := knownPublic[t]; ok {
		return why
	}
	if templated(t) {
		return "template placeholder"
	}
	if t[0] == '$' && !cryptHash(t) || t[0] == '%' && strings.HasSuffix(t, "%") && len(t) > 2 {
		return "variable reference"
	}
	for _, open := range []string{"{{", "${", "#{", "<%", "`", "$("} {
		if strings.HasPrefix(t, open) {
			return "template or command substitution" // cut short by the pattern
		}
	}
	low := strings.ToLower(t)
	for _, p := range envLookups {
		if strings.HasPrefix(low, p) && p != "data." && p != "local." && p != "config." && p != "settings." {
			return "environment or config lookup"
		}
	}
	if t[0] == '<' && t[len(t)-1] == '>' || t[0] == '!' && len(t) > 1 && t != "!!" {
		return "placeholder" // <password>, !vault tags
	}
	if placeholderValues[low] {
		return "placeholder"
	}
	for _, f := range placeholderFragments {
		if strings.Contains(low, f) {
			return "placeholder"
		}
	}
	if len(t) >= 3 && strings.Count(t, t[:1]) == len(t) && !isAlnum(t[0]) {
		return "mask" // ..., ###
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// commonPasswords are passwords seen so often in breach lists and
// tutorials that an attacker tries them first; compared lower-cased with
// trailing digits and symbols removed.
var commonPasswords = map[string]bool{
	"password": true, "passw0rd": true, "p@ssw0rd": true, "p@ssword": true, "pass": true, "qwerty": true,
	"letmein": true, "welcome": true, "admin": true, "administrator": true, "root": true, "toor": true,
	"monkey": true, "dragon": true, "master": true, "shadow": true, "sunshine": true, "princess": true,
	"football": true, "baseball": true, "iloveyou": true, "trustno": true, "hunter": true, "swordfish": true,
	"abc": true, "secret": true, "test": true, "testpass": true, "guest": true, "changeit": true,
	"correct-horse-battery-staple": true, "correcthorsebatterystaple": true, "correct horse battery staple": true,
	"opensesame": true, "open sesame": true, "login": true, "default": true, "user": true, "demo": true,
}

// Weak reports whether a password is guessable: shorter than 12
// characters, a well-known password, a word followed by a year (Summer2024!),
// letters and digits of at most two kinds under 16 characters
// (hospital99admin), or too little entropy.
func Weak(s string) bool {
	if len(s) < 12 {
		return true
	}
	low := strings.ToLower(s)
	if commonPasswords[low] || commonPasswords[strings.TrimRight(low, "0123456789!@#$%^&*.?_-")] {
		return true
	}
	if wordYear(s) {
		return true
	}
	var lower, upper, digit, other bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			other = true
		}
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, other} {
		if k {
			kinds++
		}
	}
	if kinds <= 2 && len(s) < 16 {
		return true
	}
	return Entropy(s) < 3.0
}

// wordYear reports whether s is letters, at most one separator, a year
// from 1950 to 2099 and at most one trailing symbol: Welcome2024!,
// Keycloak#2023.
func wordYear(s string) bool {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i < 2 {
		return false
	}
	if i < len(s) && !isAlnum(s[i]) {
		i++
	}
	if len(s)-i < 4 {
		return false
	}
	y := s[i : i+4]
	if !(strings.HasPrefix(y, "19") && y[2] >= '5' || strings.HasPrefix(y, "20")) || !isDigits(y) {
		return false
	}
	rest := s[i+4:]
	return len(rest) == 0 || len(rest) == 1 && !isAlnum(rest[0])
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// weakRules holds each credential-file rule's weak twin: the same rule
// reported with TagWeak and one step lower severity (never below low).
var weakRules sync.Map // *Rule → *Rule

// weakVariant returns r's weak twin. Findings name the same rule id.
func (r *Rule) weakVariant() *Rule {
	if w, ok := weakRules.Load(r); ok {
		return w.(*Rule)
	}
	sev := r.Severity
	if sev > SeverityLow {
		sev--
	}
	tags := append(append([]string(nil), r.Tags...), TagWeak)
	w := &Rule{ID: r.ID, Name: r.Name, Description: r.Description, Provider: r.Provider, Keywords: r.Keywords,
		Pattern: r.Pattern, Compiled: r.Compiled, Entropy: r.Entropy, MinLength: r.MinLength, Checksum: r.Checksum,
		Context: r.Context, ContextLines: r.ContextLines, Window: r.Window, Generic: r.Generic, Container: r.Container,
		CredentialFile: r.CredentialFile, Decode: r.Decode, Class: r.Class, Severity: sev, Tags: tags, Allow: r.Allow,
		References: r.References}
	got, _ := weakRules.LoadOrStore(r, w)
	return got.(*Rule)
}

// acceptCredential is accept for credential-file rules: a placeholder or
// a value the user allowlisted is dropped; a value that fails the rule's
// length, entropy or allow list, or is weak, is kept as the rule's weak
// twin.
func (m *Matcher) acceptCredential(r *Rule, data []byte, c *Match) bool {
	secret := c.Secret
	c.Entropy = Entropy(secret)
	if Placeholder(secret) != "" || !m.extraCompiles(r) || !m.userAllows(secret) {
		return false
	}
	weak := len(secret) < r.MinLength || c.Entropy < r.Entropy || Weak(secret) || !m.ruleAllows(r, secret)
	if r.Context != "" && !m.contextMatches(r, data, c) {
		return false
	}
	if weak {
		c.Rule = r.weakVariant()
	}
	return true
}

// cryptHash reports whether s starts like a crypt(3) password hash
// ($1$, $5$, $6$, $apr1$, $2a$/$2b$/$2y$, $y$), not a variable reference.
func cryptHash(s string) bool {
	for _, p := range []string{"$1$", "$5$", "$6$", "$apr1$", "$2a$", "$2b$", "$2y$", "$y$", "$gy$"} {
		if strings.HasPrefix(s, p) && len(s) > len(p)+8 {
			return true
		}
	}
	return false
}

// credentialRank orders matches of the same span: a credential-file
// rule's match that decoded what no other rule reads (WinSCP, FileZilla)
// says the most; any other rule's comes next (the URL rules read a
// percent-encoded password as it stands); a credential-file rule's other
// matches last, since those rules are there to add what the others drop
// (weak passwords).
func credentialRank(m Match) int {
	switch {
	case m.Rule.CredentialFile && m.Encoding != "" && m.Encoding != "percent":
		return 0
	case !m.Rule.CredentialFile:
		return 1
	}
	return 2
}
