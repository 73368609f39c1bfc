package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
)

// fakeGitLab serves GitLab's REST API v4 as documented for group
// projects and CI/CD variables: pages linked with rel="next", the
// PRIVATE-TOKEN header, RateLimit-* headers and a 429 with Retry-After.
type fakeGitLab struct {
	srv      *httptest.Server
	token    string
	projects []map[string]any
	vars     map[string][]map[string]any // path → variables

	mu          sync.Mutex
	limited     map[string]int // path → 429s still to answer
	authMissing int
	requests    map[string]int
}

func newFakeGitLab(t *testing.T) *fakeGitLab {
	f := &fakeGitLab{token: "sprawl-fake-gitlab-credential", vars: map[string][]map[string]any{}, limited: map[string]int{}, requests: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4")
	f.requests[path]++
	if r.Header.Get("PRIVATE-TOKEN") != f.token {
		f.authMissing++
	}
	w.Header().Set("RateLimit-Limit", "2000")
	w.Header().Set("RateLimit-Remaining", "1999")
	w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if f.limited[path] > 0 {
		f.limited[path]--
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("Retry-After", "13")
		writeJSONResp(w, http.StatusTooManyRequests, map[string]string{"message": "429 Too Many Requests"})
		return
	}
	switch {
	case path == "/groups/acme/projects":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 1 {
			page = 1
		}
		if page < len(f.projects) {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v4/groups/acme/projects?%s>; rel="next", <%s/api/v4/groups/acme/projects?page=1>; rel="first"`, f.srv.URL, q.Encode(), f.srv.URL))
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		}
		out := []map[string]any{}
		if page <= len(f.projects) {
			out = append(out, f.projects[page-1])
		}
		writeJSONResp(w, 200, out)
	case strings.HasSuffix(path, "/variables"):
		vs := f.vars[path]
		if vs == nil {
			vs = []map[string]any{}
		}
		writeJSONResp(w, 200, vs)
	default:
		writeJSONResp(w, 404, map[string]string{"message": "404 Not found"})
	}
}

func glVar(key, value, scope string, masked, protected, hidden bool) map[string]any {
	return map[string]any{"variable_type": "env_var", "key": key, "value": value, "protected": protected, "masked": masked,
		"hidden": hidden, "raw": false, "environment_scope": scope, "description": nil}
}

func TestScanGitLabGroup(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	gl := newFakeGitLab(t)
	t.Setenv(envGitLabToken, gl.token)
	slept := &sleeps{}
	slept.install(t)

	shared, prodTok := ghToken(t), ghToken(t)
	p1 := newFakeRepo(t, dir, "p1")
	p1.commit(t, "ci", map[string]string{".gitlab-ci.yml": "variables:\n  GITHUB_TOKEN: " + shared + "\n"})
	p2 := newFakeRepo(t, dir, "p2")
	p2.commit(t, "old", map[string]string{"old.env": "GITHUB_TOKEN=" + ghToken(t) + "\n"})
	gl.projects = []map[string]any{
		{"id": 1, "path_with_namespace": "acme/p1", "web_url": "https://gitlab.example/acme/p1", "http_url_to_repo": p1.url(), "archived": false, "empty_repo": false},
		{"id": 2, "path_with_namespace": "acme/p2", "web_url": "https://gitlab.example/acme/p2", "http_url_to_repo": p2.url(), "archived": true, "empty_repo": false},
	}
	gl.vars["/groups/acme/variables"] = []map[string]any{glVar("SHARED_TOKEN", shared, "*", false, false, false)}
	gl.vars["/projects/1/variables"] = []map[string]any{
		glVar("DEPLOY_TOKEN", prodTok, "production", true, true, false),
		glVar("SEALED", "", "*", true, true, true), // hidden: GitLab returns no value
		glVar("LOG_LEVEL", "debug", "*", false, false, false),
	}
	gl.limited["/projects/1/variables"] = 1

	db := filepath.Join(dir, "inv.db")
	code, out, stderr := runSprawl(context.Background(), "scan", "gitlab", "--group", "acme", "--gitlab-url", gl.srv.URL,
		"--inventory", db, "--cache-dir", filepath.Join(dir, "cache"), "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, s := range []string{shared, prodTok, gl.token} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret or the token was printed in full")
		}
	}
	if gl.authMissing > 0 {
		t.Errorf("%d requests without PRIVATE-TOKEN", gl.authMissing)
	}
	if w := slept.got(); len(w) != 1 || w[0] != 13*time.Second {
		t.Errorf("waits = %v, want [13s] (the 429's Retry-After)", w)
	}
	if got := summary(t, stderr); got != [4]int{1, 0, 0, 1} {
		t.Errorf("full/incremental/skipped/blobs = %v, want [1 0 0 1] (p2 is archived)\n%s", got, stderr)
	}
	if !strings.Contains(stderr, "1 CI/CD variable hidden") {
		t.Errorf("hidden variable not reported:\n%s", stderr)
	}

	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	type fk struct{ Source, File, Tags string }
	var got []fk
	for _, f := range fs {
		var tags []string
		for _, x := range f["tags"].([]any) {
			if s := x.(string); s == "ci-variable" || s == "unmasked-unprotected" {
				tags = append(tags, s)
			}
		}
		got = append(got, fk{f["source"].(string), f["file"].(string), strings.Join(tags, ",")})
		if f["source"] == "gitlab-ci" {
			msg, _ := f["message"].(string)
			if strings.Contains(f["file"].(string), "SHARED_TOKEN") != strings.Contains(msg, "neither masked nor protected") {
				t.Errorf("%s: message %q", f["file"], msg)
			}
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].File < got[j].File })
	want := []fk{
		{"git", ".gitlab-ci.yml", ""},
		{"gitlab-ci", "gitlab:acme/p1/vars/DEPLOY_TOKEN[production]{masked,protected}", "ci-variable"},
		{"gitlab-ci", "gitlab:acme/vars/SHARED_TOKEN[*]{unmasked,unprotected}", "ci-variable,unmasked-unprotected"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// The inventory: the shared token has two locations (p1's history and
	// the group variable); the production-scoped variable's secret is in
	// production.
	code, listOut, errOut := runSprawl(context.Background(), "inventory", "list", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("inventory list: exit %d %s", code, errOut)
	}
	var es []inventory.Entry
	if err := json.Unmarshal([]byte(listOut), &es); err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 {
		t.Fatalf("inventory has %d secrets, want 2", len(es))
	}
	var sharedE, prodE inventory.Entry
	for _, e := range es {
		if len(e.Locations) == 2 {
			sharedE = e
		} else {
			prodE = e
		}
	}
	if sharedE.Repositories != 2 || !sharedE.MultiRepository {
		t.Errorf("shared token entry = %+v, want in p1 and the group's variables", sharedE)
	}
	if diff := cmp.Diff([]inventory.Environment{inventory.EnvProduction}, prodE.Environments); diff != "" {
		t.Errorf("production-scoped variable's environments (-want +got):\n%s", diff)
	}
	if len(prodE.Locations) != 1 || prodE.Locations[0].Repository != gl.srv.URL+"/acme" {
		t.Errorf("variable location = %+v, want repository %s/acme", prodE.Locations, gl.srv.URL)
	}
}
