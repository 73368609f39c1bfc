package orgscan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/scanner"
)

// The words a run's end is told in. The command prints them; they are
// here so that every caller of a Runner says the same.

// ErrInterrupted is the error of a run cancelled part-way (Interrupted).
var ErrInterrupted = errors.New("interrupted")

// Interrupted is the error of a run cancelled before it finished: how many
// of outcomes were scanned, which the inventory holds, so the next run
// resumes from them. It wraps ErrInterrupted.
func Interrupted(outcomes []Outcome) error {
	done := 0
	for _, oc := range outcomes {
		if oc.Scanned() {
			done++
		}
	}
	return fmt.Errorf("%w after %d of %d repositories; those are on record and the next run resumes from them", ErrInterrupted, done, len(outcomes))
}

// VerifiedCounts adds up the verifications made before recording
// (Options.Verifier): by status, and in all.
func VerifiedCounts(outcomes []Outcome) (byStatus map[string]int, total int) {
	byStatus = map[string]int{}
	for _, oc := range outcomes {
		for st, c := range oc.Verified {
			byStatus[st] += c
			total += c
		}
	}
	return byStatus, total
}

// ProviderTitle is how messages name a provider (a Provider's Name):
// "GitHub", "GitLab", else the name itself.
func ProviderTitle(name string) string {
	switch name {
	case "github":
		return "GitHub"
	case "gitlab":
		return "GitLab"
	}
	return name
}

// EveryRepoSkipped reports whether the run listed repositories and
// skipped them all (none could be cloned or scanned): a failed run, where
// some skipped repositories alone are not.
func (s Summary) EveryRepoSkipped() bool {
	return s.Repositories > 0 && s.Skipped == s.Repositories
}

// Totals is what a run in one process ends with: its Summary, what its
// listing left out and what the command's baseline, inventory and
// verification left of its findings.
type Totals struct {
	// Target names the run ("github acme").
	Target  string
	Summary Summary
	// LeftOut counts forks and archived repositories left out (Result's
	// Dropped); CIScanned is Result's.
	LeftOut   int
	CIScanned bool
	// Elapsed is the run's time.
	Elapsed time.Duration
	// Findings counts the findings reported; Suppressed those a baseline
	// or the inventory dropped.
	Findings, Suppressed int
}

// Line is the run's closing line (without the command's "sprawl: "
// prefix): repositories by mode, what was read, time and findings.
func (t Totals) Line() string {
	sum := t.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", t.Target, plural.Count(sum.Repositories, "repository"))
	if t.LeftOut > 0 {
		fmt.Fprintf(&b, " (%d forks or archived left out)", t.LeftOut)
	}
	fmt.Fprintf(&b, ": %d full, %d incremental, %d skipped; scanned %s (%s)", sum.Full, sum.Incremental, sum.Skipped,
		plural.Count(int(sum.Blobs), "blob"), scanner.FormatSize(sum.Bytes))
	if t.CIScanned {
		fmt.Fprintf(&b, " and %s", plural.Count(sum.CIVariables, "CI variable"))
	}
	fmt.Fprintf(&b, " in %s: %s", t.Elapsed.Round(time.Millisecond), plural.Count(t.Findings, "finding"))
	if t.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d suppressed by baseline or inventory", t.Suppressed)
	}
	if sum.Unreadable > 0 {
		fmt.Fprintf(&b, ", %d unreadable", sum.Unreadable)
	}
	return b.String()
}
