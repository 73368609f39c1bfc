package detectors

import (
	"bytes"
	_ "embed" // keywords.bin
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// keywordAutomaton is an Aho-Corasick automaton over lower-case keywords
// that matches ASCII case-insensitively without copying its input: an
// upper-case letter shares its lower-case twin's byte class. It is a
// complete DFA (one table lookup per input byte) over byte classes, the
// distinct bytes of the keywords plus one class for every other byte.
//
// The catalogue's 1,230 keywords make about 5,900 states and 63 classes
// (a 1.5 MB table). Building it is one breadth-first pass over the trie,
// a few milliseconds: a pre-commit hook's largest fixed cost. So the
// catalogue's automaton is built by `go generate ./detectors` into
// keywords.bin, embedded in the binary, and read back in a fraction of a
// millisecond; any other keyword list (custom rules, disabled rules) is
// built at run time.
type keywordAutomaton struct {
	classes [256]uint32
	// trans[state+class] is the next state. States are premultiplied by
	// the row width, 1<<shift (the number of classes rounded up to a power
	// of two), so a lookup needs no multiplication; matchFlag marks a next
	// state where keywords end.
	trans []uint32
	// outStart[s] .. outStart[s+1] index outs for state s (not
	// premultiplied): the keywords ending there, longest first.
	outStart []int32
	outs     []int32
	lens     []int32
	maxLen   int // the longest keyword's length
	shift    uint
}

const matchFlag = 1 << 31

// keywordHit is one keyword occurrence: data[start:end] equals keyword id
// ignoring ASCII case.
type keywordHit struct {
	id         int32
	start, end int
}

func foldASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// newKeywordAutomaton builds an automaton finding every occurrence of
// every pattern. Patterns are matched ASCII case-insensitively. The
// embedded catalogue's patterns are read from keywords.bin instead.
func newKeywordAutomaton(patterns [][]byte) (*keywordAutomaton, error) {
	if a := embeddedAutomaton(patterns); a != nil {
		return a, nil
	}
	return buildKeywordAutomaton(patterns)
}

func buildKeywordAutomaton(patterns [][]byte) (*keywordAutomaton, error) {
	if len(patterns) == 0 {
		return nil, errors.New("no keywords")
	}
	a := &keywordAutomaton{lens: make([]int32, len(patterns))}
	// Class 0 is every byte no keyword holds.
	var used [256]bool
	total := 0
	for i, p := range patterns {
		if len(p) == 0 {
			return nil, fmt.Errorf("keyword %d is empty", i)
		}
		a.lens[i] = int32(len(p))
		total += len(p)
		for _, c := range p {
			used[foldASCII(c)] = true
		}
	}
	nclass := uint32(1)
	for c := range 256 {
		if used[c] && foldASCII(byte(c)) == byte(c) {
			a.classes[c] = nclass
			nclass++
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.classes[c] = a.classes[c+'a'-'A']
	}
	for 1<<a.shift < nclass {
		a.shift++
	}
	width := uint32(1) << a.shift
	if uint64(total+1)<<a.shift >= matchFlag {
		return nil, fmt.Errorf("%d keywords of %d bytes make too large an automaton", len(patterns), total)
	}

	// The trie: row s<<shift holds state s's children, 0 (the root) for
	// none, since no trie edge leads back to the root. Keywords share
	// prefixes, so the table starts at half the bound.
	trans := make([]uint32, width, (total/2+1)<<a.shift)
	own := [][]int32{nil}
	for id, p := range patterns {
		s := uint32(0)
		for _, c := range p {
			k := s + a.classes[c]
			if trans[k] == 0 {
				trans[k] = uint32(len(trans))
				trans = append(trans, make([]uint32, width)...)
				own = append(own, nil)
			}
			s = trans[k]
		}
		own[s>>a.shift] = append(own[s>>a.shift], int32(id))
	}
	states := len(own)

	// Breadth-first: a state's failure link is shallower, so its row is
	// complete when the state's own row is completed from it.
	fail := make([]uint32, states)
	outs := make([][]int32, states)
	queue := make([]uint32, 0, states)
	for c := range nclass {
		if child := trans[c]; child != 0 {
			queue = append(queue, child)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		si := s >> a.shift
		f := fail[si]
		// The keywords ending here: its own, then those of its failure
		// state (shorter suffixes), as the matcher's windows expect.
		if fo := outs[f>>a.shift]; len(fo) == 0 {
			outs[si] = own[si]
		} else {
			outs[si] = append(append([]int32(nil), own[si]...), fo...)
		}
		for c := range nclass {
			if child := trans[s+c]; child != 0 {
				fail[child>>a.shift] = trans[f+c]
				queue = append(queue, child)
			} else {
				trans[s+c] = trans[f+c]
			}
		}
	}
	// The root's row needs nothing: its absent edges lead to the root (0),
	// and its children fail to the root (fail's zero value).

	a.outStart = make([]int32, states+1)
	for s := range states {
		a.outStart[s] = int32(len(a.outs))
		a.outs = append(a.outs, outs[s]...)
	}
	a.outStart[states] = int32(len(a.outs))
	for i, next := range trans {
		if len(outs[next>>a.shift]) > 0 {
			trans[i] = next | matchFlag
		}
	}
	a.trans = trans
	a.maxLen = maxLen(a.lens)
	return a, nil
}

func maxLen(lens []int32) int {
	m := 0
	for _, n := range lens {
		m = max(m, int(n))
	}
	return m
}

// appendHits appends every keyword occurrence in data to hits, ordered by
// end and, at the same end, longest first.
//
// Each byte is a table lookup that depends on the previous one, so one
// pass is bound by the latency of those loads, not by the processor's
// throughput. Longer inputs run as two interleaved passes, over the first
// and the second half, whose loads overlap: the second starts from the
// root maxLen-1 bytes early, so that it finds every keyword ending in its
// half, and keeps only those.
func (a *keywordAutomaton) appendHits(hits []keywordHit, data []byte) []keywordHit {
	if len(data) < twoPassMin {
		return a.appendPass(hits, data, 0)
	}
	mid := len(data) / 2
	from := max(mid-(a.maxLen-1), 0)
	second := secondHits.Get().(*[]keywordHit)
	h2 := (*second)[:0]
	trans, classes := a.trans, &a.classes
	first, rest := data[:mid], data[from:]
	rest = rest[:len(first)]
	s1, s2 := uint32(0), uint32(0)
	for i, c := range first {
		n1 := trans[s1+classes[c]]
		n2 := trans[s2+classes[rest[i]]]
		s1, s2 = n1&^matchFlag, n2&^matchFlag
		if (n1|n2)&matchFlag == 0 {
			continue
		}
		if n1&matchFlag != 0 {
			hits = a.appendOuts(hits, s1, i+1)
		}
		if n2&matchFlag != 0 && from+i+1 > mid {
			h2 = a.appendOuts(h2, s2, from+i+1)
		}
	}
	// The second pass's tail, beyond the first's length.
	for i := from + mid; i < len(data); i++ {
		next := trans[s2+classes[data[i]]]
		s2 = next &^ matchFlag
		if next&matchFlag != 0 {
			h2 = a.appendOuts(h2, s2, i+1)
		}
	}
	hits = append(hits, h2...)
	if cap(h2) <= 1<<16 {
		*second = h2
		secondHits.Put(second)
	}
	return hits
}

// twoPassMin is the shortest input appendHits splits in two.
const twoPassMin = 1 << 10

var secondHits = sync.Pool{New: func() any { return new([]keywordHit) }}

// appendPass is appendHits in one pass, data[0] being at offset base.
func (a *keywordAutomaton) appendPass(hits []keywordHit, data []byte, base int) []keywordHit {
	trans, classes := a.trans, &a.classes
	s := uint32(0)
	for i, c := range data {
		next := trans[s+classes[c]]
		if next&matchFlag == 0 {
			s = next
			continue
		}
		s = next &^ matchFlag
		hits = a.appendOuts(hits, s, base+i+1)
	}
	return hits
}

// appendOuts appends the keywords ending at end in state s (premultiplied).
func (a *keywordAutomaton) appendOuts(hits []keywordHit, s uint32, end int) []keywordHit {
	si := s >> a.shift
	for _, id := range a.outs[a.outStart[si]:a.outStart[si+1]] {
		hits = append(hits, keywordHit{id: id, start: end - int(a.lens[id]), end: end})
	}
	return hits
}

// keywordTables is the catalogue's keyword automaton, written by
// `go generate ./detectors` (EncodeKeywords); TestKeywordsFresh fails when
// it lags behind the catalogue.
//
//go:embed keywords.bin
var keywordTables []byte

// keywordsMagic starts keywords.bin; the digit is the format's version.
const keywordsMagic = "sprawlk1"

// keywordList returns the distinct lower-cased keywords of rules in
// the order NewMatcher numbers them.
func keywordList(rules []*Rule) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, r := range rules {
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if !seen[k] {
				seen[k] = true
				out = append(out, []byte(k))
			}
		}
	}
	return out
}

// EncodeKeywords builds the keyword automaton of rules and serialises it
// as keywords.bin holds it: the magic, six counts (shift, keywords,
// states, transitions, outputs, key bytes), then the byte classes, keyword
// lengths, output starts, outputs and transitions as little-endian 32-bit
// words, and last the keywords themselves joined by NUL bytes (the key a
// matcher's keywords are compared with).
func EncodeKeywords(rules []*Rule) ([]byte, error) {
	patterns := keywordList(rules)
	a, err := buildKeywordAutomaton(patterns)
	if err != nil {
		return nil, err
	}
	key := bytes.Join(patterns, []byte{0})
	out := []byte(keywordsMagic)
	le := binary.LittleEndian
	for _, n := range []int{int(a.shift), len(a.lens), len(a.outStart) - 1, len(a.trans), len(a.outs), len(key)} {
		out = le.AppendUint32(out, uint32(n))
	}
	for _, c := range a.classes {
		out = le.AppendUint32(out, c)
	}
	for _, part := range [][]int32{a.lens, a.outStart, a.outs} {
		for _, v := range part {
			out = le.AppendUint32(out, uint32(v))
		}
	}
	for _, v := range a.trans {
		out = le.AppendUint32(out, v)
	}
	return append(out, key...), nil
}

// embeddedAutomaton returns the automaton in keywordTables if it was built
// from exactly patterns, else nil.
func embeddedAutomaton(patterns [][]byte) *keywordAutomaton {
	data := keywordTables
	hdr := len(keywordsMagic) + 6*4
	if len(data) < hdr || string(data[:len(keywordsMagic)]) != keywordsMagic {
		return nil
	}
	le := binary.LittleEndian
	word := func(i int) int { return int(le.Uint32(data[len(keywordsMagic)+4*i:])) }
	shift, nkw, nstates, ntrans, nouts, nkey := word(0), word(1), word(2), word(3), word(4), word(5)
	words := 256 + nkw + nstates + 1 + nouts + ntrans
	if nkw != len(patterns) || shift >= 32 || len(data) != hdr+4*words+nkey {
		return nil
	}
	key := data[hdr+4*words:]
	for i, p := range patterns {
		if i > 0 {
			if key[0] != 0 {
				return nil
			}
			key = key[1:]
		}
		if !bytes.HasPrefix(key, p) {
			return nil
		}
		key = key[len(p):]
	}
	if len(key) != 0 {
		return nil
	}
	a := &keywordAutomaton{shift: uint(shift)}
	words32 := func(n int) []uint32 {
		b := data[hdr : hdr+4*n]
		hdr += 4 * n
		if n == 0 {
			return nil
		}
		if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
			// The tables are used where they lie, in the binary's
			// read-only data: nothing to copy, only pages to touch.
			return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)
		}
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s
	}
	ints := func(n int) []int32 {
		s := words32(n)
		if len(s) == 0 {
			return nil
		}
		return unsafe.Slice((*int32)(unsafe.Pointer(&s[0])), n)
	}
	copy(a.classes[:], words32(256))
	a.lens = ints(nkw)
	a.outStart = ints(nstates + 1)
	a.outs = ints(nouts)
	a.trans = words32(ntrans)
	a.maxLen = maxLen(a.lens)
	return a
}

// littleEndian is whether this machine stores words as keywords.bin does.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
