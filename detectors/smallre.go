package detectors

import (
	"regexp"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// A rule's pattern compiles in RE2 (go-re2) in about a millisecond (a
// few million instructions), which a pre-commit scan of a few files pays
// for every rule its keywords trigger: most of its time. Go's regexp
// compiles the same RE2 syntax in microseconds but matches far slower (on
// the catalogue's windows of Go source, about 850 instructions a byte),
// so a rule's first windows run on Go's regexp and the rule switches to
// RE2 once it has matched goRegexBudget bytes that way, about what one
// RE2 compilation costs: a small scan never compiles RE2, a large one
// pays at most the budget per rule.
//
// The two engines agree only where RE2's Latin-1 mode and Go's UTF-8 mode
// read the bytes alike, on ASCII: Go's regexp runs only on ASCII windows
// and ASCII patterns (TestEnginesAgree runs every example both ways).
const goRegexBudget = 4 << 10

// engine selects the regexp engine for rule patterns (tests force one).
type engine int

const (
	engineAuto engine = iota // Go's regexp while the rule's budget lasts, then RE2
	engineRE2                // RE2 only
	engineGo                 // Go's regexp wherever it applies
)

// smallRegex is one rule's Go regexp, compiled on first use.
type smallRegex struct {
	once     sync.Once
	re       *regexp.Regexp // nil where the pattern is not for Go's regexp
	secretIx int
	budget   atomic.Int64
}

// goRegex returns the Go regexp and secret group index to run r's
// pattern on seg, or nil where RE2 must run it.
func (m *Matcher) goRegex(ri int32, r *Rule, seg []byte) (*regexp.Regexp, int) {
	if m.engine == engineRE2 {
		return nil, 0
	}
	s := &m.small[ri]
	if m.engine == engineAuto && s.budget.Add(-int64(len(seg))) < -goRegexBudget {
		return nil, 0
	}
	s.once.Do(func() {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		if !isASCII(expr) {
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return // RE2 decides: it may accept what Go does not
		}
		if s.secretIx = re.SubexpIndex(SecretGroup); s.secretIx >= 0 {
			s.re = re
		}
	})
	if s.re == nil || !isASCII(seg) {
		return nil, 0
	}
	return s.re, s.secretIx
}

func isASCII[T string | []byte](b T) bool {
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])|uint64(b[2])|uint64(b[3])|uint64(b[4])|uint64(b[5])|uint64(b[6])|uint64(b[7]))&0x80 != 0 {
			return false
		}
		b = b[8:]
	}
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// smallExtra is a rule's context and allow expressions in Go's regexp,
// compiled on first use: a generic rule's allow list is dozens of
// expressions, which a scan with one candidate would otherwise compile in
// RE2. They run on secrets and a few lines of context, so no budget.
type smallExtra struct {
	once  sync.Once
	ok    bool // every expression is ASCII and compiled
	ctx   *regexp.Regexp
	allow []*regexp.Regexp
}

// extra returns r's expressions in Go's regexp, or nil where RE2 must
// run them (a rule not in the matcher, or an expression Go's regexp does
// not take).
func (m *Matcher) extra(r *Rule) *smallExtra {
	i, ok := m.index[r]
	if !ok || m.engine == engineRE2 {
		return nil
	}
	x := &m.extras[i]
	x.once.Do(func() {
		compile := func(expr string) *regexp.Regexp {
			if !isASCII(expr) {
				return nil
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil
			}
			return re
		}
		if r.Context != "" {
			if x.ctx = compile(r.Context); x.ctx == nil {
				return
			}
		}
		for _, a := range r.Allow {
			re := compile(a)
			if re == nil {
				return
			}
			x.allow = append(x.allow, re)
		}
		x.ok = true
	})
	if !x.ok {
		return nil
	}
	return x
}

// ruleAllows reports whether none of r's allow expressions matches
// secret; false too where they do not compile (the rule reports nothing).
func (m *Matcher) ruleAllows(r *Rule, secret string) bool {
	if x := m.extra(r); x != nil && isASCII(secret) {
		for _, a := range x.allow {
			if a.MatchString(secret) {
				return false
			}
		}
		return true
	}
	if r.compileExtra() != nil {
		return false
	}
	for _, a := range r.allowRes {
		if a.MatchString(secret) {
			return false
		}
	}
	return true
}

// contextMatches reports whether r's context expression matches within
// ContextLines lines of c.
func (m *Matcher) contextMatches(r *Rule, data []byte, c *Match) bool {
	s, e := contextSpan(r, data, c)
	if x := m.extra(r); x != nil && isASCII(data[s:e]) {
		return x.ctx.Match(data[s:e])
	}
	if r.compileExtra() != nil {
		return false
	}
	return r.ctxRe.Match(data[s:e])
}
