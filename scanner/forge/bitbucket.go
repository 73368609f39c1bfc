package forge

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// Bitbucket lists a Bitbucket Cloud workspace's repositories and
// Pipelines variables through the REST API (2.0), following each page's
// "next" link.
type Bitbucket struct {
	base string // "https://api.bitbucket.org/2.0"
	web  string // "https://bitbucket.org"
	hc   *http.Client
}

// StorePipelines is the store of Bitbucket Pipelines' secured variables
// (workspace, repository and deployment environment).
const StorePipelines = "pipelines"

const bbPage = "pagelen=100"

// NewBitbucket returns a client for the API at apiURL (default
// https://api.bitbucket.org/2.0). With user empty, secret is an access
// token (workspace, project or repository), sent as a Bearer token;
// otherwise user and secret are an app password or API token pair, sent
// as HTTP Basic. Requests go through rt (nil: NewTransport's defaults).
// The credentials go only to apiURL's scheme and host, over https (plain
// http only to a loopback address); redirects and next links that leave
// it are refused.
func NewBitbucket(apiURL, user, secret string, rt http.RoundTripper) (*Bitbucket, error) {
	if apiURL == "" {
		apiURL = "https://api.bitbucket.org/2.0"
	}
	if rt == nil {
		rt = defaultTransport
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("Bitbucket API URL %q: want e.g. https://api.bitbucket.org/2.0", apiURL)
	}
	if err := checkTokenOrigin("Bitbucket API URL", apiURL, u, secret); err != nil {
		return nil, err
	}
	value := ""
	switch {
	case secret == "":
	case user == "":
		value = "Bearer " + secret
	default:
		value = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	}
	base := strings.TrimSuffix(u.String(), "/")
	web := u.Scheme + "://" + strings.TrimPrefix(u.Host, "api.")
	hc := &http.Client{Transport: &authTransport{base: rt, header: "Authorization", value: value, origin: originOf(u)}, CheckRedirect: sameOrigin(originOf(u))}
	return &Bitbucket{base: base, web: web, hc: hc}, nil
}

// WebBase is the web address repositories live under
// ("https://bitbucket.org"), where git fetches them.
func (b *Bitbucket) WebBase() string { return b.web }

// WorkspaceURL is a workspace's web address, the repository its
// variables are recorded under.
func (b *Bitbucket) WorkspaceURL(ws string) string { return b.web + "/" + url.PathEscape(ws) }

// bbList fetches every page starting at path (relative to the API base),
// handing each value to fn, and follows "next" only on the API's own
// base: the credentials must not go where a page points.
func bbList[T any](ctx context.Context, b *Bitbucket, what, path string, fn func(T)) error {
	next := b.base + "/" + path
	seen := map[string]bool{}
	for next != "" {
		var page struct {
			Values []T    `json:"values"`
			Next   string `json:"next"`
		}
		if _, err := getJSON(ctx, b.hc, what, next, &page); err != nil {
			return err
		}
		for _, x := range page.Values {
			fn(x)
		}
		seen[next] = true
		next = page.Next
		if next != "" && !strings.HasPrefix(next, b.base+"/") {
			return fmt.Errorf("%s: next page %q is not on %s", what, next, b.base)
		}
		if seen[next] {
			return fmt.Errorf("%s: the server's next page repeats %q; stopping", what, next)
		}
	}
	return nil
}

type bbLink struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

type bbRepo struct {
	FullName string `json:"full_name"`
	Slug     string `json:"slug"`
	Links    struct {
		HTML  bbLink   `json:"html"`
		Clone []bbLink `json:"clone"`
	} `json:"links"`
	Parent *struct {
		FullName string `json:"full_name"`
	} `json:"parent"`
}

// WorkspaceRepos lists a workspace's repositories. FullName is
// "WORKSPACE/SLUG".
func (b *Bitbucket) WorkspaceRepos(ctx context.Context, ws string) ([]Repo, error) {
	var out []Repo
	err := bbList(ctx, b, "repositories of workspace "+ws, "repositories/"+url.PathEscape(ws)+"?"+bbPage, func(r bbRepo) {
		full := r.FullName
		if full == "" {
			full = ws + "/" + r.Slug
		}
		web := r.Links.HTML.Href
		if web == "" {
			web = b.web + "/" + full
		}
		clone := ""
		for _, c := range r.Links.Clone {
			if c.Name == "https" {
				clone = stripUserinfo(c.Href)
			}
		}
		out = append(out, Repo{FullName: full, WebURL: web, CloneURL: clone, Fork: r.Parent != nil})
	})
	return out, err
}

// bbVariable is a Pipelines variable; a secured one comes without a value.
type bbVariable struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Secured bool   `json:"secured"`
}

