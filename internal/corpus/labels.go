package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Label marks one item of a generated corpus: a true secret, or (Bait) an
// item a scanner must not report.
type Label struct {
	// File is the slash-separated path relative to the corpus root.
	File string `json:"file"`
	// Line is the 1-based line where the secret starts (for a PEM block,
	// the BEGIN line; for a JWK or service-account document, the line of
	// its private member).
	Line int `json:"line"`
	// Col is the 1-based byte column where the item starts on Line.
	Col int `json:"col,omitempty"`
	// Span is how many further lines the item occupies; a finding on any
	// line in [Line-Pre, Line+Span] is a hit.
	Span int `json:"span,omitempty"`
	// Pre is how many lines before Line belong to the same item (the
	// opening of a JWK object or a service-account JSON document).
	Pre    int    `json:"pre,omitempty"`
	Kind   string `json:"kind"`
	Family string `json:"family"`
	Bait   bool   `json:"bait,omitempty"`
	// Project is the top-level directory of the file.
	Project string `json:"project"`

	// value is the start of the rendered item (first line, at most 24
	// bytes), kept for tests; it is never written out.
	value string
}

// Labels is the answer key of a generated corpus.
type Labels struct {
	Seed uint64 `json:"seed"`
	// Files lists every rendered file; findings in other files (such as
	// labels.json itself) are ignored by Score.
	Files []string `json:"files"`
	Items []Label  `json:"labels"`
}

// Secrets returns the true-secret labels.
func (l Labels) Secrets() []Label { return l.filter(false) }

// Baits returns the bait labels.
func (l Labels) Baits() []Label { return l.filter(true) }

func (l Labels) filter(bait bool) []Label {
	var out []Label
	for _, x := range l.Items {
		if x.Bait == bait {
			out = append(out, x)
		}
	}
	return out
}

// Kinds returns the distinct kinds among labels with the given Bait flag,
// sorted.
func (l Labels) Kinds(bait bool) []string {
	seen := map[string]bool{}
	for _, x := range l.Items {
		if x.Bait == bait {
			seen[x.Kind] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Projects returns the distinct projects of all files, sorted.
func (l Labels) Projects() []string {
	seen := map[string]bool{}
	for _, f := range l.Files {
		seen[projectOf(f)] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteLabels writes labels as indented JSON to path.
func WriteLabels(path string, l Labels) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("encode labels: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	return nil
}

// ReadLabels reads labels written by WriteLabels.
func ReadLabels(path string) (Labels, error) {
	var l Labels
	b, err := os.ReadFile(path)
	if err != nil {
		return l, fmt.Errorf("read labels: %w", err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("decode labels %s: %w", path, err)
	}
	return l, nil
}

// HeldOutPrefix starts the name of every held-out project: credential
// files and password shapes the rules were not tuned on. The other
// projects are the tuning family.
const HeldOutPrefix = "heldout-"

// HeldOut reports whether a label belongs to the held-out family.
func (l Label) HeldOut() bool { return strings.HasPrefix(l.Project, HeldOutPrefix) }

// Split returns the labels and files of the held-out projects (heldOut)
// or of the tuning projects (!heldOut). Scoring a split ignores findings
// in the other split's files.
func (l Labels) Split(heldOut bool) Labels {
	out := Labels{Seed: l.Seed}
	for _, f := range l.Files {
		if strings.HasPrefix(f, HeldOutPrefix) == heldOut {
			out.Files = append(out.Files, f)
		}
	}
	for _, x := range l.Items {
		if x.HeldOut() == heldOut {
			out.Items = append(out.Items, x)
		}
	}
	return out
}
