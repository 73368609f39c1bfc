package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/scanner"
)

// WriteScanSummary writes the closing summary of a scan of src, for
// standard error: one line with what was scanned, in how long, and what
// came of it (findings, aggregated, in the baseline (baselined), allowed
// inline, skipped by reason, unreadable), then the first unreadable items
// and how many more. With verbose it also lists the first skipped items
// and, for a source that selects blobs, how many it selected.
//
// A git source that scans commit messages (a MessagesScanned method)
// counts them apart from its blobs; one whose history a shallow clone
// cut (a Shallow method) says so on a line of its own. The names of skipped and unreadable
// items come from the scanned tree and pass through Printable. The text
// is written in one call; WriteScanSummary returns the writer's error.
func WriteScanSummary(w io.Writer, src scanner.Source, res scanner.Result, baselined int, verbose bool) error {
	st := res.Stats
	unit := "file"
	if src.Kind() == "git" {
		unit = "blob"
	}
	items, messages := st.Items, ""
	if g, ok := src.(interface{ MessagesScanned() int }); ok && src.Kind() == "git" {
		n := g.MessagesScanned()
		items -= int64(n)
		messages = " and " + plural.Count(n, "commit message")
	}
	if items != 1 {
		unit += "s"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sprawl: scanned %d %s%s (%s) in %s: %d finding", items, unit, messages, scanner.FormatSize(st.Bytes), st.Duration.Round(time.Millisecond), len(res.Findings))
	if len(res.Findings) != 1 {
		b.WriteString("s")
	}
	if st.Aggregated > 0 {
		fmt.Fprintf(&b, " (%d more aggregated: over %d of one rule in one file)", st.Aggregated, scanner.DefaultAggregateAfter)
	}
	if baselined > 0 {
		fmt.Fprintf(&b, ", %d in baseline", baselined)
	}
	if st.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d allowed inline", st.Suppressed)
	}
	// The reasons are sorted: map order would change the line from run
	// to run.
	skipped := 0
	var reasons []string
	for r, n := range st.Skipped {
		skipped += n
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	if skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped (%s)", skipped, strings.Join(reasons, ", "))
	}
	if st.Errors > 0 {
		fmt.Fprintf(&b, ", %d unreadable", st.Errors)
	}
	b.WriteString("\n")
	if g, ok := src.(interface{ Shallow() bool }); ok && g.Shallow() {
		b.WriteString("sprawl: warning: the repository is a shallow clone: the commits before its cut were not scanned (git fetch --unshallow, then scan again)\n")
	}
	if verbose {
		for _, sk := range st.FirstSkipped {
			fmt.Fprintf(&b, "sprawl: skipped %s\n", Printable(sk))
		}
		if g, ok := src.(interface{ Selected() int }); ok {
			fmt.Fprintf(&b, "sprawl: %d distinct blobs selected (scanned %d, skipped %d)\n", g.Selected(), st.Items, skipped)
		}
	}
	if st.Errors > 0 {
		for _, e := range st.FirstErrors {
			fmt.Fprintf(&b, "sprawl: unreadable: %s\n", Printable(e))
		}
		if st.Errors > len(st.FirstErrors) {
			fmt.Fprintf(&b, "sprawl: … and %s\n", plural.Count(st.Errors-len(st.FirstErrors), "more unreadable item"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
