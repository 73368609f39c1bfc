package inventory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Class is a rule's rotation class (detectors.Rule.Class): it decides the
// default maximum age of a secret.
type Class string

// Rotation classes. A rule with no class, or one this package does not
// know, is treated as ClassAPIKey.
const (
	ClassToken            Class = "token"
	ClassAPIKey           Class = "api-key"
	ClassPassword         Class = "password"
	ClassPrivateKey       Class = "private-key"
	ClassClientSecret     Class = "client-secret"
	ClassWebhook          Class = "webhook"
	ClassConnectionString Class = "connection-string"
	ClassSigningKey       Class = "signing-key"
	// ClassPasswordHash is a leaked password hash (.htpasswd, shadow, a
	// user table): not a credential by itself, but crackable offline, so
	// the password behind it is changed on the password cadence.
	ClassPasswordHash Class = "password-hash"
)

const day = 24 * time.Hour

// DefaultMaxAge is the shipped maximum age per class, erring to the short
// end of common guidance:
//
//   - token: 1 hour. The class of short-lived credentials that a token
//     endpoint mints: OAuth access tokens (Epic's live about an hour,
//     Oracle Health's under ten minutes), AWS STS session tokens, JWT
//     access tokens, GitHub App installation and user-to-server tokens,
//     CI job tokens. They are not rotated, they expire; one still sitting
//     in a repository after its lifetime is a stale copy to remove.
//     Long-lived tokens (personal access tokens, bot tokens, API tokens,
//     refresh tokens) are api-key: since schema version 6 no built-in
//     rule gives them class token.
//   - password, connection-string: 90 days. PCI DSS 8.3.9 asks for 90 days
//     where a password is the only factor, and 8.6.3 for system-account
//     passwords changed on a risk-based schedule.
//   - api-key, client-secret, webhook: 90 days. NIST SP 800-57 would allow
//     a symmetric authentication key up to two years, but a shared secret
//     that travels in config files is rotated on the password cadence here;
//     raise it per class if your risk analysis allows.
//   - private-key, signing-key: 365 days. NIST SP 800-57 Part 1 gives
//     private authentication keys one to two years and signature keys one
//     to three.
//   - password-hash: 90 days, the cadence of the password it hashes; the
//     hash is cracked offline at the attacker's leisure.
//
// A credential that states its own expiry (a JWT's exp, an STS expiry
// beside a session token) is judged against that instead (Evaluate).
// Whatever the age, a credential found in git or CI logs should be
// rotated now; the age policy is what an auditor checks for the rest.
var DefaultMaxAge = map[Class]time.Duration{
	ClassToken:            time.Hour,
	ClassAPIKey:           90 * day,
	ClassPassword:         90 * day,
	ClassClientSecret:     90 * day,
	ClassWebhook:          90 * day,
	ClassConnectionString: 90 * day,
	ClassPrivateKey:       365 * day,
	ClassSigningKey:       365 * day,
	ClassPasswordHash:     90 * day,
}

