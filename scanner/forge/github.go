package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Errors from forge clients, for errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("access denied")
)

// Repo is one repository (or GitLab project) to scan.
type Repo struct {
	ID       int64
	FullName string // "owner/name" ("group/sub/project" on GitLab)
	// WebURL is the repository's identity in the inventory
	// ("https://github.com/acme/api"); CloneURL is what git fetches.
	WebURL, CloneURL string
	Fork, Archived   bool
	// Empty is set when the API says the repository has no commits.
	Empty bool
}

// Variable is a CI variable with its value.
type Variable struct {
	Scope       string // "org", "repo", "env" (GitHub); "group", "project" (GitLab)
	Owner       string // organisation or group
	Repo        string // "owner/name" for repository and environment scopes
	Environment string // GitHub environment or GitLab environment scope
	Name, Value string
	// GitLab only: the variable's protection.
	Masked, Protected, Hidden bool
	// File: a GitLab file-type variable.
	File bool
}

// SecretMeta is a managed secret as listed: name and dates, no value.
type SecretMeta struct {
	Store       string // "actions", "dependabot", "codespaces", "variable-group", …
	Scope       string // "org", "repo", "env"
	Repo        string
	Environment string
	Name        string
	Visibility  string
	// Kind, Description and UsedBy come from stores that say more of
	// their secrets: a service connection's type and authorisation
	// scheme, the pipelines allowed to use it.
	Kind        string
	Description string
	UsedBy      []string
	Created     time.Time
	Updated     time.Time
}

// GitHub lists repositories and Actions stores through go-github.
type GitHub struct {
	c *github.Client
	// WebBase is the web address repositories' pages live under
	// ("https://github.com", or the GitHub Enterprise Server host).
	WebBase string
}

// NewGitHub returns a client for the REST API at apiURL ("" or
// https://api.github.com for github.com; https://HOST/api/v3 for GitHub
// Enterprise Server), authenticated with token if not empty, sending
// requests through rt (a RateLimiter, typically; nil: NewTransport's
// defaults). The token goes only to the API's scheme and host, over https
// (plain http only to a loopback address); redirects that leave that
// origin are refused.
func NewGitHub(apiURL, token string, rt http.RoundTripper) (*GitHub, error) {
	if rt == nil {
		rt = defaultTransport
	}
	api := &url.URL{Scheme: "https", Host: "api.github.com"}
	custom := apiURL != "" && strings.TrimSuffix(apiURL, "/") != "https://api.github.com"
	if custom {
		u, err := url.Parse(apiURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("GitHub API URL %q: want e.g. https://github.example.com/api/v3", apiURL)
		}
		if err := checkTokenOrigin("GitHub API URL", apiURL, u, token); err != nil {
			return nil, err
		}
		api = u
	}
	auth := &authTransport{base: rt, header: "Authorization", value: bearer(token), origin: originOf(api)}
	hc := &http.Client{Transport: auth, CheckRedirect: sameOrigin(originOf(api))}
	c := github.NewClient(hc)
	g := &GitHub{c: c, WebBase: "https://github.com"}
	if custom {
		var err error
		if c, err = c.WithEnterpriseURLs(apiURL, apiURL); err != nil {
			return nil, fmt.Errorf("GitHub API URL %q: %w", apiURL, err)
		}
		g.c = c
		g.WebBase = api.Scheme + "://" + strings.TrimPrefix(api.Host, "api.")
	}
	return g, nil
}

func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

// authTransport adds the token header to every request for the API's
// origin (scheme and host), and to no other: a redirect, a page link or
// a downgrade to http must not carry the token.
type authTransport struct {
	base          http.RoundTripper
	header, value string
	origin        origin
}

func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if a.value == "" || originOf(req.URL) != a.origin {
		return a.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set(a.header, a.value)
	return a.base.RoundTrip(req)
}

