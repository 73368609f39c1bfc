package detectors

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Decoding limits: decoding must never blow up on hostile input.
const (
	// MaxDecodeDepth is how many layers of encoding are undone
	// (base64 inside a JSON string is two).
	MaxDecodeDepth = 2
	// maxSegment is the largest encoded segment decoded.
	maxSegment = 64 << 10
	// maxDecodedPerInput caps the decoded bytes produced from one input.
	maxDecodedPerInput = 4 << 20
	minBase64Run       = 24
)

// segment is decoded text and the span of input it came from.
type segment struct {
	data       []byte
	start, end int // span in the input the decoder read
	kind       string
}

// decodeAll finds encoded segments in data: JSON/notebook string escapes,
// base64 runs and percent-encoding. Segments whose decoding equals their
// source are dropped.
func decodeAll(data []byte) []segment {
	var segs []segment
	budget := maxDecodedPerInput
	add := func(s segment) bool {
		if len(s.data) == 0 || budget < len(s.data) {
			return budget > 0
		}
		budget -= len(s.data)
		segs = append(segs, s)
		return true
	}
	if bytes.IndexByte(data, '\\') >= 0 {
		for _, s := range jsonStrings(data) {
			if !add(s) {
				return segs
			}
		}
	}
	for _, s := range base64Runs(data) {
		if !add(s) {
			return segs
		}
	}
	if bytes.IndexByte(data, '%') >= 0 {
		for _, s := range percentRuns(data) {
			if !add(s) {
				return segs
			}
		}
	}
	return segs
}

// jsonStrings decodes double-quoted string literals that contain
// backslash escapes, as JSON and notebooks hold them.
func jsonStrings(data []byte) []segment {
	var out []segment
	i := 0
	for i < len(data) {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			break
		}
		start := i + q
		j := start + 1
		escaped := false
		for j < len(data) && j-start < maxSegment {
			c := data[j]
			if c == '\\' {
				escaped = true
				j += 2
				continue
			}
			if c == '"' || c == '\n' {
				break
			}
			j++
		}
		if j >= len(data) || data[j] != '"' {
			i = j // unterminated on this line: not a literal
			if i <= start {
				i = start + 1
			}
			continue
		}
		if escaped {
			if s, ok := unescapeJSON(data[start+1 : j]); ok {
				out = append(out, segment{data: s, start: start + 1, end: j, kind: "json-string"})
			}
		}
		i = j + 1
	}
	return out
}

// unescapeJSON undoes JSON string escapes; it is lenient about escapes
// JSON does not define (\' from other languages) and keeps them as is.
func unescapeJSON(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		i++
		switch b[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '"', '\\', '/', '\'':
			out = append(out, b[i])
		case 'b', 'f':
		case 'u':
			if i+4 < len(b) {
				if v, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(v))
					i += 4
					continue
				}
			}
			out = append(out, '\\', 'u')
		default:
			out = append(out, '\\', b[i])
		}
	}
	return out, true
}

// b64 marks the bytes of the standard and URL-safe base64 alphabets.
var b64 = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
		t[c] = true
	}
	return t
}()

// base64Runs decodes runs of base64 (standard or URL alphabet) that decode
// to mostly printable text, like Kubernetes Secret data values and HTTP
// basic-auth headers.
func base64Runs(data []byte) []segment {
	var out []segment
	n := len(data)
	// Invariant: i == 0 or data[i-1] is not base64. A run of at least
	// minBase64Run bytes starting at or after i covers i+minBase64Run-1,
	// so where that byte is not base64 the scan leaps past it: most text
	// is skipped minBase64Run bytes at a time.
	i := 0
	for i+minBase64Run <= n {
		p := i + minBase64Run - 1
		if !b64[data[p]] {
			i = p + 1
			continue
		}
		s := p
		for s > i && b64[data[s-1]] {
			s--
		}
		e := p + 1
		for e < n && b64[data[e]] {
			e++
		}
		if e-s >= minBase64Run {
			end := e
			for end < n && end-e < 2 && data[end] == '=' {
				end++
			}
			if e-s <= maxSegment && (s == 0 || !isWordByte(data[s-1])) {
				if dec := decodeBase64Text(data[s:e]); dec != nil {
					out = append(out, segment{data: dec, start: s, end: end, kind: "base64"})
				}
			}
		}
		i = e + 1
	}
	return out
}

func isWordByte(c byte) bool { return c == '.' || c == '%' }

// decodeBase64Text decodes s if it is base64 of printable text.
func decodeBase64Text(s []byte) []byte {
	var plain bool
	for _, c := range s {
		if c == '-' || c == '_' {
			plain = true
			break
		}
	}
	// A run of letters only is an identifier, not an encoding.
	hasDigitOrSym := false
	hasUpper, hasLower := false, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9', c == '+', c == '/':
			hasDigitOrSym = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		case c >= 'a' && c <= 'z':
			hasLower = true
		}
	}
	if !hasUpper || !hasLower || !hasDigitOrSym && len(s) < 40 {
		return nil
	}
	enc := base64.RawStdEncoding
	if plain {
		enc = base64.RawURLEncoding
	}
	t := s[:len(s)/4*4+min(len(s)%4, 3)]
	if len(t)%4 == 1 {
		t = t[:len(t)-1]
	}
	dec := make([]byte, enc.DecodedLen(len(t)))
	n, err := enc.Decode(dec, t)
	if err != nil || n < 8 {
		return nil
	}
	dec = dec[:n]
	printable := 0
	for _, c := range dec {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if printable*100 < n*95 {
		return nil
	}
	return dec
}

// percentRuns decodes whitespace-delimited words containing %XX escapes.
func percentRuns(data []byte) []segment {
	var out []segment
	for i := 0; i < len(data); {
		p := bytes.IndexByte(data[i:], '%')
		if p < 0 {
			break
		}
		p += i
		s := p
		for s > 0 && !isSpaceOrQuote(data[s-1]) && p-s < 2048 {
			s--
		}
		e := p
		for e < len(data) && !isSpaceOrQuote(data[e]) && e-p < 2048 {
			e++
		}
		word := data[s:e]
		dec := make([]byte, 0, len(word))
		changed := false
		for k := 0; k < len(word); k++ {
			if word[k] == '%' && k+2 < len(word) && isHex(word[k+1]) && isHex(word[k+2]) {
				v, _ := strconv.ParseUint(string(word[k+1:k+3]), 16, 8)
				dec = append(dec, byte(v))
				k += 2
				changed = true
				continue
			}
			dec = append(dec, word[k])
		}
		if changed {
			out = append(out, segment{data: dec, start: s, end: e, kind: "percent"})
		}
		i = e + 1
	}
	return out
}

func isSpaceOrQuote(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
