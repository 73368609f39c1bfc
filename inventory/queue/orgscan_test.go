package queue

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/scanner"
)

// TestOrgScanRefusesOtherAPI: a job listed through another API address
// than the worker's own is refused before anything is sent, so a row
// written into the queue cannot make a worker send its token elsewhere.
func TestOrgScanRefusesOtherAPI(t *testing.T) {
	r, err := orgscan.New(orgscan.Options{Engine: &scanner.Engine{}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewOrgScan(r, Endpoints{GitHubAPI: "https://ghe.example/api/v3/", GitHubToken: "sprawl-test-token"})
	spec, _ := json.Marshal(repoSpec{API: "https://collector.example/api/v3", Repo: orgscan.Repo{Provider: "github", FullName: "acme/a",
		WebURL: "https://ghe.example/acme/a", CloneURL: "https://collector.example/acme/a.git"}})
	_, err = h.Scan(context.Background(), "github", Item{Kind: KindRepository, Name: "acme/a", Spec: spec})
	if err == nil || !strings.Contains(err.Error(), "this worker is configured for https://ghe.example/api/v3") {
		t.Fatalf("Scan = %v, want a refusal naming the worker's API", err)
	}
	for _, tc := range []struct{ provider, a, b string }{
		{"github", "", "https://api.github.com/"},
		{"gitlab", "https://gitlab.com", ""},
		{"github", "https://ghe.example/api/v3", "https://ghe.example/api/v3/"},
	} {
		if NormalAPI(tc.provider, tc.a) != NormalAPI(tc.provider, tc.b) {
			t.Errorf("NormalAPI(%s, %q) != NormalAPI(%q)", tc.provider, tc.a, tc.b)
		}
	}
}

func TestPermanentSkips(t *testing.T) {
	for reason, want := range map[string]bool{
		"empty repository":                   true,
		"no clone URL":                       true,
		`unsafe repository name "a/../b"`:    true,
		"clone or fetch failed: exit 128":    false,
		"scan failed: git cat-file: killed":  false,
		"git for-each-ref: not a repository": false,
	} {
		if got := permanent(reason); got != want {
			t.Errorf("permanent(%q) = %v, want %v", reason, got, want)
		}
	}
}

// TestSummaryLine: the batch's summary counts outcomes as a single
// machine's does, and names the failed repositories' count.
func TestSummaryLine(t *testing.T) {
	out := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	created := time.Date(2026, 12, 4, 3, 17, 0, 0, time.UTC)
	b := Batch{ID: 7, Target: "github acme", Created: created, Finished: created.Add(90 * time.Second)}
	items := []ItemStatus{
		{Name: "acme/a", Kind: KindRepository, State: StateDone, Outcome: out(orgscan.Outcome{Mode: orgscan.ModeFull,
			Stats: scanner.Stats{Items: 10, Bytes: 2 << 20}, Recorded: &inventory.Recorded{IngestSummary: inventory.IngestSummary{Findings: 2}}})},
		{Name: "acme/b", Kind: KindRepository, State: StateDone, Outcome: out(orgscan.Outcome{Mode: orgscan.ModeIncremental, Stats: scanner.Stats{Items: 1}})},
		{Name: "acme/c", Kind: KindRepository, State: StateDone, Outcome: out(orgscan.Outcome{Mode: orgscan.ModeSkipped, Reason: "empty repository"})},
		{Name: "acme/d", Kind: KindRepository, State: StateFailed, Attempts: 3, Message: "clone or fetch failed"},
		{Name: "ci:acme", Kind: KindCI, State: StateDone, Outcome: out(orgscan.CIOutcome{Variables: 3, Stats: scanner.Stats{Items: 3},
			Recorded: &inventory.Recorded{IngestSummary: inventory.IngestSummary{Findings: 1}}})},
	}
	bs := batchSpec{CI: true, Dropped: 1}
	tl := tally(b, bs, items)
	got := tl.line(b, bs, orgscan.Summarize(tl.outcomes, tl.ci))
	want := "github acme: 4 repositories (1 forks or archived left out): 1 full, 1 incremental, 2 skipped; scanned 11 blobs (2.0 MiB) and 3 CI variables in 1m30s: 3 findings recorded; 1 failed after 3 attempts (see 'sprawl jobs show 7')"
	if got != want {
		t.Errorf("summary:\n got %s\nwant %s", got, want)
	}
}

// TestOrgScanRecovered: an item a dead attempt recorded gets its outcome
// from the scan record: a complete scan was a full one.
func TestOrgScanRecovered(t *testing.T) {
	h := NewOrgScan(nil, Endpoints{})
	spec, _ := json.Marshal(repoSpec{Repo: orgscan.Repo{Provider: "github", FullName: "acme/a", WebURL: "https://github.example/acme/a"}})
	var oc orgscan.Outcome
	if err := json.Unmarshal(h.Recovered(Item{Kind: KindRepository, Name: "acme/a", Repository: "https://github.example/acme/a", Spec: spec},
		RecordedScan{ID: 9, Complete: true, Findings: 3}), &oc); err != nil {
		t.Fatal(err)
	}
	if oc.Mode != orgscan.ModeFull || oc.Repo.FullName != "acme/a" || oc.Recorded == nil || oc.Recorded.Findings != 3 || oc.Recorded.ScanID != 9 {
		t.Errorf("recovered outcome = %+v", oc)
	}
}

func TestPlanCount(t *testing.T) {
	for _, c := range []struct {
		items           []Item
		repos, ciStores int
	}{
		{nil, 0, 0},
		{[]Item{{Kind: KindRepository, Name: "acme/a"}, {Kind: KindCI, Name: "ci:acme"}, {Kind: KindRepository, Name: "acme/b"}}, 2, 1},
		{[]Item{{Kind: KindCI, Name: "ci:acme"}, {Kind: KindCI, Name: "ci:acme/a"}}, 0, 2},
	} {
		repos, ci := Plan{Items: c.items}.Count()
		if repos != c.repos || ci != c.ciStores {
			t.Errorf("%d items: Count() = %d, %d, want %d, %d", len(c.items), repos, ci, c.repos, c.ciStores)
		}
	}
}