// ghErr maps go-github errors to ErrNotFound / ErrForbidden.
func ghErr(what string, resp *github.Response, err error) error {
	if err == nil {
		return nil
	}
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w (HTTP 404)", what, ErrNotFound)
		case http.StatusForbidden, http.StatusUnauthorized:
			return fmt.Errorf("%s: %w (HTTP %d)", what, ErrForbidden, resp.StatusCode)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

const perPage = 100

func (g *GitHub) repo(r *github.Repository) Repo {
	out := Repo{ID: r.GetID(), FullName: r.GetFullName(), WebURL: r.GetHTMLURL(), CloneURL: r.GetCloneURL(), Fork: r.GetFork(), Archived: r.GetArchived()}
	if out.WebURL == "" {
		out.WebURL = g.WebBase + "/" + out.FullName
	}
	return out
}

// OrgRepos lists an organisation's repositories, every page (the Link
// header's rel="next").
func (g *GitHub) OrgRepos(ctx context.Context, org string) ([]Repo, error) {
	opt := &github.RepositoryListByOrgOptions{Type: "all", ListOptions: github.ListOptions{PerPage: perPage}}
	var out []Repo
	for {
		rs, resp, err := g.c.Repositories.ListByOrg(ctx, org, opt)
		if err != nil {
			return nil, ghErr("list repositories of organisation "+org, resp, err)
		}
		for _, r := range rs {
			out = append(out, g.repo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// UserRepos lists a user's repositories, every page.
func (g *GitHub) UserRepos(ctx context.Context, user string) ([]Repo, error) {
	opt := &github.RepositoryListByUserOptions{Type: "owner", ListOptions: github.ListOptions{PerPage: perPage}}
	var out []Repo
	for {
		rs, resp, err := g.c.Repositories.ListByUser(ctx, user, opt)
		if err != nil {
			return nil, ghErr("list repositories of user "+user, resp, err)
		}
		for _, r := range rs {
			out = append(out, g.repo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// Repo looks up one repository ("owner/name").
func (g *GitHub) Repo(ctx context.Context, fullName string) (Repo, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("repository %q: want owner/name", fullName)
	}
	r, resp, err := g.c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return Repo{}, ghErr("repository "+fullName, resp, err)
	}
	return g.repo(r), nil
}

// pages calls list for each page until there is no next one.
func pages(list func(opt *github.ListOptions) (*github.Response, error)) error {
	opt := &github.ListOptions{PerPage: perPage}
	for {
		resp, err := list(opt)
		if err != nil {
			return err
		}
		if resp == nil || resp.NextPage == 0 {
			return nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *GitHub) variables(what string, list func(opt *github.ListOptions) (*github.ActionsVariables, *github.Response, error), tmpl Variable) ([]Variable, error) {
	var out []Variable
	err := pages(func(opt *github.ListOptions) (*github.Response, error) {
		vs, resp, err := list(opt)
		if err != nil {
			return resp, ghErr(what, resp, err)
		}
		for _, v := range vs.Variables {
			x := tmpl
			x.Name, x.Value = v.Name, v.Value
			out = append(out, x)
		}
		return resp, nil
	})
	return out, err
}

// OrgVariables lists an organisation's Actions variables with values.
func (g *GitHub) OrgVariables(ctx context.Context, org string) ([]Variable, error) {
	return g.variables("Actions variables of "+org, func(o *github.ListOptions) (*github.ActionsVariables, *github.Response, error) {
		return g.c.Actions.ListOrgVariables(ctx, org, o)
	}, Variable{Scope: "org", Owner: org})
}

// RepoVariables lists a repository's Actions variables with values.
func (g *GitHub) RepoVariables(ctx context.Context, r Repo) ([]Variable, error) {
	owner, name, _ := strings.Cut(r.FullName, "/")
	return g.variables("Actions variables of "+r.FullName, func(o *github.ListOptions) (*github.ActionsVariables, *github.Response, error) {
		return g.c.Actions.ListRepoVariables(ctx, owner, name, o)
	}, Variable{Scope: "repo", Owner: owner, Repo: r.FullName})
}

// EnvVariables lists one environment's Actions variables with values.
func (g *GitHub) EnvVariables(ctx context.Context, r Repo, env string) ([]Variable, error) {
	owner, _, _ := strings.Cut(r.FullName, "/")
	return g.variables("Actions variables of "+r.FullName+" environment "+env, func(o *github.ListOptions) (*github.ActionsVariables, *github.Response, error) {
		return g.c.Actions.ListEnvVariables(ctx, int(r.ID), url.PathEscape(env), o)
	}, Variable{Scope: "env", Owner: owner, Repo: r.FullName, Environment: env})
}

// Environments lists a repository's deployment environments.
func (g *GitHub) Environments(ctx context.Context, r Repo) ([]string, error) {
	owner, name, _ := strings.Cut(r.FullName, "/")
	opt := &github.EnvironmentListOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	var out []string
	for {
		es, resp, err := g.c.Repositories.ListEnvironments(ctx, owner, name, opt)
		if err != nil {
			return nil, ghErr("environments of "+r.FullName, resp, err)
		}
		for _, e := range es.Environments {
			out = append(out, e.GetName())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *GitHub) secrets(what string, list func(opt *github.ListOptions) (*github.Secrets, *github.Response, error), tmpl SecretMeta) ([]SecretMeta, error) {
	var out []SecretMeta
	err := pages(func(opt *github.ListOptions) (*github.Response, error) {
		ss, resp, err := list(opt)
		if err != nil {
			return resp, ghErr(what, resp, err)
		}
		for _, s := range ss.Secrets {
			x := tmpl
			x.Name, x.Visibility, x.Created, x.Updated = s.Name, s.Visibility, s.CreatedAt.Time, s.UpdatedAt.Time
			out = append(out, x)
		}
		return resp, nil
	})
	return out, err
}

// Secret stores.
const (
	StoreActions    = "actions"
	StoreDependabot = "dependabot"
	StoreCodespaces = "codespaces"
)

// OrgSecrets lists an organisation's secrets in one store (names and
// dates).
func (g *GitHub) OrgSecrets(ctx context.Context, store, org string) ([]SecretMeta, error) {
	what := store + " secrets of " + org
	tmpl := SecretMeta{Store: store, Scope: "org"}
	switch store {
	case StoreActions:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Actions.ListOrgSecrets(ctx, org, o)
		}, tmpl)
	case StoreDependabot:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Dependabot.ListOrgSecrets(ctx, org, o)
		}, tmpl)
	case StoreCodespaces:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Codespaces.ListOrgSecrets(ctx, org, o)
		}, tmpl)
	}
	return nil, fmt.Errorf("unknown secret store %q", store)
}

// RepoSecrets lists a repository's secrets in one store.
func (g *GitHub) RepoSecrets(ctx context.Context, store string, r Repo) ([]SecretMeta, error) {
	owner, name, _ := strings.Cut(r.FullName, "/")
	what := store + " secrets of " + r.FullName
	tmpl := SecretMeta{Store: store, Scope: "repo", Repo: r.FullName}
	switch store {
	case StoreActions:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Actions.ListRepoSecrets(ctx, owner, name, o)
		}, tmpl)
	case StoreDependabot:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Dependabot.ListRepoSecrets(ctx, owner, name, o)
		}, tmpl)
	case StoreCodespaces:
		return g.secrets(what, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
			return g.c.Codespaces.ListRepoSecrets(ctx, owner, name, o)
		}, tmpl)
	}
	return nil, fmt.Errorf("unknown secret store %q", store)
}

// EnvSecrets lists one environment's Actions secrets.
func (g *GitHub) EnvSecrets(ctx context.Context, r Repo, env string) ([]SecretMeta, error) {
	return g.secrets("Actions secrets of "+r.FullName+" environment "+env, func(o *github.ListOptions) (*github.Secrets, *github.Response, error) {
		return g.c.Actions.ListEnvSecrets(ctx, int(r.ID), url.PathEscape(env), o)
	}, SecretMeta{Store: StoreActions, Scope: "env", Repo: r.FullName, Environment: env})
}
