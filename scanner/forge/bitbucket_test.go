package forge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner/forge/forgetest"
)

// fakeBBToken is what the fake workspace accepts; nothing like a real
// access token.
const fakeBBToken = "fake-bitbucket-token-for-tests"

func newFakeBB(t *testing.T) *forgetest.Bitbucket {
	t.Helper()
	f := forgetest.NewBitbucket(t, "acme")
	f.Token = fakeBBToken
	f.Vars = []forgetest.BBVar{{Key: "NPM_REGISTRY", Value: "https://npm.example"}, {Key: "NPM_TOKEN", Secured: true}, {Key: "BLANK"}}
	f.Repos = []*forgetest.BBRepo{
		{Slug: "api", CloneURL: "https://x-token-auth@bitbucket.example/acme/api.git",
			Vars: []forgetest.BBVar{{Key: "SENTRY_DSN", Value: "https://sentry.example/1"}, {Key: "NPM_TOKEN", Secured: true}},
			Envs: []forgetest.BBEnv{
				{Name: "Test", Type: "Test", Vars: []forgetest.BBVar{{Key: "DB_URL", Value: "postgres://test-db/app"}}},
				{Name: "eu-live", Type: "Production", Vars: []forgetest.BBVar{{Key: "DB_URL", Value: "postgres://prod-db/app"}, {Key: "DB_PASSWORD", Secured: true}}},
				{Name: "Staging", Type: "Staging"},
			}},
		{Slug: "web", CloneURL: "https://bitbucket.example/acme/web.git", Fork: true},
		{Slug: "locked", CloneURL: "https://bitbucket.example/acme/locked.git"},
	}
	f.Fail("/2.0/repositories/acme/locked/", http.StatusForbidden)
	return f
}

