package detectors

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"regexp/syntax"
	"sync"
)

// Memo remembers, by content, the costly steps of matching text it has
// already matched, for inputs that repeat most of each other: the
// versions of one file through a repository's history, where a commit
// changes a few lines of a file and every other line was matched in the
// version before. With a Memo, MatchMemo cuts its input into blocks of
// whole lines at boundaries chosen by the text itself (so an edit moves
// no boundary but its neighbours), and for a block it has seen before
// reuses the keyword hits and the encoded runs it found there; and for a
// rule's pattern window it has seen before, the pattern's matches. A
// pattern that can only match within a line (lineLocal) is matched line
// by line, so a new window reuses what its known lines gave. What
// follows the pattern (length, entropy, checksum, context and the
// filters, which look beyond the window) runs on every input as before,
// so MatchMemo returns exactly what Match returns.
//
// That holds because each memoized step is a function of the bytes it is
// keyed by: no keyword goes on past a newline (a keyword may end with
// one; with a keyword that does not, MatchMemo is Match), so the
// automaton's hits after a newline do not depend on what came before it; a base64 or percent-encoded run ends at a
// newline; a JSON string literal ends at its line unless a backslash
// escapes the newline, and no block boundary follows such a line. Keys
// are 128-bit keyed hashes (hash/maphash, two seeds) of the bytes.
//
// A Memo holds at most about its byte budget: when the newer of its two
// generations is full the older is dropped, so what recent versions used
// stays. It is safe for concurrent use.
type Memo struct {
	// Bulk says the memo serves a large scan (a whole history): a rule's
	// pattern runs on RE2 from its first window (see windowLocs). Set it
	// before the first match.
	Bulk bool

	seeds  [2]maphash.Seed
	max    int // bytes per generation per shard
	shards [memoShards]memoShard
}

const (
	memoShards = 16
	// memoMinBlock and memoMaxBlock bound a block's length (it ends at a
	// newline past memoMinBlock where the text says so, or the first
	// newline past memoMaxBlock).
	memoMinBlock = 1 << 10
	memoMaxBlock = 16 << 10
	// DefaultMemoBytes is the budget NewMemo(0) takes.
	DefaultMemoBytes = 8 << 20
)

type memoKey [2]uint64

type memoShard struct {
	mu       sync.Mutex
	cur, old map[memoKey]any
	size     int
}

// blockMemo is what a block of whole lines yields on its own: keyword
// hits and decoded runs, at offsets from the block's start.
type blockMemo struct {
	hits []keywordHit
	segs [3][]segment // JSON strings, base64 runs, percent runs
}

// windowMemo holds a pattern's matches in one window: per match, the
// secret's and the whole match's offsets in the window.
type windowMemo []int

// NewMemo returns a Memo holding at most about maxBytes (DefaultMemoBytes
// when 0).
func NewMemo(maxBytes int) *Memo {
	if maxBytes <= 0 {
		maxBytes = DefaultMemoBytes
	}
	mm := &Memo{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, max: maxBytes / memoShards / 2}
	return mm
}

// key is b's 128-bit key under tag and extra: one pass of the runtime's
// hash per seed, with tag and extra mixed in after. The same bytes under
// two tags or extras differ by their mix, which is injective; different
// bytes hash independently under each seed.
func (mm *Memo) key(tag byte, extra uint32, b []byte) memoKey {
	x := uint64(tag)<<32 | uint64(extra)
	return memoKey{maphash.Bytes(mm.seeds[0], b) ^ x, maphash.Bytes(mm.seeds[1], b) ^ x*0x9e3779b97f4a7c15}
}