// Classes lists the known classes, sorted.
func Classes() []Class {
	out := make([]Class, 0, len(DefaultMaxAge))
	for c := range DefaultMaxAge {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// NormalizeClass maps a rule's class to a known one; unknown or empty
// classes become ClassAPIKey.
func NormalizeClass(c string) Class {
	k := Class(strings.ToLower(strings.TrimSpace(c)))
	if _, ok := DefaultMaxAge[k]; ok {
		return k
	}
	return ClassAPIKey
}

// Policy is the inventory's configurable judgement: maximum ages per class
// and per rule, and environment rules tried before the defaults. The zero
// Policy means the shipped defaults. A Policy is stored in the inventory
// (Store.SetPolicy) so every reader judges by the same one and every change
// is in the audit log.
type Policy struct {
	// MaxAge overrides DefaultMaxAge per class.
	MaxAge map[Class]Duration `json:"max_age,omitempty"`
	// RuleMaxAge overrides the class's age for one rule id.
	RuleMaxAge map[string]Duration `json:"rule_max_age,omitempty"`
	// Environments are tried in order before DefaultEnvironmentRules.
	Environments []EnvironmentRule `json:"environments,omitempty"`
	// PathMaxAge overrides the maximum age of managed secrets (held in a
	// vault) by where they are held; the first matching rule wins, before
	// rule and class ages.
	PathMaxAge []PathRule `json:"path_max_age,omitempty"`
	// UnusedAfter is how long a managed secret may go unread, where its
	// store records reads, before it counts as unused (DefaultUnusedAfter
	// if zero).
	UnusedAfter Duration `json:"unused_after,omitempty"`
}

// DefaultUnusedAfter is the shipped unused threshold for managed secrets.
const DefaultUnusedAfter = 90 * day

// PathRule is a maximum age for managed secrets held at paths matching
// Pattern ("secret/epic/*"), optionally only those of one Class.
type PathRule struct {
	// Pattern is matched against "mount/path" for Vault, and the secret's
	// name for the cloud stores: * matches any run of characters
	// (slashes too), ? one character; everything else is literal.
	Pattern string   `json:"pattern"`
	Class   Class    `json:"class,omitempty"`
	MaxAge  Duration `json:"max_age"`
}

// Matches reports whether the rule applies to a secret held at path of
// class c.
func (r PathRule) Matches(path string, c Class) bool {
	if r.Class != "" && NormalizeClass(string(r.Class)) != NormalizeClass(string(c)) {
		return false
	}
	return globMatch(r.Pattern, path)
}

// String is "PATTERN" or "PATTERN#CLASS".
func (r PathRule) String() string {
	if r.Class != "" {
		return r.Pattern + "#" + string(r.Class)
	}
	return r.Pattern
}

// globMatch matches s against pattern (* any run, ? one byte).
func globMatch(pattern, s string) bool {
	// Iterative matching with one backtrack point, linear in practice.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ManagedMaxAge is the maximum age of a managed secret held at path, of
// rule ruleID (may be "") and class c, and says which part of the policy
// gave it: the first matching path rule ("path secret/epic/*"), else as
// MaxAgeFor ("rule ID", "class api-key").
func (p Policy) ManagedMaxAge(path, ruleID string, c Class) (time.Duration, string) {
	for _, r := range p.PathMaxAge {
		if r.Matches(path, c) {
			return time.Duration(r.MaxAge), "path " + r.String()
		}
	}
	if _, ok := p.RuleMaxAge[ruleID]; ok && ruleID != "" {
		return p.MaxAgeFor(ruleID, c), "rule " + ruleID
	}
	return p.MaxAgeFor("", c), "class " + string(NormalizeClass(string(c)))
}

// Unused is the unused threshold: UnusedAfter, else DefaultUnusedAfter.
func (p Policy) Unused() time.Duration {
	if p.UnusedAfter > 0 {
		return time.Duration(p.UnusedAfter)
	}
	return DefaultUnusedAfter
}

// MaxAgeFor is the maximum age of a secret of this rule and class: the
// rule's override, else the class's override, else the class's default.
func (p Policy) MaxAgeFor(ruleID string, c Class) time.Duration {
	if d, ok := p.RuleMaxAge[ruleID]; ok {
		return time.Duration(d)
	}
	c = NormalizeClass(string(c))
	if d, ok := p.MaxAge[c]; ok {
		return time.Duration(d)
	}
	return DefaultMaxAge[c]
}

// Validate checks classes, ages and environment rules.
func (p Policy) Validate() error {
	for c, d := range p.MaxAge {
		if _, ok := DefaultMaxAge[c]; !ok {
			return fmt.Errorf("%w: unknown rotation class %q (want one of %s)", ErrInvalid, c, classNames())
		}
		if d <= 0 {
			return fmt.Errorf("%w: max age of %s must be positive", ErrInvalid, c)
		}
	}
	for r, d := range p.RuleMaxAge {
		if r == "" {
			return fmt.Errorf("%w: empty rule id in rule max ages", ErrInvalid)
		}
		if d <= 0 {
			return fmt.Errorf("%w: max age of rule %s must be positive", ErrInvalid, r)
		}
	}
	for _, r := range p.PathMaxAge {
		if strings.TrimSpace(r.Pattern) == "" {
			return fmt.Errorf("%w: empty pattern in path max ages", ErrInvalid)
		}
		if r.Class != "" {
			if _, ok := DefaultMaxAge[r.Class]; !ok {
				return fmt.Errorf("%w: path %s: unknown rotation class %q (want one of %s)", ErrInvalid, r.Pattern, r.Class, classNames())
			}
		}
		if r.MaxAge <= 0 {
			return fmt.Errorf("%w: max age of path %s must be positive", ErrInvalid, r.Pattern)
		}
	}
	if p.UnusedAfter < 0 {
		return fmt.Errorf("%w: unused-after must be positive", ErrInvalid)
	}
	_, err := NewClassifier(p.Environments)
	return err
}

// canonical is the policy's stored form: encoding/json sorts map keys, so
// equal policies encode equally.
func (p Policy) canonical() ([]byte, error) {
	if len(p.MaxAge) == 0 {
		p.MaxAge = nil
	}
	if len(p.RuleMaxAge) == 0 {
		p.RuleMaxAge = nil
	}
	if len(p.Environments) == 0 {
		p.Environments = nil
	}
	if len(p.PathMaxAge) == 0 {
		p.PathMaxAge = nil
	}
	return json.Marshal(p)
}

func classNames() string {
	var s []string
	for _, c := range Classes() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// Duration is a time.Duration written the way policies are: "1h", "90d",
// "52w", "1y" (365 days), or anything time.ParseDuration reads.
type Duration time.Duration

// ParseDuration reads a policy duration.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: empty duration", ErrInvalid)
	}
	if n, ok := strings.CutSuffix(t, "min"); ok {
		t = n + "m"
	}
	units := map[byte]time.Duration{'d': day, 'w': 7 * day, 'y': 365 * day}
	if u, ok := units[t[len(t)-1]]; ok {
		n, err := strconv.ParseFloat(t[:len(t)-1], 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%w: duration %q: want a positive number before %q", ErrInvalid, s, t[len(t)-1:])
		}
		return Duration(time.Duration(n * float64(u))), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: duration %q: want e.g. 1h, 90d, 52w, 1y", ErrInvalid, s)
	}
	return Duration(d), nil
}

// String writes d in its largest whole unit: "90d", "1h", "30min", else as
// time.Duration does. Minutes are "min", never "m", which reads as a month.
func (d Duration) String() string {
	td := time.Duration(d)
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}} {
		if td > 0 && td%u.unit == 0 {
			return strconv.FormatInt(int64(td/u.unit), 10) + u.name
		}
	}
	// An age of days and minutes reads best in days ("430.4d", which
	// ParseDuration reads back to within a tenth of a day).
	if td >= 10*day {
		return strconv.FormatFloat(td.Hours()/24, 'f', 1, 64) + "d"
	}
	if td > 0 && td%time.Minute == 0 {
		return strconv.FormatInt(int64(td/time.Minute), 10) + "min"
	}
	return td.String()
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d as ParseDuration does.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// HumanAge writes a duration the way people read ages: 40min, 5h, 12d, 2.3y
// ("m" alone would read as a month).
func HumanAge(d Duration) string {
	t := time.Duration(d)
	switch {
	case t >= 365*24*time.Hour:
		return fmt.Sprintf("%.1fy", t.Hours()/24/365)
	case t >= 24*time.Hour:
		return fmt.Sprintf("%dd", int(t.Hours()/24))
	case t >= time.Hour:
		return fmt.Sprintf("%dh", int(t.Hours()))
	}
	return fmt.Sprintf("%dmin", int(t.Minutes()))
}
