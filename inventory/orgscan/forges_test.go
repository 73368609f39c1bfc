package orgscan

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner/forge"
	"github.com/sprawlsec/sprawl/scanner/forge/forgetest"
)

// TestAzureDevOpsProvider: a project the token may not read is a skipped
// outcome with its reason; the CI store covers every listed project, one
// without repositories too, and is incomplete because of the skipped one;
// secret objects become inventory records with kind and users.
func TestAzureDevOpsProvider(t *testing.T) {
	f := forgetest.NewAzureDevOps(t, "acme", "fake-pat")
	f.Projects = []*forgetest.ADOProject{
		{ID: "1", Name: "Web", Repos: []forgetest.ADORepo{{Name: "api", CloneURL: "https://dev.example/acme/Web/_git/api"}}},
		{ID: "2", Name: "Ops", Groups: []forgetest.ADOGroup{{ID: 4, Name: "ops-prod", Permit: forgetest.Permit{All: true},
			Vars: []forgetest.ADOVar{{Name: "REGION", Value: "westeurope"}, {Name: "TOKEN", Secret: true}}}}},
		{ID: "3", Name: "Locked"},
	}
	f.Fail("/acme/Locked/", http.StatusForbidden)
	c, err := forge.NewAzureDevOps(f.URL, "acme", "fake-pat", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := NewAzureDevOps(c, f.URL, "fake-pat", nil)
	repos, missing, err := p.Repositories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 1 || repos[0].FullName != "Web/api" || repos[0].Provider != "azure-devops" {
		t.Errorf("repos = %+v", repos)
	}
	if len(missing) != 1 || missing[0].Repo.FullName != "Locked" || missing[0].Mode != ModeSkipped || !strings.Contains(missing[0].Reason, "HTTP 403") {
		t.Errorf("missing = %+v, want Locked skipped with its reason", missing)
	}
	if p.GitAuth().Origin != f.URL || p.GitAuth().Header == "" {
		t.Errorf("git auth = %+v", p.GitAuth())
	}
	stores := p.CIStores(repos)
	if len(stores) != 1 || stores[0].Complete || !cmp.Equal(stores[0].Projects, []string{"Web", "Ops"}) || stores[0].Root != f.URL+"/acme" {
		t.Fatalf("stores = %+v", stores)
	}
	l, err := p.ListCI(context.Background(), stores[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Complete || len(l.Vars) != 1 || l.Vars[0].Path != "azure-devops:acme/Ops/vargroup/ops-prod/REGION" {
		t.Errorf("listing: complete %v, vars %+v", l.Complete, l.Vars)
	}
	want := []inventory.CISecretRecord{{Store: "variable-group", Scope: "repo", Repository: "Ops", Name: "ops-prod/TOKEN", Kind: "secret variable",
		UsedBy: []string{"all pipelines"}, CreatedAt: l.Secrets[0].CreatedAt, UpdatedAt: l.Secrets[0].UpdatedAt}}
	if diff := cmp.Diff(want, l.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if NewAzureDevOps(c, f.URL, "", nil).CIStores(repos) != nil {
		t.Error("CI stores listed without a token")
	}
}

// TestBitbucketProvider: the workspace's and repositories' variables in
// one listing, incomplete when a repository's stores cannot be read.
func TestBitbucketProvider(t *testing.T) {
	f := forgetest.NewBitbucket(t, "acme")
	f.Token = "fake-access-token"
	f.Vars = []forgetest.BBVar{{Key: "NPM_TOKEN", Secured: true}}
	f.Repos = []*forgetest.BBRepo{
		{Slug: "api", CloneURL: "https://bitbucket.example/acme/api.git", Vars: []forgetest.BBVar{{Key: "REGION", Value: "eu"}}},
		{Slug: "locked", CloneURL: "https://bitbucket.example/acme/locked.git"},
	}
	f.Fail("/2.0/repositories/acme/locked/", http.StatusForbidden)
	c, err := forge.NewBitbucket(f.APIURL(), "", "fake-access-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := NewBitbucket(c, "acme", "x-token-auth", "fake-access-token")
	repos, _, err := p.Repositories(context.Background())
	if err != nil || len(repos) != 2 {
		t.Fatalf("repos = %+v, err %v", repos, err)
	}
	stores := p.CIStores(repos)
	if len(stores) != 1 || !stores[0].Complete || stores[0].Root != f.URL+"/acme" {
		t.Fatalf("stores = %+v", stores)
	}
	l, err := p.ListCI(context.Background(), stores[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Complete || len(l.Problems) != 2 {
		t.Errorf("complete %v, problems %q: want the locked repository's two stores", l.Complete, l.Problems)
	}
	if len(l.Vars) != 1 || l.Vars[0].Path != "bitbucket:acme/api/vars/REGION" {
		t.Errorf("vars = %+v", l.Vars)
	}
	if len(l.Secrets) != 1 || l.Secrets[0].Scope != inventory.ScopeOrg || l.Secrets[0].Name != "NPM_TOKEN" {
		t.Errorf("secrets = %+v", l.Secrets)
	}
}