// BitbucketEnvironment is a repository's deployment environment.
type BitbucketEnvironment struct {
	UUID            string `json:"uuid"`
	Name            string `json:"name"`
	EnvironmentType struct {
		Name string `json:"name"` // "Test", "Staging", "Production"
	} `json:"environment_type"`
}

// Environments lists a repository's deployment environments.
func (b *Bitbucket) Environments(ctx context.Context, r Repo) ([]BitbucketEnvironment, error) {
	var out []BitbucketEnvironment
	err := bbList(ctx, b, "deployment environments of "+r.FullName, "repositories/"+repoPath(r)+"/environments?"+bbPage,
		func(e BitbucketEnvironment) { out = append(out, e) })
	return out, err
}

// repoPath is "WORKSPACE/SLUG" with each element escaped.
func repoPath(r Repo) string {
	ws, slug, _ := strings.Cut(r.FullName, "/")
	return url.PathEscape(ws) + "/" + url.PathEscape(slug)
}

const bbNote = "Bitbucket Pipelines variable, not secured: its value is shown in the settings and can reach build logs; make it secured, and rotate it"

// variables lists one Pipelines variable store: unsecured values become
// content at path+"/vars/NAME", secured ones metadata from tmpl.
func (b *Bitbucket) variables(ctx context.Context, l *CIListing, what, apiPath, path string, tmpl SecretMeta) error {
	var vars []bbVariable
	if err := bbList(ctx, b, what, apiPath+"?"+bbPage, func(v bbVariable) { vars = append(vars, v) }); err != nil {
		return err
	}
	for _, v := range vars {
		switch {
		case v.Secured:
			m := tmpl
			m.Name = v.Key
			l.Secrets = append(l.Secrets, m)
		case v.Value != "":
			l.Vars = append(l.Vars, scanner.CIVariable{Path: path + "/vars/" + v.Key, Name: v.Key, Value: v.Value, Note: bbNote, Tags: []string{"ci-variable"}})
		}
	}
	return nil
}

// WorkspaceCI lists a workspace's Pipelines variables, scanned as content
// at bitbucket:WORKSPACE/vars/NAME (secured ones as metadata). A store
// that cannot be read is a problem of the listing; the error is for a
// cancelled context only.
func (b *Bitbucket) WorkspaceCI(ctx context.Context, ws string) (CIListing, error) {
	var l CIListing
	err := b.variables(ctx, &l, "Pipelines variables of workspace "+ws, "workspaces/"+url.PathEscape(ws)+"/pipelines-config/variables",
		"bitbucket:"+ws, SecretMeta{Store: StorePipelines, Scope: "org", Kind: "secured variable", Description: "workspace variable"})
	if err != nil && ctx.Err() == nil {
		l.problem(err)
	}
	return l, ctx.Err()
}

// RepoCI lists a repository's Pipelines variables and those of each of
// its deployment environments, scanned as content at
// bitbucket:WORKSPACE/REPO/vars/NAME and
// bitbucket:WORKSPACE/REPO/env/TYPE/ENVIRONMENT/vars/NAME (the
// environment's type, test, staging or production, is how the inventory
// assigns the location's environment whatever the environment is called);
// secured ones as metadata.
func (b *Bitbucket) RepoCI(ctx context.Context, r Repo) (CIListing, error) {
	var l CIListing
	keep := func(err error) bool {
		if err != nil && ctx.Err() == nil {
			l.problem(err)
		}
		return err == nil
	}
	prefix := "bitbucket:" + r.FullName
	keep(b.variables(ctx, &l, "Pipelines variables of "+r.FullName, "repositories/"+repoPath(r)+"/pipelines_config/variables", prefix,
		SecretMeta{Store: StorePipelines, Scope: "repo", Repo: r.FullName, Kind: "secured variable", Description: "repository variable"}))
	if envs, err := b.Environments(ctx, r); keep(err) {
		for _, e := range envs {
			if ctx.Err() != nil {
				break
			}
			typ := strings.ToLower(e.EnvironmentType.Name)
			if typ == "" {
				typ = "unknown"
			}
			keep(b.variables(ctx, &l, "deployment variables of "+r.FullName+" environment "+e.Name,
				"repositories/"+repoPath(r)+"/deployments_config/environments/"+url.PathEscape(e.UUID)+"/variables",
				prefix+"/env/"+typ+"/"+e.Name,
				SecretMeta{Store: StorePipelines, Scope: "env", Repo: r.FullName, Environment: e.Name, Kind: "secured variable",
					Description: "deployment variable (" + typ + " environment)"}))
		}
	}
	return l, ctx.Err()
}
