package detectors

import (
	"regexp"
	"regexp/syntax"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// A rule's pattern compiles in RE2 (go-re2) in about a microsecond per
// instruction of its program (30 µs to 6 ms in the catalogue; the first
// compilation in a process also instantiates the WebAssembly module,
// about 0.5 ms), which a pre-commit scan of a few files pays for every
// rule its keywords trigger: most of its time. Go's regexp compiles the
// same RE2 syntax 5 to 40 times faster (counted repeats such as {64} cost
// RE2 the most) but matches far slower (on the
// catalogue's windows of Go source, 20 to 1,500 ns a byte against RE2's
// few). So a rule's first windows run on Go's regexp, and the rule
// switches to RE2 once Go's regexp has spent on it about what compiling
// RE2 would cost (goRegexRent times its own compilation: renting until
// the rent paid equals the price, then buying, never pays more than twice
// the better choice). A small scan rarely compiles RE2; a large one pays
// at most that much per rule, and a scan known to be large (a whole
// history, Memo.Bulk) runs RE2 from the first window. The engines find the same matches
// (TestEnginesAgree), so which one ran, which can depend on the machine's
// speed, never changes findings.
//
// A window runs on Go's regexp only through Match first: without
// submatches it is about three times faster, and most windows hold no
// match. One slow call must not cost far more than the rent, so a window
// goes to RE2 once the time Go's regexp has taken a byte so far says it
// would overrun the rent, and the first window must be at most
// goRegexFirstWindow bytes. The rent is at least goRegexMinRent and at
// most goRegexMaxRent: a compilation slowed by a busy machine must not
// buy Go's regexp a long run.
//
// The two engines read bytes differently: RE2 in Latin-1 mode takes each
// byte as one character, Go's regexp decodes UTF-8 ("é" is one character
// of two bytes). Go's regexp runs only ASCII patterns, and a window
// holding other bytes only for patterns that cannot tell them from DEL
// (0x7F): every character class of the pattern holds all of 0x7F-0xFF or
// none (latin1Blind), which is true of classes written in ASCII unless
// they name DEL or a Unicode class. Such a window runs as a copy with
// each of those bytes replaced by DEL, one character a byte as in RE2,
// matching at the same offsets (TestEnginesAgree runs every example both
// ways, and again with non-ASCII bytes around it).
const (
	goRegexRent        = 20
	goRegexMinRent     = 100 * time.Microsecond
	goRegexMaxRent     = 3 * time.Millisecond
	goRegexFirstWindow = 8 << 10
)

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
	warming  atomic.Bool // warmGo has seen the rule
	done     atomic.Bool // goCompile has compiled it (tests)
	whole    bool        // wholeSecret: the secret is the whole match
	blind    bool        // latin1Blind: windows with non-ASCII bytes may run too
	// rent is how long Go's regexp may run this rule's windows in all
	// (engineAuto); spent is how long it has, on bytes bytes.
	rent  time.Duration
	spent atomic.Int64
	bytes atomic.Int64
}

// goRegex returns the Go regexp and secret group index to run r's
// pattern on seg (through goFindAll), or nil where RE2 must run it.
func (m *Matcher) goRegex(ri int32, r *Rule, seg []byte, bulk bool) (*regexp.Regexp, int) {
	if m.engine == engineRE2 || bulk && m.engine == engineAuto {
		return nil, 0
	}
	s := m.goCompile(ri, r)
	if s.re == nil || !s.blind && !isASCII(seg) {
		return nil, 0
	}
	if m.engine == engineAuto {
		spent, done := s.spent.Load(), s.bytes.Load()
		if done == 0 && len(seg) > goRegexFirstWindow || done > 0 && spent+spent*int64(len(seg))/done > int64(s.rent) {
			return nil, 0
		}
	}
	return s.re, s.secretIx
}

// compiled reports whether goCompile has finished with the rule.
func (s *smallRegex) compiled() bool { return s.done.Load() }

// goCompile compiles r's pattern for Go's regexp, once.
func (m *Matcher) goCompile(ri int32, r *Rule) *smallRegex {
	s := &m.small[ri]
	s.once.Do(func() {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		if !isASCII(expr) {
			return
		}
		start := time.Now()
		re, err := regexp.Compile(expr)
		if err != nil {
			return // RE2 decides: it may accept what Go does not
		}
		s.rent = min(max(goRegexRent*time.Since(start), goRegexMinRent), goRegexMaxRent)
		s.blind = blindExpr(expr)
		s.whole = wholeSecret(expr)
		if s.secretIx = re.SubexpIndex(SecretGroup); s.secretIx >= 0 {
			s.re = re
		}
	})
	s.done.Store(true)
	return s
}

