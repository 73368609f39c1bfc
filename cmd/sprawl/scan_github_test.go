package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
)

// fakeGitHub serves the parts of GitHub's REST API (v3, as GitHub
// Enterprise Server lays it out under /api/v3) that `scan github` uses,
// in the documented shapes: repository lists paginated with Link headers,
// Actions variables with values, secrets with names and dates only,
// rate-limit headers, a secondary limit as 403 + Retry-After, 404s.
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	repos    []fakeGHRepo
	perPage  int
	vars     map[string][]map[string]any // API path → variables
	secrets  map[string][]map[string]any // API path → secrets
	envs     map[string][]string         // "owner/name" → environment names
	requests map[string]int              // path → count
	// limit, keyed by path, answers the first request(s) with a
	// rate-limit response instead.
	limit map[string][]func(w http.ResponseWriter)
	// authMissing counts requests without the expected token.
	authMissing int
}

type fakeGHRepo struct {
	name     string
	id       int
	clone    string
	fork     bool
	archived bool
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "sprawl-fake-api-credential", perPage: 2,
		vars: map[string][]map[string]any{}, secrets: map[string][]map[string]any{}, envs: map[string][]string{},
		requests: map[string]int{}, limit: map[string][]func(w http.ResponseWriter){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func ghTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (f *fakeGitHub) repoJSON(r fakeGHRepo) map[string]any {
	return map[string]any{
		"id": r.id, "name": r.name, "full_name": "acme/" + r.name, "fork": r.fork, "archived": r.archived,
		"html_url": "https://github.example/acme/" + r.name, "clone_url": r.clone, "private": true,
	}
}

func writeJSONResp(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var envPath = regexp.MustCompile(`^/repositories/(\d+)/environments/([^/]+)/(variables|secrets)$`)

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	f.requests[path]++
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.authMissing++
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if l := f.limit[path]; len(l) > 0 {
		f.limit[path] = l[1:]
		l[0](w)
		return
	}
	notFound := func() {
		writeJSONResp(w, 404, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
	switch {
	case path == "/orgs/acme/repos":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 1 {
			page = 1
		}
		lo, hi := (page-1)*f.perPage, page*f.perPage
		var out []map[string]any
		for i := lo; i < hi && i < len(f.repos); i++ {
			out = append(out, f.repoJSON(f.repos[i]))
		}
		last := (len(f.repos) + f.perPage - 1) / f.perPage
		if page < last {
			link := func(p int) string {
				return fmt.Sprintf("<%s/api/v3/orgs/acme/repos?page=%d&per_page=100&type=all>", f.srv.URL, p)
			}
			w.Header().Set("Link", link(page+1)+`; rel="next", `+link(last)+`; rel="last"`)
		}
		if out == nil {
			out = []map[string]any{}
		}
		writeJSONResp(w, 200, out)
	case strings.HasPrefix(path, "/repos/acme/") && strings.Count(path, "/") == 3:
		name := strings.TrimPrefix(path, "/repos/acme/")
		for _, rp := range f.repos {
			if rp.name == name {
				writeJSONResp(w, 200, f.repoJSON(rp))
				return
			}
		}
		notFound()
	case strings.HasSuffix(path, "/environments") && strings.HasPrefix(path, "/repos/"):
		full := strings.TrimSuffix(strings.TrimPrefix(path, "/repos/"), "/environments")
		var es []map[string]any
		for i, e := range f.envs[full] {
			es = append(es, map[string]any{"id": i + 1, "name": e})
		}
		if es == nil {
			es = []map[string]any{}
		}
		writeJSONResp(w, 200, map[string]any{"total_count": len(es), "environments": es})
	case strings.HasSuffix(path, "/variables") || envPath.MatchString(path) && strings.HasSuffix(path, "/variables"):
		vs := f.vars[path]
		if vs == nil {
			vs = []map[string]any{}
		}
		writeJSONResp(w, 200, map[string]any{"total_count": len(vs), "variables": vs})
	case strings.HasSuffix(path, "/secrets"):
		ss := f.secrets[path]
		if ss == nil {
			ss = []map[string]any{}
		}
		writeJSONResp(w, 200, map[string]any{"total_count": len(ss), "secrets": ss})
	default:
		notFound()
	}
}

// secondaryLimit is GitHub's documented secondary rate limit answer.
func secondaryLimit(retryAfter int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSONResp(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
	}
}

// primaryLimit is an exhausted primary quota, resetting in reset.
func primaryLimit(reset time.Duration) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(reset).Unix(), 10))
		writeJSONResp(w, 403, map[string]string{"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
	}
}

func (f *fakeGitHub) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[path]
}

// ghFixture is an organisation of local bare repositories behind a fake
// API: r1 and r2 hold the same token (r1 on two branches), empty is
// empty, broken's clone URL leads nowhere, forked is a fork, and the
// organisation's Actions variable holds the token too.
type ghFixture struct {
	gh     *fakeGitHub
	dir    string
	cache  string
	db     string
	secret string
	r1, r2 *fakeRepo
	slept  *sleeps
}

func newGHFixture(t *testing.T) *ghFixture {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	fx := &ghFixture{gh: newFakeGitHub(t), dir: dir, cache: filepath.Join(dir, "cache"), db: filepath.Join(dir, "inv.db"), secret: ghToken(t)}
	t.Setenv(envGitHubToken, fx.gh.token)
	t.Setenv(envGitHubAPI, fx.gh.srv.URL)
	fx.r1 = newFakeRepo(t, dir, "r1")
	fx.r1.commit(t, "app config", map[string]string{"config/app.env": "GITHUB_TOKEN=" + fx.secret + "\n", "README.md": "r1\n"})
	gitT(t, fx.r1.work, "checkout", "-q", "-b", "feature")
	fx.r1.commit(t, "feature work", map[string]string{"feature.txt": "feature\n"})
	gitT(t, fx.r1.work, "checkout", "-q", "main")
	fx.r2 = newFakeRepo(t, dir, "r2")
	fx.r2.commit(t, "deploy script", map[string]string{"deploy.sh": "export GH_TOKEN=" + fx.secret + "\n"})
	empty := newFakeRepo(t, dir, "empty")
	forked := newFakeRepo(t, dir, "forked")
	forked.commit(t, "fork", map[string]string{"x.env": "GITHUB_TOKEN=" + ghToken(t) + "\n"})
	fx.gh.repos = []fakeGHRepo{
		{name: "r1", id: 101, clone: fx.r1.url()},
		{name: "r2", id: 102, clone: fx.r2.url()},
		{name: "empty", id: 103, clone: empty.url()},
		{name: "broken", id: 104, clone: "file://" + filepath.Join(dir, "remote", "nowhere.git")},
		{name: "forked", id: 105, clone: forked.url(), fork: true},
	}
	old := time.Now().AddDate(-2, 0, 0)
	recent := time.Now().AddDate(0, 0, -3)
	fx.gh.vars["/orgs/acme/actions/variables"] = []map[string]any{
		{"name": "DEPLOY_TOKEN", "value": fx.secret, "created_at": ghTime(old), "updated_at": ghTime(old), "visibility": "all"},
		{"name": "REGION", "value": "eu-west-1", "created_at": ghTime(old), "updated_at": ghTime(old), "visibility": "all"},
	}
	fx.gh.envs["acme/r1"] = []string{"production"}
	fx.gh.vars["/repositories/101/environments/production/variables"] = []map[string]any{
		{"name": "API_URL", "value": "https://api.example.com", "created_at": ghTime(old), "updated_at": ghTime(old)},
	}
	fx.gh.secrets["/orgs/acme/actions/secrets"] = []map[string]any{
		{"name": "DEPLOY_KEY", "created_at": ghTime(old), "updated_at": ghTime(old), "visibility": "all"},
	}
	fx.gh.secrets["/repos/acme/r1/actions/secrets"] = []map[string]any{
		{"name": "DEPLOY_KEY", "created_at": ghTime(recent), "updated_at": ghTime(recent)},
	}
	fx.gh.secrets["/repositories/101/environments/production/secrets"] = []map[string]any{
		{"name": "DB_PASSWORD", "created_at": ghTime(old), "updated_at": ghTime(recent)},
	}
	fx.gh.secrets["/orgs/acme/dependabot/secrets"] = []map[string]any{
		{"name": "NPM_TOKEN", "created_at": ghTime(old), "updated_at": ghTime(old), "visibility": "private"},
	}
	fx.gh.secrets["/repos/acme/r2/codespaces/secrets"] = []map[string]any{
		{"name": "DEV_DB_URL", "created_at": ghTime(recent), "updated_at": ghTime(recent)},
	}
	fx.slept = &sleeps{}
	fx.slept.install(t)
	return fx
}

func (fx *ghFixture) run(t *testing.T, extra ...string) (int, []map[string]any, string) {
	t.Helper()
	return fx.runCtx(t, context.Background(), extra...)
}

func (fx *ghFixture) runCtx(t *testing.T, ctx context.Context, extra ...string) (int, []map[string]any, string) {
	t.Helper()
	args := []string{"scan", "github", "--org", "acme", "--inventory", fx.db, "--cache-dir", fx.cache, "--concurrency", "2", "--format", "json"}
	code, out, errOut := runSprawl(ctx, append(args, extra...)...)
	var fs []map[string]any
	if out != "" {
		if err := json.Unmarshal([]byte(out), &fs); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
	}
	if strings.Contains(out+errOut, fx.secret) {
		t.Fatal("the secret was printed in full")
	}
	if strings.Contains(out+errOut, fx.gh.token) {
		t.Fatal("the API token was printed")
	}
	return code, fs, errOut
}

var summaryRe = regexp.MustCompile(`(\d+) full, (\d+) incremental, (\d+) skipped; scanned (\d+) blobs?`)

// summary returns full, incremental, skipped and blobs from the summary.
func summary(t *testing.T, stderr string) [4]int {
	t.Helper()
	m := summaryRe.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary line in:\n%s", stderr)
	}
	var out [4]int
	for i := range out {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out
}

func openInv(t *testing.T, dsn string) inventory.Store {
	t.Helper()
	s, err := inventory.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type locKey struct{ Source, Repository, Path string }

func locations(t *testing.T, s inventory.Store, fp string) (present, gone []locKey) {
	t.Helper()
	sec, err := s.Secret(context.Background(), fp)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sec.Locations {
		k := locKey{l.Source, l.Repository, l.Path}
		if l.Present() {
			present = append(present, k)
		} else {
			gone = append(gone, k)
		}
	}
	return present, gone
}

// TestScanGitHubOrg runs against SQLite and, when SPRAWL_TEST_POSTGRES_DSN
// is set, PostgreSQL.
func TestScanGitHubOrg(t *testing.T) {
	for _, st := range cliStores(t, t.TempDir()) {
		t.Run(st.name, func(t *testing.T) { testScanGitHubOrg(t, st.dsn) })
	}
}

func testScanGitHubOrg(t *testing.T, dsn string) {
	fx := newGHFixture(t)
	fx.db = dsn
	gh := fx.gh
	// The repository list first meets a secondary limit, and the
	// organisation's variables an exhausted primary quota (reset in 40 min,
	// more than --max-wait 30m allows in one wait).
	gh.limit["/orgs/acme/repos"] = []func(http.ResponseWriter){secondaryLimit(7)}
	gh.limit["/orgs/acme/actions/variables"] = []func(http.ResponseWriter){primaryLimit(40 * time.Minute)}

	code, fs, stderr := fx.run(t, "--max-wait", "30m")
	if code != exitFindings {
		t.Fatalf("first run exit %d, want %d\n%s", code, exitFindings, stderr)
	}
	if got := summary(t, stderr); got[0] != 2 || got[1] != 0 || got[2] != 2 {
		t.Errorf("first run full/incremental/skipped = %v, want 2/0/2\n%s", got, stderr)
	}
	for _, want := range []string{"skipped acme/empty: empty repository", "skipped acme/broken: clone or fetch failed", "1 forks or archived left out"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// Rate limits: the 7 s Retry-After, then the 40 min reset capped at 30 min.
	waits := fx.slept.got()
	if len(waits) != 2 || waits[0] != 7*time.Second || waits[1] != 30*time.Minute {
		t.Errorf("rate-limit waits = %v, want [7s 30m0s]", waits)
	}
	if n := gh.count("/orgs/acme/repos"); n != 4 { // limited + 3 pages of 2
		t.Errorf("repository list requests = %d, want 4 (one limited, three pages)", n)
	}
	if gh.authMissing > 0 {
		t.Errorf("%d API requests without the token", gh.authMissing)
	}

	// Findings: the token in r1, in r2 and in the organisation variable.
	type fk struct{ Source, Root, File string }
	var got []fk
	for _, f := range fs {
		got = append(got, fk{f["source"].(string), f["root"].(string), f["file"].(string)})
		if f["source"] == "github-actions" {
			if msg, _ := f["message"].(string); !strings.Contains(msg, "Actions variable holds a secret") {
				t.Errorf("variable finding message = %q", msg)
			}
			if tags, _ := f["tags"].([]any); !containsAny(tags, "ci-variable") {
				t.Errorf("variable finding tags = %v, want ci-variable", tags)
			}
		}
	}
	sort.Slice(got, func(i, j int) bool {
		return got[i].Source+got[i].Root+got[i].File < got[j].Source+got[j].Root+got[j].File
	})
	want := []fk{
		{"git", "https://github.example/acme/r1", "config/app.env"},
		{"git", "https://github.example/acme/r2", "deploy.sh"},
		{"github-actions", "https://github.example/acme", "github:acme/vars/DEPLOY_TOKEN"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	fp := fs[0]["fingerprint"].(string)
	for _, f := range fs {
		if f["fingerprint"] != fp {
			t.Fatalf("the three findings have different fingerprints: %v", fs)
		}
	}

	// The inventory: one secret, three locations.
	st := openInv(t, fx.db)
	secrets, err := st.Secrets(context.Background(), inventory.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 {
		t.Fatalf("inventory holds %d secrets, want 1", len(secrets))
	}
	present, _ := locations(t, st, fp)
	wantLocs := []locKey{ // ordered by repository, path, source
		{"github-actions", "https://github.example/acme", "github:acme/vars/DEPLOY_TOKEN"},
		{"git", "https://github.example/acme/r1", "config/app.env"},
		{"git", "https://github.example/acme/r2", "deploy.sh"},
	}
	if diff := cmp.Diff(wantLocs, present); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}

	// Managed secrets: names and dates, the org's DEPLOY_KEY overdue and
	// shadowed by r1's.
	code, out, errOut := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", fx.db, "--format", "json")
	if code != 0 {
		t.Fatalf("ci-secrets exit %d: %s", code, errOut)
	}
	var entries []inventory.CISecretEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	type ck struct {
		Store, Place, Name string
		Overdue            bool
		Same               string
	}
	var gotCI []ck
	for _, e := range entries {
		gotCI = append(gotCI, ck{e.Store, e.Place(), e.Name, e.Overdue, strings.Join(e.SameName, ",")})
	}
	wantCI := []ck{
		{"actions", "env acme/r1/production", "DB_PASSWORD", false, ""},
		{"actions", "org", "DEPLOY_KEY", true, "repo acme/r1"},
		{"actions", "repo acme/r1", "DEPLOY_KEY", false, "org"},
		{"codespaces", "repo acme/r2", "DEV_DB_URL", false, ""},
		{"dependabot", "org", "NPM_TOKEN", true, ""},
	}
	if diff := cmp.Diff(wantCI, gotCI); diff != "" {
		t.Errorf("ci-secrets (-want +got):\n%s", diff)
	}
	if _, out, _ := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", fx.db, "--overdue"); !strings.Contains(out, "OVERDUE") || strings.Contains(out, "DEV_DB_URL") {
		t.Errorf("ci-secrets --overdue table:\n%s", out)
	}

	t.Run("NoNewCommits", func(t *testing.T) {
		code, _, stderr := fx.run(t, "--ci-stores=false")
		if code != 0 {
			t.Fatalf("exit %d, want 0\n%s", code, stderr)
		}
		if got := summary(t, stderr); got != [4]int{0, 2, 2, 0} {
			t.Errorf("full/incremental/skipped/blobs = %v, want [0 2 2 0]\n%s", got, stderr)
		}
		// It did fetch.
		if _, err := os.Stat(filepath.Join(fx.cache, "github", "github.example", "acme", "r1.git", "FETCH_HEAD")); err != nil {
			t.Errorf("r1's mirror was not fetched: %v", err)
		}
	})

	var newSecret string
	t.Run("OneNewCommit", func(t *testing.T) {
		newSecret = ghToken(t)
		fx.r1.commit(t, "add a service", map[string]string{"svc/service.env": "GITHUB_TOKEN=" + newSecret + "\n"})
		code, fs, stderr := fx.run(t, "--ci-stores=false")
		if code != exitFindings {
			t.Fatalf("exit %d, want 1\n%s", code, stderr)
		}
		if got := summary(t, stderr); got != [4]int{0, 2, 2, 1} {
			t.Errorf("full/incremental/skipped/blobs = %v, want [0 2 2 1]: only the new commit's blob\n%s", got, stderr)
		}
		if len(fs) != 1 || fs[0]["file"] != "svc/service.env" {
			t.Errorf("findings = %v, want only svc/service.env", fs)
		}
		// The incremental scan marked nothing gone.
		_, gone := locations(t, st, fp)
		if len(gone) != 0 {
			t.Errorf("incremental scan marked %v gone", gone)
		}
	})

	t.Run("ForcePushAndDeletedBranch", func(t *testing.T) {
		// r2's history is rewritten without the token; r1's feature
		// branch is deleted.
		gitT(t, fx.r2.work, "checkout", "-q", "--orphan", "rewritten")
		gitT(t, fx.r2.work, "rm", "-q", "-rf", ".")
		fx.r2.commit(t, "clean history", map[string]string{"deploy.sh": "export GH_TOKEN=\"$TOKEN\"\n"})
		gitT(t, fx.r2.work, "push", "-q", "--force", "origin", "rewritten:main")
		gitT(t, fx.r1.bare, "branch", "-D", "feature")
		gitT(t, fx.r2.bare, "branch", "-D", "rewritten")
		code, _, stderr := fx.run(t, "--ci-stores=false", "--verbose")
		if code != exitFindings {
			t.Fatalf("exit %d, want 1\n%s", code, stderr)
		}
		if got := summary(t, stderr); got[0] != 2 || got[1] != 0 {
			t.Errorf("full/incremental = %v, want 2 full scans\n%s", got, stderr)
		}
		for _, want := range []string{"acme/r1: full scan", "feature was deleted", "acme/r2: full scan", "force-pushed"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		// The complete rescan of r2 marked its location gone.
		present, gone := locations(t, st, fp)
		if diff := cmp.Diff([]locKey{{"git", "https://github.example/acme/r2", "deploy.sh"}}, gone); diff != "" {
			t.Errorf("gone locations (-want +got):\n%s", diff)
		}
		if len(present) != 2 {
			t.Errorf("present locations = %v, want r1 and the variable", present)
		}
	})

	t.Run("InterruptedThenResumed", func(t *testing.T) {
		// Ctrl-C while waiting out a rate limit in the CI stores: the
		// repositories are already on record, so the run after resumes
		// with nothing to rescan.
		fx.r1.commit(t, "more", map[string]string{"more.txt": "more\n"})
		gh.mu.Lock()
		gh.limit["/repos/acme/r1/actions/variables"] = []func(http.ResponseWriter){secondaryLimit(60)}
		gh.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fx.slept.mu.Lock()
		fx.slept.cancel = cancel
		fx.slept.mu.Unlock()
		code, _, stderr := fx.runCtx(t, ctx)
		if code != exitFailure || !strings.Contains(stderr, "interrupted after 2 of 4 repositories") {
			t.Fatalf("interrupted run: exit %d, want 3 and a resume note\n%s", code, stderr)
		}
		code, _, stderr = fx.run(t, "--ci-stores=false")
		if code != 0 {
			t.Fatalf("resumed run exit %d, want 0 (nothing new)\n%s", code, stderr)
		}
		if got := summary(t, stderr); got != [4]int{0, 2, 2, 0} {
			t.Errorf("resumed run = %v, want [0 2 2 0]: the interrupted run had recorded both repositories\n%s", got, stderr)
		}
	})
}

func containsAny(xs []any, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestScanGitHubRepos(t *testing.T) {
	fx := newGHFixture(t)
	base := []string{"scan", "github", "--inventory", fx.db, "--cache-dir", fx.cache, "--format", "json", "--ci-stores=false"}

	// One real repository and one that 404s: the 404 is reported and skipped.
	code, out, stderr := runSprawl(context.Background(), append(base, "--repo", "acme/r2", "--repo", "acme/gone")...)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "skipped acme/gone") || !strings.Contains(stderr, "HTTP 404") {
		t.Errorf("the 404 repository is not reported:\n%s", stderr)
	}
	if !strings.Contains(out, "deploy.sh") {
		t.Errorf("acme/r2 not scanned:\n%s", out)
	}
	// With progress forced on (as on a terminal), one line follows the
	// run's repositories; the report on stdout is untouched.
	t.Setenv(envProgress, "always")
	code, out, stderr = runSprawl(context.Background(), append(base, "--repo", "acme/r2")...)
	// The bar is throttled (100 ms) and cleared when done, so which count
	// was last drawn depends on timing; that it counts repositories does not.
	if code != exitClean || !strings.Contains(stderr, "/1 repositories") || strings.Contains(out, "repositories") { // incremental: nothing new
		t.Errorf("progress: exit %d, stderr %q", code, stderr)
	}
	t.Setenv(envProgress, "")
	// Only failures: exit 3, never a clean result.
	code, _, stderr = runSprawl(context.Background(), append(base, "--repo", "acme/gone", "--repo", "acme/broken")...)
	if code != exitFailure || !strings.Contains(stderr, "github 2 repositories: every repository failed") {
		t.Errorf("all-failed run: exit %d, want 3\n%s", code, stderr)
	}
	// Usage errors.
	for _, args := range [][]string{{"scan", "github"}, {"scan", "github", "--org", "a", "--user", "b"}, {"scan", "github", "--org", "a", "--concurrency", "0"}} {
		if code, _, stderr := runSprawl(context.Background(), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	// An organisation the API does not know is a failure.
	if code, _, stderr := runSprawl(context.Background(), "scan", "github", "--org", "nope", "--cache-dir", fx.cache); code != exitFailure || !strings.Contains(stderr, "404") {
		t.Errorf("unknown org: exit %d, want 3\n%s", code, stderr)
	}
}
