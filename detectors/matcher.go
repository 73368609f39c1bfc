package detectors

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Default limits of the windows a rule's pattern runs on.
const (
	DefaultWindow   = 256
	maxLineStretch  = 2048
	defaultCtxLines = 10
)

// Match is one secret found by one rule in a byte slice.
type Match struct {
	Rule *Rule
	// Start and End delimit the secret (the pattern's "secret" group).
	Start, End int
	// MatchStart and MatchEnd delimit the whole text the pattern matched.
	MatchStart, MatchEnd int
	Secret               string
	Entropy              float64
	// Line and Column (1-based; the column counts bytes) locate Start;
	// EndLine and EndColumn locate the last byte of the secret.
	Line, Column, EndLine, EndColumn int
	// Column16 is Start's column in UTF-16 code units, and EndColumn16 the
	// column just after the secret's last character (exclusive), as SARIF
	// and editors count them; for ASCII lines they are Column and
	// EndColumn+1.
	Column16, EndColumn16 int
	// Encoding names the decoder that revealed the secret ("json-string",
	// "base64", "percent", or several joined by "+"); empty for plain
	// text. For a decoded secret, Start and End span the encoded text.
	Encoding string
}

// Allowlist suppresses candidates by value. Paths are the scanner's job.
type Allowlist struct {
	// Regexes are RE2 expressions matched against the secret.
	Regexes []string `yaml:"regexes" mapstructure:"regexes"`
	// Stopwords are substrings (case-insensitive) that mark a secret as
	// not one.
	Stopwords []string `yaml:"stopwords" mapstructure:"stopwords"`
	// Values are exact secret values to ignore.
	Values []string `yaml:"values" mapstructure:"values"`
}

// Matcher finds secrets in bytes. It is safe for concurrent use and does
// no I/O: rules compile lazily, the first time their keywords occur.
type Matcher struct {
	rules     []*Rule
	ac        *keywordAutomaton
	patterns  [][]byte
	acOnce    sync.Once
	acErr     error
	kwRules   [][]int32 // keyword id → indexes into rules
	allowRes  []regex
	stopwords []string
	values    map[string]bool
	scratch   sync.Pool
	small     []smallRegex // by rule index (smallre.go)
	extras    []smallExtra // by rule index (smallre.go)
	index     map[*Rule]int32
	engine    engine
	memoOnce  sync.Once
	memoOK    bool
	lines     []lineLocality // by rule index (memo.go)
	pre       []precheck     // by rule index (precheck.go)
	// noPrecheck runs every pattern on every window (tests compare).
	noPrecheck bool
}

type window struct{ start, end int }

type scratch struct {
	hits    []keywordHit
	windows [][]window
	touched []int32
	joined  []byte // mayMatchJoined's buffer
}

// NewMatcher builds a matcher over rules. Rule patterns are checked when
// first used; call Validate on each rule to check them up front.
func NewMatcher(rules []*Rule, allow Allowlist) (*Matcher, error) {
	m := &Matcher{rules: rules, values: map[string]bool{}, small: make([]smallRegex, len(rules)),
		extras: make([]smallExtra, len(rules)), index: make(map[*Rule]int32, len(rules)),
		lines: make([]lineLocality, len(rules)), pre: make([]precheck, len(rules))}
	kwIndex := map[string]int{}
	var patterns [][]byte
	for i, r := range rules {
		m.index[r] = int32(i)
		if len(r.Keywords) == 0 {
			return nil, fmt.Errorf("rule %s: no keywords", r.ID)
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			id, ok := kwIndex[k]
			if !ok {
				id = len(patterns)
				kwIndex[k] = id
				patterns = append(patterns, []byte(k))
				m.kwRules = append(m.kwRules, nil)
			}
			if n := len(m.kwRules[id]); n == 0 || m.kwRules[id][n-1] != int32(i) {
				m.kwRules[id] = append(m.kwRules[id], int32(i))
			}
		}
	}
	m.patterns = patterns
	for _, a := range allow.Regexes {
		re, err := compileRegex(a)
		if err != nil {
			return nil, fmt.Errorf("allowlist regex %q: %w", a, err)
		}
		m.allowRes = append(m.allowRes, re)
	}
	for _, s := range allow.Stopwords {
		m.stopwords = append(m.stopwords, strings.ToLower(s))
	}
	for _, v := range allow.Values {
		m.values[v] = true
	}
	n := len(rules)
	m.scratch.New = func() any { return &scratch{windows: make([][]window, n)} }
	return m, nil
}