// warmGo compiles the Go regexps (pattern, then allow and context
// expressions) of the rules in touched that no goroutine has started on,
// but the first, which the caller is about to compile itself, on
// GOMAXPROCS-1 goroutines (at least one). A small scan's time is mostly
// these compilations, one after the other on one core otherwise (a
// pre-commit hook's password line touches ten generic rules: 14 ms of
// compiling); whichever goroutine reaches a rule first compiles it, the
// others wait for it (sync.Once). A few goroutines, not one a rule:
// growing the stacks of one goroutine per rule cost more than the
// compiling they shared out.
func (m *Matcher) warmGo(touched []int32) {
	if m.engine == engineRE2 || len(touched) < 2 {
		return
	}
	first := true
	var todo []int32
	for _, ri := range touched {
		if m.small[ri].warming.Swap(true) {
			continue
		}
		if first {
			first = false
			continue
		}
		todo = append(todo, ri)
	}
	if len(todo) == 0 {
		return
	}
	var next atomic.Int32
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(todo) {
				return
			}
			r := m.rules[todo[i]]
			m.goCompile(todo[i], r)
			m.extra(r)
		}
	}
	for range min(max(runtime.GOMAXPROCS(0)-1, 1), len(todo)) {
		go work()
	}
}

// goFindAll runs a rule's Go regexp on one window: Match first, since
// most windows hold no match, and the submatches only where one does.
// Under engineAuto the time is charged to the rule's rent.
func (m *Matcher) goFindAll(ri int32, re *regexp.Regexp, seg []byte) [][]int {
	seg = latin1View(seg)
	find := re.FindAllSubmatchIndex
	if m.small[ri].whole {
		find = re.FindAllIndex
	}
	if m.engine != engineAuto {
		if !re.Match(seg) {
			return nil
		}
		return find(seg, -1)
	}
	start := time.Now()
	var locs [][]int
	if re.Match(seg) {
		locs = find(seg, -1)
	}
	s := &m.small[ri]
	s.spent.Add(int64(time.Since(start)))
	s.bytes.Add(int64(len(seg)))
	return locs
}

// latin1View returns b, or where b holds non-ASCII bytes a copy with
// each of them replaced by DEL (0x7F): one character a byte for Go's
// regexp, as RE2's Latin-1 mode reads b.
func latin1View[T string | []byte](b T) T {
	if isASCII(b) {
		return b
	}
	v := make([]byte, len(b))
	copy(v, b)
	for i, c := range v {
		if c >= utf8.RuneSelf {
			v[i] = 0x7f
		}
	}
	return T(v)
}

// latin1Blind reports whether every character class and literal of expr
// treats DEL and the bytes 0x80-0xFF alike (all of them or none), so that
// latin1View changes no match of it.
func latin1Blind(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	var blind func(*syntax.Regexp) bool
	blind = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral:
			for _, r := range re.Rune {
				if r >= 0x7f {
					return false
				}
			}
		case syntax.OpCharClass:
			in := func(c rune) bool {
				for i := 0; i+1 < len(re.Rune); i += 2 {
					if re.Rune[i] <= c && c <= re.Rune[i+1] {
						return true
					}
				}
				return false
			}
			del := in(0x7f)
			for c := rune(0x80); c <= 0xff; c++ {
				if in(c) != del {
					return false
				}
			}
		}
		for _, sub := range re.Sub {
			if !blind(sub) {
				return false
			}
		}
		return true
	}
	return blind(re)
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
	blind bool // and latin1Blind: non-ASCII text may run too
	ctx   *regexp.Regexp
	allow []*regexp.Regexp
}

// goExtras holds the allow and context expressions compiled for Go's
// regexp, by expression, for the whole process: the catalogue's 1,989
// are 91 distinct ones (rules share allow lists), and a compiled
// expression is safe for concurrent use.
var goExtras sync.Map // string → *goExtraRe

type goExtraRe struct {
	re    *regexp.Regexp // nil where Go's regexp does not take it
	blind bool           // latin1Blind
}

func goExtra(expr string) *goExtraRe {
	if g, ok := goExtras.Load(expr); ok {
		return g.(*goExtraRe)
	}
	g := &goExtraRe{}
	if isASCII(expr) {
		if re, err := regexp.Compile(expr); err == nil {
			g.re, g.blind = re, blindExpr(expr)
		}
	}
	got, _ := goExtras.LoadOrStore(expr, g)
	return got.(*goExtraRe)
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
		x.blind = true
		compile := func(expr string) *regexp.Regexp {
			g := goExtra(expr)
			x.blind = x.blind && g.blind
			return g.re
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

// extraCompiles reports whether r's allow and context expressions
// compile, in Go's regexp where extra takes them, else in RE2.
func (m *Matcher) extraCompiles(r *Rule) bool {
	return m.extra(r) != nil || r.compileExtra() == nil
}

// ruleAllows reports whether none of r's allow expressions matches
// secret; false too where they do not compile (the rule reports nothing).
func (m *Matcher) ruleAllows(r *Rule, secret string) bool {
	if x := m.extra(r); x != nil && (x.blind || isASCII(secret)) {
		view := latin1View(secret)
		for _, a := range x.allow {
			if a.MatchString(view) {
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
	if x := m.extra(r); x != nil && (x.blind || isASCII(data[s:e])) {
		return x.ctx.Match(latin1View(data[s:e]))
	}
	if r.compileExtra() != nil {
		return false
	}
	return contextNear(r, data, c)
}
