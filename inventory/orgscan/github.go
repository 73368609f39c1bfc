package orgscan

import (
	"context"
	"errors"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// GitHub is the GitHub provider: an organisation's, a user's or named
// repositories, and their Actions, Dependabot and Codespaces stores.
type GitHub struct {
	client    *forge.GitHub
	org, user string
	names     []string
	auth      scanner.GitAuth
	ci        bool
}

// NewGitHub is the GitHub provider listing through client: org's
// repositories, or user's, or the repositories names lists (owner/name);
// a worker that only scans given repositories passes none. token (the
// one client uses, "" for none) is what git sends to client's web host;
// without it no CI store is listed.
func NewGitHub(client *forge.GitHub, token, org, user string, names []string) *GitHub {
	return &GitHub{client: client, org: org, user: user, names: names,
		auth: BasicAuth("x-access-token", token, client.WebBase), ci: token != ""}
}

// Name is "github".
func (g *GitHub) Name() string { return "github" }

// Owner is the organisation or user, "" for named repositories.
func (g *GitHub) Owner() string { return g.org + g.user }

// GitAuth is the token as git sends it, to GitHub's web host only.
func (g *GitHub) GitAuth() scanner.GitAuth { return g.auth }

// Repositories lists the organisation's or user's repositories, or looks
// up each named one: a name GitHub does not know or refuses is a skipped
// Outcome.
func (g *GitHub) Repositories(ctx context.Context) ([]Repo, []Outcome, error) {
	var (
		listed  []forge.Repo
		missing []Outcome
		err     error
	)
	switch {
	case g.org != "":
		listed, err = g.client.OrgRepos(ctx, g.org)
	case g.user != "":
		listed, err = g.client.UserRepos(ctx, g.user)
	default:
		for _, name := range g.names {
			r, err := g.client.Repo(ctx, name)
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				if !errors.Is(err, forge.ErrNotFound) && !errors.Is(err, forge.ErrForbidden) {
					return nil, nil, err
				}
				missing = append(missing, Outcome{Repo: Repo{Provider: g.Name(), FullName: name}, Mode: ModeSkipped, Reason: err.Error()})
				continue
			}
			listed = append(listed, r)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	repos := make([]Repo, len(listed))
	for i, r := range listed {
		repos[i] = FromForge(g.Name(), r)
	}
	return repos, missing, nil
}

// CIStores is one store per owner: the organisation's (its own stores and
// every repository's, complete), the user's (every repository's,
// complete), or, for named repositories, each owner's (theirs only).
// Nil without a token.
func (g *GitHub) CIStores(repos []Repo) []CIStore {
	if !g.ci {
		return nil
	}
	var stores []CIStore
	switch {
	case g.org != "":
		stores = []CIStore{{Owner: g.org, Org: true, Complete: true}}
	case g.user != "":
		stores = []CIStore{{Owner: g.user, Complete: true}}
	default:
		seen := map[string]bool{}
		for _, r := range repos {
			ow, _, _ := strings.Cut(r.FullName, "/")
			if !seen[ow] {
				seen[ow] = true
				stores = append(stores, CIStore{Owner: ow})
			}
		}
	}
	for i := range stores {
		st := &stores[i]
		st.Provider, st.Kind, st.Root = g.Name(), "github-actions", ownerWeb(repos, st.Owner, g.client.WebBase)
		for _, r := range repos {
			if ow, _, _ := strings.Cut(r.FullName, "/"); ow == st.Owner {
				st.Repos = append(st.Repos, r)
			}
		}
	}
	return stores
}

// ownerWeb is the web address of owner: its repositories' pages' parent
// as the API gives them, else webBase/owner.
func ownerWeb(repos []Repo, owner, webBase string) string {
	for _, r := range repos {
		if ow, name, _ := strings.Cut(r.FullName, "/"); ow == owner && strings.HasSuffix(r.WebURL, "/"+owner+"/"+name) {
			return strings.TrimSuffix(r.WebURL, "/"+name)
		}
	}
	return webBase + "/" + owner
}

// githubVariableNote is the message on a finding in an Actions variable.
const githubVariableNote = "Actions variable holds a secret: variables are readable by anyone who can read the repository and appear in logs; store it as an Actions secret"

// ListCI lists st.Owner's Actions variables (with values) and its
// Actions, Dependabot and Codespaces secrets (names and dates) at the
// organisation (when st.Org), repository and environment levels.
func (g *GitHub) ListCI(ctx context.Context, st CIStore, conc int) (CIListing, error) {
	gh := g.client
	ci := CIListing{Store: st, Complete: st.Complete}
	var mu sync.Mutex
	problem := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		ci.Problems = append(ci.Problems, err.Error())
		ci.Complete = false
	}
	addVars := func(vs []forge.Variable) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range vs {
			path := "github:" + v.Owner + "/vars/" + v.Name
			switch v.Scope {
			case "repo":
				path = "github:" + v.Repo + "/vars/" + v.Name
			case "env":
				path = "github:" + v.Repo + "/env/" + v.Environment + "/vars/" + v.Name
			}
			ci.Vars = append(ci.Vars, scanner.CIVariable{Path: path, Name: v.Name, Value: v.Value, Note: githubVariableNote, Tags: []string{"ci-variable"}})
		}
	}
	addSecrets := func(ss []forge.SecretMeta) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range ss {
			ci.Secrets = append(ci.Secrets, inventory.CISecretRecord{Store: s.Store, Scope: s.Scope, Repository: s.Repo, Environment: s.Environment,
				Name: s.Name, Visibility: s.Visibility, CreatedAt: s.Created, UpdatedAt: s.Updated})
		}
	}
	if st.Org {
		vs, err := gh.OrgVariables(ctx, st.Owner)
		if ctx.Err() != nil {
			return ci, ctx.Err()
		} else if err != nil {
			problem(err)
		}
		addVars(vs)
		for _, store := range []string{forge.StoreActions, forge.StoreDependabot, forge.StoreCodespaces} {
			ss, err := gh.OrgSecrets(ctx, store, st.Owner)
			if ctx.Err() != nil {
				return ci, ctx.Err()
			} else if err != nil {
				problem(err)
			}
			addSecrets(ss)
		}
	}
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(max(1, conc))
	for _, x := range st.Repos {
		r := x.Forge()
		eg.Go(func() error {
			vs, err := gh.RepoVariables(gctx, r)
			if err != nil {
				problem(err)
			}
			addVars(vs)
			for _, store := range []string{forge.StoreActions, forge.StoreDependabot, forge.StoreCodespaces} {
				ss, err := gh.RepoSecrets(gctx, store, r)
				if err != nil {
					problem(err)
				}
				addSecrets(ss)
			}
			envs, err := gh.Environments(gctx, r)
			if err != nil {
				problem(err)
			}
			for _, env := range envs {
				vs, err := gh.EnvVariables(gctx, r, env)
				if err != nil {
					problem(err)
				}
				addVars(vs)
				ss, err := gh.EnvSecrets(gctx, r, env)
				if err != nil {
					problem(err)
				}
				addSecrets(ss)
			}
			return gctx.Err()
		})
	}
	if err := eg.Wait(); err != nil {
		return ci, err
	}
	ci.Sort()
	return ci, ctx.Err()
}