// Prepare builds the keyword automaton, which takes about a millisecond
// for the whole catalogue. Match calls it; a caller that has other work to
// do first (starting git, walking a tree) can call it on another goroutine
// to overlap the two. It is safe for concurrent use.
func (m *Matcher) Prepare() error {
	m.acOnce.Do(func() {
		if len(m.patterns) == 0 {
			return
		}
		m.ac, m.acErr = buildAutomaton(m.patterns)
	})
	return m.acErr
}

// Rules returns the matcher's rules.
func (m *Matcher) Rules() []*Rule { return m.rules }

// Match returns the secrets in data, ordered by position, including
// secrets hidden by JSON string escapes, base64 or percent-encoding (up to
// MaxDecodeDepth layers). A rule whose pattern does not compile reports no
// matches; Validate finds such rules.
func (m *Matcher) Match(data []byte) []Match {
	if len(data) == 0 || m.Prepare() != nil || m.ac == nil {
		return nil
	}
	out := m.find(data, 0)
	if len(out) == 0 {
		return nil
	}
	out = dedupe(out)
	setLines(data, out)
	return out
}

// find matches data and, below the depth limit, the decoded segments of
// data, mapping their matches back onto the encoded spans.
func (m *Matcher) find(data []byte, depth int) []Match {
	out := m.matchPlain(data)
	if depth >= MaxDecodeDepth {
		return out
	}
	return m.decodedMatches(out, decodeAll(data), depth, nil)
}

// decodedMatches adds to out, data's matches, the matches in the decoded
// segments of data (found one layer deeper), mapped back onto the
// encoded spans.
func (m *Matcher) decodedMatches(out []Match, segs []segment, depth int, memo *Memo) []Match {
	if len(segs) == 0 {
		return out
	}
	// One buffer for all segments: one keyword pass instead of one per
	// segment. The separator keeps segments from reading as one line.
	var joined []byte
	starts := make([]int, len(segs))
	for i, sg := range segs {
		starts[i] = len(joined)
		joined = append(joined, sg.data...)
		joined = append(joined, "\n\x00\n"...)
	}
	plain := map[string]bool{}
	for _, mt := range out {
		plain[mt.Rule.ID+"\x00"+mt.Secret] = true
	}
	var inner []Match
	if memo != nil {
		inner = m.findMemo(joined, depth+1, memo)
	} else {
		inner = m.find(joined, depth+1)
	}
	for _, mt := range inner {
		i := sort.SearchInts(starts, mt.Start+1) - 1
		if i < 0 || plain[mt.Rule.ID+"\x00"+mt.Secret] {
			continue
		}
		sg := segs[i]
		if overlapsRule(out, mt.Rule, sg.start, sg.end) {
			// The rule already matched the encoded text itself (a PEM
			// key with \n escapes inside a JSON string): one finding.
			continue
		}
		enc := sg.kind
		if mt.Encoding != "" {
			enc += "+" + mt.Encoding
		}
		mt.Start, mt.End, mt.MatchStart, mt.MatchEnd, mt.Encoding = sg.start, sg.end, sg.start, sg.end, enc
		out = append(out, mt)
	}
	return out
}

// matchPlain runs the keyword prefilter and the triggered rules on data
// as it is.
func (m *Matcher) matchPlain(data []byte) []Match {
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	sc.hits = m.ac.appendHits(sc.hits[:0], data)
	if cap(sc.hits) > 1<<16 {
		defer func() { sc.hits = nil }()
	}
	return m.matchHits(sc, data, nil)
}

