package inventory

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

// testOrgScanRecorded: the end of an organisation scan is one "org-scan"
// audit entry by its actor holding its counts and skipped repositories;
// nothing else changes and the chain verifies.
func testOrgScanRecorded(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC)
	rec := OrgScanRecord{Provider: "github", Owner: "acme", Target: "github acme", Batch: "42", Started: t0, Finished: t0.Add(time.Minute),
		Repositories: 3, Full: 1, Incremental: 1, Skipped: 1, Blobs: 10, Bytes: 100, Findings: 2,
		SkippedRepos: []SkippedRepo{{Repository: "acme/broken", Reason: "clone or fetch failed"}}, Actor: "nightly"}
	if err := s.RecordOrgScan(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOrgScan(ctx, OrgScanRecord{Provider: "github"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a record without a target: %v, want ErrInvalid", err)
	}
	log, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != ActionOrgScan || log[0].Actor != "nightly" {
		t.Fatalf("audit log = %+v, want one org-scan entry by nightly", log)
	}
	for _, want := range []string{`"target":"github acme"`, `"batch":"42"`, `"skipped":1`, `"repository":"acme/broken"`} {
		if !strings.Contains(log[0].Data, want) {
			t.Errorf("entry lacks %s: %s", want, log[0].Data)
		}
	}
	if res := mustVerify(t, s); res.Entries != 1 {
		t.Errorf("verify = %+v", res)
	}
}

// testRecordAndSuppress: Record builds the scan record (complete unless
// partial, staged or with unreadable items) and ingests it; Suppress
// drops what the inventory holds as a false positive, and refuses a
// status set behind the audit chain's back.
func testRecordAndSuppress(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	a, b := randomSecret(t), randomSecret(t)
	res := scanner.Result{Findings: []scanner.Finding{finding(a, "a.env", 1), finding(b, "b.env", 1)}}
	rec, err := Record(ctx, s, fx.key, "dir", "/w", res, RecordOptions{Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Complete || rec.NewSecrets != 2 || rec.Repository != "/w" {
		t.Errorf("first record = %+v", rec)
	}
	for _, tc := range []struct {
		kind string
		res  scanner.Result
		o    RecordOptions
	}{
		{"dir", scanner.Result{Stats: scanner.Stats{Errors: 1}}, RecordOptions{}},
		{"dir", scanner.Result{}, RecordOptions{Partial: true}},
		{"staged", scanner.Result{}, RecordOptions{}},
	} {
		rec, err := Record(ctx, s, fx.key, tc.kind, "/w", tc.res, tc.o)
		if err != nil || rec.Complete || rec.Gone != 0 {
			t.Errorf("%s %+v: %+v, %v; want incomplete, nothing gone", tc.kind, tc.o, rec, err)
		}
	}

	if _, err := s.SetStatus(ctx, fx.fp(a), StatusChange{To: StatusFalsePositive, Reason: "test fixture", Actor: "erin"}); err != nil {
		t.Fatal(err)
	}
	kept, n, err := Suppress(ctx, s, fx.key, res.Findings)
	if err != nil || n != 1 || len(kept) != 1 || kept[0].Secret != b {
		t.Fatalf("Suppress = %d kept, %d dropped, %v; want b kept", len(kept), n, err)
	}
	exec := sqlExec(t, s)
	exec(`UPDATE secrets SET status = 'accepted-risk', status_reason = 'x', status_actor = 'erin' WHERE fingerprint = ?`, fx.fp(b))
	if _, _, err := Suppress(ctx, s, fx.key, res.Findings); !errors.Is(err, ErrTampered) {
		t.Errorf("Suppress after a direct status edit: %v, want ErrTampered", err)
	}
}

// TestRecordGitTip: a history scan's record knows the branch and head,
// and whether each secret is still in its file at the head, even when
// the file was edited since (another blob) — read by the scanner's tip
// reader.
func TestRecordGitTip(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	ctx := context.Background()
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=Ada", "-c", "user.email=a@dev.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, removed := randomSecret(t), randomSecret(t)
	git("init", "-q", "-b", "main")
	write("keep.env", "A=1\nTOKEN="+kept+"\n")
	write("old.env", "TOKEN="+removed+"\n")
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	write("keep.env", "A=2\nB=3\nTOKEN="+kept+"\n")
	git("rm", "-q", "old.env")
	git("add", "-A")
	git("commit", "-q", "-m", "two")
	head := git("rev-parse", "HEAD")

	res := scanner.Result{Findings: []scanner.Finding{
		commitFinding(kept, "keep.env", 2, first, time.Now()), commitFinding(removed, "old.env", 1, first, time.Now()),
	}}
	scan, err := BuildScan(ctx, "git", repo, res, GitRecordOptions(&scanner.GitSource{Path: repo}))
	if err != nil {
		t.Fatal(err)
	}
	if scan.Branch != "main" || scan.HeadCommit != head || !scan.Complete || scan.AtTip == nil {
		t.Fatalf("scan record: branch %q head %q complete %v tip check %v", scan.Branch, scan.HeadCommit, scan.Complete, scan.AtTip != nil)
	}
	got := map[string][2]bool{}
	for _, f := range res.Findings {
		present, known := scan.AtTip(f)
		got[f.File] = [2]bool{present, known}
	}
	if diff := cmp.Diff(map[string][2]bool{"keep.env": {true, true}, "old.env": {false, true}}, got); diff != "" {
		t.Errorf("at tip (-want +got):\n%s", diff)
	}
	if p := GitRecordOptions(&scanner.GitSource{Path: repo, Since: first}); !p.Partial {
		t.Error("a --since scan is not partial")
	}
}

// partialSource says whether it covered part of its store.
type partialSource struct {
	scanner.DirSource
	partial bool
}

func (p *partialSource) Partial() bool { return p.partial }

// tipSource knows which findings are still present.
type tipSource struct{ scanner.DirSource }

func (tipSource) AtTip(f scanner.Finding) (present, known bool) { return f.File == "kept", true }

// A scan's options come from its git source (narrowed: partial) and from
// what the source itself says: Partial() true makes it partial whatever
// the git source, and a TipReporter's AtTip is used.
func TestSourceRecordOptions(t *testing.T) {
	narrowed := &scanner.GitSource{Path: "/r", Range: "a..b"}
	for _, tc := range []struct {
		name     string
		src      scanner.Source
		git      *scanner.GitSource
		repo     string
		partial  bool
		tipKnown bool
	}{
		{"a full git scan", &scanner.GitSource{Path: "/r"}, &scanner.GitSource{Path: "/r"}, "/r", false, false},
		{"a narrowed git scan", narrowed, narrowed, "/r", true, false},
		{"the unwrapped git source is the one read", &scanner.DirSource{Path: "."}, &scanner.GitSource{Path: "/clone"}, "/clone", false, false},
		{"a directory", &scanner.DirSource{Path: "."}, nil, "", false, false},
		{"a store scan of part of its store", &partialSource{partial: true}, nil, "", true, false},
		{"a store scan of all of it", &partialSource{partial: false}, nil, "", false, false},
		{"a full git scan said partial", &partialSource{partial: true}, &scanner.GitSource{Path: "/r"}, "/r", true, false},
		{"a tip reporter", &tipSource{}, nil, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := SourceRecordOptions(tc.src, tc.git)
			if o.RepoPath != tc.repo || o.Partial != tc.partial {
				t.Errorf("repo %q partial %t, want %q %t", o.RepoPath, o.Partial, tc.repo, tc.partial)
			}
			if (o.AtTip != nil) != tc.tipKnown {
				t.Fatalf("AtTip set: %t, want %t", o.AtTip != nil, tc.tipKnown)
			}
			if o.AtTip != nil {
				if p, k := o.AtTip(scanner.Finding{File: "kept"}); !p || !k {
					t.Errorf("AtTip(kept) = %t, %t, want the source's answer", p, k)
				}
				if p, _ := o.AtTip(scanner.Finding{File: "gone"}); p {
					t.Error("AtTip(gone) present, want the source's answer")
				}
			}
			if o.Rules != nil || o.Actor != "" {
				t.Errorf("rules %v actor %q: the caller's to set", o.Rules, o.Actor)
			}
		})
	}
}
