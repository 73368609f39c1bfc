package detectors

import (
	"bytes"
	"fmt"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
)

// A keyword hit says only that a rule's pattern might match near it; on
// Go's source tree 99% of the windows a rule's pattern runs on hold no
// match. Most of RE2's time there is building its DFA's states, not
// stepping through known ones: the first pass over the windows of a
// generic rule costs 7-15 times the second. Two necessary conditions,
// derived from the pattern alone, reject most windows first:
//
//   - An anchor check, in Go: where the pattern's top-level sequence
//     holds an ASCII literal followed by bytes of known classes (pat,
//     14 letters or digits, a dot), a match needs such a place in the
//     window. Checked at each occurrence of the literal.
//   - A relaxed pattern, in RE2 without submatches: the pattern with
//     its counted repetitions loosened (x{0,60} becomes x*, x{20,40}
//     becomes x{8}x*) and its groups uncaptured. It matches wherever the
//     pattern does, and more, but its DFA has far fewer states to build
//     (a {0,60} prefix multiplies them by 61).
//
// Both only ever reject a window the pattern cannot match in, so the
// matches found are the same with them and without
// (TestPrecheckNeverRejectsAMatch, FuzzPrecheck).

// relaxKeep is the largest lower bound of a repetition a relaxed
// pattern keeps: x{20,40} becomes x{8}x*.
const relaxKeep = 8

// maxAnchorSteps bounds the bytes an anchor check looks at after its
// literal.
const maxAnchorSteps = 32

// precheck is one rule's pre-checks, derived on first use.
type precheck struct {
	once    sync.Once
	anchor  *anchorCheck // nil: none
	relaxed string       // "": none
	reOnce  sync.Once
	re      regex // nil where the relaxed pattern does not compile
	// joined is the pattern relaxed for several windows joined by
	// newlines (see mayMatchJoined); "": none.
	joined   string
	joinOnce sync.Once
	joinRe   regex
	// inRE2 is set once a window of the rule ran on RE2: a scan large
	// enough for that pays for one more compilation.
	inRE2 atomic.Bool
}

// anchorCheck is a literal (one of lits) that every match holds at some
// offset, followed by bytes in steps.
type anchorCheck struct {
	lits  [][]byte
	fold  bool // the literals match ASCII case-insensitively
	steps []byteSet
}

type byteSet [4]uint64

func (s *byteSet) add(c byte)      { s[c>>6] |= 1 << (c & 63) }
func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }

// asciiSize counts the ASCII bytes in s.
func (s *byteSet) asciiSize() (n int) {
	for c := range 128 {
		if s.has(byte(c)) {
			n++
		}
	}
	return n
}

// mayMatchAnchor reports whether r's anchor check lets seg through.
func (m *Matcher) mayMatchAnchor(ri int32, r *Rule, seg []byte) bool {
	if m.noPrecheck {
		return true
	}
	p := m.precheck(ri, r)
	return p.anchor == nil || p.anchor.possible(seg)
}

// mayMatchRelaxed reports whether r's relaxed pattern matches in seg
// (true where there is none).
func (m *Matcher) mayMatchRelaxed(ri int32, r *Rule, seg []byte) bool {
	if m.noPrecheck {
		return true
	}
	p := m.precheck(ri, r)
	p.inRE2.Store(true)
	if p.relaxed == "" {
		return true
	}
	p.reOnce.Do(func() {
		if re, err := compileRegex(p.relaxed); err == nil {
			p.re = re
		}
	})
	return p.re == nil || p.re.Match(seg)
}

func (m *Matcher) precheck(ri int32, r *Rule) *precheck {
	p := &m.pre[ri]
	p.once.Do(func() {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		p.anchor, p.relaxed, p.joined = derivePrechecks(expr)
	})
	return p
}