// matchHits runs the rules whose keywords sc.hits holds on the windows
// around those hits.
func (m *Matcher) matchHits(sc *scratch, data []byte, memo *Memo) []Match {
	for _, hit := range sc.hits {
		// Window bounds depend only on the hit and the window size, so
		// rules sharing a keyword share the line scans.
		dws, dwe := -1, -1
		for _, ri := range m.kwRules[hit.id] {
			r := m.rules[ri]
			w := r.Window
			if w <= 0 {
				w = DefaultWindow
			}
			wins := sc.windows[ri]
			n := len(wins)
			if n > 0 && hit.start-w >= wins[n-1].start && hit.end+w <= wins[n-1].end {
				continue // already inside this rule's last window
			}
			var ws, we int
			if w == DefaultWindow {
				if dws < 0 {
					dws, dwe = lineStart(data, hit.start-w), lineEnd(data, hit.end+w)
				}
				ws, we = dws, dwe
			} else {
				ws, we = lineStart(data, hit.start-w), lineEnd(data, hit.end+w)
			}
			if n == 0 {
				sc.touched = append(sc.touched, ri)
			}
			if n > 0 && ws <= wins[n-1].end {
				if we > wins[n-1].end {
					wins[n-1].end = we
				}
			} else {
				wins = append(wins, window{ws, we})
			}
			sc.windows[ri] = wins
		}
	}

	var out []Match
	if memo != nil && !memo.Bulk {
		// A small scan with a memo (a staged change): every touched rule
		// runs on these windows.
		m.warmGo(sc.touched)
	}
	for _, ri := range sc.touched {
		r := m.rules[ri]
		wins := sc.windows[ri]
		sc.windows[ri] = wins[:0]
		// With a memo most windows are known: no joined run then.
		if memo == nil && !m.mayMatchJoined(ri, r, data, wins, &sc.joined) {
			continue
		}
		for _, w := range wins {
			out = m.matchWindow(out, ri, r, data, w, memo)
		}
	}
	sc.touched = sc.touched[:0]
	return out
}

// matchWindow runs r's pattern on one window: on Go's regexp where
// goRegex allows, else on RE2, compiled on first use. A rule whose pattern
// does not compile matches nothing.
func (m *Matcher) matchWindow(out []Match, ri int32, r *Rule, data []byte, w window, memo *Memo) []Match {
	seg := data[w.start:w.end]
	var locs windowMemo
	if memo != nil {
		k := memo.key('w', uint32(ri), seg)
		if v, ok := memo.get(k); ok {
			locs = v.(windowMemo)
		} else {
			if minLen := m.lineLocal(ri, r); minLen > 0 {
				locs = m.lineLocs(ri, r, seg, minLen, memo)
			} else {
				locs = m.windowLocs(ri, r, seg, memo.Bulk)
			}
			memo.put(k, locs)
		}
	} else {
		locs = m.windowLocs(ri, r, seg, false)
	}
	for i := 0; i+4 <= len(locs); i += 4 {
		s, e := locs[i], locs[i+1]
		secret := string(seg[s:e])
		cand := Match{
			Rule: r, Start: w.start + s, End: w.start + e,
			MatchStart: w.start + locs[i+2], MatchEnd: w.start + locs[i+3],
			Secret: secret,
		}
		if r.Decode != "" {
			dec, ok := Decoders[r.Decode](secret, string(seg[locs[i+2]:locs[i+3]]))
			if !ok {
				continue
			}
			if dec != secret {
				cand.Secret, cand.Encoding = dec, r.Decode
			}
		}
		if !m.accept(r, data, &cand) {
			continue
		}
		out = append(out, cand)
	}
	return out
}

