package scanner

import "github.com/sprawlsec/sprawl/detectors"

// dropped returns, as findings with Suppressed set, the candidates in w
// the matcher rejected (see Engine.KeepDropped), leaving out any that
// overlap a reported match ms: that span is reported already.
func (e *Engine) dropped(w work, ms []detectors.Match) []Finding {
	c := w.c
	var lines lineIndex
	var out []Finding
	for _, d := range e.Matcher.MatchDropped(w.data, ms) {
		m := d.Match
		if c.Owned > 0 && m.Start >= c.Owned {
			continue
		}
		if w.raw != nil {
			lines.locate(w.raw, &m)
		}
		r := m.Rule
		out = append(out, Finding{
			RuleID: r.ID, RuleName: r.Name, Description: r.Description,
			Severity: findingSeverity(r, c.Path), Tags: r.Tags,
			File: c.Path, Line: c.Line + m.Line - 1, Column: m.Column,
			EndLine: c.Line + m.EndLine - 1, EndColumn: m.EndColumn,
			Column16: m.Column16, EndColumn16: m.EndColumn16,
			Secret: m.Secret, Redacted: Redact(m.Secret),
			Fingerprint: Fingerprint(e.FingerprintKey, m.Secret),
			Entropy:     m.Entropy, Encoding: joinEncodings(c.Encoding, m.Encoding),
			Blob: c.Blob, Commit: c.Commit, Author: c.Author, Email: c.Email, Date: c.Date, Message: c.Message,
			Suppressed: d.Reason,
		})
	}
	return out
}