// derivePrechecks returns the anchor check, the relaxed pattern and the
// relaxed pattern for joined windows of an RE2 expression, each nil or ""
// where there is none worth running.
// Only ASCII expressions qualify: RE2 reads the expression as Latin-1
// and Go's parser as UTF-8, which agree on ASCII alone.
func derivePrechecks(expr string) (anchor *anchorCheck, relaxed, joined string) {
	if !isASCII(expr) {
		return nil, "", ""
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, "", ""
	}
	anchor = deriveAnchor(re)
	r, changed := relax(re)
	if changed {
		relaxed = latin1String(r)
	}
	if minMatchLen(r) > 0 {
		joined = latin1String(lineAnchored(r))
	}
	return anchor, relaxed, joined
}

// lineAnchored rewrites re (in place) so that the start and end of the
// text become the start and end of a line: ^ and $ (without (?m)), \A
// and \z. In windows joined by newlines it then matches in each window
// wherever re matches in the window alone: a window's edges become a
// newline's, which \b, (?m)^ and (?m)$ read as the text's edges.
func lineAnchored(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpBeginText:
		re.Op = syntax.OpBeginLine
	case syntax.OpEndText:
		re.Op = syntax.OpEndLine
	}
	for _, s := range re.Sub {
		lineAnchored(s)
	}
	return re
}

// mayMatchJoined reports whether r's pattern may match in any of wins,
// windows of data in order, by one run of its relaxed pattern on them all
// joined by newlines instead of one run each: on Go's source tree a
// rule's windows in a file are a few hundred bytes each, and the call
// costs RE2 more than the bytes. buf is scratch space. It runs only for a
// rule already running on RE2.
func (m *Matcher) mayMatchJoined(ri int32, r *Rule, data []byte, wins []window, buf *[]byte) bool {
	if m.noPrecheck || m.engine == engineGo || len(wins) < 2 {
		return true
	}
	p := m.precheck(ri, r)
	if p.joined == "" || !p.inRE2.Load() {
		return true
	}
	p.joinOnce.Do(func() {
		if re, err := compileRegex(p.joined); err == nil {
			p.joinRe = re
		}
	})
	if p.joinRe == nil {
		return true
	}
	b := (*buf)[:0]
	for i, w := range wins {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, data[w.start:w.end]...)
	}
	*buf = b
	if cap(b) > 1<<20 {
		*buf = nil
	}
	return p.joinRe.Match(b)
}

// relax returns an expression that matches in any text re matches in
// (re is rewritten in place): groups uncaptured, repetitions greedy,
// every counted repetition x{n,m} other than a short exact one turned
// into x{min(n,relaxKeep)}x*, and the leading parts of its top-level
// sequence that can match the empty string dropped (the optional prefix
// before a keyword costs a DFA the most states, and a search for any
// match nothing). It reports whether anything changed.
func relax(re *syntax.Regexp) (*syntax.Regexp, bool) {
	changed := false
	var walk func(*syntax.Regexp) *syntax.Regexp
	walk = func(r *syntax.Regexp) *syntax.Regexp {
		for i, s := range r.Sub {
			r.Sub[i] = walk(s)
		}
		r.Flags &^= syntax.NonGreedy
		switch r.Op {
		case syntax.OpCapture:
			return r.Sub[0]
		case syntax.OpCharClass:
			r.Rune = latin1Class(r.Rune)
		case syntax.OpRepeat:
			if r.Max == r.Min && r.Min <= relaxKeep {
				return r
			}
			changed = true
			star := &syntax.Regexp{Op: syntax.OpStar, Flags: r.Flags, Sub: []*syntax.Regexp{r.Sub[0]}}
			n := min(r.Min, relaxKeep)
			if n == 0 {
				return star
			}
			rep := &syntax.Regexp{Op: syntax.OpRepeat, Flags: r.Flags, Min: n, Max: n, Sub: []*syntax.Regexp{r.Sub[0]}}
			return &syntax.Regexp{Op: syntax.OpConcat, Flags: r.Flags, Sub: []*syntax.Regexp{rep, star}}
		}
		return r
	}
	re = walk(re)
	seq := sequence(re)
	i, j := 0, len(seq)
	for i < j && minMatchLen(seq[i]) == 0 {
		i++
	}
	if i == j {
		return re, false // it may match the empty string anywhere
	}
	if i > 0 {
		changed = true
		re = &syntax.Regexp{Op: syntax.OpConcat, Sub: seq[i:j]}
	}
	return re, changed
}