func (mm *Memo) get(k memoKey) (any, bool) {
	sh := &mm.shards[k[0]%memoShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.cur[k]; ok {
		return v, true
	}
	if v, ok := sh.old[k]; ok {
		// Still in use: keep it through the next generation.
		sh.putLocked(mm.max, k, v, memoSize(v))
		return v, true
	}
	return nil, false
}

func (mm *Memo) put(k memoKey, v any) {
	sh := &mm.shards[k[0]%memoShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.putLocked(mm.max, k, v, memoSize(v))
}

func (sh *memoShard) putLocked(max int, k memoKey, v any, size int) {
	if sh.cur == nil {
		sh.cur = map[memoKey]any{}
	}
	if sh.size+size > max && len(sh.cur) > 0 {
		// The next generation will hold about as many entries: made at
		// that size, it never grows (a map growing from empty splits and
		// rehashes its tables several times over).
		sh.old, sh.cur, sh.size = sh.cur, make(map[memoKey]any, len(sh.cur)), 0
	}
	sh.cur[k] = v
	sh.size += size
}

// memoSize approximates what an entry holds, map overhead included.
func memoSize(v any) int {
	const entry = 64
	switch v := v.(type) {
	case *blockMemo:
		n := entry + 64 + cap(v.hits)*24
		for _, ss := range v.segs {
			for _, s := range ss {
				n += 64 + cap(s.data)
			}
		}
		return n
	case windowMemo:
		return entry + 24 + cap(v)*8
	}
	return entry
}

// MatchMemo returns what Match returns, reusing through memo the work
// done on text Match or MatchMemo met before (see Memo). A nil memo is
// Match.
func (m *Matcher) MatchMemo(data []byte, memo *Memo) []Match {
	if memo == nil || !m.memoSafe() {
		return m.Match(data)
	}
	if len(data) == 0 || m.Prepare() != nil || m.ac == nil {
		return nil
	}
	out := m.findMemo(data, 0, memo)
	if len(out) == 0 {
		return nil
	}
	out = dedupe(out)
	setLines(data, out)
	return out
}

// memoSafe reports whether every keyword stays within a line (a
// newline, if it has one, is its last byte: "passwd\n"), which the memo's
// blocks rely on.
func (m *Matcher) memoSafe() bool {
	m.memoOnce.Do(func() {
		m.memoOK = true
		for _, p := range m.patterns {
			if i := bytes.IndexByte(p, '\n'); i >= 0 && i != len(p)-1 {
				m.memoOK = false
			}
		}
	})
	return m.memoOK
}

// blockEnd returns the end of the block of whole lines starting at
// start: just past a newline at least memoMinBlock bytes on where the
// eight bytes before that newline hash to a boundary, or the first
// newline past memoMaxBlock; or len(data). It never ends a block after a
// newline a backslash escapes (a JSON string may go on past it).
func blockEnd(data []byte, start int) int {
	i := start + memoMinBlock - 1
	for i < len(data) {
		nl := bytes.IndexByte(data[i:], '\n')
		if nl < 0 {
			break
		}
		e := i + nl + 1
		i = e
		if data[e-2] == '\\' {
			continue
		}
		if e-start >= memoMaxBlock {
			return e
		}
		if e >= 9 {
			x := binary.LittleEndian.Uint64(data[e-9 : e-1])
			if (x*0x9e3779b97f4a7c15)>>61 == 0 {
				return e
			}
		}
	}
	return len(data)
}

// blockWork matches one block on its own: what the memo keeps for it.
func (m *Matcher) blockWork(b []byte, decode bool) *blockMemo {
	bm := &blockMemo{hits: m.ac.appendHits(nil, b)}
	if decode {
		if bytes.IndexByte(b, '\\') >= 0 {
			bm.segs[0] = jsonStrings(b)
		}
		bm.segs[1] = base64Runs(b)
		if bytes.IndexByte(b, '%') >= 0 {
			bm.segs[2] = percentRuns(b)
		}
	}
	return bm
}

// findMemo is find with memo: the same matches in the same order.
func (m *Matcher) findMemo(data []byte, depth int, memo *Memo) []Match {
	decode := depth < MaxDecodeDepth
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	sc.hits = sc.hits[:0]
	var blocks []*blockMemo
	var starts []int
	tag := byte('b')
	if decode {
		tag = 'B'
	}
	for s := 0; s < len(data); {
		e := blockEnd(data, s)
		b := data[s:e]
		k := memo.key(tag, 0, b)
		var bm *blockMemo
		if v, ok := memo.get(k); ok {
			bm = v.(*blockMemo)
		} else {
			bm = m.blockWork(b, decode)
			memo.put(k, bm)
		}
		for _, h := range bm.hits {
			h.start += s
			h.end += s
			sc.hits = append(sc.hits, h)
		}
		if decode {
			blocks = append(blocks, bm)
			starts = append(starts, s)
		}
		s = e
	}
	out := m.matchHits(sc, data, memo)
	if cap(sc.hits) > 1<<16 {
		sc.hits = nil
	}
	if !decode {
		return out
	}
	// decodeAll's segments, kind by kind, under its budget.
	var segs []segment
	budget := maxDecodedPerInput
	func() {
		for kind := range 3 {
			for bi, bm := range blocks {
				for _, s := range bm.segs[kind] {
					if len(s.data) == 0 || budget < len(s.data) {
						if budget > 0 {
							continue
						}
						return
					}
					budget -= len(s.data)
					s.start += starts[bi]
					s.end += starts[bi]
					segs = append(segs, s)
				}
			}
		}
	}()
	return m.decodedMatches(out, segs, depth, memo)
}

// lineLocality caches lineLocal's answer for one rule.
type lineLocality struct {
	once   sync.Once
	minLen int
}

// lineLocal returns, for a pattern that matches within one line only,
// the fewest bytes a match takes (at least 1), and 0 for any other. Such
// a pattern matches no newline (no class, literal or (?s). holding one)
// and has no anchor at the start or end of the text (^ and $ without
// (?m), \A, \z), which look past a line; \b and (?m)^ see a newline
// and the end of the text alike. Its matches in a window are then, in
// order, its matches in each of the window's lines, matched alone.
func (m *Matcher) lineLocal(ri int32, r *Rule) int {
	ll := &m.lines[ri]
	ll.once.Do(func() {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		ll.minLen = lineMinLen(expr)
	})
	return ll.minLen
}

// withinLine reports whether re can match neither a newline nor an
// anchor at the text's start or end.
func withinLine(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText, syntax.OpEndText, syntax.OpAnyChar:
		return false
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if c == '\n' {
				return false
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return false
			}
		}
	}
	for _, sub := range re.Sub {
		if !withinLine(sub) {
			return false
		}
	}
	return true
}

