package orgscan

import (
	"fmt"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/internal/termsafe"
)

// Line is the line (without its newline) a command prints on standard
// error for e, given its --quiet and --verbose, or "" where it prints
// none. A skipped repository and a CI store that could not be read are
// always told; hidden CI variables and recorded CI secrets unless quiet;
// each repository's scan and each recording only with verbose. Listing
// and progress events have no line: the command draws them as a
// progress bar. Lines begin "sprawl: ", as the command's own messages do.
//
// For an EventRecorded, recorded is the line that tells what the
// inventory recorded (reports.RecordedLine, in the inventory's words,
// which this package does not import); Line names the repository, or the
// owner of the CI variables, after it.
//
// Names, reasons and problems come from a provider's API, git's errors
// and the repositories themselves, so any of them may be an attacker's
// text: each is escaped (termsafe.String) before it reaches the line, and
// a hostile repository name cannot move the cursor or forge a line.
func (e Event) Line(quiet, verbose bool, recorded string) string {
	switch e.Kind {
	case EventRepoSkipped:
		return fmt.Sprintf("sprawl: skipped %s: %s", safe(e.Repo.FullName), safe(e.Outcome.Reason))
	case EventRepoDone:
		if !verbose {
			return ""
		}
		oc := e.Outcome
		line := fmt.Sprintf("sprawl: %s: %s scan, %s, %s", safe(e.Repo.FullName), oc.Mode, plural.Count(int(oc.Stats.Items), "blob"), plural.Count(len(oc.Findings), "finding"))
		if oc.Reason != "" {
			line += " (" + safe(oc.Reason) + ")"
		}
		return line
	case EventRecorded:
		if !verbose {
			return ""
		}
		if e.CI != nil {
			return fmt.Sprintf("%s (%s variables)", recorded, safe(e.CI.Owner))
		}
		return fmt.Sprintf("%s (%s)", recorded, safe(e.Repo.FullName))
	case EventCIHidden:
		if quiet {
			return ""
		}
		return fmt.Sprintf("sprawl: %s hidden (values not returned by %s, not scanned)",
			plural.Count(e.Count, "CI/CD variable"), ProviderTitle(e.CI.Provider))
	case EventCIProblem:
		return "sprawl: CI store skipped: " + safe(e.Problem)
	case EventCISecrets:
		if quiet {
			return ""
		}
		c := e.CISecrets
		return fmt.Sprintf("sprawl: inventory: %s of %s (%d new, %d updated, %d gone) — see 'sprawl inventory ci-secrets'",
			plural.Count(c.Secrets, "CI secret"), safe(e.CI.Owner), c.New, c.Updated, c.Gone)
	}
	return ""
}

// safe is termsafe.String, short for the lines above.
func safe(s string) string { return termsafe.String(s) }
