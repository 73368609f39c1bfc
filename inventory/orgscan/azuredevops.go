package orgscan

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// AzureDevOps is the Azure DevOps provider: the Git repositories of an
// organisation's projects, and each project's variable groups, pipeline
// definitions' variables and service connections.
type AzureDevOps struct {
	client   *forge.AzureDevOps
	projects []string // named with --project; nil: every project
	auth     scanner.GitAuth
	ci       bool

	mu     sync.Mutex
	listed []string // projects whose repositories were listed
	failed int      // projects that could not be
}

// NewAzureDevOps is the Azure DevOps provider listing through client the
// projects named (every project of the organisation when none). token
// (the personal access token client uses, "" for none) is what git sends
// to base, the organisation's server; without it no pipeline store is
// listed.
func NewAzureDevOps(client *forge.AzureDevOps, base, token string, projects []string) *AzureDevOps {
	return &AzureDevOps{client: client, projects: projects, auth: BasicAuth("pat", token, base), ci: token != ""}
}

// Name is "azure-devops".
func (a *AzureDevOps) Name() string { return "azure-devops" }

// Owner is the organisation.
func (a *AzureDevOps) Owner() string { return a.client.Org() }

// GitAuth is the token as git sends it, to the organisation's server only.
func (a *AzureDevOps) GitAuth() scanner.GitAuth { return a.auth }

// Repositories lists each project's Git repositories (FullName
// "PROJECT/REPO"). A project that is missing or that the token may not
// read is a skipped Outcome (FullName the project's name) with the
// server's reason, and the others are listed; only listing the
// organisation's projects, or cancellation, is an error.
func (a *AzureDevOps) Repositories(ctx context.Context) ([]Repo, []Outcome, error) {
	names := a.projects
	if len(names) == 0 {
		ps, err := a.client.Projects(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			names = append(names, p.Name)
		}
	}
	var repos []Repo
	var missing []Outcome
	var listed []string
	for _, p := range names {
		rs, err := a.client.ProjectRepos(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			missing = append(missing, Outcome{Repo: Repo{Provider: a.Name(), FullName: p}, Mode: ModeSkipped, Reason: err.Error()})
			continue
		}
		listed = append(listed, p)
		for _, r := range rs {
			repos = append(repos, FromForge(a.Name(), r))
		}
	}
	a.mu.Lock()
	a.listed, a.failed = listed, len(missing)
	a.mu.Unlock()
	return repos, missing, nil
}

// CIStores is the organisation's one store: the pipeline stores of every
// project Repositories listed, complete when no project failed. Nil
// without a token.
func (a *AzureDevOps) CIStores(repos []Repo) []CIStore {
	if !a.ci {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return []CIStore{{Provider: a.Name(), Kind: "azure-pipelines", Owner: a.client.Org(), Root: a.client.WebURL(),
		Complete: a.failed == 0, Repos: repos, Projects: append([]string(nil), a.listed...)}}
}

// ListCI lists each project's variable groups, pipeline variables and
// service connections, conc projects at a time.
func (a *AzureDevOps) ListCI(ctx context.Context, st CIStore, conc int) (CIListing, error) {
	ci := CIListing{Store: st, Complete: st.Complete}
	var mu sync.Mutex
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(max(1, conc))
	for _, p := range st.Projects {
		eg.Go(func() error {
			l, err := a.client.ProjectCI(gctx, p)
			mu.Lock()
			addListing(&ci, l)
			mu.Unlock()
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return ci, err
	}
	ci.Sort()
	return ci, ctx.Err()
}
