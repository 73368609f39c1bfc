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

// fakeADOToken is what the fake organisation accepts; nothing like a real
// personal access token.
const fakeADOToken = "fake-ado-pat-for-tests"

func newFakeADO(t *testing.T) *forgetest.AzureDevOps {
	t.Helper()
	f := forgetest.NewAzureDevOps(t, "acme", fakeADOToken)
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	modified := time.Date(2026, 5, 2, 10, 30, 0, 0, time.UTC)
	f.Projects = []*forgetest.ADOProject{
		{ID: "p-web", Name: "Web",
			Repos: []forgetest.ADORepo{
				{Name: "api", CloneURL: "https://acme@dev.example/acme/Web/_git/api"},
				{Name: "blank", CloneURL: "https://acme@dev.example/acme/Web/_git/blank", Empty: true},
				{Name: "old", CloneURL: "https://acme@dev.example/acme/Web/_git/old", Disabled: true},
			},
			Pipelines: []forgetest.ADOPipeline{
				{ID: 7, Name: "deploy", Created: modified, Vars: []forgetest.ADOVar{{Name: "DEPLOY_URL", Value: "https://deploy.example"}, {Name: "DEPLOY_TOKEN", Secret: true}}},
				{ID: 8, Name: "build", Created: created},
				{ID: 9, Name: "nightly", Created: created, Vars: []forgetest.ADOVar{{Name: "EMPTY", Value: ""}}},
			},
			Groups: []forgetest.ADOGroup{
				{ID: 1, Name: "prod-settings", Description: "production", Created: created, Modified: modified, Permit: forgetest.Permit{Pipelines: []int{7, 42}},
					Vars: []forgetest.ADOVar{{Name: "DB_HOST", Value: "db.prod.example"}, {Name: "DB_PASSWORD", Secret: true}}},
				{ID: 2, Name: "kv-prod", KeyVault: "acme-kv", Created: created, Modified: modified, Permit: forgetest.Permit{All: true},
					Vars: []forgetest.ADOVar{{Name: "api-key"}}},
				{ID: 3, Name: "staging-settings", Created: created, Modified: created, Vars: []forgetest.ADOVar{{Name: "LOG_LEVEL", Value: "debug"}}},
			},
			Endpoints: []forgetest.ADOEndpoint{
				{ID: "e1", Name: "azure-prod", Type: "azurerm", Scheme: "ServicePrincipal", Description: "prod subscription", Permit: forgetest.Permit{Pipelines: []int{7}}},
				{ID: "e2", Name: "registry", Type: "dockerregistry", Scheme: "UsernamePassword", Shared: true, Permit: forgetest.Permit{All: true}},
			},
		},
		{ID: "p-pay", Name: "Payments"},
		{ID: "p-locked", Name: "Locked"},
	}
	f.Fail("/acme/Locked/", http.StatusForbidden)
	return f
}

func TestAzureDevOpsRepositories(t *testing.T) {
	f := newFakeADO(t)
	a, err := NewAzureDevOps(f.URL, "acme", fakeADOToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ps, err := a.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"Web", "Payments", "Locked"}, names); diff != "" {
		t.Errorf("projects over two pages (-want +got):\n%s", diff)
	}
	repos, err := a.ProjectRepos(ctx, "Web")
	if err != nil {
		t.Fatal(err)
	}
	web := f.URL + "/acme/Web/_git/"
	want := []Repo{
		{FullName: "Web/api", WebURL: web + "api", CloneURL: "https://dev.example/acme/Web/_git/api"},
		{FullName: "Web/blank", WebURL: web + "blank", CloneURL: "https://dev.example/acme/Web/_git/blank", Empty: true},
		{FullName: "Web/old", WebURL: web + "old", CloneURL: "https://dev.example/acme/Web/_git/old", Archived: true},
	}
	if diff := cmp.Diff(want, repos); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	_, err = a.ProjectRepos(ctx, "Locked")
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "TF401027") {
		t.Errorf("a project the token may not read: err = %v, want ErrForbidden with the server's reason", err)
	}
	_, err = a.ProjectRepos(ctx, "Gone")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "TF200016") {
		t.Errorf("a missing project: err = %v, want ErrNotFound with the server's reason", err)
	}
	if n := f.BadAuth(); n != 0 {
		t.Errorf("%d requests without the token", n)
	}
	if got := strings.Count(strings.Join(f.Log(), " "), "/acme/_apis/projects"); got != 2 {
		t.Errorf("projects listed in %d requests, want 2 pages", got)
	}
}

