package orgscan

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// ghToken is a synthetic GitHub token with a valid checksum, made at test
// time.
func ghToken(t *testing.T) string {
	t.Helper()
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	raw := make([]byte, 30)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = b62[int(raw[i])%62]
	}
	sum := crc32.ChecksumIEEE(raw)
	enc := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		enc[i] = b62[sum%62]
		sum /= 62
	}
	return "gh" + "p_" + string(raw) + string(enc)
}

// gitT runs git in dir with a fixed identity.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Ada", "-c", "user.email=ada@example.com",
		"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// remote is a bare repository (what a clone URL serves) and a work tree
// that pushes to it.
type remote struct{ bare, work string }

func newRemote(t *testing.T, root string) *remote {
	t.Helper()
	r := &remote{bare: filepath.Join(root, "remote.git"), work: filepath.Join(root, "work")}
	for _, d := range []string{r.bare, r.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitT(t, r.bare, "init", "-q", "--bare")
	gitT(t, r.bare, "symbolic-ref", "HEAD", "refs/heads/main")
	gitT(t, r.work, "init", "-q")
	gitT(t, r.work, "checkout", "-q", "-b", "main")
	gitT(t, r.work, "remote", "add", "origin", r.bare)
	return r
}

func (r *remote) commit(t *testing.T, msg, path, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.work, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gitT(t, r.work, "add", "-A")
	gitT(t, r.work, "commit", "-q", "-m", msg)
	gitT(t, r.work, "push", "-q", "--force", "origin", "HEAD")
}

// fixture is an inventory and what a Runner needs besides.
type fixture struct {
	store inventory.Store
	key   []byte
	rules []*detectors.Rule
	eng   *scanner.Engine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	ctx := context.Background()
	st, err := inventory.Open(ctx, filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("a-fingerprint-key-for-tests-only")
	return &fixture{store: st, key: key, rules: rules, eng: &scanner.Engine{Matcher: m, FingerprintKey: key}}
}

// runner is a Runner on the fixture's inventory with its own cache, as a
// worker process on its own machine would have.
func (fx *fixture) runner(t *testing.T, events *[]Event) *Runner {
	t.Helper()
	var mu sync.Mutex
	r, err := New(Options{Store: fx.store, Key: fx.key, Actor: "tester", Rules: fx.rules, Engine: fx.eng,
		CacheDir: t.TempDir(), Concurrency: 2, Events: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			if events != nil {
				*events = append(*events, e)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestScanRepoAsWorker: ScanRepo needs only a repository's JSON
// description and the inventory. A second Runner with its own cache (a
// worker on another machine) scans incrementally from the inventory's
// record; a force-push, seen from the mirror it left, needs a full scan.
func TestScanRepoAsWorker(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	rem := newRemote(t, t.TempDir())
	first, second := ghToken(t), ghToken(t)
	rem.commit(t, "config", "app.env", "GITHUB_TOKEN="+first+"\n")

	// The job's arguments, as a queue would carry them.
	args, err := json.Marshal(Repo{Provider: "github", FullName: "acme/app", WebURL: "https://github.example/acme/app", CloneURL: "file://" + rem.bare})
	if err != nil {
		t.Fatal(err)
	}
	var job Repo
	if err := json.Unmarshal(args, &job); err != nil {
		t.Fatal(err)
	}

	var events []Event
	oc, err := fx.runner(t, &events).ScanRepo(ctx, job, scanner.GitAuth{})
	if err != nil {
		t.Fatal(err)
	}
	if oc.Mode != ModeFull || len(oc.Findings) != 1 || oc.Recorded == nil || oc.Recorded.NewSecrets != 1 {
		t.Fatalf("first scan = %+v", oc)
	}
	if f := oc.Findings[0]; f.Source != "git" || f.Root != job.WebURL {
		t.Errorf("finding source/root = %q %q", f.Source, f.Root)
	}
	var kinds []EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if diff := cmp.Diff([]EventKind{EventRepoStarted, EventRecorded, EventRepoDone}, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	data, err := json.Marshal(oc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), first) {
		t.Fatalf("an outcome's JSON holds the secret: %s", data)
	}

	// Another worker, another cache: only the new commit is scanned.
	rem.commit(t, "more", "other.env", "GITHUB_TOKEN="+second+"\n")
	w2 := fx.runner(t, nil)
	oc, err = w2.ScanRepo(ctx, job, scanner.GitAuth{})
	if err != nil {
		t.Fatal(err)
	}
	if oc.Mode != ModeIncremental || len(oc.Findings) != 1 || oc.Findings[0].Secret != second {
		t.Fatalf("second worker's scan = mode %s, %d findings, reason %q", oc.Mode, len(oc.Findings), oc.Reason)
	}
	if oc.Recorded.Complete {
		t.Error("an incremental scan was recorded as complete")
	}

	// A force-push rewrites main: the second worker's mirror knows the
	// old tip, so the scan is full again.
	gitT(t, rem.work, "reset", "-q", "--hard", "HEAD~1")
	rem.commit(t, "rewritten", "third.txt", "nothing\n")
	oc, err = w2.ScanRepo(ctx, job, scanner.GitAuth{})
	if err != nil {
		t.Fatal(err)
	}
	if oc.Mode != ModeFull || !strings.Contains(oc.Reason, "force-pushed") {
		t.Fatalf("after a force-push: mode %s, reason %q", oc.Mode, oc.Reason)
	}
	if !oc.Recorded.Complete || oc.Recorded.Gone != 1 {
		t.Errorf("full rescan after a force-push: %+v, want complete with 1 gone", oc.Recorded)
	}
}

// TestScanRepoSkips: what cannot be scanned is an outcome with a reason,
// not an error.
func TestScanRepoSkips(t *testing.T) {
	fx := newFixture(t)
	r := fx.runner(t, nil)
	for _, tc := range []struct {
		repo Repo
		want string
	}{
		{Repo{Provider: "github", FullName: "acme/e", Empty: true, CloneURL: "file:///x"}, "empty repository"},
		{Repo{Provider: "github", FullName: "acme/n"}, "no clone URL"},
		{Repo{Provider: "github", FullName: "acme/../x", CloneURL: "file:///x"}, "unsafe repository name"},
		{Repo{Provider: "github", FullName: "acme/gone", CloneURL: "file://" + filepath.Join(t.TempDir(), "nowhere.git")}, "clone or fetch failed"},
	} {
		oc, err := r.ScanRepo(context.Background(), tc.repo, scanner.GitAuth{})
		if err != nil || oc.Mode != ModeSkipped || !strings.Contains(oc.Reason, tc.want) {
			t.Errorf("%s: %+v, %v; want skipped: %s", tc.repo.FullName, oc, err, tc.want)
		}
	}
}

// TestSummarize counts outcomes by mode and CI listings.
func TestSummarize(t *testing.T) {
	got := Summarize([]Outcome{
		{Mode: ModeFull, Stats: scanner.Stats{Items: 3, Bytes: 10, Errors: 1}, Findings: make([]scanner.Finding, 2)},
		{Mode: ModeIncremental, Stats: scanner.Stats{Items: 1, Bytes: 5}},
		{Mode: ModeSkipped},
	}, []CIOutcome{{Stats: scanner.Stats{Items: 4}, Findings: make([]scanner.Finding, 1)}})
	want := Summary{Repositories: 3, Full: 1, Incremental: 1, Skipped: 1, Blobs: 4, Bytes: 15, Unreadable: 1, CIStores: 1, CIVariables: 4, Findings: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
}

// TestFinishFromJSON: the end-of-run record is written from outcomes as
// a queue keeps them (JSON, without findings): the counts survive, and
// the inventory's audit log holds one org-scan entry naming the skipped
// repository.
func TestFinishFromJSON(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	rem := newRemote(t, t.TempDir())
	rem.commit(t, "config", "app.env", "GITHUB_TOKEN="+ghToken(t)+"\n")
	r := fx.runner(t, nil)
	var outcomes []Outcome
	for _, repo := range []Repo{
		{Provider: "github", FullName: "acme/app", WebURL: "https://github.example/acme/app", CloneURL: "file://" + rem.bare},
		{Provider: "github", FullName: "acme/empty", Empty: true},
	} {
		oc, err := r.ScanRepo(ctx, repo, scanner.GitAuth{})
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(oc)
		if err != nil {
			t.Fatal(err)
		}
		var back Outcome
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, back)
	}
	sum, err := r.Finish(ctx, RunInfo{Provider: "github", Owner: "acme", Target: "github acme", Batch: "7", Started: time.Now()}, outcomes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Repositories != 2 || sum.Full != 1 || sum.Skipped != 1 || sum.Findings != 1 || sum.Blobs == 0 {
		t.Errorf("summary = %+v", sum)
	}
	log, err := fx.store.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.Action != inventory.ActionOrgScan || last.Actor != "tester" || !strings.Contains(last.Data, `"repository":"acme/empty","reason":"empty repository"`) ||
		!strings.Contains(last.Data, `"batch":"7"`) || !strings.Contains(last.Data, `"findings":1`) {
		t.Errorf("last audit entry = %+v", last)
	}
	if res, err := inventory.Verify(ctx, fx.store); err != nil || res.Entries != int64(len(log)) {
		t.Errorf("audit verify: %+v, %v", res, err)
	}
}
