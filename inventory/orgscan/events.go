package orgscan

import "github.com/sprawlsec/sprawl/inventory"

// EventKind names what an Event reports.
type EventKind string

// Event kinds, in the order a run reports them.
const (
	// EventListed: the repositories to scan are known (Count).
	EventListed EventKind = "listed"
	// EventRepoStarted: a repository's mirror and scan start.
	EventRepoStarted EventKind = "repo-started"
	// EventRecorded: a scan was recorded in the inventory (Recorded;
	// Repo, or CI for a CI store).
	EventRecorded EventKind = "recorded"
	// EventRepoDone: a repository was scanned (Outcome).
	EventRepoDone EventKind = "repo-done"
	// EventRepoSkipped: a repository was skipped (Outcome, with its
	// Reason): missing, empty, failed to clone or to scan.
	EventRepoSkipped EventKind = "repo-skipped"
	// EventRepoFailed: a repository's scan stopped the run (Err:
	// cancellation or the inventory failed).
	EventRepoFailed EventKind = "repo-failed"
	// EventReposDone: every repository of a Run is done (Count).
	EventReposDone EventKind = "repos-done"
	// EventCIHidden: a CI listing held Count variables whose values the
	// provider did not return (not scanned).
	EventCIHidden EventKind = "ci-hidden"
	// EventCIProblem: a CI store could not be read (Problem); the
	// listing is then incomplete.
	EventCIProblem EventKind = "ci-problem"
	// EventCISecrets: a listing's managed CI secrets were recorded
	// (CISecrets).
	EventCISecrets EventKind = "ci-secrets"
	// EventCIDone: a CI store listing was scanned (CIOutcome).
	EventCIDone EventKind = "ci-done"
	// EventFinished: Finish summarised the run (Summary) and recorded
	// its end.
	EventFinished EventKind = "finished"
)

// Event is one piece of progress. Only the fields its Kind names are set.
// An Event never carries a secret.
type Event struct {
	Kind      EventKind
	Repo      Repo
	CI        *CIStore
	Outcome   *Outcome
	CIOutcome *CIOutcome
	Recorded  *inventory.Recorded
	CISecrets *inventory.CISecretSummary
	Summary   *Summary
	Count     int
	Problem   string
	Err       error
}
