package scanner

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// ImportSummary says what a report conversion carried.
type ImportSummary struct {
	// Format is "gitleaks" or "trufflehog".
	Format string
	// Read counts the report's findings; the baseline holds the distinct
	// (fingerprint, file) pairs among those carried.
	Read int
	// Skipped lists findings that could not be carried, with the reason
	// (a redacted secret, no file), as "file:line (rule): reason".
	Skipped []string
}

// ImportBaseline converts a gitleaks JSON report (an array of findings)
// or a TruffleHog JSON / JSON-lines report into a sprawl baseline, keyed
// the way sprawl keys it: the fingerprint of the reported secret under
// key, and the file relative to root. A finding whose secret the report
// redacted cannot be fingerprinted and is listed in Skipped.
//
// The other tool's secret must be the value sprawl's rule reports for the
// entry to match: for most provider tokens it is; where a tool reports
// another part of the credential (TruffleHog's AWS detector reports the
// key id), the finding is reported again.
func ImportBaseline(data []byte, key []byte, root string, now time.Time) (*Baseline, ImportSummary, error) {
	var sum ImportSummary
	trimmed := bytes.TrimSpace(data)
	var fs []Finding
	switch {
	case len(trimmed) == 0:
		return nil, sum, fmt.Errorf("%w: empty report", ErrBaseline)
	case trimmed[0] == '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, sum, fmt.Errorf("%w: report: %v", ErrBaseline, err)
		}
		if len(raw) > 0 && isTruffleHog(raw[0]) {
			sum.Format = "trufflehog"
			for i, r := range raw {
				f, why, err := truffleHogFinding(r, root)
				if err != nil {
					return nil, sum, fmt.Errorf("%w: report entry %d: %v", ErrBaseline, i+1, err)
				}
				fs, sum = carry(fs, sum, f, why)
			}
			break
		}
		sum.Format = "gitleaks"
		for i, r := range raw {
			f, why, err := gitleaksFinding(r, root)
			if err != nil {
				return nil, sum, fmt.Errorf("%w: report entry %d: %v", ErrBaseline, i+1, err)
			}
			fs, sum = carry(fs, sum, f, why)
		}
	case trimmed[0] == '{':
		sum.Format = "trufflehog"
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			if !isTruffleHog(line) {
				return nil, sum, fmt.Errorf("%w: report line %d is not a TruffleHog finding (no SourceMetadata)", ErrBaseline, n)
			}
			f, why, err := truffleHogFinding(line, root)
			if err != nil {
				return nil, sum, fmt.Errorf("%w: report line %d: %v", ErrBaseline, n, err)
			}
			fs, sum = carry(fs, sum, f, why)
		}
		if err := sc.Err(); err != nil {
			return nil, sum, fmt.Errorf("%w: report: %v", ErrBaseline, err)
		}
	default:
		return nil, sum, fmt.Errorf("%w: not a JSON report (want gitleaks --report-format json or TruffleHog --json)", ErrBaseline)
	}
	for i := range fs {
		fs[i].Fingerprint = Fingerprint(key, fs[i].Secret)
		fs[i].Secret = ""
	}
	return NewBaseline(fs, now), sum, nil
}

func carry(fs []Finding, sum ImportSummary, f Finding, why string) ([]Finding, ImportSummary) {
	sum.Read++
	if why != "" {
		sum.Skipped = append(sum.Skipped, fmt.Sprintf("%s:%d (%s): %s", f.File, f.Line, f.RuleID, why))
		return fs, sum
	}
	return append(fs, f), sum
}

// relPath makes a reported path relative to the scanned root, with
// slashes: gitleaks prefixes a directory scan's paths with the directory
// it was given, TruffleHog's filesystem source with the path it walked.
func relPath(p, root string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	if root != "" {
		r := strings.TrimSuffix(strings.ReplaceAll(filepath.Clean(root), `\`, "/"), "/")
		if r != "." && strings.HasPrefix(p, r+"/") {
			p = p[len(r)+1:]
		} else if filepath.IsAbs(p) {
			if abs, err := filepath.Abs(root); err == nil {
				if rel, err := filepath.Rel(abs, p); err == nil && !strings.HasPrefix(rel, "..") {
					p = filepath.ToSlash(rel)
				}
			}
		}
	}
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return p
}

type gitleaksReportFinding struct {
	RuleID    string
	File      string
	StartLine int
	Commit    string
	Secret    string
}

func gitleaksFinding(raw json.RawMessage, root string) (Finding, string, error) {
	var g gitleaksReportFinding
	if err := json.Unmarshal(raw, &g); err != nil {
		return Finding{}, "", err
	}
	f := Finding{RuleID: g.RuleID, File: relPath(g.File, root), Line: g.StartLine, Commit: g.Commit, Secret: g.Secret}
	switch {
	case f.File == "":
		return f, "no file", nil
	case g.Secret == "":
		return f, "no secret in the report", nil
	case g.Secret == "REDACTED" || strings.HasSuffix(g.Secret, "..."):
		return f, "the report redacts the secret (run gitleaks without --redact to carry it)", nil
	}
	return f, "", nil
}

func isTruffleHog(raw []byte) bool {
	var probe struct {
		SourceMetadata json.RawMessage
	}
	return json.Unmarshal(raw, &probe) == nil && len(probe.SourceMetadata) > 0
}

type truffleHogResult struct {
	SourceMetadata struct {
		Data map[string]struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			Commit string `json:"commit"`
		}
	}
	DetectorName string
	Raw          json.RawMessage
	Redacted     string
}

func truffleHogFinding(raw []byte, root string) (Finding, string, error) {
	var t truffleHogResult
	if err := json.Unmarshal(raw, &t); err != nil {
		return Finding{}, "", err
	}
	f := Finding{RuleID: strings.ToLower(t.DetectorName)}
	for _, d := range t.SourceMetadata.Data {
		if d.File != "" {
			f.File, f.Line, f.Commit = relPath(d.File, root), d.Line, d.Commit
			break
		}
	}
	var secret string
	if len(t.Raw) > 0 && t.Raw[0] == '"' {
		if err := json.Unmarshal(t.Raw, &secret); err != nil {
			return f, "", err
		}
		secret = truffleHogRaw(secret, t.Redacted)
	}
	f.Secret = secret
	switch {
	case f.File == "":
		return f, "no file (only filesystem and git findings can be baselined)", nil
	case secret == "":
		return f, "no Raw secret in the report", nil
	}
	return f, "", nil
}

// truffleHogRaw returns the secret of a Raw field: the value itself in
// current reports, base64 of it in older ones (a Go []byte).
func truffleHogRaw(raw, redacted string) string {
	prefix := redacted
	if i := strings.IndexByte(prefix, '*'); i >= 0 {
		prefix = prefix[:i]
	}
	if prefix == "" || strings.HasPrefix(raw, prefix) {
		return raw
	}
	if dec, err := base64.StdEncoding.DecodeString(raw); err == nil && utf8.Valid(dec) && strings.HasPrefix(string(dec), prefix) {
		return string(dec)
	}
	return raw
}