// minMatchLen returns the fewest bytes a match of re takes.
func minMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, c := range re.Rune {
			n += len(string(c))
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minMatchLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n += minMatchLen(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if l := minMatchLen(sub); n < 0 || l < n {
				n = l
			}
		}
		return max(n, 0)
	}
	return 0 // star, quest, empty-width
}

// lineScratch is lineLocs's working memory, kept between calls.
type lineScratch struct {
	lines  []lineRef
	joined []byte
}

// lineRef is one line of a window lineLocs matches.
type lineRef struct {
	start, end int // in the window
	at         int // in joined, for a line matched now; else -1
	k          memoKey
	locs       windowMemo
}

var lineScratchPool = sync.Pool{New: func() any { return new(lineScratch) }}

// lineLocs returns windowLocs(seg) for a line-local pattern (lineLocal),
// matching only the lines of seg memo does not know, all in one call on
// those lines joined by newlines.
func (m *Matcher) lineLocs(ri int32, r *Rule, seg []byte, minLen int, memo *Memo) windowMemo {
	ls := lineScratchPool.Get().(*lineScratch)
	defer func() {
		if cap(ls.lines) > 1<<14 || cap(ls.joined) > 1<<20 {
			return // a huge window's: let it go
		}
		clear(ls.lines) // drop the references to locs
		ls.lines, ls.joined = ls.lines[:0], ls.joined[:0]
		lineScratchPool.Put(ls)
	}()
	lines, joined := ls.lines, ls.joined
	defer func() { ls.lines, ls.joined = lines, joined }()
	for s := 0; s <= len(seg); {
		e := bytes.IndexByte(seg[s:], '\n')
		if e < 0 {
			e = len(seg)
		} else {
			e += s
		}
		if e-s >= minLen {
			l := lineRef{start: s, end: e, at: -1, k: memo.key('l', uint32(ri), seg[s:e])}
			if v, ok := memo.get(l.k); ok {
				l.locs = v.(windowMemo)
			} else {
				if len(joined) > 0 {
					joined = append(joined, '\n')
				}
				l.at = len(joined)
				joined = append(joined, seg[s:e]...)
			}
			lines = append(lines, l)
		}
		s = e + 1
	}
	if len(joined) > 0 {
		found := m.windowLocs(ri, r, joined, memo.Bulk)
		j := 0
		for i := range lines {
			l := &lines[i]
			if l.at < 0 {
				continue
			}
			end := l.at + (l.end - l.start)
			l.locs = windowMemo{} // known: no match
			for ; j+4 <= len(found) && found[j+2] < end; j += 4 {
				l.locs = append(l.locs, found[j]-l.at, found[j+1]-l.at, found[j+2]-l.at, found[j+3]-l.at)
			}
			memo.put(l.k, l.locs)
		}
	}
	var out windowMemo
	for _, l := range lines {
		for i := 0; i+4 <= len(l.locs); i += 4 {
			out = append(out, l.locs[i]+l.start, l.locs[i+1]+l.start, l.locs[i+2]+l.start, l.locs[i+3]+l.start)
		}
	}
	return out
}
