package orgscan

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// Bitbucket is the Bitbucket Cloud provider: a workspace's repositories
// and its Pipelines variables (workspace, repository, deployment
// environment).
type Bitbucket struct {
	client    *forge.Bitbucket
	workspace string
	auth      scanner.GitAuth
	ci        bool
}

// NewBitbucket is the Bitbucket provider listing workspace through
// client. gitUser and secret are what git sends to Bitbucket's web host
// (HTTP Basic: "x-token-auth" with an access token, the user name with an
// app password); without a secret no Pipelines variable is listed.
func NewBitbucket(client *forge.Bitbucket, workspace, gitUser, secret string) *Bitbucket {
	return &Bitbucket{client: client, workspace: workspace, auth: BasicAuth(gitUser, secret, client.WebBase()), ci: secret != ""}
}

// Name is "bitbucket".
func (b *Bitbucket) Name() string { return "bitbucket" }

// Owner is the workspace.
func (b *Bitbucket) Owner() string { return b.workspace }

// GitAuth is the credentials as git sends them, to Bitbucket's web host
// only.
func (b *Bitbucket) GitAuth() scanner.GitAuth { return b.auth }

// Repositories lists the workspace's repositories.
func (b *Bitbucket) Repositories(ctx context.Context) ([]Repo, []Outcome, error) {
	listed, err := b.client.WorkspaceRepos(ctx, b.workspace)
	if err != nil {
		return nil, nil, err
	}
	repos := make([]Repo, len(listed))
	for i, r := range listed {
		repos[i] = FromForge(b.Name(), r)
	}
	return repos, nil, nil
}

// CIStores is the workspace's variables and its repositories': one
// complete store. Nil without credentials.
func (b *Bitbucket) CIStores(repos []Repo) []CIStore {
	if !b.ci {
		return nil
	}
	return []CIStore{{Provider: b.Name(), Kind: "bitbucket-pipelines", Owner: b.workspace, Root: b.client.WorkspaceURL(b.workspace),
		Org: true, Complete: true, Repos: repos}}
}

// ListCI lists the workspace's Pipelines variables and each repository's
// (its own and its deployment environments'), conc repositories at a
// time.
func (b *Bitbucket) ListCI(ctx context.Context, st CIStore, conc int) (CIListing, error) {
	ci := CIListing{Store: st, Complete: st.Complete}
	if st.Org {
		l, err := b.client.WorkspaceCI(ctx, st.Owner)
		if err != nil {
			return ci, err
		}
		addListing(&ci, l)
	}
	var mu sync.Mutex
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(max(1, conc))
	for _, x := range st.Repos {
		r := x.Forge()
		eg.Go(func() error {
			l, err := b.client.RepoCI(gctx, r)
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
