package orgscan

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

func TestEventLine(t *testing.T) {
	const recorded = "sprawl: inventory inv.db: 1 secret (1 new), 1 location (1 new)"
	outcome := func(mode, reason string, blobs int64, findings int) *Outcome {
		return &Outcome{Mode: mode, Reason: reason, Stats: scanner.Stats{Items: blobs}, Findings: make([]scanner.Finding, findings)}
	}
	repo := Repo{FullName: "acme/api"}
	acme := &CIStore{Provider: "github", Owner: "acme"}
	// want holds the line for each of: default, --quiet, --verbose.
	for _, c := range []struct {
		name string
		e    Event
		want [3]string
	}{
		{"listed", Event{Kind: EventListed, Count: 3}, [3]string{}},
		{"repo started", Event{Kind: EventRepoStarted, Repo: repo}, [3]string{}},
		{"repos done", Event{Kind: EventReposDone, Count: 3}, [3]string{}},
		{"repo failed", Event{Kind: EventRepoFailed, Repo: repo, Outcome: outcome("", "", 0, 0), Err: errors.New("inventory down")}, [3]string{}},
		{"CI done", Event{Kind: EventCIDone, CI: acme}, [3]string{}},
		{"finished", Event{Kind: EventFinished, Summary: &Summary{}}, [3]string{}},
		{"repo skipped", Event{Kind: EventRepoSkipped, Repo: repo, Outcome: outcome(ModeSkipped, "empty repository", 0, 0)},
			[3]string{"sprawl: skipped acme/api: empty repository", "sprawl: skipped acme/api: empty repository", "sprawl: skipped acme/api: empty repository"}},
		{"repo done", Event{Kind: EventRepoDone, Repo: repo, Outcome: outcome(ModeIncremental, "", 12, 1)},
			[3]string{"", "", "sprawl: acme/api: incremental scan, 12 blobs, 1 finding"}},
		{"repo done with a reason", Event{Kind: EventRepoDone, Repo: repo, Outcome: outcome(ModeFull, "a ref was force-pushed", 1, 0)},
			[3]string{"", "", "sprawl: acme/api: full scan, 1 blob, 0 findings (a ref was force-pushed)"}},
		{"recorded repository", Event{Kind: EventRecorded, Repo: repo, Recorded: &inventory.Recorded{}},
			[3]string{"", "", recorded + " (acme/api)"}},
		{"recorded CI variables", Event{Kind: EventRecorded, CI: acme, Recorded: &inventory.Recorded{}},
			[3]string{"", "", recorded + " (acme variables)"}},
		{"one CI variable hidden", Event{Kind: EventCIHidden, CI: acme, Count: 1},
			[3]string{"sprawl: 1 CI/CD variable hidden (values not returned by GitHub, not scanned)", "",
				"sprawl: 1 CI/CD variable hidden (values not returned by GitHub, not scanned)"}},
		{"CI variables hidden", Event{Kind: EventCIHidden, CI: &CIStore{Provider: "bitbucket", Owner: "ws"}, Count: 4},
			[3]string{"sprawl: 4 CI/CD variables hidden (values not returned by bitbucket, not scanned)", "",
				"sprawl: 4 CI/CD variables hidden (values not returned by bitbucket, not scanned)"}},
		{"CI problem", Event{Kind: EventCIProblem, Problem: "gitlab group acme: 403 Forbidden"},
			[3]string{"sprawl: CI store skipped: gitlab group acme: 403 Forbidden", "sprawl: CI store skipped: gitlab group acme: 403 Forbidden",
				"sprawl: CI store skipped: gitlab group acme: 403 Forbidden"}},
		{"CI secrets", Event{Kind: EventCISecrets, CI: acme, CISecrets: &inventory.CISecretSummary{Secrets: 5, New: 2, Updated: 1, Gone: 3}},
			[3]string{"sprawl: inventory: 5 CI secrets of acme (2 new, 1 updated, 3 gone) — see 'sprawl inventory ci-secrets'", "",
				"sprawl: inventory: 5 CI secrets of acme (2 new, 1 updated, 3 gone) — see 'sprawl inventory ci-secrets'"}},
		{"one CI secret", Event{Kind: EventCISecrets, CI: acme, CISecrets: &inventory.CISecretSummary{Secrets: 1}},
			[3]string{"sprawl: inventory: 1 CI secret of acme (0 new, 0 updated, 0 gone) — see 'sprawl inventory ci-secrets'", "",
				"sprawl: inventory: 1 CI secret of acme (0 new, 0 updated, 0 gone) — see 'sprawl inventory ci-secrets'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := [3]string{c.e.Line(false, false, recorded), c.e.Line(true, false, recorded), c.e.Line(false, true, recorded)}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Line [default, quiet, verbose] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventLineHostile: names, reasons and problems a provider or a
// repository wrote reach the line escaped, every event kind that shows
// one: an ANSI sequence, a carriage return and a newline forging a line
// of sprawl's own, and a right-to-left override.
func TestEventLineHostile(t *testing.T) {
	const evil = "x\x1b[2K\r\nsprawl: 0 findings\u202e"
	const shown = `x\x1b[2K\r\nsprawl: 0 findings\u202e`
	repo := Repo{FullName: evil}
	ci := &CIStore{Provider: "gitlab", Owner: evil}
	for _, c := range []struct {
		name string
		e    Event
		want string
	}{
		{"skipped name", Event{Kind: EventRepoSkipped, Repo: repo, Outcome: &Outcome{Mode: ModeSkipped, Reason: "empty"}},
			"sprawl: skipped " + shown + ": empty"},
		{"skipped reason", Event{Kind: EventRepoSkipped, Repo: Repo{FullName: "a/b"}, Outcome: &Outcome{Mode: ModeSkipped, Reason: evil}},
			"sprawl: skipped a/b: " + shown},
		{"scanned", Event{Kind: EventRepoDone, Repo: repo, Outcome: &Outcome{Mode: ModeFull, Reason: evil}},
			"sprawl: " + shown + ": full scan, 0 blobs, 0 findings (" + shown + ")"},
		{"recorded repository", Event{Kind: EventRecorded, Repo: repo, Recorded: &inventory.Recorded{}}, "rec (" + shown + ")"},
		{"recorded CI", Event{Kind: EventRecorded, CI: ci, Recorded: &inventory.Recorded{}}, "rec (" + shown + " variables)"},
		{"CI problem", Event{Kind: EventCIProblem, Problem: evil}, "sprawl: CI store skipped: " + shown},
		{"CI secrets", Event{Kind: EventCISecrets, CI: ci, CISecrets: &inventory.CISecretSummary{Secrets: 2}},
			"sprawl: inventory: 2 CI secrets of " + shown + " (0 new, 0 updated, 0 gone) — see 'sprawl inventory ci-secrets'"},
	} {
		if got := c.e.Line(false, true, "rec"); got != c.want {
			t.Errorf("%s: Line = %q, want %q", c.name, got, c.want)
		}
	}
}
