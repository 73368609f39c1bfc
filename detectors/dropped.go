package detectors

import (
	"bytes"
	"sort"
	"strings"
)

// Dropped is a candidate the matcher rejected after its rule's pattern
// matched, with the reason. Match reports none of these; MatchDropped
// finds them again for --include-suppressed and --verbose, so that a
// value silenced as an example, a placeholder or by an allowlist can be
// reviewed.
type Dropped struct {
	Match
	// Reason says why the candidate is not reported: "checksum failed",
	// "known example: …", "placeholder", "template placeholder",
	// "environment or config lookup", "allowlist value", … .
	Reason string
}

// MatchDropped returns the candidates in data that the rules' patterns
// match but Match drops for a reason worth reviewing (see dropReason),
// ordered by position, at most one per span, none overlapping a match in
// reported (what Match returned for data). Candidates too short, of too
// little entropy or reading as code are not returned: they were never
// secrets. It rescans data rule by rule, so it is slower than Match and
// meant for diagnostics only; Match itself does not change. Decoded
// content (base64, JSON escapes) is not examined.
func (m *Matcher) MatchDropped(data []byte, reported []Match) []Dropped {
	if len(data) == 0 {
		return nil
	}
	low := lowerASCII(nil, data)
	var out []Dropped
	for _, r := range m.rules {
		if !hasKeyword(low, r.Keywords) || r.compile() != nil {
			continue
		}
		for _, loc := range r.re.FindAllSubmatchIndex(data, -1) {
			s, e := loc[2*r.secretIx], loc[2*r.secretIx+1]
			if s < 0 {
				continue
			}
			c := Match{Rule: r, Start: s, End: e, MatchStart: loc[0], MatchEnd: loc[1], Secret: string(data[s:e])}
			if r.Decode != "" {
				dec, ok := Decoders[r.Decode](c.Secret, string(data[loc[0]:loc[1]]))
				if !ok {
					continue
				}
				if dec != c.Secret {
					c.Secret, c.Encoding = dec, r.Decode
				}
			}
			if overlapsAny(reported, s, e) {
				continue // that span is reported, by this rule or a better one
			}
			if why := m.dropReason(r, data, &c); why != "" {
				out = append(out, Dropped{Match: c, Reason: why})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return !out[i].Rule.Generic && out[j].Rule.Generic
	})
	kept := out[:0]
	for _, d := range out {
		if n := len(kept); n > 0 && d.Start < kept[n-1].End {
			continue // one candidate per span: the first, a provider rule's
		}
		kept = append(kept, d)
	}
	ms := make([]Match, len(kept))
	for i := range kept {
		ms[i] = kept[i].Match
	}
	setLines(data, ms)
	for i := range kept {
		kept[i].Match = ms[i]
	}
	return kept
}

func overlapsAny(ms []Match, start, end int) bool {
	for _, m := range ms {
		if m.Start < end && start < m.End {
			return true
		}
	}
	return false
}

func hasKeyword(low []byte, kws []string) bool {
	for _, k := range kws {
		if bytes.Contains(low, []byte(strings.ToLower(k))) {
			return true
		}
	}
	return false
}

// dropReason returns why accept rejects c, if it is for one of the
// reasons worth reviewing: a failed checksum, a known public example, a
// placeholder, a template or lookup, the rule's or the user's allowlist.
// It returns "" for a candidate accept keeps and for one rejected as too
// short, of too little entropy, as code or for lack of context. It follows
// accept's order of checks.
func (m *Matcher) dropReason(r *Rule, data []byte, c *Match) string {
	if r.Generic {
		if i := queryContinuation(c.Secret); i > 0 {
			c.Secret, c.End = c.Secret[:i], c.Start+i
		}
	}
	secret := c.Secret
	if r.CredentialFile || len(secret) < r.MinLength {
		return ""
	}
	c.Entropy = Entropy(secret)
	if c.Entropy < r.Entropy {
		return ""
	}
	verified := false
	if r.Checksum != "" {
		if !Checksums[r.Checksum](secret) {
			return "checksum failed"
		}
		verified = true
	}
	if why := FalsePositive(secret, verified); why != "" {
		if _, ok := knownPublic[secret]; ok {
			return "known example: " + why
		}
		return why
	}
	if identifierNoise(data, c, verified) != "" || r.Generic && genericNoise(data, c) {
		return ""
	}
	if !r.Generic && !verified && strings.IndexByte(secret, '.') > 0 && codeReference(data, c) {
		return ""
	}
	if r.compileExtra() != nil {
		return ""
	}
	for _, a := range r.allowRes {
		if a.MatchString(secret) {
			return "rule allowlist"
		}
	}
	if why := m.userAllowReason(secret); why != "" {
		return why
	}
	return ""
}

// userAllowReason names the entry of the user's allowlist that rejects
// secret, or "" (see userAllows).
func (m *Matcher) userAllowReason(secret string) string {
	if m.values[secret] {
		return "allowlist value"
	}
	low := strings.ToLower(secret)
	for _, s := range m.stopwords {
		if strings.Contains(low, s) {
			return "allowlist stopword"
		}
	}
	for _, a := range m.allowRes {
		if a.MatchString(secret) {
			return "allowlist regex"
		}
	}
	return ""
}

// lowerASCII writes src with ASCII letters lower-cased into dst (grown as
// needed). Only the diagnostic pass copies its input; Match does not.
func lowerASCII(dst, src []byte) []byte {
	if cap(dst) < len(src) {
		dst = make([]byte, len(src))
	}
	dst = dst[:len(src)]
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}
