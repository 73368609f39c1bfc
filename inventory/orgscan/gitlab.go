package orgscan

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// GitLab is the GitLab provider: a group's projects (subgroups included)
// and their CI/CD variables.
type GitLab struct {
	client *forge.GitLab
	base   string // the instance's web address
	group  string
	auth   scanner.GitAuth
	ci     bool
}

// NewGitLab is the GitLab provider listing group's projects through
// client on the instance at base (its web address). token (the one
// client uses, "" for none) is what git sends to base's host; without it
// no CI/CD variable is listed.
func NewGitLab(client *forge.GitLab, base, token, group string) *GitLab {
	return &GitLab{client: client, base: base, group: group, auth: BasicAuth("oauth2", token, base), ci: token != ""}
}

// Name is "gitlab".
func (g *GitLab) Name() string { return "gitlab" }

// Owner is the group.
func (g *GitLab) Owner() string { return g.group }

// GitAuth is the token as git sends it, to the instance only.
func (g *GitLab) GitAuth() scanner.GitAuth { return g.auth }

// Repositories lists the group's projects.
func (g *GitLab) Repositories(ctx context.Context) ([]Repo, []Outcome, error) {
	listed, err := g.client.GroupProjects(ctx, g.group)
	if err != nil {
		return nil, nil, err
	}
	repos := make([]Repo, len(listed))
	for i, r := range listed {
		repos[i] = FromForge(g.Name(), r)
	}
	return repos, nil, nil
}

// CIStores is the group's variables and its projects': one complete
// store. Nil without a token.
func (g *GitLab) CIStores(repos []Repo) []CIStore {
	if !g.ci {
		return nil
	}
	return []CIStore{{Provider: g.Name(), Kind: "gitlab-ci", Owner: g.group, Root: strings.TrimSuffix(g.base, "/") + "/" + g.group,
		Org: true, Complete: true, Repos: repos}}
}

// ListCI lists the group's and its projects' CI/CD variables. A hidden
// variable (whose value GitLab does not return) is counted, not scanned.
func (g *GitLab) ListCI(ctx context.Context, st CIStore, conc int) (CIListing, error) {
	ci := CIListing{Store: st, Complete: st.Complete}
	var mu sync.Mutex
	add := func(vs []forge.Variable, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			ci.Problems = append(ci.Problems, err.Error())
			ci.Complete = false
		}
		for _, v := range vs {
			if v.Hidden && v.Value == "" {
				ci.Hidden++
				continue
			}
			ci.Vars = append(ci.Vars, GitLabVariable(v))
		}
	}
	if st.Org {
		add(g.client.GroupVariables(ctx, st.Owner))
	}
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(max(1, conc))
	for _, x := range st.Repos {
		r := x.Forge()
		eg.Go(func() error {
			add(g.client.ProjectVariables(gctx, st.Owner, r))
			return gctx.Err()
		})
	}
	if err := eg.Wait(); err != nil {
		return ci, err
	}
	ci.Sort()
	return ci, ctx.Err()
}

// GitLabVariable turns a GitLab variable into scanned content: its
// location carries its environment scope and protection, and a finding in
// it says how exposed it is.
func GitLabVariable(v forge.Variable) scanner.CIVariable {
	owner := v.Owner
	if v.Scope == "project" {
		owner = v.Repo
	}
	scope := v.Environment
	if scope == "" {
		scope = "*"
	}
	var state, tags []string
	tags = append(tags, "ci-variable")
	for _, f := range []struct {
		on       bool
		yes, not string
	}{{v.Masked, "masked", "unmasked"}, {v.Protected, "protected", "unprotected"}, {v.Hidden, "hidden", ""}} {
		switch {
		case f.on:
			state = append(state, f.yes)
		case f.not != "":
			state = append(state, f.not)
		}
	}
	note := "CI/CD variable (" + strings.Join(state, ", ") + ", environment scope " + scope + ")"
	if !v.Masked && !v.Protected {
		tags = append(tags, "unmasked-unprotected")
		note += ": neither masked nor protected, so any pipeline on any branch can read it and job logs show it in clear; mask and protect it, and rotate it"
	}
	return scanner.CIVariable{
		Path:  "gitlab:" + owner + "/vars/" + v.Name + "[" + scope + "]{" + strings.Join(state, ",") + "}",
		Name:  v.Name,
		Value: v.Value,
		Note:  note,
		Tags:  tags,
	}
}