func TestAzureDevOpsProjectCI(t *testing.T) {
	f := newFakeADO(t)
	a, err := NewAzureDevOps(f.URL, "acme", fakeADOToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.ProjectCI(context.Background(), "Web")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	modified := time.Date(2026, 5, 2, 10, 30, 0, 0, time.UTC)
	tags := []string{"ci-variable"}
	wantVars := []string{
		"azure-devops:acme/Web/pipeline/deploy/vars/DEPLOY_URL=https://deploy.example",
		"azure-devops:acme/Web/vargroup/prod-settings/DB_HOST=db.prod.example",
		"azure-devops:acme/Web/vargroup/staging-settings/LOG_LEVEL=debug",
	}
	var gotVars []string
	for _, v := range l.Vars {
		gotVars = append(gotVars, v.Path+"="+v.Value)
		if !cmp.Equal(v.Tags, tags) || v.Note == "" || !strings.HasSuffix(v.Path, "/"+v.Name) {
			t.Errorf("variable %s: tags %v, note %q", v.Path, v.Tags, v.Note)
		}
	}
	if diff := cmp.Diff(wantVars, gotVars); diff != "" {
		t.Errorf("scanned variables (-want +got):\n%s", diff)
	}
	wantSecrets := []SecretMeta{
		{Store: StorePipeline, Scope: "repo", Repo: "Web", Name: "deploy/DEPLOY_TOKEN", Kind: "secret variable", Description: "variable of pipeline deploy",
			UsedBy: []string{"pipeline deploy"}, Updated: modified},
		{Store: StoreVariableGroup, Scope: "repo", Repo: "Web", Name: "prod-settings/DB_PASSWORD", Kind: "secret variable", Description: "production",
			UsedBy: []string{"pipeline deploy", "pipeline #42"}, Created: created, Updated: modified},
		{Store: StoreVariableGroup, Scope: "repo", Repo: "Web", Name: "kv-prod/api-key", Kind: "azure-key-vault", Description: "linked to Azure Key Vault acme-kv",
			UsedBy: []string{"all pipelines"}, Created: created, Updated: modified},
		{Store: StoreServiceConnection, Scope: "repo", Repo: "Web", Name: "azure-prod", Kind: "azurerm (ServicePrincipal)", Description: "prod subscription",
			UsedBy: []string{"pipeline deploy"}},
		{Store: StoreServiceConnection, Scope: "repo", Repo: "Web", Name: "registry", Kind: "dockerregistry (UsernamePassword)", Visibility: "shared",
			UsedBy: []string{"all pipelines"}},
	}
	if diff := cmp.Diff(wantSecrets, l.Secrets); diff != "" {
		t.Errorf("secret metadata (-want +got):\n%s", diff)
	}
	if !l.Complete() {
		t.Errorf("problems: %v", l.Problems)
	}
	// Three groups and three definitions at two a page: each listing
	// took two requests, the second with the continuation token.
	log := strings.Join(f.Log(), " ")
	for _, p := range []string{"/acme/Web/_apis/distributedtask/variablegroups", "/acme/Web/_apis/build/definitions"} {
		if n := strings.Count(log, p); n != 2 {
			t.Errorf("%s requested %d times, want 2 pages", p, n)
		}
	}

	// A project the token may not read: every store is a problem naming
	// its reason, none an error.
	l, err = a.ProjectCI(context.Background(), "Locked")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Problems) != 3 || l.Complete() {
		t.Fatalf("problems = %q, want one per store", l.Problems)
	}
	for _, p := range l.Problems {
		if !strings.Contains(p, "access denied (HTTP 403") || !strings.Contains(p, "project Locked") {
			t.Errorf("problem %q does not name the project and the reason", p)
		}
	}
}

// TestAzureDevOpsRateLimits: a 429 with Retry-After is retried after it,
// and a successful answer that says the user is being delayed
// (Retry-After on a 200) holds the next request back.
func TestAzureDevOpsRateLimits(t *testing.T) {
	f := newFakeADO(t)
	f.DelayFirst = true
	f.Throttle("/acme/Web/_apis/git/repositories", 1)
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	rl := &RateLimiter{MaxWait: time.Hour, Sleep: clk.Sleep, Now: clk.Now}
	a, err := NewAzureDevOps(f.URL, "acme", fakeADOToken, rl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Projects(context.Background()); err != nil {
		t.Fatal(err)
	}
	repos, err := a.ProjectRepos(context.Background(), "Web")
	if err != nil || len(repos) != 3 {
		t.Fatalf("repos = %d, err = %v", len(repos), err)
	}
	if diff := cmp.Diff([]time.Duration{3 * time.Second, 7 * time.Second}, clk.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestAzureDevOpsAuth(t *testing.T) {
	f := newFakeADO(t)
	a, err := NewAzureDevOps(f.URL, "acme", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Projects(context.Background())
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "sign-in") {
		t.Errorf("without a token: err = %v, want ErrForbidden naming the sign-in page", err)
	}
	if _, err := NewAzureDevOps("http://ado.example.com", "acme", fakeADOToken, nil); err == nil {
		t.Error("a token was accepted for plain http to another host")
	}
	if _, err := NewAzureDevOps("", "acme/web", fakeADOToken, nil); err == nil {
		t.Error("an organisation name with a slash was accepted")
	}
}

// TestAzureDevOpsContinuation: a token in the body is followed like one
// in the header, and a server that repeats a token does not loop.
func TestAzureDevOpsContinuation(t *testing.T) {
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("continuationToken")
		calls = append(calls, tok)
		switch tok {
		case "":
			io.WriteString(w, `{"count":1,"value":[{"id":"1","name":"A"}],"continuationToken":"next-1"}`)
		case "next-1":
			w.Header().Set("x-ms-continuationtoken", "next-1")
			io.WriteString(w, `{"count":1,"value":[{"id":"2","name":"B"}]}`)
		}
	}))
	defer srv.Close()
	a, err := NewAzureDevOps(srv.URL, "acme", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Projects(context.Background())
	if err == nil || !strings.Contains(err.Error(), "repeated continuation token") {
		t.Errorf("err = %v, want the repeated token named", err)
	}
	if diff := cmp.Diff([]string{"", "next-1"}, calls); diff != "" {
		t.Errorf("continuation tokens sent (-want +got):\n%s", diff)
	}
}

func TestStripUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://acme@dev.azure.com/acme/Web/_git/api":  "https://dev.azure.com/acme/Web/_git/api",
		"https://x-token-auth@bitbucket.org/acme/a.git": "https://bitbucket.org/acme/a.git",
		"https://bitbucket.org/acme/a@b.git":            "https://bitbucket.org/acme/a@b.git",
		"file:///tmp/repos/a.git":                       "file:///tmp/repos/a.git",
	} {
		if got := stripUserinfo(in); got != want {
			t.Errorf("stripUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
