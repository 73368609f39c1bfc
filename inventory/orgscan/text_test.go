package orgscan

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTotalsLine(t *testing.T) {
	for _, c := range []struct {
		name string
		t    Totals
		want string
	}{
		{"empty", Totals{Target: "github acme"},
			"github acme: 0 repositories: 0 full, 0 incremental, 0 skipped; scanned 0 blobs (0 B) in 0s: 0 findings"},
		{"one of each", Totals{Target: "github acme", Summary: Summary{Repositories: 1, Full: 1, Blobs: 1, Bytes: 100}, Elapsed: 1234567890, Findings: 1},
			"github acme: 1 repository: 1 full, 0 incremental, 0 skipped; scanned 1 blob (100 B) in 1.235s: 1 finding"},
		{"everything", Totals{Target: "gitlab group/sub",
			Summary: Summary{Repositories: 3, Full: 1, Incremental: 1, Skipped: 1, Blobs: 4, Bytes: 5 << 20, CIVariables: 1, Unreadable: 2},
			LeftOut: 2, CIScanned: true, Elapsed: 90 * time.Second, Findings: 7, Suppressed: 3},
			"gitlab group/sub: 3 repositories (2 forks or archived left out): 1 full, 1 incremental, 1 skipped; scanned 4 blobs (5.0 MiB) and 1 CI variable in 1m30s: 7 findings, 3 suppressed by baseline or inventory, 2 unreadable"},
		{"CI without variables, KiB", Totals{Target: "t", Summary: Summary{Repositories: 2, Skipped: 2, Bytes: 2048}, CIScanned: true, Elapsed: time.Millisecond},
			"t: 2 repositories: 0 full, 0 incremental, 2 skipped; scanned 0 blobs (2.0 KiB) and 0 CI variables in 1ms: 0 findings"},
		{"GiB", Totals{Target: "t", Summary: Summary{Bytes: 3 << 29}},
			"t: 0 repositories: 0 full, 0 incremental, 0 skipped; scanned 0 blobs (1.5 GiB) in 0s: 0 findings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, c.t.Line()); diff != "" {
				t.Errorf("Line() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	for _, c := range []struct {
		outcomes []Outcome
		want     string
	}{
		{nil, "interrupted after 0 of 0 repositories; those are on record and the next run resumes from them"},
		{[]Outcome{{Mode: ModeFull}, {Mode: ModeIncremental}, {Mode: ModeSkipped}, {}},
			"interrupted after 2 of 4 repositories; those are on record and the next run resumes from them"},
	} {
		err := Interrupted(c.outcomes)
		if err.Error() != c.want {
			t.Errorf("Interrupted: %q, want %q", err, c.want)
		}
		if !errors.Is(err, ErrInterrupted) {
			t.Errorf("Interrupted(%d outcomes) does not wrap ErrInterrupted", len(c.outcomes))
		}
	}
}

func TestVerifiedCounts(t *testing.T) {
	n, total := VerifiedCounts([]Outcome{
		{Verified: map[string]int{"live": 2, "revoked": 1}},
		{},
		{Verified: map[string]int{"live": 1, "unknown": 4}},
	})
	if diff := cmp.Diff(map[string]int{"live": 3, "revoked": 1, "unknown": 4}, n); diff != "" {
		t.Errorf("by status (-want +got):\n%s", diff)
	}
	if total != 8 {
		t.Errorf("total %d, want 8", total)
	}
	if n, total := VerifiedCounts(nil); len(n) != 0 || total != 0 {
		t.Errorf("no outcomes: %v, %d", n, total)
	}
}

func TestProviderTitle(t *testing.T) {
	for name, want := range map[string]string{"github": "GitHub", "gitlab": "GitLab", "bitbucket": "bitbucket", "azure-devops": "azure-devops"} {
		if got := ProviderTitle(name); got != want {
			t.Errorf("ProviderTitle(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEveryRepoSkipped(t *testing.T) {
	for _, c := range []struct {
		s    Summary
		want bool
	}{
		{Summary{}, false},
		{Summary{Repositories: 2, Skipped: 1, Full: 1}, false},
		{Summary{Repositories: 2, Skipped: 2}, true},
	} {
		if got := c.s.EveryRepoSkipped(); got != c.want {
			t.Errorf("%+v: EveryRepoSkipped() = %v, want %v", c.s, got, c.want)
		}
	}
}
