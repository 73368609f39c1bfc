package scanner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
)

// ErrBaseline marks a baseline file that cannot be used.
var ErrBaseline = errors.New("invalid baseline")

// BaselineVersion is the format version sprawl writes and reads.
const BaselineVersion = 1

// Baseline lists accepted findings by secret fingerprint and file, never
// by line: an edit that moves the line keeps the finding suppressed, and a
// different secret placed on the same line is still reported.
type Baseline struct {
	Version int             `json:"version"`
	Tool    string          `json:"tool"`
	Created time.Time       `json:"created"`
	Entries []BaselineEntry `json:"findings"`

	index map[baselineKey]bool
}

// BaselineEntry is one accepted finding. Line and RuleID are kept for
// people reading the file; matching uses Fingerprint and File.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	File        string `json:"file"`
	RuleID      string `json:"rule_id"`
	Line        int    `json:"line,omitempty"`
	Commit      string `json:"commit,omitempty"`
}

type baselineKey struct{ fp, file string }

// NewBaseline records findings as accepted.
func NewBaseline(fs []Finding, now time.Time) *Baseline {
	b := &Baseline{Version: BaselineVersion, Tool: "sprawl", Created: now.UTC().Truncate(time.Second)}
	seen := map[baselineKey]bool{}
	for _, f := range fs {
		k := baselineKey{f.Fingerprint, f.File}
		if seen[k] {
			continue
		}
		seen[k] = true
		b.Entries = append(b.Entries, BaselineEntry{Fingerprint: f.Fingerprint, File: f.File, RuleID: f.RuleID, Line: f.Line, Commit: f.Commit})
	}
	sort.Slice(b.Entries, func(i, j int) bool {
		if b.Entries[i].File != b.Entries[j].File {
			return b.Entries[i].File < b.Entries[j].File
		}
		return b.Entries[i].Fingerprint < b.Entries[j].Fingerprint
	})
	if b.Entries == nil {
		b.Entries = []BaselineEntry{}
	}
	return b
}

// ReadBaseline loads a baseline file.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBaseline, err)
	}
	return ParseBaseline(data, path)
}

// ParseBaseline reads a baseline from data; name is used in errors. The
// errors never quote the content: a baseline path can name any file.
func ParseBaseline(data []byte, path string) (*Baseline, error) {
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBaseline, path, jsonErrorText(err))
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("%w %s: version %d, want %d", ErrBaseline, path, b.Version, BaselineVersion)
	}
	for i, e := range b.Entries {
		if e.Fingerprint == "" || e.File == "" {
			return nil, fmt.Errorf("%w %s: entry %d lacks fingerprint or file", ErrBaseline, path, i+1)
		}
	}
	return &b, nil
}

// jsonErrorText describes a JSON decoding error by position and kind
// only; encoding/json quotes the offending character or value.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: want %s", te.Field, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "not valid JSON (unexpected end)"
	}
	return "not valid JSON"
}

// Write stores the baseline as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// Contains reports whether f is accepted by the baseline.
func (b *Baseline) Contains(f Finding) bool {
	if b.index == nil {
		b.index = map[baselineKey]bool{}
		for _, e := range b.Entries {
			b.index[baselineKey{e.Fingerprint, e.File}] = true
		}
	}
	return b.index[baselineKey{f.Fingerprint, f.File}]
}

// Filter returns the findings the baseline does not accept and how many
// it dropped.
func (b *Baseline) Filter(fs []Finding) ([]Finding, int) {
	var out []Finding
	for _, f := range fs {
		if b.Contains(f) {
			continue
		}
		out = append(out, f)
	}
	return out, len(fs) - len(out)
}

// PathMatcher compiles RE2 path patterns into a predicate over
// slash-separated relative paths. A directory is passed with a trailing
// slash, so "^vendor/" skips the whole tree without reading it.
func PathMatcher(patterns []string) (func(string) bool, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	var res []interface{ MatchString(string) bool }
	for _, p := range patterns {
		re, err := detectors.CompileRE2(p)
		if err != nil {
			return nil, fmt.Errorf("allowlist path %q: %w", p, err)
		}
		res = append(res, re)
	}
	return func(rel string) bool {
		for _, re := range res {
			if re.MatchString(rel) {
				return true
			}
		}
		return false
	}, nil
}