// windowLocs runs r's pattern on seg: on Go's regexp where goRegex
// allows, else on RE2, compiled on first use. It returns, per match whose
// secret group took part, the secret's start and end and the match's
// start and end in seg. A rule whose pattern does not compile matches
// nothing.
//
// bulk says the scan is a large one (a Memo's with Bulk set: a whole
// history), where a rule that meets a window at all meets many: RE2 runs
// from the first, sparing the Go compilation and the rent that would be
// paid before RE2's turn came anyway (about 5% of a history's CPU time).
func (m *Matcher) windowLocs(ri int32, r *Rule, seg []byte, bulk bool) windowMemo {
	var locs [][]int
	var secretIx int
	if re, ix := m.goRegex(ri, r, seg, bulk); re != nil {
		// No pre-checks: deriving them costs about what a small scan,
		// the reason to run Go's regexp, saves by them.
		locs, secretIx = m.goFindAll(ri, re, seg), ix
		if m.small[ri].whole {
			secretIx = 0
		}
	} else {
		if !m.mayMatchAnchor(ri, r, seg) || !m.mayMatchRelaxed(ri, r, seg) || r.compile() != nil {
			return nil
		}
		if r.whole {
			locs = r.re.FindAllIndex(seg, -1)
		} else {
			locs, secretIx = r.re.FindAllSubmatchIndex(seg, -1), r.secretIx
		}
	}
	var out windowMemo
	for _, loc := range locs {
		s, e := loc[2*secretIx], loc[2*secretIx+1]
		if s < 0 {
			continue
		}
		out = append(out, s, e, loc[0], loc[1])
	}
	return out
}

// accept applies everything after the pattern: length, entropy, checksum,
// context, the rule's and the user's allowlists and the shared filters.
func (m *Matcher) accept(r *Rule, data []byte, c *Match) bool {
	if r.Generic {
		// A value that runs on into a query string (pw=s3cret&user=bob)
		// ends at the next parameter.
		if i := queryContinuation(c.Secret); i > 0 {
			c.Secret, c.End = c.Secret[:i], c.Start+i
		}
	}
	secret := c.Secret
	if r.CredentialFile {
		// Every value but a placeholder is reported (see password.go).
		return m.acceptCredential(r, data, c)
	}
	if len(secret) < r.MinLength {
		return false
	}
	c.Entropy = Entropy(secret)
	if c.Entropy < r.Entropy {
		return false
	}
	verified := false
	if r.Checksum != "" {
		if !Checksums[r.Checksum](secret) {
			return false
		}
		verified = true
	}
	if FalsePositive(secret, verified) != "" || identifierNoise(data, c, verified) != "" {
		return false
	}
	if r.Generic && genericNoise(data, c) {
		return false
	}
	if !r.Generic && !verified && strings.IndexByte(secret, '.') > 0 && codeReference(data, c) {
		// Any assignment-shaped rule: pkg.ClassClientSecret, is code
		// (generic rules checked it in genericNoise already).
		return false
	}
	if !m.ruleAllows(r, secret) {
		return false
	}
	if !m.userAllows(secret) {
		return false
	}
	if r.Context != "" && !m.contextMatches(r, data, c) {
		return false
	}
	if r.Class == "password" && Weak(secret) {
		c.Rule = r.weakVariant() // reported, tagged weak (password.go)
	}
	return true
}

// userAllows reports whether the user's allowlist lets secret through.
func (m *Matcher) userAllows(secret string) bool {
	if m.values[secret] {
		return false
	}
	if len(m.stopwords) > 0 {
		low := strings.ToLower(secret)
		for _, s := range m.stopwords {
			if strings.Contains(low, s) {
				return false
			}
		}
	}
	for _, a := range m.allowRes {
		if a.MatchString(secret) {
			return false
		}
	}
	return true
}

// contextNear reports whether r's context expression matches within
// ContextLines lines of the match.
func contextNear(r *Rule, data []byte, c *Match) bool {
	s, e := contextSpan(r, data, c)
	return r.ctxRe.Match(data[s:e])
}

// contextSpan returns the span of the ContextLines lines around c.
func contextSpan(r *Rule, data []byte, c *Match) (int, int) {
	n := r.ContextLines
	if n <= 0 {
		n = defaultCtxLines
	}
	s, e := c.MatchStart, c.MatchEnd
	for i := 0; i <= n && s > 0; i++ {
		s = lineStart(data, s-1)
	}
	for i := 0; i <= n && e < len(data); i++ {
		e = lineEnd(data, e+1)
	}
	return s, e
}