// latin1Class returns a class's ranges cut to Latin-1 (what RE2 in
// Latin-1 mode can meet), widened to all of 0x80-0xFF where it holds any
// of them: RE2 and Go's parser might read folding beyond ASCII
// differently, and a wider class only lets more through. Go prints a
// class reaching U+10FFFF only after checking every rune of it for case
// folding, milliseconds a class.
func latin1Class(ranges []rune) []rune {
	var out []rune
	high := false
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi >= 0x80 {
			high = high || lo <= 0xff
			hi = 0x7f
		}
		if lo <= hi {
			out = append(out, lo, hi)
		}
	}
	if high {
		out = append(out, 0x80, 0xff)
	}
	return out
}

// latin1String renders re for RE2's Latin-1 mode: Go prints printable
// characters from 0x80 up as UTF-8, which RE2 would read as two, so they
// become \xHH escapes. It returns "" where re holds a character beyond
// Latin-1.
func latin1String(re *syntax.Regexp) string {
	s := re.String()
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c < 0x80:
			b.WriteRune(c)
		case c <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			return ""
		}
	}
	return b.String()
}

// sequence flattens re's top-level concatenations and groups into the
// sequence of expressions every match goes through in order.
func sequence(re *syntax.Regexp) []*syntax.Regexp {
	switch re.Op {
	case syntax.OpConcat:
		var out []*syntax.Regexp
		for _, s := range re.Sub {
			out = append(out, sequence(s)...)
		}
		return out
	case syntax.OpCapture:
		return sequence(re.Sub[0])
	}
	return []*syntax.Regexp{re}
}