func TestBitbucketRepositories(t *testing.T) {
	f := newFakeBB(t)
	b, err := NewBitbucket(f.APIURL(), "", fakeBBToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := b.WorkspaceRepos(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []Repo{
		{FullName: "acme/api", WebURL: f.URL + "/acme/api", CloneURL: "https://bitbucket.example/acme/api.git"},
		{FullName: "acme/web", WebURL: f.URL + "/acme/web", CloneURL: "https://bitbucket.example/acme/web.git", Fork: true},
		{FullName: "acme/locked", WebURL: f.URL + "/acme/locked", CloneURL: "https://bitbucket.example/acme/locked.git"},
	}
	if diff := cmp.Diff(want, repos); diff != "" {
		t.Errorf("repositories over two pages (-want +got):\n%s", diff)
	}
	if got := strings.Count(strings.Join(f.Log(), " "), "/2.0/repositories/acme "); got != 1 || len(f.Log()) != 2 {
		t.Errorf("requests %q, want two pages", f.Log())
	}
	if b.WebBase() != f.URL || b.WorkspaceURL("acme") != f.URL+"/acme" {
		t.Errorf("web base %q, workspace %q", b.WebBase(), b.WorkspaceURL("acme"))
	}
	if _, err := b.WorkspaceRepos(context.Background(), "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing workspace: err = %v, want ErrNotFound", err)
	}
	if n := f.BadAuth(); n != 0 {
		t.Errorf("%d requests without the token", n)
	}
}

func TestBitbucketCI(t *testing.T) {
	f := newFakeBB(t)
	b, err := NewBitbucket(f.APIURL(), "", fakeBBToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var l CIListing
	ws, err := b.WorkspaceCI(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	l.Add(ws)
	for _, r := range []Repo{{FullName: "acme/api"}, {FullName: "acme/web"}, {FullName: "acme/locked"}} {
		rl, err := b.RepoCI(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		l.Add(rl)
	}
	wantVars := []string{
		"bitbucket:acme/vars/NPM_REGISTRY=https://npm.example",
		"bitbucket:acme/api/vars/SENTRY_DSN=https://sentry.example/1",
		"bitbucket:acme/api/env/test/Test/vars/DB_URL=postgres://test-db/app",
		"bitbucket:acme/api/env/production/eu-live/vars/DB_URL=postgres://prod-db/app",
	}
	var gotVars []string
	for _, v := range l.Vars {
		gotVars = append(gotVars, v.Path+"="+v.Value)
		if !strings.HasSuffix(v.Path, "/vars/"+v.Name) || v.Note == "" || !cmp.Equal(v.Tags, []string{"ci-variable"}) {
			t.Errorf("variable %s: name %q, note %q, tags %v", v.Path, v.Name, v.Note, v.Tags)
		}
	}
	if diff := cmp.Diff(wantVars, gotVars); diff != "" {
		t.Errorf("scanned variables (-want +got):\n%s", diff)
	}
	wantSecrets := []SecretMeta{
		{Store: StorePipelines, Scope: "org", Name: "NPM_TOKEN", Kind: "secured variable", Description: "workspace variable"},
		{Store: StorePipelines, Scope: "repo", Repo: "acme/api", Name: "NPM_TOKEN", Kind: "secured variable", Description: "repository variable"},
		{Store: StorePipelines, Scope: "env", Repo: "acme/api", Environment: "eu-live", Name: "DB_PASSWORD", Kind: "secured variable",
			Description: "deployment variable (production environment)"},
	}
	if diff := cmp.Diff(wantSecrets, l.Secrets); diff != "" {
		t.Errorf("secured variables (-want +got):\n%s", diff)
	}
	// The locked repository: both of its stores are problems with the
	// reason; the listing went on to the end.
	if len(l.Problems) != 2 || l.Complete() {
		t.Fatalf("problems = %q, want the locked repository's two stores", l.Problems)
	}
	for _, p := range l.Problems {
		if !strings.Contains(p, "acme/locked") || !strings.Contains(p, "access denied (HTTP 403: Your credentials lack") {
			t.Errorf("problem %q does not name the repository and the reason", p)
		}
	}
}

// TestBitbucketRateLimit: Bitbucket's 429 (with or without Retry-After) is
// waited out and the listing completes.
func TestBitbucketRateLimit(t *testing.T) {
	f := newFakeBB(t)
	f.Throttle("/2.0/repositories/acme", 1)
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	rl := &RateLimiter{MaxWait: time.Hour, Sleep: clk.Sleep, Now: clk.Now}
	b, err := NewBitbucket(f.APIURL(), "", fakeBBToken, rl)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := b.WorkspaceRepos(context.Background(), "acme")
	if err != nil || len(repos) != 3 {
		t.Fatalf("repos = %d, err = %v", len(repos), err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, clk.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestBitbucketAuth(t *testing.T) {
	f := newFakeBB(t)
	f.Token, f.User, f.Password = "", "alice", "fake-app-password"
	b, err := NewBitbucket(f.APIURL(), "alice", "fake-app-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WorkspaceRepos(context.Background(), "acme"); err != nil {
		t.Errorf("app password: %v", err)
	}
	b, _ = NewBitbucket(f.APIURL(), "alice", "wrong", nil)
	if _, err := b.WorkspaceRepos(context.Background(), "acme"); !errors.Is(err, ErrForbidden) {
		t.Errorf("a wrong password: err = %v, want ErrForbidden", err)
	}
	if _, err := NewBitbucket("http://api.bitbucket.example/2.0", "", fakeBBToken, nil); err == nil {
		t.Error("a token was accepted for plain http to another host")
	}
}

// TestBitbucketNextElsewhere: a next link to another host is not
// followed (the credentials would go with it).
func TestBitbucketNextElsewhere(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"values":[],"next":"https://elsewhere.example/2.0/repositories/acme?page=2"}`)
	}))
	defer srv.Close()
	b, err := NewBitbucket(srv.URL+"/2.0", "", fakeBBToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WorkspaceRepos(context.Background(), "acme"); err == nil || !strings.Contains(err.Error(), "is not on") {
		t.Errorf("err = %v, want the foreign next page refused", err)
	}
}