// dedupe sorts matches by position and removes a generic rule's match
// where a provider rule found an overlapping secret, and repeated spans.
func dedupe(ms []Match) []Match {
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End > b.End
		}
		if a.Rule.Generic != b.Rule.Generic {
			return !a.Rule.Generic
		}
		if ra, rb := credentialRank(a), credentialRank(b); ra != rb {
			return ra < rb
		}
		if (a.Encoding == "") != (b.Encoding == "") {
			return a.Encoding == "" // what is plainly there beats a decoding
		}
		if a.Rule.Severity != b.Rule.Severity {
			return a.Rule.Severity > b.Rule.Severity
		}
		return a.Rule.ID < b.Rule.ID
	})
	out := ms[:0]
	for i, m := range ms {
		drop := false
		for j := range ms {
			if j == i {
				continue
			}
			o := ms[j]
			if o.Start >= m.End {
				if j > i {
					break
				}
				continue
			}
			if o.End <= m.Start {
				continue
			}
			// overlapping spans
			if m.Rule.Generic && !o.Rule.Generic {
				drop = true
				break
			}
			if o.Start == m.Start && o.End == m.End && m.Rule.Container && m.Encoding == "" && o.Encoding != "" && !o.Rule.Container {
				drop = true // the decoded secret inside says more
				break
			}
			if o.Start == m.Start && o.End == m.End && j < i && m.Rule.Generic == o.Rule.Generic &&
				(o.Secret == m.Secret || (o.Encoding == "") == (m.Encoding == "")) {
				// Same span, a better rule sorts first. A decoded secret
				// inside a plainly matched blob (a token in a Kubernetes
				// Secret's data) is a different secret: both stay.
				drop = true
				break
			}
			if m.Rule.Generic && o.Rule.Generic && j < i {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

func setLines(data []byte, ms []Match) {
	type pos struct {
		off   int
		line  *int
		col   *int
		col16 *int
		after bool // col16 counts the byte at off too (an exclusive end)
	}
	ps := make([]pos, 0, 2*len(ms))
	for i := range ms {
		ps = append(ps, pos{ms[i].Start, &ms[i].Line, &ms[i].Column, &ms[i].Column16, false})
		end := ms[i].End - 1
		if end < ms[i].Start {
			end = ms[i].Start
		}
		ps = append(ps, pos{end, &ms[i].EndLine, &ms[i].EndColumn, &ms[i].EndColumn16, true})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].off < ps[j].off })
	line, lineStartOff, cur := 1, 0, 0
	for _, p := range ps {
		for cur < p.off {
			nl := bytes.IndexByte(data[cur:p.off], '\n')
			if nl < 0 {
				cur = p.off
				break
			}
			line++
			cur += nl + 1
			lineStartOff = cur
		}
		*p.line = line
		*p.col = p.off - lineStartOff + 1
		upto := p.off
		if p.after {
			// Through the end of the character holding the last byte.
			upto = min(p.off+1, len(data))
			for upto < len(data) && !utf8.RuneStart(data[upto]) {
				upto++
			}
		}
		*p.col16 = utf16Units(data[lineStartOff:upto]) + 1
	}
}

// utf16Units counts b's UTF-16 code units (invalid bytes count one each).
func utf16Units(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// lineStart returns the start of the line holding off, looking back at
// most maxLineStretch bytes.
func lineStart(data []byte, off int) int {
	if off <= 0 {
		return 0
	}
	if off > len(data) {
		off = len(data)
	}
	lo := off - maxLineStretch
	if lo < 0 {
		lo = 0
	}
	if i := bytes.LastIndexByte(data[lo:off], '\n'); i >= 0 {
		return lo + i + 1
	}
	return lo
}

// lineEnd returns the end (exclusive, before '\n') of the line holding
// off, looking ahead at most maxLineStretch bytes.
func lineEnd(data []byte, off int) int {
	if off >= len(data) {
		return len(data)
	}
	if off < 0 {
		off = 0
	}
	hi := off + maxLineStretch
	if hi > len(data) {
		hi = len(data)
	}
	if i := bytes.IndexByte(data[off:hi], '\n'); i >= 0 {
		return off + i
	}
	return hi
}

// genericNoise rejects what a variable-name rule catches in code that is
// not a secret: identifiers, numbers, concatenations, a variable passed
// unquoted, a value that repeats its own name.
func genericNoise(data []byte, c *Match) bool {
	secret := c.Secret
	if identifierLike(secret) || numberLike(secret) {
		return true
	}
	if len(secret) > 1 && secret[0] == '+' && identChars(secret[1:]) {
		return true // "PWD="+cmd.Dir
	}
	if codeReference(data, c) {
		return true
	}
	if regexLike(secret) || pathLike(secret) {
		return true
	}
	if c.MatchStart < c.Start && echoesKey(string(data[c.MatchStart:c.Start]), secret) {
		return true
	}
	return false
}

// codeReference reports whether the match is an unquoted identifier
// followed by code punctuation, i.e. a variable or constant passed by
// name: PrivateKey: testRSAPrivateKey, or "client-secret": cfg.ClientSecret)
func codeReference(data []byte, c *Match) bool {
	quoted := c.Start > 0 && strings.IndexByte("\"'`", data[c.Start-1]) >= 0
	if quoted || !codeIdentifier(c.Secret) {
		return false
	}
	i := c.End
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i < len(data) && strings.IndexByte(",);", data[i]) >= 0
}

// identChars reports whether s is made of identifier characters and dots,
// starting with a letter: cmd.Dir, tc.pwd, os.Args.
func identChars(s string) bool {
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// regexLike reports whether s reads as a regular expression or glob:
// regex syntax a password is unlikely to hold, or a word followed by ".*"
// (TestVerboseSkip.*).
func regexLike(s string) bool {
	for _, m := range []string{`\d`, `\w`, `\s`, "(?", "[^", "[a-z", "[A-Z", "[0-9", "{1,"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	if w, ok := strings.CutSuffix(s, ".*"); ok && len(w) >= 4 && identChars(w) {
		return true
	}
	return false
}

// pathLike reports whether s is a lower-case slash-separated path such as
// very/nested/dir; base64 with slashes has mixed case in its parts.
func pathLike(s string) bool {
	if strings.Count(s, "/") < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '/' || c == '.' || c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// overlapsRule reports whether one of ms, by rule r, overlaps [start, end).
func overlapsRule(ms []Match, r *Rule, start, end int) bool {
	for _, m := range ms {
		if m.Rule == r && m.Start < end && start < m.End {
			return true
		}
	}
	return false
}

// queryContinuation returns the index of "&name=" in s, or -1.
func queryContinuation(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > i+1 && s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '=' {
			return i
		}
	}
	return -1
}

// automata caches keyword automata by their keyword list, so the same
// catalogue builds its automaton once per process however many matchers
// use it (and WarmBuiltin can build it ahead of need).
var automata struct {
	sync.Mutex
	m map[string]*automatonEntry
}

type automatonEntry struct {
	once sync.Once
	ac   *keywordAutomaton
	err  error
}

func buildAutomaton(patterns [][]byte) (*keywordAutomaton, error) {
	key := string(bytes.Join(patterns, []byte{0}))
	automata.Lock()
	if automata.m == nil {
		automata.m = map[string]*automatonEntry{}
	}
	e := automata.m[key]
	if e == nil {
		e = &automatonEntry{}
		automata.m[key] = e
	}
	automata.Unlock()
	e.once.Do(func() {
		e.ac, e.err = newKeywordAutomaton(patterns)
		if e.err != nil {
			e.err = fmt.Errorf("build keyword automaton: %w", e.err)
		}
	})
	return e.ac, e.err
}

// WarmBuiltin builds the embedded catalogue's keyword automaton into the
// process-wide cache. A command that will scan calls it on a goroutine at
// start, so the automaton is ready by the time configuration is read and
// git has answered; a matcher over the same keywords then reuses it.
func WarmBuiltin() {
	rules, err := Builtin()
	if err != nil {
		return
	}
	if m, err := NewMatcher(rules, Allowlist{}); err == nil {
		_ = m.Prepare()
	}
}
