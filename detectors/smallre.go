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
		if !isASCII([]byte(expr)) {
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

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])|uint64(b[2])|uint64(b[3])|uint64(b[4])|uint64(b[5])|uint64(b[6])|uint64(b[7]))&0x80 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