// deriveAnchor picks, among the ASCII literals (or alternations of
// literals) of re's top-level sequence, the one whose following bytes
// constrain a match most, or returns nil if none constrains enough to be
// worth checking.
func deriveAnchor(re *syntax.Regexp) *anchorCheck {
	seq := sequence(re)
	var best *anchorCheck
	bestScore := 0
	for i, e := range seq {
		lits, fold, ok := literals(e)
		if !ok {
			continue
		}
		a := &anchorCheck{lits: lits, fold: fold, steps: steps(seq[i+1:])}
		// Each byte the literal or a narrow class pins counts.
		score := len(lits[0])
		for _, l := range lits {
			score = min(score, len(l))
		}
		for j := range a.steps {
			if a.steps[j].asciiSize() <= 80 {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	if bestScore < 4 {
		return nil
	}
	return best
}

// literals returns the ASCII strings e matches, where e is a literal or
// an alternation of literals of the same case sensitivity.
func literals(e *syntax.Regexp) ([][]byte, bool, bool) {
	one := func(l *syntax.Regexp) ([]byte, bool) {
		if l.Op != syntax.OpLiteral || len(l.Rune) == 0 {
			return nil, false
		}
		b := make([]byte, len(l.Rune))
		for i, c := range l.Rune {
			if c >= 0x80 {
				return nil, false
			}
			b[i] = byte(c)
			if l.Flags&syntax.FoldCase != 0 {
				b[i] = foldASCII(b[i])
			}
		}
		return b, true
	}
	switch e.Op {
	case syntax.OpLiteral:
		b, ok := one(e)
		return [][]byte{b}, e.Flags&syntax.FoldCase != 0, ok
	case syntax.OpAlternate:
		if len(e.Sub) > 8 {
			return nil, false, false
		}
		var out [][]byte
		fold := e.Sub[0].Flags&syntax.FoldCase != 0
		for _, s := range e.Sub {
			b, ok := one(s)
			if !ok || (s.Flags&syntax.FoldCase != 0) != fold {
				return nil, false, false
			}
			out = append(out, b)
		}
		return out, fold, true
	}
	return nil, false, false
}

// steps returns the byte sets of the bytes every match of seq holds at
// its start, as far as they are fixed: through literals, single
// characters and the minimum of a repeated character, up to the first
// element of variable length or other shape. Empty-width assertions are
// passed over (a check without them lets through more, never less).
func steps(seq []*syntax.Regexp) []byteSet {
	var out []byteSet
	for _, e := range seq {
		if len(out) >= maxAnchorSteps {
			break
		}
		switch e.Op {
		case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
			syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
			continue
		case syntax.OpLiteral:
			for _, c := range e.Rune {
				s, ok := charSet(&syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{c}, Flags: e.Flags})
				if !ok || len(out) >= maxAnchorSteps {
					return out
				}
				out = append(out, s)
			}
			continue
		case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			s, _ := charSet(e)
			out = append(out, s)
			continue
		case syntax.OpRepeat, syntax.OpPlus, syntax.OpStar, syntax.OpQuest:
			s, ok := charSet(e.Sub[0])
			if !ok {
				return out
			}
			n, fixed := 0, false
			switch e.Op {
			case syntax.OpPlus:
				n = 1
			case syntax.OpRepeat:
				n, fixed = e.Min, e.Min == e.Max
			}
			for range n {
				if len(out) >= maxAnchorSteps {
					return out
				}
				out = append(out, s)
			}
			if fixed {
				continue
			}
		}
		return out
	}
	return out
}

// charSet returns the bytes a one-character expression matches as RE2
// reads bytes in Latin-1 mode. Bytes from 0x80 up are always in: where
// the two parsers could read them differently the set errs on letting
// through.
func charSet(e *syntax.Regexp) (byteSet, bool) {
	var s byteSet
	for c := 0x80; c < 0x100; c++ {
		s.add(byte(c))
	}
	switch e.Op {
	case syntax.OpAnyChar:
		for c := range 0x80 {
			s.add(byte(c))
		}
	case syntax.OpAnyCharNotNL:
		for c := range 0x80 {
			if c != '\n' {
				s.add(byte(c))
			}
		}
	case syntax.OpLiteral:
		if len(e.Rune) != 1 || e.Rune[0] >= 0x80 {
			return s, false
		}
		c := byte(e.Rune[0])
		s.add(c)
		if e.Flags&syntax.FoldCase != 0 {
			s.add(foldASCII(c))
			if 'a' <= c && c <= 'z' {
				s.add(c - 'a' + 'A')
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(e.Rune); i += 2 {
			for c := e.Rune[i]; c <= e.Rune[i+1] && c < 0x80; c++ {
				s.add(byte(c))
			}
		}
	default:
		return s, false
	}
	return s, true
}

// possible reports whether seg holds one of a's literals followed by
// bytes in a's steps.
func (a *anchorCheck) possible(seg []byte) bool {
	for _, lit := range a.lits {
		for i := 0; i+len(lit) <= len(seg); {
			var j int
			if a.fold {
				j = indexFold(seg[i:], lit)
			} else {
				j = bytes.Index(seg[i:], lit)
			}
			if j < 0 {
				break
			}
			p := i + j + len(lit)
			if p+len(a.steps) <= len(seg) && a.stepsAt(seg[p:]) {
				return true
			}
			i += j + 1
		}
	}
	return false
}

func (a *anchorCheck) stepsAt(b []byte) bool {
	for k := range a.steps {
		if !a.steps[k].has(b[k]) {
			return false
		}
	}
	return true
}

// indexFold is bytes.Index with lit (lower-case) matched ASCII
// case-insensitively.
func indexFold(s, lit []byte) int {
	c := lit[0]
	up := c
	if 'a' <= c && c <= 'z' {
		up = c - 'a' + 'A'
	}
	for i := 0; i+len(lit) <= len(s); {
		j := bytes.IndexByte(s[i:len(s)-len(lit)+1], c)
		if up != c {
			end := len(s) - len(lit) + 1
			if j >= 0 {
				end = i + j
			}
			if k := bytes.IndexByte(s[i:end], up); k >= 0 {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		p := i + j
		if equalFold(s[p+1:p+len(lit)], lit[1:]) {
			return p
		}
		i = p + 1
	}
	return -1
}

func equalFold(b, lower []byte) bool {
	for i, c := range lower {
		if foldASCII(b[i]) != c {
			return false
		}
	}
	return true
}
