package orgscan

import "fmt"

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
func (e Event) Line(quiet, verbose bool, recorded string) string {
	switch e.Kind {
	case EventRepoSkipped:
		return fmt.Sprintf("sprawl: skipped %s: %s", e.Repo.FullName, e.Outcome.Reason)
	case EventRepoDone:
		if !verbose {
			return ""
		}
		oc := e.Outcome
		line := fmt.Sprintf("sprawl: %s: %s scan, %d blobs, %d findings", e.Repo.FullName, oc.Mode, oc.Stats.Items, len(oc.Findings))
		if oc.Reason != "" {
			line += " (" + oc.Reason + ")"
		}
		return line
	case EventRecorded:
		if !verbose {
			return ""
		}
		if e.CI != nil {
			return fmt.Sprintf("%s (%s variables)", recorded, e.CI.Owner)
		}
		return fmt.Sprintf("%s (%s)", recorded, e.Repo.FullName)
	case EventCIHidden:
		if quiet {
			return ""
		}
		return fmt.Sprintf("sprawl: %s hidden (values not returned by %s, not scanned)",
			count(e.Count, "CI/CD variable", "CI/CD variables"), ProviderTitle(e.CI.Provider))
	case EventCIProblem:
		return "sprawl: CI store skipped: " + e.Problem
	case EventCISecrets:
		if quiet {
			return ""
		}
		c := e.CISecrets
		return fmt.Sprintf("sprawl: inventory: %s of %s (%d new, %d updated, %d gone) — see 'sprawl inventory ci-secrets'",
			count(c.Secrets, "CI secret", "CI secrets"), e.CI.Owner, c.New, c.Updated, c.Gone)
	}
	return ""
}
